package postgres

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// TestLeadershipSessionKeepalives: the session holding the leader lock has the
// server-side keepalives that end it when its replica's host vanishes, unless the
// database URL sets its own.
func TestLeadershipSessionKeepalives(t *testing.T) {
	base := pgtest.URL(t)
	own, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := own.Query()
	q.Set("tcp_keepalives_idle", "7")
	own.RawQuery = q.Encode()
	for _, c := range []struct {
		dsn  string
		idle string
	}{{base, leaderKeepalives["tcp_keepalives_idle"]}, {own.String(), "7"}} {
		s, err := Open(context.Background(), c.dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := s.Leadership(time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		l.check(context.Background())
		if !l.IsLeader() || l.conn == nil {
			t.Fatalf("%s: not the leader after a check", c.dsn)
		}
		want := map[string]string{"tcp_keepalives_idle": c.idle,
			"tcp_keepalives_interval": leaderKeepalives["tcp_keepalives_interval"],
			"tcp_keepalives_count":    leaderKeepalives["tcp_keepalives_count"]}
		for k, v := range want {
			var got string
			if err := l.conn.QueryRow(context.Background(), "SHOW "+k).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("%s: leadership session %s = %s, want %s", c.dsn, k, got, v)
			}
		}
		l.drop()
		_ = s.Close()
	}
}

// TestHolder: a store sees whether a replica leads on its schema, without taking
// part in the election; a leader of another schema does not count.
func TestHolder(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.URL(t)
	open := func(dsn string) *Store {
		s, err := Open(ctx, dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	replica, cli, elsewhere := open(dsn), open(dsn), open(pgtest.URL(t))
	if who, err := cli.Holder(ctx); err != nil || who != "" {
		t.Errorf("no leader: %q %v", who, err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := replica.Leadership(time.Second, quiet, nil)
	l.check(ctx)
	if !l.IsLeader() {
		t.Fatal("the replica did not become the leader")
	}
	if who, err := cli.Holder(ctx); err != nil || who != "the leading chainriskd" {
		t.Errorf("with a leader: %q %v", who, err)
	}
	if who, err := elsewhere.Holder(ctx); err != nil || who != "" {
		t.Errorf("a leader of another schema: %q %v", who, err)
	}
	// The look took no part in the election: another replica still finds the lock taken.
	other := open(dsn).Leadership(time.Second, quiet, nil)
	other.check(ctx)
	if other.IsLeader() {
		t.Error("two leaders")
	}
	other.drop()
	l.drop()
	// The server ends the leader's session, and so its lock, just after the close.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		who, err := cli.Holder(ctx)
		if err == nil && who == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the leader stepped down: %q %v", who, err)
		}
	}
}
