package monitor_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
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
