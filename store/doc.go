// Package store owns persistence: the Store interface, the ingest batch protocol
// (stage, check against held data, merge, commit), and the SQL that both
// implementations share. store/sqlite is the embedded default; store/postgres serves
// several replicas. store/storetest is the conformance suite both must pass.
package store
