package monitor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newEngine(s store.Store, now time.Time) *monitor.Engine {
	return newEngineWith(s, now, config.Default())
}

func newEngineWith(s store.Store, now time.Time, cfg *config.Config) *monitor.Engine {
	return monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(cfg),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
}

func loadDemo(t *testing.T, s store.Store) {
	t.Helper()
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f})
	}
	sum, err := ingest.Import(context.Background(), s, inputs, ingest.ImportOptions{Strict: true,
		Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("demo: %v %v", err, sum.Errors)
	}
}

func TestFullScanOnDemo(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	ctx := context.Background()
	sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
	if err != nil {
		t.Fatal(err)
	}
	st := e.State()
	counts := st.GradeCounts()
	for _, g := range []risk.Grade{risk.GradeA, risk.GradeB, risk.GradeC, risk.GradeD} {
		if counts[g] == 0 {
			t.Errorf("no firm of grade %s in the demo: %v", g, counts)
		}
	}
	if len(st.Leaders) != 3 || len(st.Chains) != 3 {
		t.Fatalf("leaders %d chains %d", len(st.Leaders), len(st.Chains))
	}
	// The demo plants a distressed tier-2 supplier (黑河兴安丰泽农业) behind the soybean leader.
	found := false
	for _, x := range st.Chains {
		for _, c := range x.TopContributors {
			v, _ := st.Index(c.USCC)
			if (c.Tier == 2 || c.Tier == 3) && st.Grade[v] == risk.GradeD {
				found = true
				t.Logf("leader %s: tier-%d contributor %s (%s) p=%.3f contribution %.4f, chain risk %.4f",
					x.Leader, c.Tier, c.USCC, st.Firms[v].Name, c.P, c.Contribution, x.ChainRisk)
			}
		}
	}
	if !found {
		t.Error("no distressed tier-2/3 supplier among any leader's top contributors")
	}
	if sc.Status != store.ScanSucceeded || sc.Total != int64(st.Len()) || sc.Done != sc.Total {
		t.Errorf("scan record %+v", sc)
	}
	// Persisted: a result for every firm and every chain.
	n := 0
	_ = s.FirmResults(ctx, func(*store.FirmResult) error { n++; return nil })
	if n != st.Len() {
		t.Errorf("%d firm results held, want %d", n, st.Len())
	}
	for _, v := range st.Leaders {
		if _, err := s.ChainResult(ctx, st.Snap.IDs[v]); err != nil {
			t.Errorf("chain of %s not persisted: %v", st.Snap.IDs[v], err)
		}
	}
	// Nothing changed: a second full scan, and a fresh engine's first scan, write nothing.
	sc2, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:full_scan"})
	if err != nil {
		t.Fatal(err)
	}
	if string(sc2.Stats) == "" || !containsJSON(sc2.Stats, `"written":0`) {
		t.Errorf("second scan stats %s, want nothing written", sc2.Stats)
	}
	sc3, err := newEngine(s, demo.AnchorTime()).Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
	if err != nil || !containsJSON(sc3.Stats, `"written":0`) {
		t.Errorf("restart scan stats %s (%v), want nothing written", sc3.Stats, err)
	}
}

func containsJSON(b []byte, s string) bool { return strings.Contains(string(b), s) }

// randomWorld applies random batches to a store: firms, relations with cycles, events
// raising and repairs lowering p, relation changes and leader tags.
type randomWorld struct {
	rng    *rand.Rand
	firms  int
	nextEv int
	events []string
	day    time.Time
	// singleSource is the share of relations made single-source dependencies
	// (purchase share ≥ 0.5, substitutability ≤ 0.2); the batch checks refuse those
	// that would take a customer's shares past 1.
	singleSource float64
	// renames turns with every firm chunk, so that re-sent firms change names.
	renames int
}

func (w *randomWorld) firmChunk(from, to int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindEnterprises}
	w.renames++
	for i := from; i < to; i++ {
		name := fmt.Sprint("firm", i, []string{"", "大豆", "乳业", "Agri"}[(i+w.renames)%4])
		tags := []string{}
		if w.rng.IntN(8) == 0 {
			tags = append(tags, credit.TagLeading)
		}
		status := credit.StatusActive
		if w.rng.IntN(40) == 0 {
			status = credit.StatusBankrupt
		}
		c.Lines = append(c.Lines, len(c.Lines)+2)
		c.Enterprises = append(c.Enterprises, credit.Enterprise{USCC: storetest.USCC(i), Name: name,
			Region: "230100", Tags: tags, Status: status})
	}
	return c
}

