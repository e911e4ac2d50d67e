package risk

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

// esriInput builds an ESRIInput whose per-firm slices are given by firm id.
type esriCase struct {
	edges   []graph.Edge
	nodes   []string // extra firms without edges
	sectors map[string]string
	ess     map[[2]string]Essentiality // unlisted pairs: EssLinear
	revenue map[string]float64
	costs   map[string]float64
	markets map[string]string
	eps     float64
}

func (c esriCase) input(t testing.TB) ESRIInput {
	t.Helper()
	net := mustNetwork(t, c.nodes, c.edges)
	in := ESRIInput{Network: net, Eps: c.eps, Sectors: make([]string, net.Len())}
	perFirm := func(m map[string]float64) []float64 {
		if m == nil {
			return nil
		}
		out := make([]float64, net.Len())
		for i := range out {
			out[i] = math.NaN()
			if x, ok := m[net.ID(i)]; ok {
				out[i] = x
			}
		}
		return out
	}
	in.Revenue, in.Costs = perFirm(c.revenue), perFirm(c.costs)
	if c.markets != nil {
		in.Markets = make([]string, net.Len())
	}
	for i := range net.Len() {
		in.Sectors[i] = c.sectors[net.ID(i)]
		if c.markets != nil {
			in.Markets[i] = c.markets[net.ID(i)]
		}
	}
	if c.ess != nil {
		in.Ess = func(k, l string) Essentiality {
			if e, ok := c.ess[[2]string{k, l}]; ok {
				return e
			}
			return EssLinear
		}
	}
	return in
}

type esriWant struct {
	esri, d, u float64
	iterations int
}

func checkESRI(t *testing.T, got ESRIResult, want esriWant) {
	t.Helper()
	if math.Abs(got.ESRI-want.esri) > tol || math.Abs(got.ESRId-want.d) > tol || math.Abs(got.ESRIu-want.u) > tol {
		t.Errorf("%s: ESRI = %v, d = %v, u = %v; want %v, %v, %v", got.Firm, got.ESRI, got.ESRId, got.ESRIu, want.esri, want.d, want.u)
	}
	if got.Iterations != want.iterations {
		t.Errorf("%s: iterations = %d, want %d", got.Firm, got.Iterations, want.iterations)
	}
}

// fourFirms is A→C 10, B→C 30, C→D 40 with A, B, C, D in sectors a, b, c, d.
// Out-strengths 10, 30, 40, 0 (total 80): w = (0.125, 0.375, 0.5, 0).
// In-strength of C is 40, of D 40. Λu_AC = 10/10 = 1, Λu_BC = 1, Λu_CD = 1.
var fourFirms = esriCase{
	edges:   []graph.Edge{edge("A", "C", 10), edge("B", "C", 30), edge("C", "D", 40)},
	sectors: map[string]string{"A": "a", "B": "b", "C": "c", "D": "d"},
}

