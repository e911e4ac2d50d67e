// Package sqlite is the embedded store: one SQLite file (pure Go, modernc.org/sqlite)
// in WAL mode, owned by one process at a time through a lock file.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/chainrisk/chainrisk/store"
)

// FileName is the database file inside a data directory.
const FileName = "chainrisk.db"

// Store is the embedded store.
type Store struct {
	*store.SQL
	d *dialect
}

// OpenDir opens (creating when needed) the store of a data directory and locks the
// directory so that a second daemon on it refuses to start.
func OpenDir(ctx context.Context, dir string, now func() time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, filepath.Join(dir, FileName), now)
	if err != nil {
		_ = lock.release()
		return nil, err
	}
	s.d.lock = lock
	return s, nil
}

// Open opens the database file at path without locking its directory (the CLI's
// direct imports use this next to a running daemon; SQLite serialises the writers).
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := &dialect{db: db, path: path}
	if err := d.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := store.Migrate(ctx, d); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{SQL: store.NewSQL(d, now), d: d}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.d.path }

type dialect struct {
	db        *sql.DB
	path      string
	lock      *dirLock
	closeOnce sync.Once
	closeErr  error
}

func (d *dialect) Name() string { return "sqlite" }

func (d *dialect) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Close closes the database and releases the directory lock; later calls are no-ops.
func (d *dialect) Close() error {
	d.closeOnce.Do(func() {
		d.closeErr = d.db.Close()
		if d.lock != nil {
			d.closeErr = errors.Join(d.closeErr, d.lock.release())
		}
	})
	return d.closeErr
}

func (d *dialect) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return execOn(ctx, d.db, q, args)
}

func (d *dialect) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return queryOn(ctx, d.db, q, args)
}

// Every write transaction is BEGIN IMMEDIATE (_txlock), so SQLite itself serialises
// them; exclusive needs nothing more.
func (d *dialect) Begin(ctx context.Context, exclusive bool) (store.Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqliteTx{tx: tx}, nil
}

// Fence checks nothing: one process owns the embedded store (its lock file), and it
// always leads.
func (d *dialect) Fence(context.Context, store.Tx) error { return nil }

// TempTable drops a leftover of the same name first: SQLite's temporary tables belong to
// the pooled connection, not to the transaction. Batches drop theirs before commit.
func (d *dialect) TempTable(name, columns string) []string {
	return []string{"DROP TABLE IF EXISTS temp." + name, "CREATE TEMP TABLE " + name + " (" + columns + ")"}
}

type conn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func execOn(ctx context.Context, c conn, q string, args []any) (int64, error) {
	res, err := c.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func queryOn(ctx context.Context, c conn, q string, args []any) (store.Rows, error) {
	r, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

type rows struct{ *sql.Rows }

func (r rows) Close() { _ = r.Rows.Close() }

type sqliteTx struct{ tx *sql.Tx }

func (t *sqliteTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return execOn(ctx, t.tx, q, args)
}

func (t *sqliteTx) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return queryOn(ctx, t.tx, q, args)
}

func (t *sqliteTx) Commit(context.Context) error { return t.tx.Commit() }

func (t *sqliteTx) Rollback(context.Context) error {
	if err := t.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// stageBlock is how many rows one INSERT carries.
const stageBlock = 256

func (t *sqliteTx) Stage(ctx context.Context, table string, cols []string, n int, row func(int, []any)) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	prefix := "INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES "
	block, err := t.tx.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+",", stageBlock), ","))
	if err != nil {
		return err
	}
	defer block.Close()
	args := make([]any, stageBlock*len(cols))
	for start := 0; start < n; start += stageBlock {
		m := min(stageBlock, n-start)
		for i := 0; i < m; i++ {
			row(start+i, args[i*len(cols):(i+1)*len(cols)])
		}
		if m == stageBlock {
			_, err = block.ExecContext(ctx, args...)
		} else {
			_, err = t.tx.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+",", m), ","), args[:m*len(cols)]...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
