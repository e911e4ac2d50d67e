package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// An ingest batch holds the store's write turn for as long as it reads and checks its
// rows: the writes made meanwhile (a scan's record, the outbox, expiry) wait for it to
// commit, however much longer than SQLite's busy timeout that takes, then succeed.
func TestWritersWaitForALongBatch(t *testing.T) {
	defer setBusyTimeout(50 * time.Millisecond)()
	ctx := context.Background()
	s, err := sqlite.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sc := &store.Scan{Kind: "full", Scope: "all", Trigger: "test", Status: store.ScanQueued}
	if err := s.CreateScan(ctx, sc); err != nil {
		t.Fatal(err)
	}

	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Rollback(ctx) }()
	firm := credit.Enterprise{USCC: "91110000100000000A", Name: "Firm A", Status: credit.StatusActive}
	if err := b.Stage(ctx, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2},
		Enterprises: []credit.Enterprise{firm}}); err != nil {
		t.Fatal(err)
	}

	type result struct {
		name string
		err  error
	}
	done := make(chan result, 3)
	go func() { // a transaction
		running := *sc
		running.Status, running.StartedAt = store.ScanRunning, time.UnixMilli(1_700_000_000_000)
		done <- result{"UpdateScan", s.UpdateScan(ctx, &running)}
	}()
	go func() { // a statement outside a transaction
		_, err := s.PruneNotifications(ctx, time.UnixMilli(0), time.UnixMilli(0))
		done <- result{"PruneNotifications", err}
	}()
	go func() { // UPDATE … RETURNING, read as rows
		_, err := s.ExpireEvents(ctx, time.UnixMilli(1_700_000_000_000))
		done <- result{"ExpireEvents", err}
	}()
	select {
	case r := <-done:
		t.Fatalf("%s ended while the batch held the store (err %v); it should have waited", r.name, r.err)
	case <-time.After(20 * sqlite.BusyTimeout):
	}

	if _, err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if r := <-done; r.err != nil {
			t.Errorf("%s after the batch committed: %v", r.name, r.err)
		}
	}
	got, err := s.Scan(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.ScanRunning || got.StartedAt.UnixMilli() != 1_700_000_000_000 {
		t.Errorf("scan %d = %s started %v, want running started at 1700000000000 ms", sc.ID, got.Status, got.StartedAt)
	}
	if c, err := s.Counts(ctx); err != nil || c.Enterprises != 1 {
		t.Errorf("counts = %+v, %v; want the batch's 1 enterprise", c, err)
	}
}

// A writer gives up waiting for the write turn when its context ends, and says why.
func TestWriterWaitEndsWithItsContext(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.OpenDir(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Rollback(ctx) }()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.PruneNotifications(cctx, time.UnixMilli(0), time.UnixMilli(0))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("PruneNotifications with a cancelled context while a batch is open = %v, want context.Canceled", err)
	}
}

func setBusyTimeout(d time.Duration) func() {
	old := sqlite.BusyTimeout
	sqlite.BusyTimeout = d
	return func() { sqlite.BusyTimeout = old }
}