func (w *randomWorld) relationChunk(n int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindRelations}
	seen := map[[2]int]bool{}
	for len(c.Lines) < n {
		a, b := 1+w.rng.IntN(w.firms), 1+w.rng.IntN(w.firms)
		if a == b || seen[[2]int{a, b}] {
			continue
		}
		seen[[2]int{a, b}] = true
		c.Lines = append(c.Lines, len(c.Lines)+2)
		r := credit.Relation{Supplier: storetest.USCC(a), Customer: storetest.USCC(b),
			PurchaseShare: 0.02 + 0.1*w.rng.Float64(), SalesShare: 0.02 + 0.1*w.rng.Float64(),
			Substitutability: w.rng.Float64()}
		if w.rng.Float64() < w.singleSource {
			r.PurchaseShare, r.Substitutability = 0.5+0.1*w.rng.Float64(), 0.2*w.rng.Float64()
		}
		c.Relations = append(c.Relations, r)
	}
	return c
}

var eventTypes = []string{"dishonest_judgment_debtor", "tax_arrears", "penalty_general", "overdue_payment", "honor",
	"a_level_taxpayer", "equity_freeze", "bankruptcy"}

func (w *randomWorld) eventChunk(n int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindEvents}
	for range n {
		w.nextEv++
		id := fmt.Sprint("E", w.nextEv)
		w.events = append(w.events, id)
		c.Lines = append(c.Lines, len(c.Lines)+2)
		at := w.day.AddDate(0, 0, -w.rng.IntN(300))
		c.Events = append(c.Events, credit.Event{ID: id, USCC: storetest.USCC(1 + w.rng.IntN(w.firms)),
			Type: eventTypes[w.rng.IntN(len(eventTypes))], OccurredAt: at, PublishUntil: at.AddDate(2, 0, 0)})
	}
	return c
}

func (w *randomWorld) repairChunk(n int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindRepairs}
	for range min(n, len(w.events)) {
		i := w.rng.IntN(len(w.events))
		id := w.events[i]
		w.events = slices.Delete(w.events, i, i+1)
		c.Lines = append(c.Lines, len(c.Lines)+2)
		c.Repairs = append(c.Repairs, credit.Repair{EventID: id, RepairedAt: w.day, DecidedBy: "x", Reason: "y"})
	}
	return c
}

func apply(t *testing.T, s store.Store, chunks ...*store.Chunk) store.Applied {
	t.Helper()
	ctx := context.Background()
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if err := b.Stage(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestIncrementalEqualsFull drives random batches through an engine scanning
// incrementally and compares every figure with a full scan of the same store.
func TestIncrementalEqualsFull(t *testing.T) {
	singleSources := 0 // compared, over all seeds: the comparison must meet some
	defer func() {
		if singleSources == 0 {
			t.Error("no chain listed a single-source supplier: their grades were never compared")
		}
	}()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := openStore(t)
			w := &randomWorld{rng: rand.New(rand.NewPCG(seed, 7)), firms: 80, day: demo.AnchorTime(), singleSource: 0.1}
			apply(t, s, w.firmChunk(1, 81), w.relationChunk(200), w.eventChunk(60))
			ctx := context.Background()
			// Odd seeds list every contributor: no list is full, so chains holding a
			// rescored firm are always patched rather than recomputed.
			cfg := config.Default()
			if seed%2 == 1 {
				cfg.Chain.TopContributors = 1000
			}
			inc := newEngineWith(s, w.day, cfg)
			if _, err := inc.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
				t.Fatal(err)
			}
			for step := range 12 {
				var chunks []*store.Chunk
				switch step % 4 {
				case 0:
					chunks = append(chunks, w.eventChunk(1+w.rng.IntN(4)))
				case 1:
					chunks = append(chunks, w.repairChunk(1+w.rng.IntN(4)))
				case 2:
					// Relations re-weighted or added (an upsert of some random pairs).
					chunks = append(chunks, w.relationChunk(3))
				case 3:
					// New firms, some leading, and tag changes of old ones.
					w.firms += 3
					chunks = append(chunks, w.firmChunk(w.firms-5, w.firms+1), w.relationChunk(2))
				}
				a := apply(t, s, chunks...)
				before := inc.State()
				sc, err := inc.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: a.Touched})
				if err != nil {
					t.Fatalf("step %d incremental: %v", step, err)
				}
				if sc.Kind != monitor.ScanIncremental {
					t.Fatalf("step %d ran as %s", step, sc.Kind)
				}
				checkRescored(t, step, before, inc.State())
				if seed == 0 {
					t.Logf("step %d: touched %d: %s", step, len(a.Touched), sc.Stats)
				}
				full := newEngineWith(s, w.day, cfg)
				if _, err := full.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"}); err != nil {
					t.Fatal(err)
				}
				compareStates(t, step, inc.State(), full.State())
				compareLists(t, step, inc.State(), full.State())
				for _, x := range full.State().Chains {
					for _, c := range x.Concentration {
						singleSources += len(c.SingleSource)
					}
				}
			}
		})
	}
}

