// Package api serves chainrisk's HTTP API: the ops endpoints (/healthz, /readyz,
// /metrics), and under /api/v1 ingest, queries, analysis and control behind bearer
// tokens with roles and tenancy, described by the embedded OpenAPI document.
//
// Tokens are stored as their SHA-256 (store.Token) and looked up by hash; a lookup is
// trusted for Options.TokenCacheTTL (5 s by default), so a revoked token stops
// working within that time on every replica. Tenant tokens are bound to one USCC and
// see the firms of that USCC's chain (with the config's depths, in the latest scan's
// graph) only: everything else answers the 404 of a firm that does not exist.
package api
