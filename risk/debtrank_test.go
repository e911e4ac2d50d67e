package risk

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

const tol = 1e-12

func edge(from, to string, w float64) graph.Edge {
	return graph.Edge{From: from, To: to, Weight: w}
}

func mustNetwork(t testing.TB, nodes []string, edges []graph.Edge) *graph.Network {
	t.Helper()
	net, err := graph.NewNetwork(nodes, edges)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// hOf returns h by node id.
func hOf(net *graph.Network, r DebtRankResult) map[string]float64 {
	m := make(map[string]float64, len(r.H))
	for i, h := range r.H {
		m[net.ID(i)] = h
	}
	return m
}

func TestDebtRankHandDerived(t *testing.T) {
	for _, c := range []struct {
		name       string
		nodes      []string
		edges      []graph.Edge
		values     []float64 // by node index (nodes first, then edge order)
		shocks     []Shock
		topK       int
		wantH      map[string]float64
		wantR      float64
		defaults   int
		iterations int
		wantTop    []string
	}{
		{
			// Chain A→B→C, W = 0.5 on each link, equal values 1/3, ψ_A = 1.
			// t=1: h = (1, 0, 0), s = (D, U, U).
			// step 1: h_B = 0 + 0.5·1 = 0.5; A → I, B → D.
			// step 2: h_C = 0 + 0.5·0.5 = 0.25; B → I, C → D.
			// step 3: C has no out-edges, nothing changes; C → I. No D left.
			// R = (1/3)(0 + 0.5 + 0.25) = 0.25; one default (A, h = 1).
			name:   "chain",
			edges:  []graph.Edge{edge("A", "B", 0.5), edge("B", "C", 0.5)},
			shocks: []Shock{{"A", 1}},
			topK:   10,
			wantH:  map[string]float64{"A": 1, "B": 0.5, "C": 0.25},
			wantR:  0.25, defaults: 1, iterations: 3,
			wantTop: []string{"A", "B", "C"},
		},
		{
			// Cycle A⇄B, W = 1 both ways, equal values 1/2, ψ_A = 0.5.
			// t=1: h = (0.5, 0), s = (D, U).
			// step 1: h_B = 1·0.5 = 0.5; A → I, B → D.
			// step 2: B pushes to the inactive A: h_A = min(1, 0.5 + 1·0.5) = 1;
			//         B → I. A stays I and does not push again. No D left.
			// R = ½(1 − 0.5) + ½(0.5 − 0) = 0.5; one default (A).
			name:   "cycle",
			edges:  []graph.Edge{edge("A", "B", 1), edge("B", "A", 1)},
			shocks: []Shock{{"A", 0.5}},
			topK:   1,
			wantH:  map[string]float64{"A": 1, "B": 0.5},
			wantR:  0.5, defaults: 1, iterations: 2,
			wantTop: []string{"A"},
		},
		{
			// An inactive node absorbs stress but never passes it on.
			// A→B 0.5, A→C 0.5, B→E 1, C→D 1, D→B 1; values 1/5; ψ_A = 1.
			// step 1: h_B = 0.5, h_C = 0.5; A → I; B, C → D.
			// step 2: B→E: h_E = 0.5; C→D: h_D = 0.5; B, C → I; D, E → D.
			// step 3: D→B: h_B = 0.5 + 1·0.5 = 1 (B is inactive and absorbs it);
			//         E has no out-edges; D, E → I. No D left.
			// E saw only B's h at step 2 (0.5), not the later 1.
			// R = (0 + 1 + 0.5 + 0.5 + 0.5)/5 = 0.5; defaults A, B.
			name:   "inactive absorbs",
			edges:  []graph.Edge{edge("A", "B", 0.5), edge("A", "C", 0.5), edge("B", "E", 1), edge("C", "D", 1), edge("D", "B", 1)},
			shocks: []Shock{{"A", 1}},
			topK:   3,
			wantH:  map[string]float64{"A": 1, "B": 1, "C": 0.5, "D": 0.5, "E": 0.5},
			wantR:  0.5, defaults: 2, iterations: 3,
			// h ties at 1 and at 0.5 with equal values fall back to the id.
			wantTop: []string{"A", "B", "C"},
		},
		{
			// One link's impact above 1 is capped: A→B W = 3 acts as 1.
			// ψ_A = 0.25: step 1: h_B = min(1,3)·0.25 = 0.25 (not 0.75).
			// step 2: B has no out-edges; B → I. R = ½·0.25 = 0.125.
			name:   "link cap",
			edges:  []graph.Edge{edge("A", "B", 3)},
			shocks: []Shock{{"A", 0.25}},
			wantH:  map[string]float64{"A": 0.25, "B": 0.25},
			wantR:  0.125, defaults: 0, iterations: 2,
		},
		{
			// Sum cap and a node with zero value.
			// A→C 3 (acts as 1), B→C 0.8, C→D 0.5; values A 1, B 1, C 2, D 0,
			// normalised v = (0.25, 0.25, 0.5, 0). ψ_A = 0.4, ψ_B = 1.
			// step 1: h_C = min(1, 0 + 1·0.4 + 0.8·1) = min(1, 1.2) = 1;
			//         A, B → I; C → D.
			// step 2: h_D = 0.5·1 = 0.5; C → I; D → D.
			// step 3: D has no out-edges; D → I.
			// R = 0.25·0 + 0.25·0 + 0.5·(1 − 0) + 0·0.5 = 0.5: D's distress
			// counts for nothing. Defaults: B (ψ = 1) and C.
			// Top by h: C and B tie at 1, C has the larger value; then D 0.5,
			// A 0.4.
			name:   "sum cap and zero value",
			edges:  []graph.Edge{edge("A", "C", 3), edge("B", "C", 0.8), edge("C", "D", 0.5)},
			values: []float64{1, 2, 1, 0}, // order A, C, B, D
			shocks: []Shock{{"A", 0.4}, {"B", 1}},
			topK:   10,
			wantH:  map[string]float64{"A": 0.4, "B": 1, "C": 1, "D": 0.5},
			wantR:  0.5, defaults: 2, iterations: 3,
			wantTop: []string{"C", "B", "D", "A"},
		},
		{
			// Two distressed nodes push to each other in the same step, each
			// with its h(t−1). A⇄B, W = 1 both ways, ψ_A = 0.5, ψ_B = 0.25.
			// step 1: h_A = min(1, 0.5 + 1·0.25) = 0.75,
			//         h_B = min(1, 0.25 + 1·0.5) = 0.75; both → I. Done.
			// (Reading B after A's push would give h_A = 1.)
			// R = ½(0.75 − 0.5) + ½(0.75 − 0.25) = 0.375.
			name:   "simultaneous pushes",
			edges:  []graph.Edge{edge("A", "B", 1), edge("B", "A", 1)},
			shocks: []Shock{{"A", 0.5}, {"B", 0.25}},
			topK:   10,
			wantH:  map[string]float64{"A": 0.75, "B": 0.75},
			wantR:  0.375, defaults: 0, iterations: 1,
			wantTop: []string{"A", "B"},
		},
		{
			// Zero-weight edges carry nothing: B is never distressed. Z is
			// isolated. ψ_A = 0.6: step 1 pushes nothing, A → I; done.
			name:   "zero weights and isolated node",
			nodes:  []string{"Z"},
			edges:  []graph.Edge{edge("A", "B", 0), edge("B", "A", 0)},
			shocks: []Shock{{"A", 0.6}},
			topK:   10,
			wantH:  map[string]float64{"Z": 0, "A": 0.6, "B": 0},
			wantR:  0, defaults: 0, iterations: 1,
			wantTop: []string{"A"},
		},
		{
			// A zero shock leaves everything undistressed: no step runs.
			name:   "zero shock",
			edges:  []graph.Edge{edge("A", "B", 1)},
			shocks: []Shock{{"A", 0}},
			topK:   10,
			wantH:  map[string]float64{"A": 0, "B": 0},
			wantR:  0, defaults: 0, iterations: 0,
		},
		{
			// Shocking a node without edges: one step that moves nothing.
			name:   "shocked node without edges",
			nodes:  []string{"Z"},
			edges:  []graph.Edge{edge("A", "B", 1)},
			shocks: []Shock{{"Z", 1}},
			wantH:  map[string]float64{"Z": 1, "A": 0, "B": 0},
			wantR:  0, defaults: 1, iterations: 1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := mustNetwork(t, c.nodes, c.edges)
			r, err := DebtRank(context.Background(), net, c.values, c.shocks, c.topK)
			if err != nil {
				t.Fatal(err)
			}
			got := hOf(net, r)
			for id, want := range c.wantH {
				if math.Abs(got[id]-want) > tol {
					t.Errorf("h[%s] = %v, want %v", id, got[id], want)
				}
			}
			if len(got) != len(c.wantH) {
				t.Errorf("h has %d nodes, want %d", len(got), len(c.wantH))
			}
			if math.Abs(r.R-c.wantR) > tol {
				t.Errorf("R = %v, want %v", r.R, c.wantR)
			}
			if r.Defaults != c.defaults {
				t.Errorf("defaults = %d, want %d", r.Defaults, c.defaults)
			}
			if r.Iterations != c.iterations {
				t.Errorf("iterations = %d, want %d", r.Iterations, c.iterations)
			}
			var top []string
			for _, imp := range r.Top {
				top = append(top, imp.Node)
				if imp.H != got[imp.Node] {
					t.Errorf("top %s has h %v, want %v", imp.Node, imp.H, got[imp.Node])
				}
			}
			if !slices.Equal(top, c.wantTop) {
				t.Errorf("top = %v, want %v", top, c.wantTop)
			}
		})
	}
}

