package monitor_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

func TestQueueCoalescesTriggers(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	ctx := context.Background()
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	leader := e.State().Snap.IDs[e.State().Leaders[0]]
	var active atomic.Bool
	q := monitor.NewQueue(e, monitor.QueueOptions{Active: active.Load, Poll: 10 * time.Millisecond})

	// A storm of triggers while the queue is held: one scan per scope.
	var wg sync.WaitGroup
	ids := make(chan int64, 600)
	for i := range 600 {
		wg.Go(func() {
			scope := []string{"all", "chain:" + leader, "enterprise:" + leader}[i%3]
			sc, err := q.Submit(ctx, scope, "api:test")
			if err != nil {
				t.Error(err)
				return
			}
			ids <- sc.ID
		})
	}
	wg.Wait()
	close(ids)
	distinct := map[int64]bool{}
	for id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 3 {
		t.Fatalf("600 triggers over 3 scopes queued %d scans, want 3", len(distinct))
	}
	// Firms touched by two ingests join one scan.
	a, _ := q.SubmitFirms(ctx, []string{leader}, false, "ingest")
	b, _ := q.SubmitFirms(ctx, []string{e.State().Snap.IDs[0]}, false, "ingest")
	if a.ID != b.ID {
		t.Errorf("two ingests queued scans %d and %d, want one", a.ID, b.ID)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { q.Run(runCtx); close(done) }()
	active.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		scans, err := s.Scans(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		busy := 0
		for _, sc := range scans {
			if sc.Status == store.ScanQueued || sc.Status == store.ScanRunning {
				busy++
			}
		}
		if busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d scans waiting or running", busy)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	scans, _ := s.Scans(ctx, 10)
	kinds := map[string]string{}
	for _, sc := range scans {
		if sc.Status != store.ScanSucceeded {
			t.Errorf("scan %d (%s) %s: %s", sc.ID, sc.Scope, sc.Status, sc.Error)
		}
		kinds[sc.Scope] = sc.Kind
	}
	want := map[string]string{"all": "full", "chain:" + leader: "incremental", "enterprise:" + leader: "incremental",
		"firms": "incremental"}
	if !maps.Equal(kinds, want) {
		t.Errorf("scans ran as %v, want %v", kinds, want)
	}
	// After the drain, a new trigger queues a new scan.
	sc, _ := q.Submit(ctx, "all", "api:test")
	if distinct[sc.ID] {
		t.Error("a trigger after the run joined a finished scan")
	}
}

func TestQueueRejectsBadScopes(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	q := monitor.NewQueue(e, monitor.QueueOptions{})
	ctx := context.Background()
	if _, err := q.Submit(ctx, "chain:91350100M000100Y43", "x"); err == nil {
		t.Error("scope accepted before the first scan")
	}
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull}); err != nil {
		t.Fatal(err)
	}
	for scope, want := range map[string]error{
		"chain:91350100M000100Y43": monitor.ErrUnknownFirm,
		"chain:91350100M000100Y44": nil, // bad check character
		"everything":               nil,
		"enterprise:":              nil,
	} {
		_, err := q.Submit(ctx, scope, "x")
		if err == nil || (want != nil && !errors.Is(err, want)) {
			t.Errorf("Submit(%q) = %v", scope, err)
		}
	}
}

// flakyStore fails SaveResults while down is set, and counts the queue's reads of
// its scans.
type flakyStore struct {
	store.Store
	down  atomic.Bool
	fails atomic.Int32
	polls atomic.Int32
}

func (f *flakyStore) QueuedScans(ctx context.Context) ([]store.Scan, error) {
	f.polls.Add(1)
	return f.Store.QueuedScans(ctx)
}

func (f *flakyStore) SaveResults(ctx context.Context, res *store.Results) error {
	if f.down.Load() {
		f.fails.Add(1)
		return errors.New("connection refused")
	}
	return f.Store.SaveResults(ctx, res)
}

