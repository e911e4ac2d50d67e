package risk

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

func distressSnap(t testing.TB, ids []string, rels []graph.Relation) *graph.Snapshot {
	t.Helper()
	s, err := graphtest.Build(ids, rels)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func distressRel(u, v string, ps, ss, sub float64) graph.Relation {
	return graph.Relation{Supplier: u, Customer: v, Attrs: graph.EdgeAttrs{PurchaseShare: ps, SalesShare: ss, Substitutability: sub}}
}

// preciseParams are the defaults with a tolerance far below the checks, so
// hand-derived values can be compared at 1e-12.
func preciseParams() DistressParams {
	p := DefaultDistressParams()
	p.Tol = 1e-15
	p.MaxIter = 10_000
	return p
}

func mustDistress(t testing.TB, s *graph.Snapshot, p []float64, params DistressParams) ([]float64, DistressStats) {
	t.Helper()
	d, st, err := Distress(context.Background(), s, p, params)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged {
		t.Fatalf("not converged: %+v", st)
	}
	return d, st
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestDistressTwoNodeChain: A → B with a = α_up·ps·(1 − sub) and
// b = α_down·ss. Each firm has one neighbour, so the equations are linear:
//
//	d_B = 1 − (1 − p_B)(1 − a·d_A) = p_B + q_B·a·d_A      (q = 1 − p)
//	d_A = 1 − (1 − p_A)(1 − b·d_B) = p_A + q_A·b·d_B
//
// and substituting: d_A = (p_A + q_A·b·p_B) / (1 − a·b·q_A·q_B),
// d_B = (p_B + q_B·a·p_A) / (1 − a·b·q_A·q_B).
func TestDistressTwoNodeChain(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	pA, pB := 0.1, 0.2
	a, b := 0.6*0.5*0.8, 0.3*0.4 // 0.24, 0.12
	qA, qB := 1-pA, 1-pB
	den := 1 - a*b*qA*qB
	wantA, wantB := (pA+qA*b*pB)/den, (pB+qB*a*pA)/den
	d, st := mustDistress(t, s, []float64{pA, pB}, preciseParams())
	if !closeTo(d[0], wantA, 1e-12) || !closeTo(d[1], wantB, 1e-12) {
		t.Fatalf("d = %v, want [%v %v]", d, wantA, wantB)
	}
	if st.Mode != DistressFull || st.Iterations < 2 {
		t.Fatalf("stats = %+v", st)
	}
}

// TestDistressTwoCycle: A → B and B → A with the same attributes and the
// same p. By symmetry d_A = d_B = d, and each firm has the other as its
// supplier (coefficient a) and its customer (b):
//
//	d = 1 − q(1 − a·d)(1 − b·d)  ⇔  q·a·b·d² + (1 − q(a + b))·d − p = 0.
//
// The roots' product is −p/(q·a·b) < 0, so the only non-negative root,
// d = (−B + √(B² + 4·q·a·b·p)) / (2·q·a·b) with B = 1 − q(a + b), is the
// fixpoint.
func TestDistressTwoCycle(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{
		distressRel("A", "B", 0.9, 0.8, 0.1),
		distressRel("B", "A", 0.9, 0.8, 0.1),
	})
	p := 0.3
	a, b, q := 0.6*0.9*0.9, 0.3*0.8, 0.7
	B := 1 - q*(a+b)
	want := (-B + math.Sqrt(B*B+4*q*a*b*p)) / (2 * q * a * b)
	d, _ := mustDistress(t, s, []float64{p, p}, preciseParams())
	if !closeTo(d[0], want, 1e-12) || !closeTo(d[1], want, 1e-12) {
		t.Fatalf("d = %v, want %v twice", d, want)
	}
}

// TestDistressIsolated: a firm without relations keeps d = p exactly.
func TestDistressIsolated(t *testing.T) {
	s := distressSnap(t, []string{"A", "B", "C"}, []graph.Relation{distressRel("A", "B", 0.5, 0.5, 0.5)})
	p := []float64{0.3, 0.2, 0.1}
	d, _ := mustDistress(t, s, p, DefaultDistressParams())
	if d[2] != 0.1 {
		t.Fatalf("isolated firm: d = %v, want exactly 0.1", d[2])
	}
	for j := range d {
		if d[j] < p[j] {
			t.Fatalf("d[%d] = %v below p = %v", j, d[j], p[j])
		}
	}
}

// TestDistressSubstitutabilityOne: a trivially replaced supplier passes no
// distress downstream (a = 0): d_B = p_B exactly, while the demand channel
// still works: d_A = p_A + q_A·b·p_B.
func TestDistressSubstitutabilityOne(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 1, 0.5, 1)})
	d, _ := mustDistress(t, s, []float64{0.9, 0.2}, preciseParams())
	if d[1] != 0.2 {
		t.Fatalf("customer: d = %v, want exactly p = 0.2", d[1])
	}
	if want := 0.9 + 0.1*0.3*0.5*0.2; !closeTo(d[0], want, 1e-15) {
		t.Fatalf("supplier: d = %v, want %v", d[0], want)
	}
}

