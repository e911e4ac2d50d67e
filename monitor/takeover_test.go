package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// eachStore runs fn on a fresh SQLite store and a fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		fn(t, s)
	})
}

// gradeWatch is an observer recording, for one firm, the grade each scan compared
// against (the previous state's, or the store's for a scan without one) and the new
// grade.
type gradeWatch struct {
	uscc string
	seen []string // "before→after" per scan
}

func (w *gradeWatch) observe(_ context.Context, prev, next *monitor.State, _ *store.Scan) error {
	before := "?"
	if prev != nil {
		if v, ok := prev.Index(w.uscc); ok {
			before = prev.Grade[v].String()
		}
	} else if f, ok := next.Held[w.uscc]; ok {
		before = f.Grade
	}
	v, _ := next.Index(w.uscc)
	w.seen = append(w.seen, before+"→"+next.Grade[v].String())
	return nil
}

// sound is a firm of grade A or B of a state, not a leader.
func sound(t *testing.T, st *monitor.State) string {
	t.Helper()
	for v := range int32(st.Len()) {
		if st.Grade[v] <= risk.GradeB && !st.Firms[v].Leading && len(st.FirmEvents(v)) == 0 {
			return st.Snap.IDs[v]
		}
	}
	t.Fatal("no sound firm")
	return ""
}

func ingestEvent(t *testing.T, s store.Store, id, uscc, typ string) {
	t.Helper()
	csv := fmt.Sprintf("event_id,uscc,type,occurred_at\n%s,%s,%s,%s\n", id, uscc, typ,
		demo.AnchorTime().AddDate(0, 0, -1).Format("2006-01-02"))
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{Kind: credit.KindEvents, Format: ingest.CSV,
		R: strings.NewReader(csv)}}, ingest.ImportOptions{Strict: true,
		Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("ingest: %v %v", err, sum.Errors)
	}
}

// TestTakeoverComparesWithTheStore: a follower's state is built from the store, which
// may hold an event the dead leader acknowledged but never scanned. The follower's
// first scan as leader must see that event's change — against what the store holds
// as last persisted and announced — and write it, not compare with its own view and
// find nothing new (an alert lost for good, and a stored score that contradicts the
// API).
func TestTakeoverComparesWithTheStore(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		loadDemo(t, s)
		leader := newEngine(s, demo.AnchorTime())
		if _, err := leader.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
			t.Fatal(err)
		}
		firm := sound(t, leader.State())
		before := leader.State().Grade[must(leader.State().Index(firm))].String()

		follower := newEngine(s, demo.AnchorTime())
		w := &gradeWatch{uscc: firm}
		follower.Observe(w.observe)
		if _, err := follower.Run(ctx, monitor.Request{Shadow: true}); err != nil {
			t.Fatal(err)
		}
		// The leader acknowledges a bankruptcy and dies before scanning it; the
		// follower refreshes its view (after some other scan of the leader's).
		ingestEvent(t, s, "TAKEOVER-1", firm, "bankruptcy")
		if _, err := follower.Run(ctx, monitor.Request{Shadow: true}); err != nil {
			t.Fatal(err)
		}
		if g := follower.State().Grade[must(follower.State().Index(firm))]; g != risk.GradeD {
			t.Fatalf("the follower's view has the firm at %s, want D", g)
		}
		if len(w.seen) != 0 {
			t.Fatalf("shadow scans were observed: %v", w.seen)
		}
		if _, err := follower.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: []string{firm},
			Trigger: "startup", Interrupt: "takeover"}); err != nil {
			t.Fatal(err)
		}
		if want := []string{before + "→D"}; strings.Join(w.seen, " ") != strings.Join(want, " ") {
			t.Errorf("the takeover scan compared %v, want %v", w.seen, want)
		}
		res, err := s.FirmResult(ctx, firm)
		if err != nil || res.Grade != "D" {
			t.Errorf("stored result %+v (%v), want grade D", res, err)
		}
		// The next scan compares with the state this leader wrote.
		if _, err := follower.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: []string{firm}}); err != nil {
			t.Fatal(err)
		}
		if got := w.seen[len(w.seen)-1]; got != "D→D" {
			t.Errorf("the scan after the takeover compared %s", got)
		}
	})
}

