// Package store owns persistence: the Store interface and the roles it is made of
// (roles.go), the ingest batch protocol (stage, check against held data, merge,
// commit), and the SQL that both implementations share. Its types are storage
// shapes, not wire formats. store/sqlite is the embedded default; store/postgres
// serves several replicas. store/storetest is the conformance suite both must pass.
package store
