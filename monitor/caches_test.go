package monitor_test

import (
	"context"
	"sync"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
)

// relation is one supply relation of a hand-built state.
type relation struct {
	from, to   string
	ps, ss, sb float64
	amount     float64
}

// handState builds a State over firms (with revenues, 0 = unknown, and industries)
// and relations; only what stress and ESRI read is filled in.
func handState(t *testing.T, firms []string, revenue []float64, rels []relation, up, down int) *monitor.State {
	t.Helper()
	b := graph.NewBuilder(len(firms), len(rels))
	fs := make([]monitor.Firm, len(firms))
	for i, id := range firms {
		b.AddNode(id)
		fs[i] = monitor.Firm{Name: "firm " + id, Industry: "C1331", Revenue: revenue[i]}
	}
	for _, r := range rels {
		b.AddEdge(r.from, r.to, graph.EdgeAttrs{PurchaseShare: r.ps, SalesShare: r.ss, Substitutability: r.sb, Amount: r.amount})
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	p := monitor.Params{Exposure: risk.DefaultExposureParams()}
	p.Exposure.Chain.DepthUp, p.Exposure.Chain.DepthDown = up, down
	return &monitor.State{Snap: snap, Firms: fs, Params: p}
}

func TestStressCacheBuildsOncePerState(t *testing.T) {
	s1 := handState(t, []string{"A", "B"}, []float64{1, 2}, []relation{{from: "A", to: "B", ps: 0.5, ss: 0.5, sb: 0.5}}, 3, 1)
	s2 := handState(t, []string{"A", "B"}, []float64{1, 2}, []relation{{from: "A", to: "B", ps: 0.5, ss: 0.5, sb: 0.5}}, 3, 1)
	var c monitor.StressCache
	a, _ := c.Get(s1)
	b, _ := c.Get(s1)
	if a == nil || a != b {
		t.Error("second Get for the same state built a new network")
	}
	if d, _ := c.Get(s2); d == a {
		t.Error("a new state reused the old network")
	}
}

func TestESRIChainCache(t *testing.T) {
	s := handState(t, []string{"L", "S"}, []float64{10, 10}, []relation{{from: "S", to: "L", ps: 0.5, ss: 0.5, sb: 0.5}}, 3, 1)
	leader, _ := s.Index("L")
	var c monitor.ChainESRICache
	ec := risk.DefaultESRIParams()
	results := make([]*risk.ChainESRI, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i], _ = c.Get(context.Background(), s, leader, ec) })
	}
	wg.Wait()
	for _, r := range results {
		if r == nil || r != results[0] {
			t.Fatal("concurrent Gets did not share one computation")
		}
	}
	// A request cancelled before it starts leaves nothing behind for the next one.
	other := handState(t, []string{"L", "S"}, []float64{10, 10}, []relation{{from: "S", to: "L", ps: 0.5, ss: 0.5, sb: 0.5}}, 3, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, other, leader, ec); err == nil {
		t.Error("cancelled Get succeeded")
	}
	if r, err := c.Get(context.Background(), other, leader, ec); err != nil || r == results[0] {
		t.Errorf("Get after a cancelled one: %v (same as the old state's: %v)", err, r == results[0])
	}
}
