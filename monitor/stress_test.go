package monitor_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
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
	p := monitor.Params{Exposure: monitor.DefaultExposureParams()}
	p.Exposure.Chain.DepthUp, p.Exposure.Chain.DepthDown = up, down
	return &monitor.State{Snap: snap, Firms: fs, Params: p}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// Three firms: A supplies B, B supplies both C and A.
//
//	W_AB = Λd_AB + Λu_BA = 0.5·(1−0.2) + 0.1 = 0.5   (A supplies B; A buys from B)
//	W_BA = Λd_BA + Λu_AB = 0.3·(1−0)   + 0.4 = 0.7
//	W_BC = Λd_BC         = 0.8·(1−0.5)       = 0.4
//	W_CB = Λu_BC         = 0.6
//
// Revenues A 100, B unknown (→ the median 200), C 300: v = 1/6, 1/3, 1/2.
// Shocking A with ψ = 1:
//
//	t=1 h = (1, 0, 0)       A distressed
//	t=2 h = (1, 0.5, 0)     B += W_AB·1; A inactive, B distressed
//	t=3 h = (1, 0.5, 0.2)   A += W_BA·0.5 (capped at 1), C += W_BC·0.5
//	t=4 h = (1, 0.62, 0.2)  B += W_CB·0.2; nobody distressed: stop after 3 steps
//
// R = 1/3·0.62 + 1/2·0.2 = 0.30666…, one default (A).
func TestStressNetworkByHand(t *testing.T) {
	s := handState(t, []string{"A", "B", "C"}, []float64{100, 0, 300}, []relation{
		{from: "A", to: "B", ps: 0.5, ss: 0.4, sb: 0.2},
		{from: "B", to: "A", ps: 0.3, ss: 0.1, sb: 0},
		{from: "B", to: "C", ps: 0.8, ss: 0.6, sb: 0.5},
	}, 3, 1)
	sn, err := monitor.NewStressNetwork(s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]float64{{"A", "B"}: 0.5, {"B", "A"}: 0.7, {"B", "C"}: 0.4, {"C", "B"}: 0.6}
	if sn.Net.NumEdges() != len(want) {
		t.Errorf("%d impact entries, want %d", sn.Net.NumEdges(), len(want))
	}
	for i := range sn.Net.Len() {
		dst, w := sn.Net.Out(i)
		for k, j := range dst {
			key := [2]string{sn.Net.ID(i), sn.Net.ID(int(j))}
			if !near(w[k], want[key]) {
				t.Errorf("W_%s%s = %v, want %v", key[0], key[1], w[k], want[key])
			}
		}
	}
	if !slices.EqualFunc(sn.Values, []float64{1.0 / 6, 1.0 / 3, 1.0 / 2}, near) || sn.Imputed != 1 {
		t.Errorf("values %v (imputed %d)", sn.Values, sn.Imputed)
	}

	shocks := []monitor.Shock{{Node: "A", Psi: 1}}
	res, err := sn.Run(context.Background(), shocks)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(res.H, []float64{1, 0.62, 0.2}, near) || res.Iterations != 3 || res.Defaults != 1 ||
		!near(res.R, 1.0/3*0.62+0.5*0.2) {
		t.Errorf("DebtRank: h %v, %d steps, %d defaults, R %v", res.H, res.Iterations, res.Defaults, res.R)
	}
	all := sn.Summarise(res, shocks, nil, 10)
	if !near(all.R, res.R) || all.Defaults != 1 || len(all.Top) != 3 || all.Top[0].Node != "A" ||
		all.Top[1].Node != "B" || all.Top[2].Node != "C" {
		t.Errorf("summary of all: %+v", all)
	}
	// Seen from {B, C}: A's default and value are not theirs.
	b, _ := sn.Net.Index("B")
	c, _ := sn.Net.Index("C")
	part := sn.Summarise(res, shocks, func(i int) bool { return i == b || i == c }, 1)
	if !near(part.R, res.R) || part.Defaults != 0 || len(part.Top) != 1 || part.Top[0].Node != "B" || !near(part.Top[0].H, 0.62) {
		t.Errorf("summary of B, C: %+v", part)
	}
	// Shocking B and C only partly: R counts only what the cascade added.
	shocks = []monitor.Shock{{Node: "B", Psi: 0.5}}
	res, _ = sn.Run(context.Background(), shocks)
	// t=2: A += 0.7·0.5 = 0.35, C += 0.4·0.5 = 0.2; t=3: B += W_AB·0.35 + W_CB·0.2 = 0.295 (B inactive)
	if !slices.EqualFunc(res.H, []float64{0.35, 0.795, 0.2}, near) {
		t.Errorf("shock B: h %v", res.H)
	}
	if got := sn.Summarise(res, shocks, nil, 0); !near(got.R, 0.35/6+0.295/3+0.2/2) || got.Top != nil {
		t.Errorf("shock B: %+v", got)
	}
}

func TestStressNetworkValuesWithoutRevenue(t *testing.T) {
	s := handState(t, []string{"A", "B"}, []float64{0, 0}, []relation{{from: "A", to: "B", ps: 1, ss: 1, sb: 1}}, 3, 1)
	sn, err := monitor.NewStressNetwork(s)
	if err != nil {
		t.Fatal(err)
	}
	// Substitutability 1 cancels the supply loss; the lost sales remain.
	if !slices.Equal(sn.Values, []float64{0.5, 0.5}) || sn.Net.NumEdges() != 1 {
		t.Errorf("values %v, %d edges", sn.Values, sn.Net.NumEdges())
	}
	if dst, w := sn.Net.Out(1); len(dst) != 1 || dst[0] != 0 || w[0] != 1 {
		t.Errorf("W_BA = %v → %v", w, dst)
	}
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
