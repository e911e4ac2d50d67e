package postgres

import (
	"context"
	"fmt"

	"github.com/chainrisk/chainrisk/store"
)

// BatchSettings implements store.BulkDialect: an ingest batch sorts and hashes its
// staged rows (checks, merges) and may build indexes; PostgreSQL's defaults (4 MB,
// 64 MB) send those of a province-sized file to temporary files. The batch raises
// them to at least 64 MB and 256 MB (a server set higher keeps its own), for its
// transaction only. JIT compilation is off: the planner's estimates for unanalysed
// staging tables start it on statements it then slows by seconds.
func (d *dialect) BatchSettings() (open, close []string) {
	return []string{atLeast("work_mem", 64<<10), atLeast("maintenance_work_mem", 256<<10), `SET LOCAL jit = off`}, nil
}

// atLeast raises a memory setting to kb KiB for the transaction, unless it is higher.
func atLeast(name string, kb int) string {
	return fmt.Sprintf(`SELECT set_config(name, '%dkB', true) FROM pg_settings WHERE name = '%s' AND CAST(setting AS BIGINT) < %d`,
		kb, name, kb)
}

// ProbeSettings implements store.BulkDialect: without hash and merge joins the planner
// probes the target's index per staged row. (It would rather hash the whole table:
// staging tables are never analysed.)
func (d *dialect) ProbeSettings() (on, off []string) {
	return []string{`SET LOCAL enable_hashjoin = off`, `SET LOCAL enable_mergejoin = off`},
		[]string{`SET LOCAL enable_hashjoin = on`, `SET LOCAL enable_mergejoin = on`}
}

// Indexes implements store.BulkDialect: the indexes of table in the current schema.
func (d *dialect) Indexes(ctx context.Context, tx store.Tx, table string) ([]string, error) {
	return store.Names(ctx, tx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?`, table)
}

// PrimaryKeys implements store.BulkDialect.
func (d *dialect) PrimaryKeys() bool { return true }
