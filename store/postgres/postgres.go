// Package postgres is the store for several replicas: PostgreSQL through pgx v5's
// pgxpool, bulk loads by COPY into temporary tables, and advisory locks serialising
// ingest batches and migrations across replicas.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chainrisk/chainrisk/store"
)

// Store is the PostgreSQL store.
type Store struct {
	*store.SQL
	d *dialect
}

// Options tune the pool.
type Options struct {
	MaxConns int32
	// Now stamps updated_at; nil means time.Now.
	Now func() time.Time
}

// Open connects to url (a postgres:// URL; a search_path parameter selects the schema),
// and applies the missing migrations.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can echo the URL, password included: say only what failed.
		return nil, fmt.Errorf("postgres: invalid database URL")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Every session of this process carries its replica name, so that a replica taking
	// over from a frozen leader can end that leader's sessions (leader.go).
	replica := replicaName(cfg.ConnConfig.RuntimeParams["application_name"])
	cfg.ConnConfig.RuntimeParams["application_name"] = replica
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d := &dialect{pool: pool, cfg: cfg, replica: replica}
	if err := d.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", d.Target(), err)
	}
	if _, err := store.Migrate(ctx, d); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", d.Target(), err)
	}
	return &Store{SQL: store.NewSQL(d, opts.Now), d: d}, nil
}

// Pool exposes the pool to the packages that extend the store (leadership).
func (s *Store) Pool() *pgxpool.Pool { return s.d.pool }

// Target names the server and database without credentials, for logs.
func (s *Store) Target() string { return s.d.Target() }

type dialect struct {
	pool  *pgxpool.Pool
	cfg   *pgxpool.Config
	binds sync.Map // query with '?' → query with $n
	// replica names this process's sessions (application_name).
	replica string
	// elected is set once the store takes part in an election; term is then the
	// leadership term this replica holds, 0 when it holds none (leader.go).
	elected atomic.Bool
	term    atomic.Int64
	// readMode is how whole-table reads run (binread.go).
	readMode readMode
}

// replicaName is the application_name of this process's sessions: the configured
// one (default chainriskd) and a random suffix, unique per process.
func replicaName(configured string) string {
	if configured == "" {
		configured = "chainriskd"
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := configured + "/" + hex.EncodeToString(b[:])
	return name[max(0, len(name)-63):] // PostgreSQL keeps 63 bytes
}

// Fence implements store.Dialect: with an election, the writes only a leader makes
// need this replica's term to be the current one, locked (FOR KEY SHARE) until the
// transaction ends. A new leader's term bump updates the key, so it waits for such a
// transaction, and one that starts after it finds no row.
func (d *dialect) Fence(ctx context.Context, tx store.Tx) error {
	if !d.elected.Load() {
		return nil
	}
	term := d.term.Load()
	if term == 0 {
		return store.ErrFenced
	}
	n, err := tx.Exec(ctx, `SELECT term FROM leader_lease WHERE term = ? FOR KEY SHARE`, term)
	if err != nil {
		return fmt.Errorf("leadership fence: %w", err)
	}
	if n == 0 {
		return store.ErrFenced
	}
	return nil
}

func (d *dialect) Target() string {
	c := d.cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

func (d *dialect) Name() string { return "postgres" }

func (d *dialect) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

func (d *dialect) Close() error { d.pool.Close(); return nil }

// rebind turns '?' placeholders into $1, $2, ... outside quoted literals.
func (d *dialect) rebind(q string) string {
	if v, ok := d.binds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	d.binds.Store(q, out)
	return out
}

func (d *dialect) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := d.pool.Exec(ctx, d.rebind(q), args...)
	return tag.RowsAffected(), err
}

func (d *dialect) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return d.pool.Query(ctx, d.rebind(q), args...)
}

// lockKey derives the advisory lock from the schema, so tests in separate schemas of
// one database do not serialise against each other.
const lockKey = `SELECT pg_advisory_xact_lock(hashtext('chainrisk:' || current_schema()))`

func (d *dialect) Begin(ctx context.Context, exclusive bool) (store.Tx, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if exclusive {
		if _, err := tx.Exec(ctx, lockKey); err != nil {
			_ = tx.Rollback(ctx)
			return nil, fmt.Errorf("advisory lock: %w", err)
		}
	}
	return &pgTx{tx: tx, d: d}, nil
}

func (d *dialect) TempTable(name, columns string) []string {
	return []string{"CREATE TEMP TABLE " + name + " (" + columns + ") ON COMMIT DROP"}
}

type pgTx struct {
	tx pgx.Tx
	d  *dialect
}

func (t *pgTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, t.d.rebind(q), args...)
	return tag.RowsAffected(), err
}

func (t *pgTx) Query(ctx context.Context, q string, args ...any) (store.Rows, error) {
	return t.tx.Query(ctx, t.d.rebind(q), args...)
}

func (t *pgTx) Commit(ctx context.Context) error { return t.tx.Commit(ctx) }

func (t *pgTx) Rollback(ctx context.Context) error {
	err := t.tx.Rollback(ctx)
	if err == pgx.ErrTxClosed {
		return nil
	}
	return err
}

// Stage copies rows with COPY (binary): PostgreSQL's fastest load path. COPY cannot
// upsert, which is why rows land in staging first (docs/operations.md).
func (t *pgTx) Stage(ctx context.Context, table string, cols []string, n int, row func(int, []any)) error {
	buf := make([]any, len(cols))
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		row(i, buf)
		return buf, nil
	}))
	return err
}
