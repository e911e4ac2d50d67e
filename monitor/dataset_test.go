package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// clockEngine is an engine whose clock the test moves; margin is its read margin.
func clockEngine(s store.Store, clk *time.Time, reread time.Duration, m *monitor.Metrics) *monitor.Engine {
	return monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return *clk },
		FullReread: reread, ReadMargin: time.Millisecond, Metrics: m})
}

func openPG(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// changeWorld adds to randomWorld the changes that only the clock makes effective:
// relations coming into force or ending, short publicity, holdings ending; and
// leaders' own lists, some withdrawn.
type changeWorld struct {
	*randomWorld
	clock    time.Time
	holdings int
	supplied [][2]int // leader, supplier
}

func (w *changeWorld) timedRelations(n int) *store.Chunk {
	c := w.relationChunk(n)
	for i := range c.Relations {
		if i%2 == 0 {
			c.Relations[i].ValidFrom = w.clock.AddDate(0, 0, 1+w.rng.IntN(20))
		} else {
			c.Relations[i].ValidTo = w.clock.AddDate(0, 0, 1+w.rng.IntN(20))
		}
	}
	return c
}

func (w *changeWorld) shortEvents(n int) *store.Chunk {
	c := w.eventChunk(n)
	for i := range c.Events {
		c.Events[i].OccurredAt = w.clock.AddDate(0, 0, -w.rng.IntN(30))
		c.Events[i].PublishUntil = w.clock.AddDate(0, 0, 1+w.rng.IntN(20))
	}
	return c
}

// oldEvents are about to leave the default lists' lookback (3y).
func (w *changeWorld) oldEvents(n int) *store.Chunk {
	c := w.eventChunk(n)
	for i := range c.Events {
		c.Events[i].Type = []string{"dishonest_judgment_debtor", "bankruptcy", "equity_freeze"}[i%3]
		c.Events[i].OccurredAt = w.clock.AddDate(-3, 0, 1+w.rng.IntN(20))
		c.Events[i].PublishUntil = w.clock.AddDate(1, 0, 0)
	}
	return c
}

func (w *changeWorld) holdingChunk(n int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindShareholdings}
	for range n {
		w.holdings++
		h := credit.Shareholding{Investee: storetest.USCC(1 + w.rng.IntN(w.firms)), Share: 0.01 + 0.02*w.rng.Float64()}
		if w.rng.IntN(2) == 0 {
			h.HolderKind, h.Holder, h.HolderName = credit.HolderPerson, fmt.Sprint("P", w.rng.IntN(30)), "张三"
		} else {
			h.HolderKind, h.Holder = credit.HolderFirm, storetest.USCC(1+w.rng.IntN(w.firms))
		}
		if h.Holder == h.Investee {
			continue
		}
		if w.rng.IntN(3) == 0 {
			h.Until = w.clock.AddDate(0, 0, 1+w.rng.IntN(20))
		}
		c.Lines = append(c.Lines, len(c.Lines)+2)
		c.Shareholdings = append(c.Shareholdings, h)
	}
	return c
}

