package risk

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

// referenceDebtRank is the cascade as it was written before the pull step:
// push only, the frontier in the order its nodes were reached. It returns h
// and the number of steps.
func referenceDebtRank(net *graph.Network, shocks map[int]float64) ([]float64, int) {
	n := net.Len()
	h := make([]float64, n)
	state := make([]uint8, n)
	var front []int32
	for i := range n { // shocks in node order
		if psi, ok := shocks[i]; ok {
			h[i] = psi
			if psi > 0 {
				state[i] = drDistressed
				front = append(front, int32(i))
			}
		}
	}
	stamp := make([]int32, n)
	var steps int32
	for len(front) > 0 {
		steps++
		pushed := make([]float64, len(front))
		for k, i := range front {
			pushed[k] = h[i]
		}
		var touched []int32
		for k, i := range front {
			dst, w := net.Out(int(i))
			for e, j := range dst {
				if w[e] == 0 {
					continue
				}
				h[j] += min(1, w[e]) * pushed[k]
				if stamp[j] != steps {
					stamp[j] = steps
					touched = append(touched, j)
				}
			}
		}
		for _, i := range front {
			state[i] = drInactive
		}
		var next []int32
		for _, j := range touched {
			h[j] = min(h[j], 1)
			if state[j] == drUndistressed && h[j] > 0 {
				state[j] = drDistressed
				next = append(next, j)
			}
		}
		front = next
	}
	return h, int(steps)
}

// TestDebtRankPullMatchesPush runs random cyclic networks (some weights 0,
// some above 1, some nodes shocked with ψ = 0) three ways: push only, pull
// whenever possible, and the default switch. All three must be bit-identical
// (the same terms in the same order), and equal to the reference cascade to
// rounding (the reference adds the terms of a node in another order).
func TestDebtRankPullMatchesPush(t *testing.T) {
	defer func(s float64) { pullShare = s }(pullShare)
	r := rand.New(rand.NewPCG(11, 12))
	for trial := range 60 {
		n := 2 + r.IntN(60)
		if trial%10 == 0 {
			n = 40_000 + r.IntN(5_000) // above the single-worker cut-off of pullStep
		}
		m := r.IntN(4 * n)
		var edges []graph.Edge
		seen := map[[2]int]bool{}
		for range m {
			a, b := r.IntN(n), r.IntN(n)
			if a == b || seen[[2]int{a, b}] {
				continue
			}
			seen[[2]int{a, b}] = true
			w := r.Float64() * 0.6
			switch r.IntN(10) {
			case 0:
				w = 0
			case 1:
				w = 1 + r.Float64()
			}
			edges = append(edges, edge(fmt.Sprint(a), fmt.Sprint(b), w))
		}
		nodes := make([]string, n)
		for i := range nodes {
			nodes[i] = fmt.Sprint(i)
		}
		net := mustNetwork(t, nodes, edges)
		shocks := map[int]float64{}
		var sh []Shock
		for range 1 + r.IntN(3) {
			i := r.IntN(n)
			if _, dup := shocks[i]; dup {
				continue
			}
			psi := r.Float64()
			if r.IntN(5) == 0 {
				psi = 0
			}
			shocks[i] = psi
			sh = append(sh, Shock{Node: nodes[i], Psi: psi})
		}
		wantH, wantSteps := referenceDebtRank(net, shocks)
		var runs [3]DebtRankResult
		for k, share := range []float64{2, 0, 0.25} { // push only, pull only, default
			pullShare = share
			res, err := DebtRank(context.Background(), net, nil, sh, 5)
			if err != nil {
				t.Fatal(err)
			}
			runs[k] = res
		}
		for k, res := range runs {
			if res.Iterations != wantSteps {
				t.Fatalf("trial %d run %d: %d steps, reference %d", trial, k, res.Iterations, wantSteps)
			}
			for j, hj := range res.H {
				if math.Abs(hj-wantH[j]) > 1e-12 {
					t.Fatalf("trial %d run %d: h[%d] = %v, reference %v", trial, k, j, hj, wantH[j])
				}
				if hj != runs[0].H[j] {
					t.Fatalf("trial %d run %d: h[%d] = %v, push %v: not bit-identical", trial, k, j, hj, runs[0].H[j])
				}
			}
			if res.R != runs[0].R || res.Defaults != runs[0].Defaults {
				t.Fatalf("trial %d run %d: R %v defaults %d, push %v %d", trial, k, res.R, res.Defaults, runs[0].R, runs[0].Defaults)
			}
		}
	}
}
