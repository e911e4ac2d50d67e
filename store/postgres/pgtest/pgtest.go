// Package pgtest gives each test its own PostgreSQL schema on the test server, so runs
// never collide. When the server is unreachable the test is skipped with a loud
// reason, unless CHAINRISK_REQUIRE_PG=1 (set by CI), which makes it fail instead.
// Under go test -short (make test-short) every PostgreSQL test is skipped: the quick
// check runs the embedded store's suites, make test runs both.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is used when CHAINRISK_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL creates a fresh schema, drops it when the test ends, and returns a database URL
// whose search_path selects it.
func URL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("PostgreSQL test: skipped under -short (make test runs it)")
	}
	base := os.Getenv("CHAINRISK_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		msg := "PostgreSQL unreachable at CHAINRISK_TEST_DATABASE_URL (default " + DefaultURL + "): " + err.Error()
		if os.Getenv("CHAINRISK_REQUIRE_PG") == "1" {
			t.Fatal("CHAINRISK_REQUIRE_PG=1 but " + msg)
		}
		t.Skip("SKIPPING PostgreSQL test: " + msg + " — set CHAINRISK_REQUIRE_PG=1 to make this a failure")
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "chainrisk_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("CHAINRISK_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
