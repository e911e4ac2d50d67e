package alerts

import (
	"testing"

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
// ten firms change, with ~43,000 alerts firing among 300,000 firms: its cost must
// follow the change, not the firing alerts (ingest → webhook p99 ≤ 500 ms).
func BenchmarkObserveIncremental(b *testing.B) {
	w, m := benchWorld(b, 300_000)
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
