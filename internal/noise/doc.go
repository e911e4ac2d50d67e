// Package noise measures how many notifications the alert pipeline sends for the
// alert changes its rules produce (docs/alerts.md, Noise). It runs the leader's
// pipeline — a SQLite store, the engine, the alert manager as its observer — on a
// simulated clock in two worlds: the demo, and a generated province loaded the way
// a user loads it, then lives a month of daily ingests, scans and jobs. It counts by
// reading the store only: the alerts after every step, and the outbox at the end,
// so that the count holds whatever the pipeline puts in one message.
//
//	make noise       # writes bench/noise.md (NOISE_FIRMS, NOISE_DAYS, NOISE_DIGEST)
package noise
