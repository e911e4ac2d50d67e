package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/chainrisk/chainrisk/store"
)

// Pipeline implements store.Pipeliner: the statements go out as one batch on one
// connection, in one round trip, and their rows are read in order.
func (d *dialect) Pipeline(ctx context.Context, qs []string, args [][]any, row func(int, store.Rows) error) (err error) {
	b := &pgx.Batch{}
	for i, q := range qs {
		b.Queue(d.rebind(q), args[i]...)
	}
	br := d.pool.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	for i := range qs {
		if err := readAll(br, func(r store.Rows) error { return row(i, r) }); err != nil {
			return err
		}
	}
	return nil
}

func readAll(br pgx.BatchResults, row func(store.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
