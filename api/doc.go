// Package api serves chainrisk's HTTP API: the ops endpoints (/healthz, /readyz,
// /metrics), ingest, queries, analysis and control under /api/v1, with auth, tenancy
// and the OpenAPI document.
package api