func TestESRIHandDerived(t *testing.T) {
	essential := fourFirms
	essential.ess = map[[2]string]Essentiality{{"a", "c"}: EssEssential}
	irrelevant := fourFirms
	irrelevant.ess = map[[2]string]Essentiality{{"a", "c"}: EssIrrelevant}

	// Replaceability: A and B in one sector a, essential to C, and in one
	// market m.
	sameSector := fourFirms
	sameSector.sectors = map[string]string{"A": "a", "B": "a", "C": "c", "D": "d"}
	sameSector.ess = map[[2]string]Essentiality{{"a", "c"}: EssEssential}
	replace := sameSector
	replace.markets = map[string]string{"A": "m", "B": "m"}
	replaceLooseEps := replace
	replaceLooseEps.eps = 0.5

	// S→F 10, F→G 20 in sectors s, f, g, all linear. Out-strengths 10, 20, 0
	// (total 30): w = (1/3, 2/3, 0).
	line := esriCase{
		edges:   []graph.Edge{edge("S", "F", 10), edge("F", "G", 20)},
		sectors: map[string]string{"S": "s", "F": "f", "G": "g"},
	}
	withRevenue := line
	withRevenue.revenue = map[string]float64{"S": 40}
	withCosts := line
	withCosts.costs = map[string]float64{"F": 40}

	// F buys 10 from S (sector s, essential) and 30 from T (sector t,
	// linear); costs_F = 80 while s_F^in = 40.
	mixed := esriCase{
		edges:   []graph.Edge{edge("S", "F", 10), edge("T", "F", 30)},
		sectors: map[string]string{"S": "s", "T": "t", "F": "f"},
		ess:     map[[2]string]Essentiality{{"s", "f"}: EssEssential},
		costs:   map[string]float64{"F": 80},
	}

	for _, c := range []struct {
		name string
		in   esriCase
		firm string
		want esriWant
	}{
		{
			// Essential input: Λd_AC = W_AC / B_{C,a} = 10/10 = 1;
			// Λd_BC = 30/40 = 0.75 (linear); Λd_CD = 40/40 = 1.
			// step 1: Π_{C,a} = 1 − 1·(1 − 0) = 0, Π_{C,b} = 1 → h^d_C = 0.
			//         D still sees h^d_C(0) = 1. h^u: A stays 0; B, C, D keep 1
			//         (their customers are intact). Max drop 1.
			// step 2: h^d_D = 1 − 1·(1 − 0) = 0. Max drop 1.
			// step 3: nothing moves: converged after 3 steps.
			// ESRI = w_A + w_C + w_D = 0.125 + 0.5 + 0 = 0.625 (h^d decides),
			// ESRI_u = w_A = 0.125 (A has no suppliers).
			name: "essential input", in: essential, firm: "A",
			want: esriWant{0.625, 0.625, 0.125, 3},
		},
		{
			// Non-essential input: Λd_AC = 10/40 = 0.25.
			// step 1: h^d_C = 1 − 0.25 = 0.75. step 2: h^d_D = 1 − 1·0.25 =
			// 0.75. step 3: no change. ESRI = 0.125 + 0.5·0.25 + 0 = 0.25.
			name: "non-essential input", in: fourFirms, firm: "A",
			want: esriWant{0.25, 0.25, 0.125, 3},
		},
		{
			// ess = 0: A's supply does not matter to C. Step 1 moves nothing
			// (A starts at 0): converged after 1 step. ESRI = w_A = 0.125.
			name: "irrelevant input", in: irrelevant, firm: "A",
			want: esriWant{0.125, 0.125, 0.125, 1},
		},
		{
			// Upstream: C fails. h^u_A = 1 − Λu_AC·1 = 0, h^u_B = 0 (step 1).
			// Downstream: h^d_D = 1 − 1 = 0 (step 1). Step 2: no change.
			// ESRI = w_A + w_B + w_C + w_D = 1; ESRI_d = w_C + w_D = 0.5;
			// ESRI_u = w_A + w_B + w_C = 1.
			name: "upstream and downstream", in: fourFirms, firm: "C",
			want: esriWant{1, 0.5, 1, 2},
		},
		{
			// A and B in sector a, essential to C: B_{C,a} = 40,
			// Λd_AC = 0.25, Λd_BC = 0.75. No markets: σ = 1, so as in the
			// linear case h^d_C = h^d_D = 0.75, ESRI = 0.25.
			name: "essential sector, no replaceability", in: sameSector, firm: "A",
			want: esriWant{0.25, 0.25, 0.125, 3},
		},
		{
			// With A and B in market m: A_m = h^d_A s_A + h^d_B s_B = 0·10 +
			// 1·30 = 30 at every step, σ_A = min(1, 10/30) = 1/3.
			// step 1: Π_{C,a} = 1 − 0.25·(1/3)·1 = 11/12 → h^d_C = 11/12.
			// step 2: h^d_D = 1 − 1·(1/12) = 11/12 (drop 1/12 > 0.01).
			// step 3: no change. ESRI = 0.125 + 0.5/12 + 0 = 1/6.
			name: "replaceability", in: replace, firm: "A",
			want: esriWant{1.0 / 6, 1.0 / 6, 0.125, 3},
		},
		{
			// Same, ε = 0.5: step 1's largest drop is 1/12 ≤ 0.5, so it is
			// the converging step: iterations = 1, h^d_C = 11/12, D not yet
			// updated (weight 0 anyway). ESRI = 1/6.
			name: "loose eps stops at the first step", in: replaceLooseEps, firm: "A",
			want: esriWant{1.0 / 6, 1.0 / 6, 0.125, 1},
		},
		{
			// F fails. Downstream Λd_FG = 20/20 = 1 → h^d_G = 0; upstream
			// Λu_SF = 10/s_S^out = 1 → h^u_S = 0 (step 1). Step 2: no change.
			// ESRI = w_S + w_F + w_G = 1; ESRI_d = w_F = 2/3; ESRI_u = 1.
			name: "out-strength as revenue", in: line, firm: "F",
			want: esriWant{1, 2.0 / 3, 1, 2},
		},
		{
			// revenue_S = 40: Λu_SF = 10/40 = 0.25 → h^u_S = 0.75.
			// ESRI = w_S·0.25 + w_F = 1/12 + 8/12 = 0.75; ESRI_u the same.
			name: "revenue given", in: withRevenue, firm: "F",
			want: esriWant{0.75, 2.0 / 3, 0.75, 2},
		},
		{
			// S fails, no costs: Λd_SF = 1 → h^d_F = 0 (step 1), h^d_G = 0
			// (step 2), step 3 still. ESRI = w_S + w_F + w_G = 1; ESRI_u = w_S.
			name: "no costs", in: line, firm: "S",
			want: esriWant{1, 1, 1.0 / 3, 3},
		},
		{
			// costs_F = 40, s_F^in = 10: Λd_SF = 10/10 · 10/40 = 0.25 →
			// h^d_F = 0.75 (step 1), h^d_G = 1 − 1·0.25 = 0.75 (step 2; G has
			// no costs), step 3 still. ESRI = 1/3 + (2/3)·0.25 = 0.5.
			name: "costs given", in: withCosts, firm: "S",
			want: esriWant{0.5, 0.5, 1.0 / 3, 3},
		},
		{
			// S fails. Λd_SF = W/B_{F,s} · s_F^in/costs_F = 10/10 · 40/80 =
			// 0.5 → Π_{F,s} = 0.5; T intact → h^d_F = min(0.5, 1 − 0) = 0.5.
			// Step 2: no change. Out-strengths S 10, T 30, F 0: w_S = 0.25.
			// ESRI = 0.25 + 0 (F weighs 0) = 0.25; upstream: S has no
			// suppliers, ESRI_u = 0.25.
			name: "costs on an essential input", in: mixed, firm: "S",
			want: esriWant{0.25, 0.25, 0.25, 2},
		},
		{
			// Two essential sectors combine by min, not by sum.
			// X→A 10, Y→A 10, X→B 10, Y→B 10, A→C 10, B→C 10, C→D 30;
			// sectors x, y, a, b, c, d; a and b essential to c. Out-strengths
			// 20, 20, 10, 10, 30, 0 (total 90): w = (2/9, 2/9, 1/9, 1/9,
			// 1/3, 0) for X, Y, A, B, C, D.
			// X fails. step 1: h^d_A = 1 − (10/20)·1 = 0.5, h^d_B = 0.5.
			// step 2: Π_{C,a} = 1 − 1·0.5 = 0.5, Π_{C,b} = 0.5, so
			// h^d_C = min(0.5, 0.5) = 0.5 (a sum would give 0).
			// step 3: h^d_D = 1 − (30/30)·0.5 = 0.5. step 4 still.
			// Upstream only X is hit.
			// ESRI = 2/9 + (1/9)·0.5·2 + (1/3)·0.5 = 0.5; ESRI_u = 2/9.
			name: "two essential sectors", firm: "X",
			in: esriCase{
				edges: []graph.Edge{edge("X", "A", 10), edge("Y", "A", 10), edge("X", "B", 10), edge("Y", "B", 10),
					edge("A", "C", 10), edge("B", "C", 10), edge("C", "D", 30)},
				sectors: map[string]string{"X": "x", "Y": "y", "A": "a", "B": "b", "C": "c", "D": "d"},
				ess:     map[[2]string]Essentiality{{"a", "c"}: EssEssential, {"b", "c"}: EssEssential},
			},
			want: esriWant{0.5, 0.5, 2.0 / 9, 4},
		},
		{
			// A market whose remaining production is 0 counts as 1 (docs/models.md):
			// A→C 0.5, B→C 1.5, C→D 2; a essential to c, A alone in market
			// m. w = (0.125, 0.375, 0.5, 0). Λd_AC = 0.5/B_{C,a} = 1.
			// A fails: A_m = 0·0.5 = 0 → 1, σ_A = min(1, 0.5/1) = 0.5, so
			// Π_{C,a} = 1 − 1·0.5·1 = 0.5 → h^d_C = 0.5 (step 1); h^d_D =
			// 1 − 1·0.5 = 0.5 (step 2); still at step 3.
			// ESRI = 0.125 + 0.5·0.5 = 0.375; ESRI_u = 0.125.
			name: "empty market counts as 1", firm: "A",
			in: esriCase{
				edges:   []graph.Edge{edge("A", "C", 0.5), edge("B", "C", 1.5), edge("C", "D", 2)},
				sectors: map[string]string{"A": "a", "B": "b", "C": "c", "D": "d"},
				ess:     map[[2]string]Essentiality{{"a", "c"}: EssEssential},
				markets: map[string]string{"A": "m"},
			},
			want: esriWant{0.375, 0.375, 0.125, 3},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ESRI(context.Background(), c.in.input(t), c.firm)
			if err != nil {
				t.Fatal(err)
			}
			if got.Firm != c.firm {
				t.Errorf("firm = %q, want %q", got.Firm, c.firm)
			}
			checkESRI(t, got, c.want)
		})
	}
}