// TestDistressIsFixpoint checks the result against the equation on random
// graphs, and that the parallel result equals the serial one bit for bit.
func TestDistressIsFixpoint(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ids, rels := graphtest.Random(r, 3000, 15000) // large enough to run in parallel
	s := distressSnap(t, ids, rels)
	p := randomP(r, s.Len())
	params := DefaultDistressParams()
	params.Workers = 1
	serial, st := mustDistress(t, s, p, params)
	params.Workers = 4
	pr, err := NewPropagator(s, params)
	if err != nil {
		t.Fatal(err)
	}
	if pr.workers != 4 {
		t.Fatalf("propagator runs %d workers, want 4", pr.workers)
	}
	parallel, st2, err := pr.Distress(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(serial, parallel) || st != st2 {
		t.Fatalf("parallel result differs from serial (stats %+v vs %+v)", st2, st)
	}
	for j := range int32(s.Len()) {
		if f := pr.eval(j, p, parallel); !closeTo(f, parallel[j], 1e-8) || parallel[j] < p[j] || parallel[j] > 1 {
			t.Fatalf("firm %d: d = %v, F(d) = %v, p = %v", j, parallel[j], f, p[j])
		}
	}
	if rho := pr.Contraction(); rho <= 0 || rho > 0.9+1e-9 {
		t.Fatalf("contraction bound %v, want in (0, 0.9] for normalised shares", rho)
	}
}

func randomP(r *rand.Rand, n int) []float64 {
	p := make([]float64, n)
	for j := range p {
		switch r.IntN(10) {
		case 0:
			p[j] = 0
		case 1:
			p[j] = 1
		case 2, 3:
			p[j] = r.Float64()
		default:
			p[j] = 0.1 * r.Float64() * r.Float64()
		}
	}
	return p
}

func TestDistressStopsAtMaxIter(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	params := DefaultDistressParams()
	params.MaxIter = 1
	d, st, err := Distress(context.Background(), s, []float64{0.5, 0.5}, params)
	if err != nil {
		t.Fatal(err)
	}
	if st.Converged || st.Iterations != 1 || st.Residual <= params.Tol || len(d) != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDistressErrors(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	ok := DefaultDistressParams()
	with := func(f func(*DistressParams)) DistressParams { p := ok; f(&p); return p }
	for _, tc := range []struct {
		name   string
		p      []float64
		params DistressParams
		want   string
	}{
		{"short p", []float64{0.1}, ok, "1 values for 2 firms"},
		{"NaN p", []float64{0.1, math.NaN()}, ok, "p[1] = NaN"},
		{"p above 1", []float64{1.5, 0}, ok, "p[0] = 1.5"},
		{"alpha above 1", []float64{0, 0}, with(func(p *DistressParams) { p.AlphaUp = 1.1 }), "alphas"},
		{"negative alpha", []float64{0, 0}, with(func(p *DistressParams) { p.AlphaDown = -0.1 }), "alphas"},
		{"zero tolerance", []float64{0, 0}, with(func(p *DistressParams) { p.Tol = 0 }), "tolerance"},
		{"no iterations", []float64{0, 0}, with(func(p *DistressParams) { p.MaxIter = 0 }), "max iterations"},
		{"negative workers", []float64{0, 0}, with(func(p *DistressParams) { p.Workers = -1 }), "workers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Distress(context.Background(), s, tc.p, tc.params)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDistressCancelled(t *testing.T) {
	s := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Distress(ctx, s, []float64{0.1, 0.1}, DefaultDistressParams()); err == nil {
		t.Fatal("no error from a cancelled context")
	}
}

// TestDistressUpdateMatchesFull is the property test of Update: on random
// graphs with cycles, a random sequence of changes — p rising, falling or
// both, relations added, removed and reweighted, firms added — is applied
// incrementally, each step starting from the previous incremental result,
// and every step must agree with a full recomputation on every firm.
//
// Both results are approximations of one fixpoint d*: the full Jacobi stops
// at max |Δd| ≤ Tol, within ρ·Tol/(1 − ρ) of d* (≤ 9·Tol for ρ ≤ 0.9), and
// Update within Tol. So with Tol = 1e-11 they must agree to 1e-9 on every
// firm — the claim under test — and with the default Tol = 1e-9 to 1e-8
// (about 1e-9 is what is seen). With the default alphas ρ ≤ 0.9 and Update
// works locally; with both alphas at 1, ρ often exceeds 0.99 and Update
// iterates the affected region, resetting it where needed.
func TestDistressUpdateMatchesFull(t *testing.T) {
	tight := DefaultDistressParams()
	tight.Tol = 1e-11
	hot := tight
	hot.AlphaUp, hot.AlphaDown, hot.MaxIter = 1, 1, 1_000_000
	for _, regime := range []struct {
		name    string
		params  DistressParams
		sparse  bool // never switch to whole-graph sweeps in local mode
		mode    string
		maxDiff float64
	}{
		{"defaults", DefaultDistressParams(), false, DistressLocal, 1e-8},
		{"contraction", tight, false, DistressLocal, 1e-9},
		{"contraction, frontier only", tight, true, DistressLocal, 1e-9},
		{"no contraction", hot, false, DistressRegion, 1e-9},
	} {
		t.Run(regime.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 22))
			modes := map[string]int{}
			var worst float64
			for g := range 60 {
				n := 2 + r.IntN(40)
				m := r.IntN(4 * n)
				if g%20 == 19 { // big enough for parallel sweeps and checks
					n, m = 3000, 15000
				}
				ids, rels := graphtest.Random(r, n, m)
				snap := distressSnap(t, ids, rels)
				pr, err := NewPropagator(snap, regime.params)
				if err != nil {
					t.Fatal(err)
				}
				if regime.sparse {
					pr.denseAt = math.MaxInt
				}
				p := randomP(r, snap.Len())
				d, _, err := pr.Distress(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				for step := range 12 {
					what, next, nextP := randomChange(t, r, snap, p, g, step)
					nextPr := pr
					if next != snap {
						if nextPr, err = NewPropagator(next, regime.params); err != nil {
							t.Fatal(err)
						}
						if regime.sparse {
							nextPr.denseAt = math.MaxInt
						}
					}
					inc, st, err := nextPr.Update(context.Background(), pr, p, d, nextP)
					if err != nil {
						t.Fatal(err)
					}
					full, fst, err := nextPr.Distress(context.Background(), nextP)
					if err != nil {
						t.Fatal(err)
					}
					if !st.Converged || !fst.Converged {
						t.Fatalf("graph %d step %d (%s): not converged: %+v / %+v", g, step, what, st, fst)
					}
					modes[st.Mode]++
					for j := range full {
						diff := math.Abs(inc[j] - full[j])
						worst = max(worst, diff)
						if diff > regime.maxDiff {
							t.Fatalf("graph %d step %d (%s, %s mode, ρ %.3f): firm %d: incremental %.15f, full %.15f",
								g, step, what, st.Mode, nextPr.Contraction(), j, inc[j], full[j])
						}
					}
					snap, pr, p, d = next, nextPr, nextP, inc
				}
			}
			t.Logf("modes %v, worst difference %.2g", modes, worst)
			if modes[regime.mode] == 0 {
				t.Fatalf("mode %s never used: %v", regime.mode, modes)
			}
		})
	}
}

// randomChange returns a description, the next snapshot (s itself when
// relations are unchanged) and the next p.
func randomChange(t *testing.T, r *rand.Rand, s *graph.Snapshot, p []float64, g, step int) (string, *graph.Snapshot, []float64) {
	t.Helper()
	next := slices.Clone(p)
	pick := func() int { return r.IntN(len(p)) }
	switch kind := r.IntN(6); kind {
	case 0, 1, 2: // p rises, falls, or both
		for range 1 + r.IntN(3) {
			j := pick()
			switch {
			case kind == 0:
				next[j] = next[j] + (1-next[j])*r.Float64()
			case kind == 1:
				next[j] *= r.Float64()
			default:
				next[j] = randomP(r, 1)[0]
			}
		}
		return fmt.Sprintf("p change %d", kind), s, next
	case 3: // nothing
		return "no change", s, next
	default: // relations and firms
		var d graph.Delta
		if r.IntN(3) == 0 {
			id := fmt.Sprintf("new-%d-%d", g, step)
			d.Nodes = append(d.Nodes, id)
			next = append(next, randomP(r, 1)[0])
			d.Set = append(d.Set, distressRel(id, s.IDs[pick()], 0.3*r.Float64(), 0.3*r.Float64(), r.Float64()))
		}
		c := s.CSR()
		touched := map[graph.EdgeKey]bool{}
		for _, rel := range d.Set {
			touched[graph.EdgeKey{Supplier: rel.Supplier, Customer: rel.Customer}] = true
		}
		for range 1 + r.IntN(3) {
			u := int32(pick())
			lo, hi := s.OutEdges(u)
			if lo < hi && r.IntN(2) == 0 { // reweight or remove an existing one
				e := lo + int32(r.IntN(int(hi-lo)))
				k := graph.EdgeKey{Supplier: s.IDs[u], Customer: s.IDs[c.OutTo[e]]}
				if touched[k] {
					continue
				}
				touched[k] = true
				if r.IntN(2) == 0 {
					d.Remove = append(d.Remove, k)
				} else {
					a := s.Attrs(e)
					a.PurchaseShare *= r.Float64() * 1.2
					a.PurchaseShare = min(a.PurchaseShare, 1)
					a.Substitutability = r.Float64()
					d.Set = append(d.Set, graph.Relation{Supplier: k.Supplier, Customer: k.Customer, Attrs: a})
				}
				continue
			}
			v := int32(pick())
			k := graph.EdgeKey{Supplier: s.IDs[u], Customer: s.IDs[v]}
			if _, exists := s.FindEdge(u, v); u == v || exists || touched[k] {
				continue
			}
			touched[k] = true
			d.Set = append(d.Set, distressRel(k.Supplier, k.Customer, 0.2*r.Float64(), 0.2*r.Float64(), r.Float64()))
		}
		ns, err := s.Apply(d)
		if err != nil {
			t.Fatal(err)
		}
		if r.IntN(2) == 0 { // sometimes p changes in the same step
			j := pick()
			next[j] = randomP(r, 1)[0]
		}
		return "relations", ns, next
	}
}

// TestDistressUpdateFallsBack: without a usable previous result Update
// recomputes in full.
func TestDistressUpdateFallsBack(t *testing.T) {
	a := distressSnap(t, []string{"A", "B"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	b := distressSnap(t, []string{"B", "A"}, []graph.Relation{distressRel("A", "B", 0.5, 0.4, 0.2)})
	pa, _ := NewPropagator(a, DefaultDistressParams())
	pb, _ := NewPropagator(b, DefaultDistressParams())
	other := DefaultDistressParams()
	other.AlphaUp = 0.5
	pother, _ := NewPropagator(a, other)
	p := []float64{0.1, 0.2}
	d, _, _ := pa.Distress(context.Background(), p)
	for _, tc := range []struct {
		name string
		cur  *Propagator
		prev *Propagator
	}{{"nil", pa, nil}, {"renumbered", pb, pa}, {"other alphas", pother, pa}} {
		_, st, err := tc.cur.Update(context.Background(), tc.prev, p, d, p)
		if err != nil || st.Mode != DistressFull {
			t.Errorf("%s: mode %q, error %v; want a full recompute", tc.name, st.Mode, err)
		}
	}
	if _, _, err := pa.Update(context.Background(), pa, p[:1], d, p); err == nil {
		t.Error("a previous p of the wrong length was accepted")
	}
}
