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
