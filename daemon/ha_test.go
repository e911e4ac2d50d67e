package daemon_test

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// TestLeaderTakeover runs two daemons on one database: one leads; when it stops,
// the other takes over within 30 s, and no scan runs on both.
func TestLeaderTakeover(t *testing.T) {
	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(pgtest.URL(t))
	cfg.Store.LeaderCheckInterval = 200 * time.Millisecond
	logA, bufA := testlog.Text(slog.LevelInfo)
	logB, bufB := testlog.Text(slog.LevelInfo)
	a, stopA := startWith(t, daemon.Options{Config: cfg, Demo: true, Logger: logA})
	b, stopB := startWith(t, daemon.Options{Config: cfg, Logger: logB})
	defer stopB()
	leaderOf := func(d *daemon.Daemon) string {
		_, body := get(t, "http://"+d.Addr()+"/metrics")
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "chainrisk_leader ") {
				return strings.TrimPrefix(line, "chainrisk_leader ")
			}
		}
		return ""
	}
	if la, lb := leaderOf(a), leaderOf(b); la != "1" || lb != "0" {
		t.Fatalf("leader gauges a=%s b=%s, want 1 and 0", la, lb)
	}
	// The follower serves reads from its own state of the leader's data.
	if b.State() == nil || b.State().Len() != a.State().Len() {
		t.Fatalf("follower state not built")
	}
	// A rescan asked of the follower is queued in the store and run by the leader.
	ctx := context.Background()
	sc, err := b.Rescan(ctx, "all", "api:test")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, a.Store(), sc.ID)

	stopA()
	start := time.Now()
	for leaderOf(b) != "1" {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the follower did not take over within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("takeover after %v", time.Since(start).Round(time.Millisecond))
	sc2, err := b.Rescan(ctx, "all", "api:test")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, b.Store(), sc2.ID)

	// Every scan ran once: no id appears in both daemons' "scan done" lines.
	done := regexp.MustCompile(`msg="scan done" id=(\d+)`)
	seen := map[string]string{}
	for name, logs := range map[string]string{"a": bufA.String(), "b": bufB.String()} {
		for _, m := range done.FindAllStringSubmatch(logs, -1) {
			if other, ok := seen[m[1]]; ok {
				t.Errorf("scan %s ran on %s and on %s", m[1], other, name)
			}
			seen[m[1]] = name
		}
	}
	if seen[itoa(sc.ID)] != "a" || seen[itoa(sc2.ID)] != "b" {
		t.Errorf("scan %d ran on %q, scan %d on %q", sc.ID, seen[itoa(sc.ID)], sc2.ID, seen[itoa(sc2.ID)])
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func waitScan(t *testing.T, s store.Store, id int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sc, err := s.Scan(context.Background(), id)
		if err == nil && (sc.Status == store.ScanSucceeded || sc.Status == store.ScanFailed) {
			if sc.Status != store.ScanSucceeded {
				t.Fatalf("scan %d failed: %s", id, sc.Error)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %d not finished", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