// TestDemotedLeaderComparesWithTheStore: a leader that stopped leading while another
// wrote, and leads again, compares its next scan with the store: its own old view
// says the firm's grade is unchanged, the store holds the other leader's D.
func TestDemotedLeaderComparesWithTheStore(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		loadDemo(t, s)
		a := newEngine(s, demo.AnchorTime())
		if _, err := a.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
			t.Fatal(err)
		}
		firm := sound(t, a.State())
		before := a.State().Grade[must(a.State().Index(firm))].String()
		w := &gradeWatch{uscc: firm}
		a.Observe(w.observe)

		// A loses the leadership; B leads, scans a bankruptcy of the firm and writes D;
		// the event is then repaired, unscanned.
		a.Demote()
		b := newEngine(s, demo.AnchorTime())
		if _, err := b.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
			t.Fatal(err)
		}
		ingestEvent(t, s, "DEMOTED-1", firm, "bankruptcy")
		if _, err := b.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: []string{firm}}); err != nil {
			t.Fatal(err)
		}
		repair := fmt.Sprintf("event_id,repaired_at,decided_by\nDEMOTED-1,%s,court\n", demo.AnchorTime().Format("2006-01-02"))
		sum, err := ingest.Import(ctx, s, []ingest.Input{{Kind: credit.KindRepairs, Format: ingest.CSV, R: strings.NewReader(repair)}},
			ingest.ImportOptions{Strict: true, Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
		if err != nil || !sum.OK() {
			t.Fatalf("repair: %v %v", err, sum.Errors)
		}

		// A leads again: its incremental scan becomes a full one against the store.
		sc, err := a.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: []string{firm}})
		if err != nil {
			t.Fatal(err)
		}
		if sc.Kind != monitor.ScanFull {
			t.Errorf("the first scan after leading again ran %s", sc.Kind)
		}
		if want := "D→" + before; len(w.seen) != 1 || w.seen[0] != want {
			t.Errorf("compared %v, want [%s]", w.seen, want)
		}
		if res, err := s.FirmResult(ctx, firm); err != nil || res.Grade != before {
			t.Errorf("stored result %+v (%v), want %s", res, err, before)
		}
	})
}

// TestInterruptSparesTheEnginesOwnScan: a takeover that fails the scans left running
// does so under the engine's lock — a scan the engine itself is running (its queue
// started it just before) finishes and succeeds; a scan a dead process left running
// is failed.
func TestInterruptSparesTheEnginesOwnScan(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	dead := &store.Scan{Kind: monitor.ScanFull, Scope: "all", Trigger: "cron:full_scan", Status: store.ScanRunning}
	if err := s.CreateScan(ctx, dead); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	first := true
	e.Observe(func(context.Context, *monitor.State, *monitor.State, *store.Scan) error {
		if first {
			first = false
			close(entered)
			<-release
		}
		return nil
	})
	own := make(chan *store.Scan, 1)
	go func() {
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "api:queue"})
		if err != nil {
			t.Error(err)
		}
		own <- sc
	}()
	<-entered // the engine's own scan is recorded running now
	takeover := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup", Interrupt: "taken over"})
		takeover <- err
	}()
	close(release)
	ownScan := <-own
	if err := <-takeover; err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{ownScan.ID, store.ScanSucceeded}, {dead.ID, store.ScanFailed}} {
		got, err := s.Scan(ctx, tc.id)
		if err != nil || got.Status != tc.want {
			t.Errorf("scan %d: %+v (%v), want %s", tc.id, got, err, tc.want)
		}
	}
}

func must(v int32, ok bool) int32 {
	if !ok {
		panic(errors.New("unknown firm"))
	}
	return v
}
