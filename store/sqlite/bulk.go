package sqlite

import (
	"context"

	"github.com/chainrisk/chainrisk/store"
)

// batchCache is the page cache of an ingest batch's connection, for the main
// database and for the temporary one its staging tables live in (KiB, as a negative
// cache_size says). With SQLite's default, 2 MB, a province-sized batch reads most of
// its B-tree pages back through the operating system, one system call each.
const batchCache = "-262144"

// defaultCache is SQLite's default cache_size, which the connection gets back before
// the batch commits: the pool keeps the connection.
const defaultCache = "-2000"

// BatchSettings implements store.BulkDialect.
func (d *dialect) BatchSettings() (open, close []string) {
	return []string{"PRAGMA main.cache_size = " + batchCache, "PRAGMA temp.cache_size = " + batchCache},
		[]string{"PRAGMA main.cache_size = " + defaultCache, "PRAGMA temp.cache_size = " + defaultCache}
}

// Indexes implements store.BulkDialect: the indexes of table that a statement created
// (not the primary key's, which SQLite keeps with the table).
func (d *dialect) Indexes(ctx context.Context, tx store.Tx, table string) ([]string, error) {
	return store.Names(ctx, tx, `SELECT name FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table)
}

// PrimaryKeys implements store.BulkDialect: SQLite cannot drop a primary key.
func (d *dialect) PrimaryKeys() bool { return false }

// ProbeSettings implements store.BulkDialect: SQLite joins by probing anyway.
func (d *dialect) ProbeSettings() (on, off []string) { return nil, nil }
