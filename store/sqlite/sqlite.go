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

// BusyTimeout is how long a write waits for SQLite's write lock while another process
// (the CLI's direct import) holds it, before it fails with SQLITE_BUSY. The writers of
// one process wait for each other in order, without this bound (dialect.writer). It
// applies to the stores opened after it is set.
var BusyTimeout = 10 * time.Second

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
	busy := fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds())
	for _, p := range []string{busy, "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := &dialect{db: db, path: path, writer: make(chan struct{}, 1)}
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
	db   *sql.DB
	path string
	lock *dirLock
	// writer is the process's write turn: every write (a transaction, or a statement
	// outside one that changes rows) holds it, and waits for it in arrival order for
	// as long as its context allows. SQLite's busy_timeout would instead fail a write
	// that waits longer than it for a long ingest batch, with SQLITE_BUSY.
	writer    chan struct{}
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

// acquire waits for the write turn; the returned func gives it back (once).
func (d *dialect) acquire(ctx context.Context) (func(), error) {
	select {
	case d.writer <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the store's write turn: %w", context.Cause(ctx))
	}
	var once sync.Once
	return func() { once.Do(func() { <-d.writer }) }, nil
}

// Exec runs a statement outside a transaction; it takes the write turn, as every
// statement Exec runs may write.
func (d *dialect) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	release, err := d.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	return execOn(ctx, d.db, q, args)
}

// Query runs a query outside a transaction; a statement that writes (an UPDATE …
// RETURNING) holds the write turn until its rows are closed.
func (d *dialect) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	if !writes(q) {
		return queryOn(ctx, d.db, q, args)
	}
	release, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	r, err := queryOn(ctx, d.db, q, args)
	if err != nil {
		release()
		return nil, err
	}
	return releasing{Rows: r, release: release}, nil
}

// writes reports whether q's first keyword makes it a write.
func writes(q string) bool {
	f := strings.Fields(q)
	if len(f) == 0 {
		return false
	}
	switch strings.ToUpper(f[0]) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH":
		return true
	}
	return false
}

type releasing struct {
	store.Rows
	release func()
}

func (r releasing) Close() {
	r.Rows.Close()
	r.release()
}

// Begin opens a write transaction: every transaction on this store writes. It waits
// for the process's write turn (see dialect.writer), then BEGIN IMMEDIATE (_txlock)
// takes SQLite's write lock, which only another process (the CLI's direct import)
// can hold by then; busy_timeout bounds that wait. exclusive needs nothing more.
func (d *dialect) Begin(ctx context.Context, exclusive bool) (store.Tx, error) {
	release, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		release()
		return nil, err
	}
	return &sqliteTx{tx: tx, release: release}, nil
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

type sqliteTx struct {
	tx      *sql.Tx
	release func() // gives the write turn back
}

func (t *sqliteTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return execOn(ctx, t.tx, q, args)
}

func (t *sqliteTx) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return queryOn(ctx, t.tx, q, args)
}

func (t *sqliteTx) Commit(context.Context) error {
	defer t.release()
	return t.tx.Commit()
}

func (t *sqliteTx) Rollback(context.Context) error {
	defer t.release()
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
