package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
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

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openPair opens two replicas' stores on one schema, each with its election.
func openPair(t *testing.T, interval time.Duration) (a, b *Store, la, lb *Leadership) {
	t.Helper()
	dsn := pgtest.URL(t)
	ctx := context.Background()
	var err error
	if a, err = Open(ctx, dsn, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err = Open(ctx, dsn, Options{}); err != nil {
		t.Fatal(err)
	}
	la, lb = a.Leadership(interval, quietLog(), nil), b.Leadership(interval, quietLog(), nil)
	t.Cleanup(func() {
		la.drop()
		lb.drop()
		_ = a.Close()
		_ = b.Close()
	})
	return a, b, la, lb
}

// takeOver runs b's election every interval until it leads, and returns how long
// that took.
func takeOver(t *testing.T, lb *Leadership, interval, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for !lb.IsLeader() {
		if time.Since(start) > within {
			t.Fatalf("no takeover within %s", within)
		}
		lb.check(context.Background())
		time.Sleep(interval)
	}
	return time.Since(start)
}

// TestFrozenLeaderIsReplaced: a leader that stops renewing its lease (frozen: its
// session and lock stay alive) is replaced once the lease lapses — the follower ends
// its sessions and takes the lock and a new term — and the frozen leader's writes
// made after that are refused, whatever it still believes; woken up, it steps down.
func TestFrozenLeaderIsReplaced(t *testing.T) {
	const interval = 200 * time.Millisecond
	a, b, la, lb := openPair(t, interval)
	ctx := context.Background()
	la.check(ctx)
	lb.check(ctx)
	if !la.IsLeader() || lb.IsLeader() || la.Term() != 1 {
		t.Fatalf("a leads %v (term %d), b leads %v", la.IsLeader(), la.Term(), lb.IsLeader())
	}
	sc := &store.Scan{Kind: "full", Scope: "all", Trigger: "test", Status: store.ScanRunning}
	if err := a.CreateScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateScan(ctx, sc); err != nil {
		t.Fatalf("the leader's write: %v", err)
	}
	if err := b.UpdateScan(ctx, sc); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a follower's leader-only write: %v, want ErrFenced", err)
	}

	// a freezes: its election loop stops, its sessions stay.
	took := takeOver(t, lb, interval, 30*time.Second)
	t.Logf("a frozen leader was replaced after %v (lease %v)", took.Round(time.Millisecond), LeaseTimeout(interval))
	if took < LeaseTimeout(interval)-interval {
		t.Errorf("replaced after %v, before its lease of %v lapsed", took, LeaseTimeout(interval))
	}
	if lb.Term() != 2 {
		t.Errorf("b's term %d, want 2", lb.Term())
	}
	if la.IsLeader() {
		t.Error("a, whose lease lapsed, still calls itself leader")
	}
	// a wakes up and writes before its election loop runs: refused.
	sc.Status = store.ScanSucceeded
	if err := a.UpdateScan(ctx, sc); !errors.Is(err, store.ErrFenced) {
		t.Errorf("the stale leader's write: %v, want ErrFenced", err)
	}
	if got, _ := b.Scan(ctx, sc.ID); got == nil || got.Status != store.ScanRunning {
		t.Errorf("the stale leader's write landed: %+v", got)
	}
	sc.Status = store.ScanFailed
	if err := b.UpdateScan(ctx, sc); err != nil {
		t.Errorf("the new leader's write: %v", err)
	}
	la.check(ctx)
	if la.IsLeader() || la.Term() != 0 {
		t.Errorf("the stale leader did not step down: leader %v term %d", la.IsLeader(), la.Term())
	}
	la.check(ctx)
	if la.IsLeader() || !lb.IsLeader() {
		t.Errorf("after the stale leader's next check: a %v, b %v", la.IsLeader(), lb.IsLeader())
	}
}

// TestFrozenMidWrite: a leader frozen inside a leader-only write holds its term's
// row; the new leader's term bump waits a bounded time, ends the frozen leader's
// sessions and goes through — and the frozen write never commits.
func TestFrozenMidWrite(t *testing.T) {
	const interval = 200 * time.Millisecond
	a, _, la, lb := openPair(t, interval)
	ctx := context.Background()
	la.check(ctx)
	if !la.IsLeader() {
		t.Fatal("a does not lead")
	}
	tx, err := a.d.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // the pool closes only with its sessions back
	if err := a.d.Fence(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO scans (id, kind, scope, trigger_name, status, created_at, progress_done,
		progress_total, error, stats) VALUES (99, 'full', 'all', 'frozen', 'running', 0, 0, 0, '', '{}')`); err != nil {
		t.Fatal(err)
	}
	// Frozen here. b waits out the lease, then takes over.
	takeOver(t, lb, interval, 30*time.Second)
	if err := tx.Commit(ctx); err == nil {
		t.Error("the frozen leader's write committed after the takeover")
	}
	if _, err := a.Scan(ctx, 99); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the frozen write is in the store: %v", err)
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
