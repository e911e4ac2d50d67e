package store

import (
	"context"
	"fmt"
)

// BulkDialect is a Dialect that tunes an ingest batch for bulk work. Both stores
// implement it; a batch works without it, only slower.
type BulkDialect interface {
	// BatchSettings returns the statements that open an ingest batch, inside its
	// transaction (memory for sorts, hashes and caches), and those run just before
	// its commit to undo what would outlive it on a pooled connection.
	BatchSettings() (open, close []string)
	// Indexes returns the names of table's indexes, inside tx.
	Indexes(ctx context.Context, tx Tx, table string) ([]string, error)
	// PrimaryKeys reports whether a primary key can be dropped and added again
	// (SQLite keeps a table's with the table).
	PrimaryKeys() bool
	// ProbeSettings returns the statements that make the next statement join by
	// probing indexes row by row, and those that undo them.
	ProbeSettings() (on, off []string)
}

// bulkIndex is an index of a table a batch merges into, as the migrations create it.
type bulkIndex struct {
	name, drop, build string
	primary           bool
}

// bulkTable says how to tell that a table is empty and which indexes a large batch
// into it then builds after loading its rows: an index built once over the rows costs
// a fraction of one kept up row by row. Indexes found neither here nor in the
// catalogue are left alone (kept up as usual).
type bulkTable struct {
	held    string // selects 1 when the table holds a row
	indexes []bulkIndex
}

func primaryKey(table, cols string) bulkIndex {
	return bulkIndex{name: table + "_pkey", drop: "ALTER TABLE " + table + " DROP CONSTRAINT " + table + "_pkey",
		build: "ALTER TABLE " + table + " ADD CONSTRAINT " + table + "_pkey PRIMARY KEY (" + cols + ")", primary: true}
}

func secondary(name, def string) bulkIndex {
	return bulkIndex{name: name, drop: "DROP INDEX " + name, build: "CREATE INDEX " + name + " ON " + def}
}

var bulkTables = map[string]bulkTable{
	"enterprises": {`SELECT 1 FROM enterprises LIMIT 1`, []bulkIndex{primaryKey("enterprises", "uscc")}},
	"relations": {`SELECT 1 FROM relations LIMIT 1`, []bulkIndex{primaryKey("relations", "supplier, customer"),
		secondary("relations_customer", "relations (customer)")}},
	"events": {`SELECT 1 FROM events LIMIT 1`, []bulkIndex{primaryKey("events", "event_id"),
		secondary("events_uscc", "events (uscc, occurred_at)")}},
	"repairs": {`SELECT 1 FROM repairs LIMIT 1`, []bulkIndex{primaryKey("repairs", "event_id"),
		secondary("repairs_updated", "repairs (updated_at)")}},
	"shareholdings": {`SELECT 1 FROM shareholdings LIMIT 1`, []bulkIndex{primaryKey("shareholdings", "holder_kind, holder, investee"),
		secondary("shareholdings_investee", "shareholdings (investee)")}},
}

// openBulk runs the dialect's batch settings, when it has them.
func (s *SQL) openBulk(ctx context.Context, tx Tx) error {
	if bd, ok := s.d.(BulkDialect); ok {
		open, _ := bd.BatchSettings()
		return execAll(ctx, tx, open, "batch settings")
	}
	return nil
}

// closeBulk undoes the settings that would outlive the transaction.
func (s *SQL) closeBulk(ctx context.Context, tx Tx) error {
	if bd, ok := s.d.(BulkDialect); ok {
		_, closing := bd.BatchSettings()
		return execAll(ctx, tx, closing, "batch settings")
	}
	return nil
}

func execAll(ctx context.Context, tx Tx, qs []string, what string) error {
	for _, q := range qs {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// deferIndexes drops table's indexes when it holds no row, and returns which it
// dropped (by their place in bulkTables), for rebuildIndexes once the batch's rows
// are in; nothing when it holds rows. The batch lock keeps other writers out, and the transaction makes the drop and
// the rebuild one: a rollback restores the indexes. On PostgreSQL the drop takes the
// table's ACCESS EXCLUSIVE lock, so readers of the (empty) table wait for the batch.
func (s *SQL) deferIndexes(ctx context.Context, tx Tx, table string) ([]bool, error) {
	bd, ok := s.d.(BulkDialect)
	spec, known := bulkTables[table]
	if !ok || !known {
		return nil, nil
	}
	held := false
	if err := eachRow(ctx, tx, spec.held, nil, func(Rows) error { held = true; return nil }); err != nil || held {
		return nil, err
	}
	names, err := bd.Indexes(ctx, tx, table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	dropped := make([]bool, len(spec.indexes))
	for i, ix := range spec.indexes {
		if (ix.primary && !bd.PrimaryKeys()) || !contains(names, ix.name) {
			continue
		}
		if _, err := tx.Exec(ctx, ix.drop); err != nil {
			return nil, fmt.Errorf("defer index %s: %w", ix.name, err)
		}
		dropped[i] = true
	}
	return dropped, nil
}

// rebuildIndexes builds the indexes of table that deferIndexes dropped.
func rebuildIndexes(ctx context.Context, tx Tx, table string, dropped []bool) error {
	for i, ix := range bulkTables[table].indexes {
		if i < len(dropped) && dropped[i] {
			if _, err := tx.Exec(ctx, ix.build); err != nil {
				return fmt.Errorf("rebuild index %s: %w", ix.name, err)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mergeProbing runs m, with the dialect's probe settings around it when m asks.
func (b *sqlBatch) mergeProbing(ctx context.Context, m merge, now int64, a *Applied, touched map[string]struct{}) error {
	bd, ok := b.s.d.(BulkDialect)
	if !m.probe || !ok {
		return b.merge(ctx, m, now, a, touched)
	}
	on, off := bd.ProbeSettings()
	if err := execAll(ctx, b.tx, on, "probe settings"); err != nil {
		return err
	}
	if err := b.merge(ctx, m, now, a, touched); err != nil {
		return err
	}
	return execAll(ctx, b.tx, off, "probe settings")
}

// Names runs q, a query of one text column, in tx and returns its rows: the dialects'
// lists of a table's indexes.
func Names(ctx context.Context, tx Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}