func TestESRIAll(t *testing.T) {
	// fourFirms, all linear, every firm in turn:
	//   A: see "non-essential input": 0.25, 0.25, 0.125, 3 steps.
	//   B: Λd_BC = 0.75 → h^d_C = 0.25 (step 1), h^d_D = 0.25 (step 2),
	//      step 3 still. ESRI = 0.375 + 0.5·0.75 = 0.75; ESRI_u = 0.375.
	//   C: see "upstream and downstream": 1, 0.5, 1, 2 steps.
	//   D: h^u_C = 1 − Λu_CD = 0 (step 1); h^u_A = h^u_B = 0 (step 2); step
	//      3 still. Downstream nothing (D supplies nobody). ESRI = 1,
	//      ESRI_d = w_D = 0, ESRI_u = 1. Zero out-strength, yet systemic.
	//   Z: isolated firm in sector z, weight 0, hurts nobody: 0, 1 step.
	in := fourFirms
	in.nodes = []string{"Z"}
	in.sectors = map[string]string{"A": "a", "B": "b", "C": "c", "D": "d", "Z": "z"}
	want := map[string]esriWant{
		"A": {0.25, 0.25, 0.125, 3},
		"B": {0.75, 0.75, 0.375, 3},
		"C": {1, 0.5, 1, 2},
		"D": {1, 0, 1, 3},
		"Z": {0, 0, 0, 1},
	}
	for _, workers := range []int{0, 1, 2, 8} {
		got, err := ESRIAll(context.Background(), in.input(t), workers)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d results, want %d", len(got), len(want))
		}
		for _, r := range got {
			checkESRI(t, r, want[r.Firm])
		}
	}
}

