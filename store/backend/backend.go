// Package backend opens the store a DSN or a config names: a postgres:// URL selects
// PostgreSQL, anything else is an embedded SQLite file or data directory.
package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// IsPostgres reports whether dsn selects PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Options tune the opened store.
type Options struct {
	MaxConns int32
	Now      func() time.Time
}

// Open opens a store by DSN for the CLI: a PostgreSQL URL, or the path of a SQLite
// database file or of a data directory (its chainrisk.db), opened without the
// data-directory lock (see sqlite.Open).
func Open(ctx context.Context, dsn string, opts Options) (store.Store, error) {
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn, postgres.Options{MaxConns: opts.MaxConns, Now: opts.Now})
	}
	if fi, err := os.Stat(dsn); err == nil && fi.IsDir() {
		dsn = filepath.Join(dsn, sqlite.FileName)
	}
	return sqlite.Open(ctx, dsn, opts.Now)
}

// OpenDaemon opens the daemon's store: PostgreSQL when databaseURL is set, otherwise
// the embedded store of dataDir, locked against a second daemon.
func OpenDaemon(ctx context.Context, databaseURL, dataDir string, opts Options) (store.Store, error) {
	switch {
	case IsPostgres(databaseURL):
		return postgres.Open(ctx, databaseURL, postgres.Options{MaxConns: opts.MaxConns, Now: opts.Now})
	case databaseURL != "":
		return nil, errors.New("the database URL must be a postgres:// or postgresql:// URL (leave it empty for the embedded store)")
	}
	return sqlite.OpenDir(ctx, dataDir, opts.Now)
}

// Kind names the implementation of an opened store: "postgres" or "sqlite".
func Kind(db store.Store) string {
	if d, ok := db.(interface{ Dialect() store.Dialect }); ok {
		return d.Dialect().Name()
	}
	return "unknown"
}
