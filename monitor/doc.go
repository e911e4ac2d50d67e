// Package monitor runs the risk models (package risk) over the store: full and
// incremental scans that publish an immutable State, the scan queue, cron jobs,
// the esri job, the adapters that run models on a State, and the engine's metrics.
package monitor