// supply lists a supplier of a leader of the first ten firms, or withdraws one.
func (w *changeWorld) supply(t *testing.T, s store.Store) {
	ctx := context.Background()
	if len(w.supplied) > 0 && w.rng.IntN(2) == 0 {
		i := w.rng.IntN(len(w.supplied))
		p := w.supplied[i]
		w.supplied = slices.Delete(w.supplied, i, i+1)
		if err := s.WithdrawSupplied(ctx, storetest.USCC(p[0]), storetest.USCC(p[1])); err != nil {
			t.Fatal(err)
		}
		return
	}
	leader, sup := 1+w.rng.IntN(10), 11+w.rng.IntN(w.firms-10)
	b, err := s.BeginSupplyBatch(ctx, store.SupplyOptions{Source: storetest.USCC(leader), DefaultSalesShare: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Rollback(ctx) }()
	c := &store.Chunk{Kind: credit.KindRelations, Lines: []int{2}, Relations: []credit.Relation{{Supplier: storetest.USCC(sup),
		Customer: storetest.USCC(leader), PurchaseShare: 0.01, SalesShare: 0.05, Substitutability: 0.5}}}
	if err := b.Stage(ctx, c); err != nil {
		t.Fatal(err)
	}
	if rej, err := b.Check(ctx); err != nil || len(rej) > 0 {
		t.Fatalf("supply: %v %v", err, rej)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(w.supplied, [2]int{leader, sup}) {
		w.supplied = append(w.supplied, [2]int{leader, sup})
	}
}

// step applies one step's random changes of every kind and moves the clock.
func (w *changeWorld) step(t *testing.T, s store.Store, e *monitor.Engine) {
	w.firms += 2
	apply(t, s, w.firmChunk(w.firms-4, w.firms+1), w.eventChunk(1+w.rng.IntN(3)), w.shortEvents(2), w.oldEvents(2), w.relationChunk(3),
		w.timedRelations(2), w.holdingChunk(3))
	apply(t, s, w.repairChunk(1+w.rng.IntN(2)))
	w.supply(t, s)
	w.clock = w.clock.AddDate(0, 0, w.rng.IntN(15))
	if _, err := e.ExpireEvents(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
}

// TestFullScanFromChangesEqualsWholeRead runs full scans of one engine, which re-read
// only what changed, after random changes of every kind and moves of the clock, and
// compares each with a full scan of a fresh engine, which reads the store whole.
func TestFullScanFromChangesEqualsWholeRead(t *testing.T) {
	stores := map[string]func(*testing.T) store.Store{"sqlite": openStore, "postgres": openPG}
	for _, name := range []string{"sqlite", "postgres"} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprint(name, "/seed", seed), func(t *testing.T) {
				s := stores[name](t)
				w := &changeWorld{randomWorld: &randomWorld{rng: rand.New(rand.NewPCG(seed, 11)), firms: 60, day: demo.AnchorTime()},
					clock: demo.AnchorTime()}
				apply(t, s, w.firmChunk(1, 61), w.relationChunk(150), w.eventChunk(50), w.timedRelations(6), w.holdingChunk(20))
				lastBatch(t, s, w)
				ctx := context.Background()
				e := clockEngine(s, &w.clock, 100*365*24*time.Hour, nil)
				if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
					t.Fatal(err)
				}
				for step := range 8 {
					w.step(t, s, e)
					sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:full_scan"})
					if err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					if st := statsOf(t, sc); st.Read != monitor.ReadChanges || st.ReadFirms >= w.firms {
						t.Fatalf("step %d read %q, %d firms of %d", step, st.Read, st.ReadFirms, w.firms)
					}
					fresh := clockEngine(s, &w.clock, 0, nil)
					if _, err := fresh.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"}); err != nil {
						t.Fatal(err)
					}
					compareStates(t, step, e.State(), fresh.State())
					compareLists(t, step, e.State(), fresh.State())
					compareOwners(t, step, e.State(), fresh.State())
					compareSupplied(t, step, e.State(), fresh.State())
					compareEvents(t, step, e.State(), fresh.State())
				}
			})
		}
	}
}

// lastBatch applies one event a little after the store's data: a read re-reads the
// rows stamped at its mark (and ReadMargin before), which is then this one's.
func lastBatch(t *testing.T, s store.Store, w *changeWorld) {
	time.Sleep(3 * time.Millisecond)
	apply(t, s, w.eventChunk(1))
}

