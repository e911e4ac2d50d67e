package alerts

import (
	"testing"

	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// benchWorld is n firms in a binary supply tree, a leader every 100, and a
// critical and a high event on every seventh firm, all watched (scope all): the
// baseline records ~n/7 severe_event alerts.
func benchWorld(b *testing.B, n int) (*world, *Manager) {
	b.Helper()
	cfg := testConfig(b, subAll("all"))
	w := newWorld(cfg, t0)
	djd := w.event("dishonest_judgment_debtor", t0.AddDate(0, 0, -10))
	tax := w.event("tax_arrears", t0.AddDate(0, 0, -10))
	for i := 1; i <= n; i++ {
		f := tfirm{leading: i%100 == 0}
		if i%7 == 0 {
			f.events, f.grade = []risk.EventRef{tax, djd}, risk.GradeD
		}
		w.firm(i, f)
	}
	for i := 2; i <= n; i++ {
		w.rels = append(w.rels, trel{i, i / 2, 0.3, 0.1, 0.5})
	}
	for i := 100; i <= n; i += 100 {
		w.chains[i] = &risk.Exposure{ChainRisk: 0.1}
	}
	return w, newTestManager(b, openSQLiteTB(b), cfg, newFakeClock())
}

// BenchmarkObserveIncremental is the alert evaluation of an incremental scan in which
// ten firms change, with ~62,000 alerts firing among 300,000 firms with generated
// holdings (~43,000 severe_event, ~19,000 related_party_distress): its cost must
// follow the change, not the firing alerts (ingest → webhook p99 ≤ 500 ms).
func BenchmarkObserveIncremental(b *testing.B) {
	w, m := benchWorld(b, 300_000)
	benchOwners(b, w, 300_000)
	ctx := b.Context()
	s := w.state()
	if err := m.Observe(ctx, nil, s, nil); err != nil {
		b.Fatal(err)
	}
	grades := []risk.Grade{risk.GradeC, risk.GradeB}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for j := range 10 {
			w.firms[3+j].grade = grades[i%2]
		}
		next := w.state()
		b.StartTimer()
		if err := m.Observe(ctx, s, next, &store.Scan{ID: next.ScanID, Kind: incr}); err != nil {
			b.Fatal(err)
		}
		s = next
	}
}

// benchOwners gives a bench world the holdings ownership.Generate makes for its n
// firms (about 1.5 holdings a firm, a quarter of the firms in groups).
func benchOwners(b *testing.B, w *world, n int) {
	b.Helper()
	g, err := ownership.Generate(ownership.GenOptions{Firms: n, Seed: 1, FirmID: func(i int) string { return code(i + 1) }})
	if err != nil {
		b.Fatal(err)
	}
	if w.owners, err = ownership.Build(g.Holdings, g.LegalReps); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRelatedPartyDistress is related_party_distress alone on 300,000 firms, all
// watched, with the generated holdings and every seventh firm grade D (~43,000
// distressed firms): a full evaluation judges the dependents of every distressed firm,
// an incremental one (ten firms change grade) the changed firms and their dependents.
func BenchmarkRelatedPartyDistress(b *testing.B) {
	const n = 300_000
	w, m := benchWorld(b, n)
	benchOwners(b, w, n)
	ctx := b.Context()
	prev := w.state()
	evaluate := func(prev, next *monitor.State, full bool) int {
		e := &evaluation{m: m, cfg: w.cfg, prev: prev, next: next, full: full, firing: firingSet{},
			judgedAll: map[string]bool{}, judged: map[string]string{}, sorted: map[string][]*current{}}
		e.sameIDs = prev != nil && next.Snap.Extends(prev.Snap)
		var err error
		if e.subs, err = m.subscribers(ctx, w.cfg); err != nil {
			b.Fatal(err)
		}
		emitted := 0
		if err := e.relatedPartyDistress(ctx, func(*candidate) { emitted++ }); err != nil {
			b.Fatal(err)
		}
		return emitted
	}
	b.Run("full", func(b *testing.B) {
		emitted := 0
		for b.Loop() {
			emitted = evaluate(nil, prev, true)
		}
		b.ReportMetric(float64(emitted), "alerts")
	})
	b.Run("incremental", func(b *testing.B) {
		grades := []risk.Grade{risk.GradeD, risk.GradeB}
		s, i := prev, 0
		for b.Loop() {
			b.StopTimer()
			for j := range 10 {
				w.firms[3+j*1000].grade = grades[i%2]
			}
			next := w.state()
			b.StartTimer()
			evaluate(s, next, false)
			s, i = next, i+1
		}
	})
}
