package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migrations are forward-only SQL files named NNNN_name.sql, shared by both stores; a
// file NNNN_name.<dialect>.sql applies to that dialect alone.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the steps that apply to dialect, in order.
func Migrations(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			if name[i+1:] != dialect {
				continue
			}
			name = name[:i]
		}
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations with version %d", out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies the missing migrations in one exclusive transaction, so replicas
// starting together apply each step once. It returns the versions it applied.
func Migrate(ctx context.Context, d Dialect) ([]int, error) {
	steps, err := Migrations(d.Name())
	if err != nil {
		return nil, err
	}
	tx, err := d.Begin(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := make(map[int]bool)
	err = eachRow(ctx, tx, `SELECT version FROM schema_migrations`, nil, func(r Rows) error {
		var v int64
		if err := r.Scan(&v); err != nil {
			return err
		}
		applied[int(v)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	var done []int
	for _, m := range steps {
		if applied[m.Version] {
			continue
		}
		for _, stmt := range splitStatements(m.SQL) {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return nil, fmt.Errorf("migrate: %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("migrate: record %04d: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("migrate: commit: %w", err)
	}
	return done, nil
}

// splitStatements splits a migration at semicolons ending a line, dropping comments.
// Migrations keep to that shape (no semicolons inside literals or bodies).
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(line, ";") {
			out = append(out, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