func TestDebtRankTopValues(t *testing.T) {
	// A→B, A→C, A→D all W = 0.5, values A 0, B 1, C 3, D 1 (sum 5), ψ_A = 1:
	// B, C, D all end at h = 0.5. Ranking: A (h = 1), then C (value 0.6),
	// then B and D (value 0.2 each) by id. topK = 3 keeps A, C, B.
	net := mustNetwork(t, nil, []graph.Edge{edge("A", "B", 0.5), edge("A", "C", 0.5), edge("A", "D", 0.5)})
	r, err := DebtRank(context.Background(), net, []float64{0, 1, 3, 1}, []Shock{{"A", 1}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Impact{{"A", 1, 0}, {"C", 0.5, 0.6}, {"B", 0.5, 0.2}}
	if len(r.Top) != len(want) {
		t.Fatalf("top = %v, want %v", r.Top, want)
	}
	for k := range want {
		g := r.Top[k]
		if g.Node != want[k].Node || math.Abs(g.H-want[k].H) > tol || math.Abs(g.Value-want[k].Value) > tol {
			t.Errorf("top[%d] = %+v, want %+v", k, g, want[k])
		}
	}
	// R = 0.2·0.5 + 0.6·0.5 + 0.2·0.5 = 0.5.
	if math.Abs(r.R-0.5) > tol {
		t.Errorf("R = %v, want 0.5", r.R)
	}
}

func TestDebtRankErrors(t *testing.T) {
	net := mustNetwork(t, nil, []graph.Edge{edge("A", "B", 1)})
	for _, c := range []struct {
		name   string
		values []float64
		shocks []Shock
		want   string
	}{
		{"psi above 1", nil, []Shock{{"A", 1.5}}, "outside [0, 1]"},
		{"psi negative", nil, []Shock{{"A", -0.1}}, "outside [0, 1]"},
		{"psi NaN", nil, []Shock{{"A", math.NaN()}}, "outside [0, 1]"},
		{"psi Inf", nil, []Shock{{"A", math.Inf(1)}}, "outside [0, 1]"},
		{"unknown node", nil, []Shock{{"X", 1}}, `unknown node "X"`},
		{"shocked twice", nil, []Shock{{"A", 1}, {"A", 0.5}}, "shocked twice"},
		{"too few values", []float64{1}, []Shock{{"A", 1}}, "1 values for 2 nodes"},
		{"negative value", []float64{1, -1}, []Shock{{"A", 1}}, "non-negative"},
		{"NaN value", []float64{math.NaN(), 1}, []Shock{{"A", 1}}, "non-negative"},
		{"Inf value", []float64{math.Inf(1), 1}, []Shock{{"A", 1}}, "non-negative"},
		{"zero values", []float64{0, 0}, []Shock{{"A", 1}}, "cannot normalise"},
		{"values overflow", []float64{math.MaxFloat64, math.MaxFloat64}, []Shock{{"A", 1}}, "cannot normalise"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DebtRank(context.Background(), net, c.values, c.shocks, 5)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := DebtRank(ctx, net, nil, []Shock{{"A", 1}}, 5); err == nil {
			t.Fatal("no error from a cancelled context")
		}
	})
}

// syntheticNetwork builds a random network of n nodes and m edges whose out-
// and in-degrees are heavy-tailed: every node gets a Pareto (α = 1.2) fitness
// (truncated at n/100) and both ends of each edge are drawn proportionally to
// it (duplicates and self-loops redrawn). Impacts are small (0.5·u²). It returns the network and
// its node of highest out-degree.
func syntheticNetwork(tb testing.TB, n, m int, seed uint64) (*graph.Network, string) {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cum := make([]float64, n) // cumulative fitness
	var total float64
	for i := range cum {
		// Truncated so that one node cannot take most edges of a small n.
		total += min(math.Pow(1-r.Float64(), -1/1.2), float64(n)/100)
		cum[i] = total
	}
	draw := func() int {
		j, _ := slices.BinarySearch(cum, r.Float64()*total)
		return min(j, n-1)
	}
	deg := make([]int, n)
	for range m {
		deg[draw()]++
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	hub := 0
	edges := make([]graph.Edge, 0, m)
	seen := make([]int32, n) // 1 + last source that used a target
	for i, d := range deg {
		if d > deg[hub] {
			hub = i
		}
		for range d {
			j := draw()
			for try := 0; j == i || seen[j] == int32(i)+1; try++ {
				if try < 32 {
					j = draw()
				} else {
					j = r.IntN(n)
				}
			}
			seen[j] = int32(i) + 1
			u := r.Float64()
			edges = append(edges, edge(ids[i], ids[j], 0.5*u*u))
		}
	}
	return mustNetwork(tb, nil, edges), ids[hub]
}

// BenchmarkDebtRank runs one shock on the biggest hub of a synthetic
// heavy-tailed network: 100k nodes / 500k edges, plus the province scale of
// docs/performance.md (1M / 5M) when CHAINRISK_BENCH_LARGE=1.
func BenchmarkDebtRank(b *testing.B) {
	sizes := []struct {
		name string
		n, m int
	}{{"100k", 100_000, 500_000}}
	if os.Getenv("CHAINRISK_BENCH_LARGE") == "1" {
		sizes = append(sizes, struct {
			name string
			n, m int
		}{"1M", 1_000_000, 5_000_000})
	}
	for _, s := range sizes {
		b.Run(s.name, func(b *testing.B) {
			net, hub := syntheticNetwork(b, s.n, s.m, 1)
			shocks := []Shock{{hub, 1}}
			ctx := context.Background()
			var r DebtRankResult
			b.ResetTimer()
			start := cpuTime()
			for b.Loop() {
				var err error
				if r, err = DebtRank(ctx, net, nil, shocks, 10); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
			reached := 0
			for _, h := range r.H {
				if h > 0 {
					reached++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(net.NumEdges()), "ns/edge")
			b.ReportMetric(float64(reached), "reached")
			b.ReportMetric(float64(r.Iterations), "steps")
			b.ReportMetric(float64(net.NumEdges()), "edges")
		})
	}
}
