package risk

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// exposureFixture: three supply tiers, a customer, a cycle through the
// leader, a firm beyond depth_up, a supplier with unknown (zero) shares, a
// leader without suppliers (X) and an isolated firm (Z).
//
//	X → S3 → S2 → S1 → L → K,   L → S1,   Y → L (shares 0),   Z
//
// Coefficients with α_up 0.6, α_down 0.3 (a = α_up·ps·(1 − sub), b = α_down·ss):
//
//	S1 → L   ps 0.5  ss 0.4  sub 0.2   a1 = 0.24   b1 = 0.12
//	S2 → S1  ps 0.8  ss 0.5  sub 0     a2 = 0.48   b2 = 0.15
//	S3 → S2  ps 0.5  ss 1    sub 0.5   a3 = 0.15   b3 = 0.3
//	L → K    ps 0.6  ss 0.5  sub 0.5   a4 = 0.18   b4 = 0.15
//	L → S1   ps 0.25 ss 0.2  sub 0.6   a5 = 0.06   b5 = 0.06
//	X → S3   ps 1    ss 1    sub 0     (beyond depth 3 from L)
//	Y → L    ps 0    ss 0    sub 0.5   a = b = 0
func exposureFixture(t testing.TB) (*Propagator, []float64, []float64, []Grade) {
	t.Helper()
	ids := []string{"L", "S1", "S2", "S3", "K", "X", "Y", "Z"}
	s := distressSnap(t, ids, []graph.Relation{
		distressRel("S1", "L", 0.5, 0.4, 0.2),
		distressRel("S2", "S1", 0.8, 0.5, 0),
		distressRel("S3", "S2", 0.5, 1, 0.5),
		distressRel("L", "K", 0.6, 0.5, 0.5),
		distressRel("L", "S1", 0.25, 0.2, 0.6),
		distressRel("X", "S3", 1, 1, 0),
		distressRel("Y", "L", 0, 0, 0.5),
	})
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		t.Fatal(err)
	}
	p := []float64{0.1, 0.2, 0.5, 0.9, 0.4, 1, 0.3, 0.05}
	// d is any distress vector here: exposure reads it, it does not solve it.
	d := []float64{0.15, 0.3, 0.55, 0.92, 0.45, 1, 0.3, 0.05}
	grades := []Grade{GradeA, GradeB, GradeD, GradeNone, GradeC, GradeD, GradeB, GradeA}
	return pr, p, d, grades
}