func statsOf(t *testing.T, sc *store.Scan) monitor.ScanStats {
	t.Helper()
	var st monitor.ScanStats
	if err := json.Unmarshal(sc.Stats, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// holdingsOf lists a registry's holdings and legal representatives as text.
func holdingsOf(reg *ownership.Registry) []string {
	var out []string
	for v := range int32(reg.Len()) {
		holders, shares := reg.HoldersOf(v)
		for i, h := range holders {
			out = append(out, fmt.Sprintf("%s<-%d:%s %.9f", reg.Key(v), reg.Kind(h), reg.Key(h), shares[i]))
		}
		if p, ok := reg.LegalRepOf(v); ok {
			out = append(out, reg.Key(v)+" rep "+reg.Key(p))
		}
	}
	slices.Sort(out)
	return out
}

func compareOwners(t *testing.T, step int, a, b *monitor.State) {
	t.Helper()
	if x, y := holdingsOf(a.Owners), holdingsOf(b.Owners); !slices.Equal(x, y) {
		t.Errorf("step %d: registries differ:\n held %v\n read %v", step, x, y)
	}
}

// eventsOf lists every firm's active and recent events as text.
func eventsOf(s *monitor.State) []string {
	var out []string
	for v := range int32(s.Len()) {
		for _, ref := range s.FirmEvents(v) {
			out = append(out, fmt.Sprint(s.Snap.IDs[v], " active ", ref))
		}
		for _, ref := range s.FirmRecent(v) {
			out = append(out, fmt.Sprint(s.Snap.IDs[v], " recent ", ref))
		}
	}
	slices.Sort(out)
	return out
}

func compareEvents(t *testing.T, step int, a, b *monitor.State) {
	t.Helper()
	if x, y := eventsOf(a), eventsOf(b); !slices.Equal(x, y) {
		t.Errorf("step %d: events differ: %d held, %d read", step, len(x), len(y))
	}
}

func suppliedOf(s *monitor.State) []string {
	var out []string
	for v, list := range s.Supplied {
		for _, x := range list {
			out = append(out, fmt.Sprintf("%s<-%s %+v %v", s.Snap.IDs[v], s.Snap.IDs[x.Supplier], x.Attrs, x.Estimated))
		}
	}
	slices.Sort(out)
	return out
}

func compareSupplied(t *testing.T, step int, a, b *monitor.State) {
	t.Helper()
	if x, y := suppliedOf(a), suppliedOf(b); !slices.Equal(x, y) {
		t.Errorf("step %d: leaders' lists differ:\n held %v\n read %v", step, x, y)
	}
}

// TestPeriodicWholeReadFindsMismatch changes a firm behind the engine's back (its
// row rewritten with an old updated_at): the scans that read changes keep the old
// name; the whole read, once FullReread has passed, finds the difference, counts
// it, and goes on with what it read.
func TestPeriodicWholeReadFindsMismatch(t *testing.T) {
	s := openStore(t)
	w := &changeWorld{randomWorld: &randomWorld{rng: rand.New(rand.NewPCG(5, 5)), firms: 30, day: demo.AnchorTime()},
		clock: demo.AnchorTime()}
	apply(t, s, w.firmChunk(1, 31), w.relationChunk(60), w.eventChunk(20))
	lastBatch(t, s, w)
	reg := prometheus.NewRegistry()
	m := monitor.NewMetrics(reg, 10, nil)
	e := clockEngine(s, &w.clock, 48*time.Hour, m)
	ctx := context.Background()
	run := func(want string) *monitor.State {
		t.Helper()
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:full_scan"})
		if err != nil {
			t.Fatal(err)
		}
		if st := statsOf(t, sc); st.Read != want {
			t.Fatalf("read %q, want %q", st.Read, want)
		}
		return e.State()
	}
	run(monitor.ReadWhole)
	d := s.(interface{ Dialect() store.Dialect }).Dialect()
	if _, err := d.Exec(ctx, `UPDATE enterprises SET name = '暗改企业', updated_at = 1 WHERE uscc = ?`, storetest.USCC(7)); err != nil {
		t.Fatal(err)
	}
	nameOf := func(st *monitor.State) string {
		v, _ := st.Index(storetest.USCC(7))
		return st.Firms[v].Name
	}
	w.clock = w.clock.Add(24 * time.Hour)
	if st := run(monitor.ReadChanges); nameOf(st) == "暗改企业" {
		t.Fatal("a row stamped before the mark was read: the test changes nothing behind the engine's back")
	}
	if n := mismatches(t, reg, "firms"); n != 0 {
		t.Fatalf("mismatches before the whole read: %v", n)
	}
	w.clock = w.clock.Add(25 * time.Hour)
	if st := run(monitor.ReadChecked); nameOf(st) != "暗改企业" {
		t.Errorf("after the whole read the firm is named %q", nameOf(st))
	}
	if n := mismatches(t, reg, "firms"); n != 1 {
		t.Errorf("firms mismatches = %v, want 1", n)
	}
	if n := mismatches(t, reg, "relations"); n != 0 {
		t.Errorf("relations mismatches = %v, want 0", n)
	}
	// The next whole read is 48 hours away: what it read is what is held now.
	w.clock = w.clock.Add(time.Hour)
	if st := run(monitor.ReadChanges); nameOf(st) != "暗改企业" {
		t.Errorf("after the whole read: %q", nameOf(st))
	}
}

// mismatches reads chainrisk_dataset_mismatch_total{table} from reg.
func mismatches(t *testing.T, reg *prometheus.Registry, table string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "chainrisk_dataset_mismatch_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no chainrisk_dataset_mismatch_total{table=%q}", table)
	return 0
}

// TestFullRereadZeroReadsWhole: with schedule.full_reread 0 every full scan reads
// the store whole, and compares nothing.
func TestFullRereadZeroReadsWhole(t *testing.T) {
	s := openStore(t)
	w := &changeWorld{randomWorld: &randomWorld{rng: rand.New(rand.NewPCG(3, 3)), firms: 20, day: demo.AnchorTime()},
		clock: demo.AnchorTime()}
	apply(t, s, w.firmChunk(1, 21), w.relationChunk(30))
	cfg := config.Default()
	cfg.Schedule.FullReread = 0
	e := clockEngine(s, &w.clock, monitor.FullRereadOf(cfg), nil)
	for range 3 {
		sc, err := e.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:full_scan"})
		if err != nil {
			t.Fatal(err)
		}
		if st := statsOf(t, sc); st.Read != monitor.ReadWhole {
			t.Fatalf("read %q, want %q", st.Read, monitor.ReadWhole)
		}
		w.clock = w.clock.Add(time.Hour)
	}
}