func TestESRIZeroWeightEdges(t *testing.T) {
	// Zero amounts are not purchases: A→C 0 makes C's sector-a input empty
	// (B_{C,a} = 0), which constrains nothing even though a is essential.
	// Only B→C 30 and C→D 40 count: w = (0, 30/70, 40/70, 0).
	// A fails: nothing moves, 1 step, ESRI = w_A = 0.
	c := esriCase{
		edges:   []graph.Edge{edge("A", "C", 0), edge("B", "C", 30), edge("C", "D", 40)},
		sectors: map[string]string{"A": "a", "B": "b", "C": "c", "D": "d"},
		ess:     map[[2]string]Essentiality{{"a", "c"}: EssEssential},
	}
	got, err := ESRI(context.Background(), c.input(t), "A")
	if err != nil {
		t.Fatal(err)
	}
	checkESRI(t, got, esriWant{0, 0, 0, 1})
}

func TestESRIErrors(t *testing.T) {
	ctx := context.Background()
	base := func() ESRIInput { return fourFirms.input(t) }
	for _, c := range []struct {
		name string
		in   func() ESRIInput
		want string
	}{
		{"no network", func() ESRIInput { return ESRIInput{} }, "no network"},
		{"eps negative", func() ESRIInput { in := base(); in.Eps = -1; return in }, "eps"},
		{"eps NaN", func() ESRIInput { in := base(); in.Eps = math.NaN(); return in }, "eps"},
		{"eps one", func() ESRIInput { in := base(); in.Eps = 1; return in }, "eps"},
		{"max steps negative", func() ESRIInput { in := base(); in.MaxSteps = -1; return in }, "max steps"},
		{"sectors length", func() ESRIInput { in := base(); in.Sectors = in.Sectors[:2]; return in }, "2 sectors for 4 firms"},
		{"empty sector", func() ESRIInput { in := base(); in.Sectors[1] = ""; return in }, `sector of "C": missing`},
		{"revenue length", func() ESRIInput { in := base(); in.Revenue = []float64{1}; return in }, "1 revenue values"},
		{"markets length", func() ESRIInput { in := base(); in.Markets = []string{"m"}; return in }, "1 markets"},
		{"revenue below sales", func() ESRIInput {
			in := base()
			in.Revenue = []float64{5, math.NaN(), math.NaN(), math.NaN()} // A sells 10
			return in
		}, `revenue of "A": 5 is below`},
		{"costs below purchases", func() ESRIInput {
			in := base()
			in.Costs = []float64{math.NaN(), 39, math.NaN(), math.NaN()} // C buys 40
			return in
		}, `costs of "C": 39 is below`},
		{"negative costs", func() ESRIInput {
			in := base()
			in.Costs = []float64{-1, math.NaN(), math.NaN(), math.NaN()}
			return in
		}, "not a finite non-negative number"},
		{"Inf revenue", func() ESRIInput {
			in := base()
			in.Revenue = []float64{math.Inf(1), math.NaN(), math.NaN(), math.NaN()}
			return in
		}, "not a finite non-negative number"},
		{"bad essentiality", func() ESRIInput {
			in := base()
			in.Ess = func(string, string) Essentiality { return 3 }
			return in
		}, "want 0, 1 or 2"},
		{"no amounts", func() ESRIInput {
			in := esriCase{edges: []graph.Edge{edge("A", "B", 0)}, sectors: map[string]string{"A": "a", "B": "b"}}
			return in.input(t)
		}, "total amount"},
		{"no edges", func() ESRIInput {
			in := esriCase{nodes: []string{"A"}, sectors: map[string]string{"A": "a"}}
			return in.input(t)
		}, "total amount"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ESRIAll(ctx, c.in(), 2)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("node errors are typed", func(t *testing.T) {
		in := base()
		in.Revenue = []float64{5, math.NaN(), math.NaN(), math.NaN()}
		in.Costs = []float64{math.NaN(), 39, math.NaN(), math.NaN()}
		_, err := ESRIAll(ctx, in, 1)
		var ne *NodeError
		if !errors.As(err, &ne) {
			t.Fatalf("err = %v, want a *NodeError", err)
		}
		if !strings.Contains(err.Error(), "revenue") || !strings.Contains(err.Error(), "costs") {
			t.Errorf("err = %v, want both the revenue and the costs problems", err)
		}
	})
	t.Run("unknown firm", func(t *testing.T) {
		if _, err := ESRI(ctx, base(), "X"); err == nil || !strings.Contains(err.Error(), `unknown firm "X"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := ESRIAll(cctx, base(), 2); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// slowCycle is F→A 1, B→A w, A→B 2, all linear: F fails and its loss seeps
// round the A↔B cycle. With a = Λd_FA = 1/(1+w), Λd_BA = 1 − a, Λd_AB = 1, the
// downstream losses x = 1 − h^d are x_F = 1 and
//
//	x_A(t+1) = a + (1 − a)·x_B(t),  x_B(t+1) = x_A(t),
//
// so A rises at odd steps and B at even ones, each by the step's drop
// a·(1 − a)^⌊(t−1)/2⌋. Nothing moves upstream (F buys nothing; A and B only sell
// to each other). Out-strengths F 1, A 2, B w.
func slowCycle(w float64) esriCase {
	return esriCase{
		edges:   []graph.Edge{edge("F", "A", 1), edge("B", "A", w), edge("A", "B", 2)},
		sectors: map[string]string{"F": "f", "A": "a", "B": "b"},
	}
}

// TestESRIStepBound: a cascade stopped by MaxSteps is a flagged result — its
// steps, its last drop and the (lower-bound) indices reached — and every other
// firm's result is still there.
func TestESRIStepBound(t *testing.T) {
	// w = 1: a = 1/2, w = (1/4, 1/2, 1/4) for F, A, B; every value is a dyadic
	// fraction, exact in float64. F fails, ε = 1e-3: the drop 2^−(1+⌊(t−1)/2⌋) first
	// reaches 2^−10 ≤ 1e-3 at t = 19, when x_A = 1 − 2^−10 and x_B = 1 − 2^−9:
	// ESRI = 1/4 + 1/2·(1 − 2^−10) + 1/4·(1 − 2^−9) = 1 − 2^−10 = ESRI_d; ESRI_u = w_F.
	// Stopped at 10 steps: drop 2^−5, x_A = x_B = 1 − 2^−5, ESRI = 1/4 + 3/4·(1 − 2^−5).
	// A fails: B loses its only supplier and A's suppliers F and B their only
	// customer at step 1; step 2 is still: ESRI = ESRI_u = 1, ESRI_d = w_A + w_B =
	// 3/4 (F buys nothing), in 2 steps. B fails: h^d_A =
	// 1/2 and h^u_A = 0 (step 1), h^u_F = 0 (step 2), step 3 is still: ESRI = 1
	// (ESRI_d = 1/4 + 1/2·1/2 = 1/2).
	in := slowCycle(1).input(t)
	in.Eps = 1e-3
	type want struct {
		esri, d, u, residual float64
		steps                int
		converged            bool
	}
	others := map[string]want{"A": {1, 0.75, 1, 0, 2, true}, "B": {1, 0.5, 1, 0, 3, true}}
	for _, c := range []struct {
		name     string
		maxSteps int
		f        want
	}{
		{"no bound", 0, want{1 - 0x1p-10, 1 - 0x1p-10, 0.25, 0x1p-10, 19, true}},
		{"bound above the need", 19, want{1 - 0x1p-10, 1 - 0x1p-10, 0.25, 0x1p-10, 19, true}},
		{"stopped at 10 steps", 10, want{0.25 + 0.75*(1-0x1p-5), 0.25 + 0.75*(1-0x1p-5), 0.25, 0x1p-5, 10, false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in.MaxSteps = c.maxSteps
			res, err := ESRIAll(context.Background(), in, 2)
			if err != nil {
				t.Fatalf("ESRIAll: %v (a step bound must flag the firm, not fail the run)", err)
			}
			if len(res) != 3 {
				t.Fatalf("%d results, want 3", len(res))
			}
			for _, r := range res {
				w, ok := others[r.Firm]
				if r.Firm == "F" {
					w, ok = c.f, true
				}
				if !ok {
					t.Fatalf("unexpected firm %q", r.Firm)
				}
				if r.ESRI != w.esri || r.ESRId != w.d || r.ESRIu != w.u || r.Iterations != w.steps ||
					r.Converged != w.converged || r.Residual != w.residual {
					t.Errorf("%s = %+v, want %+v", r.Firm, r, w)
				}
			}
		})
	}
}

// TestESRINoDefaultStepBound: without MaxSteps a cascade runs until it converges,
// however many steps that takes, as the reference GLcascade's loop does (it has no
// bound). With w = 1023, a = 2^−10 and the drop a·(1 − a)^⌊(t−1)/2⌋ reaches ε = 1e-12
// first at ⌊(t−1)/2⌋ = ⌈ln(ε/a)/ln(1 − a)⌉ = 21,186, t = 42,373 steps. The indices
// tend to total collapse (x_A, x_B → 1): ESRI → 1 − w_F·0 = 1 within ~ε/a.
func TestESRINoDefaultStepBound(t *testing.T) {
	in := slowCycle(1023).input(t)
	in.Eps = 1e-12
	a := 0x1p-10
	k := math.Ceil(math.Log(in.Eps/a) / math.Log(1-a))
	wantSteps := int(2*k + 1)
	got, err := ESRI(context.Background(), in, "F")
	if err != nil {
		t.Fatal(err)
	}
	// Rounding of x near 1 (ulp 1.1e-16 against drops near 1e-12) may move the step
	// where the drop crosses ε by one pair of steps.
	if !got.Converged || got.Iterations < wantSteps-2 || got.Iterations > wantSteps+2 || got.Iterations <= 10000 {
		t.Errorf("F: %d steps (converged %v), want %d ± 2", got.Iterations, got.Converged, wantSteps)
	}
	if math.Abs(got.ESRI-1) > 1e-8 || got.Residual > in.Eps {
		t.Errorf("F: ESRI %v (want 1 within 1e-8), last drop %v", got.ESRI, got.Residual)
	}
	t.Logf("F: %d steps (closed form %d), ESRI 1 − %.3g", got.Iterations, wantSteps, 1-got.ESRI)
}

// countdownCtx is a context that reports cancellation from its n-th Err call on,
// to cancel a cascade in the middle of its steps without depending on time.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	c.n--
	if c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestESRICancelledMidCascade(t *testing.T) {
	in := slowCycle(1023).input(t)
	in.Eps = 1e-12 // 42,375 steps; the cascade looks at ctx every few hundred
	ctx := &countdownCtx{Context: context.Background(), n: 1}
	if _, err := ESRI(ctx, in, "F"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled from inside the cascade", err)
	}
}

// BenchmarkESRIAll computes every firm's ESRI on a synthetic heavy-tailed
// network of 2,000 firms and 10,000 edges in 20 sectors, every fifth sector
// pair essential.
func BenchmarkESRIAll(b *testing.B) {
	net, _ := syntheticNetwork(b, 2000, 10000, 7)
	in := ESRIInput{Network: net, Sectors: make([]string, net.Len())}
	for i := range in.Sectors {
		in.Sectors[i] = string(rune('a' + i%20))
	}
	in.Ess = func(k, l string) Essentiality {
		if (int(k[0])+int(l[0]))%5 == 0 {
			return EssEssential
		}
		return EssLinear
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := ESRIAll(ctx, in, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(net.Len()), "ns/firm")
}
