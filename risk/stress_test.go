package risk_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
)

// relation is one supply relation of a hand-built state.
type relation struct {
	from, to   string
	ps, ss, sb float64
	amount     float64
}

// handFirms gives the firms' revenues (0 = unknown) and one industry for all.
type handFirms []float64

func (f handFirms) Revenue(v int32) float64 { return f[v] }
func (f handFirms) Industry(int32) string   { return "C1331" }

// handGraph builds the snapshot of firms and relations.
func handGraph(t *testing.T, firms []string, rels []relation) *graph.Snapshot {
	t.Helper()
	b := graph.NewBuilder(len(firms), len(rels))
	for _, id := range firms {
		b.AddNode(id)
	}
	for _, r := range rels {
		b.AddEdge(r.from, r.to, graph.EdgeAttrs{PurchaseShare: r.ps, SalesShare: r.ss, Substitutability: r.sb, Amount: r.amount})
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return snap
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
	s := handGraph(t, []string{"A", "B", "C"}, []relation{
		{from: "A", to: "B", ps: 0.5, ss: 0.4, sb: 0.2},
		{from: "B", to: "A", ps: 0.3, ss: 0.1, sb: 0},
		{from: "B", to: "C", ps: 0.8, ss: 0.6, sb: 0.5},
	})
	sn, err := risk.NewStressNetwork(s, handFirms{100, 0, 300})
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

	shocks := []risk.Shock{{Node: "A", Psi: 1}}
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
	shocks = []risk.Shock{{Node: "B", Psi: 0.5}}
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
	s := handGraph(t, []string{"A", "B"}, []relation{{from: "A", to: "B", ps: 1, ss: 1, sb: 1}})
	sn, err := risk.NewStressNetwork(s, handFirms{0, 0})
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
