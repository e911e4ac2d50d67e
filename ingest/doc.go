// Package ingest decodes the input kinds (enterprises, relations, events, repairs,
// shareholdings) from CSV and NDJSON into store.Chunks, streaming with bounded memory.
// Every bad row becomes one RowProblem "file:line: field: reason" and the stream goes
// on past it.
package ingest