// TestQueueRetriesFailedScan: a scan of the firms an ingest touched that fails (the
// store went away while it ran) is queued again with backoff and runs once the
// store is back, so the ingest's effect is not left waiting for the next full scan.
func TestQueueRetriesFailedScan(t *testing.T) {
	base := openStore(t)
	loadDemo(t, base)
	s := &flakyStore{Store: base}
	e := newEngine(s, demo.AnchorTime())
	ctx := context.Background()
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	v := e.State().Leaders[0]
	firm := e.State().Snap.IDs[v]
	before := e.State().Score[v]
	event := `{"event_id":"RETRY-1","uscc":"` + firm + `","type":"bankruptcy","occurred_at":"2026-11-01","source":"test"}`
	sum, err := ingest.Import(ctx, base, []ingest.Input{{File: "e.ndjson", Kind: credit.KindEvents, Format: ingest.NDJSON,
		R: strings.NewReader(event)}}, ingest.ImportOptions{Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}

	q := monitor.NewQueue(e, monitor.QueueOptions{Poll: 20 * time.Millisecond})
	s.down.Store(true)
	first, err := q.SubmitFirms(ctx, []string{firm}, false, "ingest")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	began := time.Now() // the scan fails after this: its retry is due 2 s after, at the earliest
	go func() { q.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("the scan to fail", 5*time.Second, func() bool {
		sc, err := base.Scan(ctx, first.ID)
		return err == nil && sc.Status == store.ScanFailed
	})
	if got := e.State().Score[v]; got != before {
		t.Fatalf("score moved to %v although the scan failed", got)
	}
	// The retry waits its backoff (2 s): the queue's next polls, each of which would
	// have run a retry due, run none. Counting polls, not time, gives the queue its
	// chances on a slow machine too; a poll has returned once the next one began.
	from := s.polls.Load()
	waitFor("five polls of the queue", 5*time.Second, func() bool { return s.polls.Load() > from+5 })
	switch n := s.fails.Load(); {
	case time.Since(began) >= 2*time.Second:
		t.Logf("the machine took %v for five polls: a retry may be due, none is checked", time.Since(began))
	case n != 1:
		t.Errorf("%d failed saves after five polls within the backoff, want 1 (no retry before the backoff)", n)
	}
	s.down.Store(false)
	waitFor("the retried scan to succeed", 10*time.Second, func() bool {
		scans, err := base.Scans(ctx, 10)
		if err != nil {
			return false
		}
		for _, sc := range scans {
			if sc.ID != first.ID && sc.Trigger == "retry" && sc.Status == store.ScanSucceeded && sc.Kind == "incremental" {
				return true
			}
		}
		return false
	})
	if got := e.State().Score[v]; got >= before-400 {
		t.Errorf("score of %s after the retried scan = %v, want the bankruptcy's effect below %v", firm, got, before-400)
	}
}

// TestQueueRunsScansQueuedElsewhere: a full scan that another writer of the store
// queues after committing (chainriskctl import --store beside a running daemon) is
// run by the queue and reads what that writer committed; a second request while it
// waits joins it, and one after it ran queues a new scan.
func TestQueueRunsScansQueuedElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	other, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	firm := storetest.USCC(424242)
	sum, err := ingest.Import(ctx, other, []ingest.Input{{Kind: credit.KindEnterprises, Format: ingest.CSV,
		R: strings.NewReader("uscc,name\n" + firm + ",新企业\n")}}, ingest.ImportOptions{})
	if err != nil || !sum.OK() {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	a, err := monitor.QueueFullScan(ctx, other, "cli:import")
	if err != nil {
		t.Fatal(err)
	}
	b, err := monitor.QueueFullScan(ctx, other, "cli:import")
	if err != nil || b.ID != a.ID || a.Scope != monitor.ScopeAll || a.Status != store.ScanQueued {
		t.Fatalf("two requests while one waits: scans %+v and %+v (%v), want one queued full scan", a, b, err)
	}
	if _, ok := e.State().Index(firm); ok {
		t.Fatal("the engine knows the firm before any scan")
	}

	qctx, stop := context.WithCancel(ctx)
	q := monitor.NewQueue(e, monitor.QueueOptions{Poll: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); q.Run(qctx) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		sc, err := s.Scan(ctx, a.ID)
		if err == nil && sc.Status == store.ScanSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %d queued elsewhere not run within 30 s: %+v %v", a.ID, sc, err)
		}
	}
	if st := e.State(); st.ScanID != a.ID {
		t.Errorf("published state of scan %d, want %d", st.ScanID, a.ID)
	}
	if _, ok := e.State().Index(firm); !ok {
		t.Error("the scan did not read the firm committed by the other writer")
	}
	c, err := monitor.QueueFullScan(ctx, other, "cli:import")
	if err != nil || c.ID == a.ID {
		t.Errorf("a request after the scan ran: scan %+v (%v), want a new one", c, err)
	}
}

// TestQueuedRowRunsOnce: the queue may read, as queued, the row of a scan the engine
// records for itself (created queued, then marked running) and hand it to the engine
// after that scan finished; the engine runs it no second time.
func TestQueuedRowRunsOnce(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	var runs atomic.Int32
	e.Observe(func(context.Context, *monitor.State, *monitor.State, *store.Scan) error {
		runs.Add(1)
		return nil
	})
	ctx := context.Background()
	done, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
	if err != nil {
		t.Fatal(err)
	}
	// The row as the queue read it between its creation and its start.
	stale := &store.Scan{ID: done.ID, Kind: monitor.ScanFull, Scope: monitor.ScopeAll, Trigger: "startup",
		Status: store.ScanQueued}
	got, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup", Scope: monitor.ScopeAll, Scan: stale})
	if err != nil {
		t.Fatal(err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the scan ran %d times, want once", n)
	}
	if got.ID != done.ID || got.Status != store.ScanSucceeded {
		t.Errorf("the finished scan's row came back as %+v, want %+v", got, done)
	}
	scans, err := s.Scans(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 1 || scans[0].Status != store.ScanSucceeded || !scans[0].FinishedAt.Equal(done.FinishedAt) {
		t.Errorf("scans after the stale hand-over: %+v, want the one succeeded scan unchanged", scans)
	}
}