func exposureOf(t *testing.T, pr *Propagator, leader string, p, d []float64, g []Grade) *Exposure {
	t.Helper()
	v, ok := pr.Snapshot().Index(leader)
	if !ok {
		t.Fatalf("no firm %s", leader)
	}
	x, err := pr.Exposure(v, p, d, g, DefaultExposureParams())
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestExposureHandDerived(t *testing.T) {
	pr, p, d, g := exposureFixture(t)
	x := exposureOf(t, pr, "L", p, d, g)

	// supply_at_risk = ps(S1→L)·d_S1 + ps(Y→L)·d_Y = 0.5·0.3 + 0·0.3
	// demand_at_risk = ss(L→S1)·d_S1 + ss(L→K)·d_K = 0.2·0.3 + 0.5·0.45
	if x.ChainRisk != 0.15 || !closeTo(x.SupplyAtRisk, 0.15, 1e-15) || !closeTo(x.DemandAtRisk, 0.285, 1e-15) {
		t.Fatalf("chain_risk %v supply %v demand %v, want 0.15 0.15 0.285", x.ChainRisk, x.SupplyAtRisk, x.DemandAtRisk)
	}

	// Members: L (0), S1 and Y (1), S2 (2), S3 (3), K (−1); X is 4 hops up.
	wantTiers := []TierGrades{
		{Tier: 0, Members: 1, A: 1},
		{Tier: 1, Members: 2, B: 2},
		{Tier: 2, Members: 1, D: 1},
		{Tier: 3, Members: 1, Unknown: 1},
		{Tier: -1, Members: 1, C: 1},
	}
	if !reflect.DeepEqual(x.Tiers, wantTiers) {
		t.Fatalf("tiers = %+v\nwant %+v", x.Tiers, wantTiers)
	}

	// Walk sums (upstream, coefficients a, ≤ 3 hops, ending at L):
	//   S1: S1→L = a1 = 0.24, plus S1→L→S1→L = a1·a5·a1 = 0.003456 (the
	//       cycle through the leader, counted: walks, not simple paths)
	//   S2: S2→S1→L = a2·a1 = 0.1152
	//   S3: S3→S2→S1→L = a3·a2·a1 = 0.01728
	// downstream (coefficients b, 1 hop): K: b4 = 0.15; S1: b5 = 0.06.
	// Contributions p·Σ: S1 0.2·0.303456 = 0.0606912, K 0.4·0.15 = 0.06,
	// S2 0.5·0.1152 = 0.0576, S3 0.9·0.01728 = 0.015552; Y weighs 0.
	want := []Contributor{
		{USCC: "S1", Tier: 1, P: 0.2, Weight: 0.303456, Contribution: 0.0606912, Path: []string{"S1", "L"}, PathWeight: 0.24},
		{USCC: "K", Tier: -1, P: 0.4, Weight: 0.15, Contribution: 0.06, Path: []string{"K", "L"}, PathWeight: 0.15},
		{USCC: "S2", Tier: 2, P: 0.5, Weight: 0.1152, Contribution: 0.0576, Path: []string{"S2", "S1", "L"}, PathWeight: 0.1152},
		{USCC: "S3", Tier: 3, P: 0.9, Weight: 0.01728, Contribution: 0.015552, Path: []string{"S3", "S2", "S1", "L"}, PathWeight: 0.01728},
	}
	if len(x.TopContributors) != len(want) {
		t.Fatalf("contributors = %+v", x.TopContributors)
	}
	for i, c := range x.TopContributors {
		w := want[i]
		if c.USCC != w.USCC || c.Tier != w.Tier || c.P != w.P || !slices.Equal(c.Path, w.Path) ||
			!closeTo(c.Weight, w.Weight, 1e-15) || !closeTo(c.Contribution, w.Contribution, 1e-15) || !closeTo(c.PathWeight, w.PathWeight, 1e-15) {
			t.Errorf("contributor %d = %+v\nwant %+v", i, c, w)
		}
	}

	// Concentration: L buys from S1 (0.5, sub 0.2: single source at both
	// thresholds) and Y (share unknown: 0); S1 from S2 (0.8, sub 0: single
	// source) and L (0.25, sub 0.6). Y (tier 1) has no suppliers.
	wantCon := []Concentration{
		{USCC: "L", Tier: 0, Suppliers: 2, HHI: 0.25, SingleSource: []SingleSource{{Supplier: "S1", Grade: "B", PurchaseShare: 0.5, Substitutability: 0.2}}},
		{USCC: "S1", Tier: 1, Suppliers: 2, HHI: 0.7025, SingleSource: []SingleSource{{Supplier: "S2", Grade: "D", PurchaseShare: 0.8, Substitutability: 0}}},
		{USCC: "Y", Tier: 1, Suppliers: 0, HHI: 0, SingleSource: []SingleSource{}},
	}
	if len(x.Concentration) != len(wantCon) {
		t.Fatalf("concentration = %+v", x.Concentration)
	}
	for i, c := range x.Concentration {
		w := wantCon[i]
		if !closeTo(c.HHI, w.HHI, 1e-15) {
			t.Errorf("%s: HHI %v, want %v", c.USCC, c.HHI, w.HHI)
		}
		c.HHI = w.HHI
		if !reflect.DeepEqual(c, w) {
			t.Errorf("concentration %d = %+v\nwant %+v", i, c, w)
		}
	}

	// Thresholds are parameters.
	params := DefaultExposureParams()
	params.SingleSourceShare, params.SingleSourceSubstitutability = 0.9, 0.2
	params.TopN = 2
	y, err := pr.Exposure(0, p, d, g, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(y.Concentration[0].SingleSource)+len(y.Concentration[1].SingleSource) != 0 {
		t.Errorf("single sources at share ≥ 0.9: %+v", y.Concentration)
	}
	if len(y.TopContributors) != 2 || y.TopContributors[1].USCC != "K" {
		t.Errorf("top 2 = %+v", y.TopContributors)
	}
}

func TestExposureEdgeCases(t *testing.T) {
	pr, p, d, g := exposureFixture(t)

	t.Run("leader without suppliers", func(t *testing.T) {
		// X supplies S3 (its only chain member, tier −1): b = α_down·1 = 0.3.
		x := exposureOf(t, pr, "X", p, d, g)
		if x.SupplyAtRisk != 0 || !closeTo(x.DemandAtRisk, 0.92, 1e-15) || x.ChainRisk != 1 {
			t.Fatalf("exposure = %+v", x)
		}
		if len(x.TopContributors) != 1 || !closeTo(x.TopContributors[0].Contribution, 0.9*0.3, 1e-15) ||
			!slices.Equal(x.TopContributors[0].Path, []string{"S3", "X"}) {
			t.Fatalf("contributors = %+v", x.TopContributors)
		}
		if len(x.Concentration) != 1 || x.Concentration[0].Suppliers != 0 || x.Concentration[0].HHI != 0 {
			t.Fatalf("concentration = %+v", x.Concentration)
		}
	})

	t.Run("isolated leader", func(t *testing.T) {
		x := exposureOf(t, pr, "Z", p, d, g)
		want := &Exposure{
			Leader: "Z", ChainRisk: 0.05, Size: 1,
			Tiers:           []TierGrades{{Tier: 0, Members: 1, A: 1}},
			TopContributors: []Contributor{},
			Concentration:   []Concentration{{USCC: "Z", SingleSource: []SingleSource{}}},
		}
		x.Chain = nil
		if !reflect.DeepEqual(x, want) {
			t.Fatalf("exposure = %+v\nwant %+v", x, want)
		}
	})

	t.Run("zero p and unknown grades", func(t *testing.T) {
		p0 := slices.Clone(p)
		p0[1] = 0 // S1 contributes nothing however strong its links
		x, err := pr.Exposure(0, p0, d, nil, DefaultExposureParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range x.TopContributors {
			if c.USCC == "S1" {
				t.Fatalf("S1 with p = 0 listed: %+v", c)
			}
		}
		for _, tg := range x.Tiers {
			if tg.Unknown != tg.Members {
				t.Fatalf("grades nil: tier %+v", tg)
			}
		}
		if x.Concentration[0].SingleSource[0].Grade != "" {
			t.Fatalf("unknown grade rendered as %q", x.Concentration[0].SingleSource[0].Grade)
		}
	})

	t.Run("errors", func(t *testing.T) {
		bad := DefaultExposureParams()
		bad.SingleSourceShare = 2
		for name, f := range map[string]func() error{
			"short p":      func() error { _, err := pr.Exposure(0, p[:2], d, g, DefaultExposureParams()); return err },
			"short grades": func() error { _, err := pr.Exposure(0, p, d, g[:1], DefaultExposureParams()); return err },
			"bad params":   func() error { _, err := pr.Exposure(0, p, d, g, bad); return err },
			"bad leader":   func() error { _, err := pr.Exposure(99, p, d, g, DefaultExposureParams()); return err },
			"bad leader in batch": func() error {
				_, err := pr.Exposures(context.Background(), []int32{0, 99}, p, d, g, DefaultExposureParams())
				return err
			},
		} {
			if f() == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}

func TestExposureJSON(t *testing.T) {
	pr, p, d, g := exposureFixture(t)
	b, err := json.Marshal(exposureOf(t, pr, "L", p, d, g))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"leader":"L"`, `"chain_risk":0.15`, `"supply_at_risk":`, `"demand_at_risk":`, `"tiers":[{"tier":0,"members":1,"A":1`,
		`"top_contributors":[{"uscc":"S1","tier":1,"p":0.2`, `"path":["S1","L"]`, `"concentration":[{"uscc":"L","tier":0,"suppliers":2,"hhi":0.25,"single_source":[{"supplier":"S1","grade":"B"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
}

// TestExposureWalksBruteForce checks the dynamic programme against explicit
// walk enumeration on random graphs with cycles: the walk sums of every
// member, and that each reported path is a simple path whose product is the
// best walk product (shortest first on ties).
func TestExposureWalksBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	checked := 0
	for range 150 {
		n := 2 + r.IntN(12)
		ids, rels := graphtest.Random(r, n, r.IntN(4*n))
		s := distressSnap(t, ids, rels)
		pr, err := NewPropagator(s, DefaultDistressParams())
		if err != nil {
			t.Fatal(err)
		}
		c := s.CSR()
		up := func(u, v int32) float64 { // a of u → v
			lo, hi := s.InEdges(v)
			for q := lo; q < hi; q++ {
				if c.InFrom[q] == u {
					return pr.up(v, q, q+1)[0]
				}
			}
			return 0
		}
		down := func(u, v int32) float64 { // b of u → v
			e, _ := s.FindEdge(u, v)
			return pr.down(u, e, e+1)[0]
		}
		params := DefaultExposureParams()
		params.TopN = n
		params.Chain.DepthUp, params.Chain.DepthDown = 1+r.IntN(4), r.IntN(3)
		p := make([]float64, n)
		for j := range p {
			p[j] = 1
		}
		leader := int32(r.IntN(n))
		x, err := pr.Exposure(leader, p, p, nil, params)
		if err != nil {
			t.Fatal(err)
		}
		// A shorter list is the head of the full ranking.
		short := params
		short.TopN = 1 + r.IntN(3)
		y, err := pr.Exposure(leader, p, p, nil, short)
		if err != nil {
			t.Fatal(err)
		}
		if head := x.TopContributors[:min(short.TopN, len(x.TopContributors))]; !reflect.DeepEqual(y.TopContributors, head) {
			t.Fatalf("top %d = %+v, want %+v", short.TopN, y.TopContributors, head)
		}
		// sum and best over walks v ⇝ leader of ≤ h hops; next(v) lists the
		// firms one hop closer (customers upstream, suppliers downstream).
		type result struct {
			sum, best float64
			hops      int
		}
		var walk func(v int32, h int, upstream bool) result
		walk = func(v int32, h int, upstream bool) result {
			var r result
			if h == 0 {
				return r
			}
			var next []int32
			if upstream {
				lo, hi := s.OutEdges(v)
				next = c.OutTo[lo:hi]
			} else {
				lo, hi := s.InEdges(v)
				next = c.InFrom[lo:hi]
			}
			for _, w := range next {
				coef := up(v, w)
				if !upstream {
					coef = down(w, v)
				}
				sub := walk(w, h-1, upstream)
				r.sum += coef * sub.sum
				cand := []result{{best: coef * sub.best, hops: sub.hops + 1}}
				if w == leader {
					r.sum += coef
					cand = append(cand, result{best: coef, hops: 1})
				}
				for _, c := range cand {
					if c.best > r.best || (c.best == r.best && c.best > 0 && c.hops < r.hops) {
						r.best, r.hops = c.best, c.hops
					}
				}
			}
			return r
		}
		got := map[string]Contributor{}
		for _, ct := range x.TopContributors {
			got[ct.USCC] = ct
		}
		for _, m := range x.Chain.Members {
			if m.Node == leader {
				continue
			}
			u := walk(m.Node, params.Chain.DepthUp, true)
			dn := walk(m.Node, params.Chain.DepthDown, false)
			sum := u.sum + dn.sum
			ct, listed := got[m.ID]
			if sum == 0 {
				if listed {
					t.Fatalf("%s listed with zero weight", m.ID)
				}
				continue
			}
			if !listed || math.Abs(ct.Weight-sum) > 1e-12 {
				t.Fatalf("%s: weight %v (listed %v), brute force %v", m.ID, ct.Weight, listed, sum)
			}
			best := max(u.best, dn.best)
			if math.Abs(ct.PathWeight-best) > 1e-12 {
				t.Fatalf("%s: path weight %v, brute force %v", m.ID, ct.PathWeight, best)
			}
			// The path is simple, ends at the leader and multiplies to its weight.
			seen := map[string]bool{}
			prod := 1.0
			for i, id := range ct.Path {
				if seen[id] {
					t.Fatalf("%s: path %v repeats %s", m.ID, ct.Path, id)
				}
				seen[id] = true
				if i > 0 {
					a, _ := s.Index(ct.Path[i-1])
					b, _ := s.Index(id)
					if u.best >= dn.best {
						prod *= up(a, b)
					} else {
						prod *= down(b, a)
					}
				}
			}
			if ct.Path[len(ct.Path)-1] != s.IDs[leader] || math.Abs(prod-ct.PathWeight) > 1e-12 {
				t.Fatalf("%s: path %v multiplies to %v, reported %v", m.ID, ct.Path, prod, ct.PathWeight)
			}
			checked++
		}
	}
	if checked < 200 {
		t.Fatalf("only %d members checked", checked)
	}
	t.Logf("%d members checked", checked)
}

// TestExposuresParallel: the batch equals one-by-one results.
func TestExposuresParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	ids, rels := graphtest.Random(r, 400, 2000)
	s := distressSnap(t, ids, rels)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		t.Fatal(err)
	}
	p := randomP(r, s.Len())
	d, _, err := pr.Distress(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	// Every firm as a leader, in shuffled order: workers reuse their DP
	// buffers from chain to chain of every size.
	leaders := make([]int32, s.Len())
	for i := range leaders {
		leaders[i] = int32(i)
	}
	r.Shuffle(len(leaders), func(i, j int) { leaders[i], leaders[j] = leaders[j], leaders[i] })
	keep := DefaultExposureParams()
	keep.KeepChains = true
	all, err := pr.Exposures(context.Background(), leaders, p, d, nil, keep)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := pr.Exposures(context.Background(), leaders, p, d, nil, DefaultExposureParams())
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaders {
		one, err := pr.Exposure(l, p, d, nil, DefaultExposureParams())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, all[i]) {
			t.Fatalf("leader %d: batch result differs", l)
		}
		// Without KeepChains only the chain itself is dropped.
		if lean[i].Chain != nil {
			t.Fatalf("leader %d: chain kept", l)
		}
		lean[i].Chain = one.Chain
		if !reflect.DeepEqual(one, lean[i]) {
			t.Fatalf("leader %d: lean batch result differs", l)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pr.Exposures(ctx, leaders, p, d, nil, DefaultExposureParams()); err == nil {
		t.Fatal("cancelled batch succeeded")
	}
}

// TestContributionsHandDerived checks every member's contribution against the
// figures worked out by hand in TestExposureHandDerived.
func TestContributionsHandDerived(t *testing.T) {
	pr, p, _, _ := exposureFixture(t)
	s := pr.snap
	leader, _ := s.Index("L")
	o := DefaultExposureParams().Chain
	got, err := pr.Contributions(leader, p, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"S1": 0.0606912, "K": 0.06, "S2": 0.0576, "S3": 0.015552, "Y": 0}
	if len(got) != len(want) {
		t.Fatalf("%d members with a contribution, want %d (every member but the leader): %v", len(got), len(want), got)
	}
	for id, w := range want {
		v, _ := s.Index(id)
		if c, ok := got[v]; !ok || !closeTo(c, w, 1e-15) {
			t.Errorf("%s: contribution %v (%v), want %v", id, c, ok, w)
		}
	}
	if _, err := pr.Contributions(leader, p[:1], o); err == nil {
		t.Error("a short p was taken")
	}
}