func compareStates(t *testing.T, step int, inc, full *monitor.State) {
	t.Helper()
	if inc.Len() != full.Len() || inc.Snap.NumEdges() != full.Snap.NumEdges() {
		t.Fatalf("step %d: sizes differ: %d/%d firms, %d/%d relations", step, inc.Len(), full.Len(),
			inc.Snap.NumEdges(), full.Snap.NumEdges())
	}
	for v := range full.Len() {
		id := full.Snap.IDs[v]
		u, ok := inc.Index(id)
		if !ok {
			t.Fatalf("step %d: %s missing from the incremental state", step, id)
		}
		if inc.Grade[u] != full.Grade[v] || math.Abs(inc.Score[u]-full.Score[v]) > 1e-9 ||
			math.Abs(inc.P[u]-full.P[v]) > 1e-12 || math.Abs(inc.D[u]-full.D[v]) > 1e-9 {
			t.Errorf("step %d firm %s: incremental score %v %s p %v d %v, full %v %s p %v d %v", step, id,
				inc.Score[u], inc.Grade[u], inc.P[u], inc.D[u], full.Score[v], full.Grade[v], full.P[v], full.D[v])
		}
	}
	compareSearch(t, step, inc, full)
	if len(inc.Chains) != len(full.Chains) {
		t.Fatalf("step %d: %d chains incremental, %d full", step, len(inc.Chains), len(full.Chains))
	}
	for _, v := range full.Leaders {
		fx := full.Chains[v]
		ix, ok := inc.Chain(fx.Leader)
		if !ok {
			t.Fatalf("step %d: chain of %s missing", step, fx.Leader)
		}
		// Every field, the floats to 1e-9: tiers, contributors (tier, p, weight, path),
		// concentration and single-source grades as well as the distress figures.
		a, b := *ix, *fx
		a.Chain, b.Chain = nil, nil
		if !approxEqual(reflect.ValueOf(a), reflect.ValueOf(b)) {
			t.Errorf("step %d chain %s differs:\n inc  %+v\n full %+v", step, fx.Leader, a, b)
		}
	}
}

// approxEqual compares two values of one type field by field, floats to 1e-9.
func approxEqual(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Float64:
		return math.Abs(a.Float()-b.Float()) <= 1e-9
	case reflect.Struct:
		for i := range a.NumField() {
			if !approxEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !approxEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return approxEqual(a.Elem(), b.Elem())
	default:
		return a.Interface() == b.Interface()
	}
}

func TestExpiredEventStopsCounting(t *testing.T) {
	s := openStore(t)
	occurred := demo.AnchorTime().AddDate(0, -1, 0)
	w := &randomWorld{rng: rand.New(rand.NewPCG(1, 1)), firms: 2, day: occurred}
	apply(t, s, w.firmChunk(1, 3), &store.Chunk{Kind: credit.KindEvents, Lines: []int{2}, Events: []credit.Event{{
		ID: "P1", USCC: storetest.USCC(1), Type: "penalty_minor", OccurredAt: occurred, PublishUntil: occurred.AddDate(0, 3, 0)}}})
	clock := occurred.AddDate(0, 1, 0)
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }})
	ctx := context.Background()
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull}); err != nil {
		t.Fatal(err)
	}
	v, _ := e.State().Index(storetest.USCC(1))
	if got := e.State().Score[v]; got >= 800 || got < 780 {
		t.Fatalf("score with the penalty = %v, want 800 − 20·decay", got)
	}
	if sc, err := e.ExpireEvents(ctx, "cron:expire_events"); err != nil || sc != nil {
		t.Fatalf("nothing to expire yet: %v %v", sc, err)
	}
	clock = occurred.AddDate(0, 4, 0) // the 3-month publicity is over
	sc, err := e.ExpireEvents(ctx, "cron:expire_events")
	if err != nil || sc == nil || sc.Kind != monitor.ScanIncremental {
		t.Fatalf("expiry scan = %+v, %v", sc, err)
	}
	if got := e.State().Score[v]; got != 800 {
		t.Errorf("score after expiry = %v, want the base 800", got)
	}
}
