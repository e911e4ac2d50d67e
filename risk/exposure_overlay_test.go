package risk

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// TestOverlayExposureHandDerived: on exposureFixture, L lists S1 with its own
// shares (ps 0.7, sub 0.2) and Z, a supplier the registry does not know of
// (ps 0.2, ss 0.1, sub 0); Y stays the registry's.
func TestOverlayExposureHandDerived(t *testing.T) {
	pr, p, d, g := exposureFixture(t)
	s := pr.Snapshot()
	l, s1, z := node(t, s, "L"), node(t, s, "S1"), node(t, s, "Z")
	ov, err := s.Overlay(l, DefaultExposureParams().Chain, []graph.Supplied{
		{Supplier: s1, Attrs: graph.EdgeAttrs{PurchaseShare: 0.7, SalesShare: 0.4, Substitutability: 0.2}},
		{Supplier: z, Attrs: graph.EdgeAttrs{PurchaseShare: 0.2, SalesShare: 0.1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := OverlayExposure(ov, l, p, d, g, DefaultDistressParams(), DefaultExposureParams())
	if err != nil {
		t.Fatal(err)
	}
	// supply = 0.7·d_S1 + 0·d_Y + 0.2·d_Z = 0.21 + 0 + 0.01; demand unchanged 0.285.
	// chain_risk = p_L + (1 − p_L)(1 − Π): a_S1 = 0.6·0.7·0.8 = 0.336, a_Z = 0.6·0.2 = 0.12,
	// b_K = 0.15, b_S1 = 0.06:
	// Π = (1 − 0.336·0.3)(1 − 0.12·0.05)(1 − 0.15·0.45)(1 − 0.06·0.3) → 0.26337658381120005.
	if !closeTo(x.SupplyAtRisk, 0.22, 1e-15) || !closeTo(x.DemandAtRisk, 0.285, 1e-15) ||
		!closeTo(x.ChainRisk, 0.26337658381120005, 1e-15) {
		t.Fatalf("supply %v demand %v chain_risk %v, want 0.22 0.285 0.263376583811", x.SupplyAtRisk, x.DemandAtRisk, x.ChainRisk)
	}
	// S1 walks: upstream 0.336 + 0.336·0.06·0.336 (S1→L→S1→L, the cycle through L),
	// downstream b_S1 = 0.06 (L sells to S1): 0.40277376, times p 0.2.
	// Z: 0.12 + 0.12·0.06·0.336 (Z→L→S1→L) = 0.1224192, times p 0.05.
	byID := map[string]Contributor{}
	for _, c := range x.TopContributors {
		byID[c.USCC] = c
	}
	if c := byID["S1"]; !closeTo(c.Weight, 0.40277376, 1e-15) || !closeTo(c.Contribution, 0.080554752, 1e-15) {
		t.Errorf("S1 = %+v, want weight 0.40277376 contribution 0.080554752", c)
	}
	if c := byID["Z"]; c.Tier != 1 || !closeTo(c.Weight, 0.1224192, 1e-15) || !closeTo(c.Contribution, 0.00612096, 1e-15) {
		t.Errorf("Z = %+v, want tier 1 weight 0.1224192 contribution 0.00612096", c)
	}
	// The leader's purchases: S1 0.7, Y 0, Z 0.2 → HHI 0.53; S1 is a single source
	// (ps ≥ 0.5, sub ≤ 0.2).
	c := x.Concentration[0]
	if c.USCC != "L" || c.Suppliers != 3 || !closeTo(c.HHI, 0.53, 1e-15) || len(c.SingleSource) != 1 || c.SingleSource[0].Supplier != "S1" {
		t.Errorf("leader's concentration = %+v, want 3 suppliers, HHI 0.53, S1 single source", c)
	}
	if x.Size != 7 {
		t.Errorf("size %d, want 7 (Z joins L, S1, Y, S2, S3, K)", x.Size)
	}
	// The registry's view is untouched.
	if y := exposureOf(t, pr, "L", p, d, g); y.SupplyAtRisk != 0.15 || y.Size != 6 {
		t.Errorf("registry exposure changed: supply %v size %d", y.SupplyAtRisk, y.Size)
	}
}

func node(t *testing.T, s *graph.Snapshot, id string) int32 {
	t.Helper()
	v, ok := s.Index(id)
	if !ok {
		t.Fatalf("no firm %s", id)
	}
	return v
}

// TestOverlayExposureMatchesRebuiltGraph: on random graphs, the overlay's exposure
// equals Exposure on the whole graph rebuilt with the leader's list, chain_risk
// aside, which equals one step of the distress equation at the leader; and a list
// repeating the registry's own relations gives the registry's exposure, with
// chain_risk the scan's fixpoint d_L.
func TestOverlayExposureMatchesRebuiltGraph(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	dp, xp := preciseParams(), DefaultExposureParams()
	for trial := range 30 {
		n := 15 + r.IntN(40)
		ids, rels := graphtest.Random(r, n, 3*n)
		s := distressSnap(t, ids, rels)
		p := make([]float64, n)
		for i := range p {
			p[i] = 0.3 * r.Float64()
		}
		d, _, err := Distress(context.Background(), s, p, dp)
		if err != nil {
			t.Fatal(err)
		}
		l := int32(r.IntN(n))
		// Same relations as the registry: the registry's exposure.
		var same []graph.Supplied
		lo, hi := s.InEdges(l)
		for q := lo; q < hi; q++ {
			same = append(same, graph.Supplied{Supplier: s.CSR().InFrom[q], Attrs: s.Attrs(s.CSR().InEdge[q])})
		}
		ov, _ := s.Overlay(l, xp.Chain, same)
		got, err := OverlayExposure(ov, l, p, d, nil, dp, xp)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := NewPropagator(s, dp)
		want, _ := pr.Exposure(l, p, d, nil, xp)
		if !closeTo(got.ChainRisk, want.ChainRisk, 1e-9) {
			t.Fatalf("trial %d: chain_risk %v, fixpoint %v", trial, got.ChainRisk, want.ChainRisk)
		}
		got.ChainRisk, got.Chain, want.Chain = want.ChainRisk, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: same list\n got %+v\nwant %+v", trial, got, want)
		}
		overlayAgainstRebuilt(t, r, trial, ids, rels, s, l, p, d)
	}
}

func overlayAgainstRebuilt(t *testing.T, r *rand.Rand, trial int, ids []string, rels []graph.Relation, s *graph.Snapshot,
	l int32, p, d []float64) {
	t.Helper()
	dp, xp := preciseParams(), DefaultExposureParams()
	own := map[int32]graph.EdgeAttrs{}
	var list []graph.Supplied
	for range 1 + r.IntN(4) {
		u := int32(r.IntN(len(ids)))
		if _, dup := own[u]; dup || u == l {
			continue
		}
		a := graph.EdgeAttrs{PurchaseShare: 0.1 * r.Float64(), SalesShare: r.Float64(), Substitutability: r.Float64()}
		own[u] = a
		list = append(list, graph.Supplied{Supplier: u, Attrs: a})
	}
	var out []graph.Relation
	for _, rel := range rels {
		if u, _ := s.Index(rel.Supplier); rel.Customer != ids[l] || own[u] == (graph.EdgeAttrs{}) {
			out = append(out, rel)
		}
	}
	for u, a := range own {
		out = append(out, graph.Relation{Supplier: ids[u], Customer: ids[l], Attrs: a})
	}
	full := distressSnap(t, ids, out)
	ov, err := s.Overlay(l, xp.Chain, list)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OverlayExposure(ov, l, p, d, nil, dp, xp)
	if err != nil {
		t.Fatal(err)
	}
	fpr, _ := NewPropagator(full, dp)
	want, _ := fpr.Exposure(l, p, d, nil, xp)
	if step := fpr.eval(l, p, d); !closeTo(got.ChainRisk, step, 1e-15) {
		t.Fatalf("trial %d: chain_risk %v, one step on the rebuilt graph %v", trial, got.ChainRisk, step)
	}
	got.ChainRisk, got.Chain, want.Chain = want.ChainRisk, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("trial %d: list %+v\n got %+v\nwant %+v", trial, list, got, want)
	}
}
