// Package monitor is the risk engine and scheduler: scoring, network distress,
// chain exposure, stress tests (DebtRank), systemic importance (ESRI), scans and
// cron jobs.
package monitor
