package risk

import (
	"container/heap"
	"context"
	"fmt"
	"math"

	"github.com/chainrisk/chainrisk/graph"
)

// Shock is an initial distress ψ ∈ [0, 1] given to one node.
type Shock struct {
	Node string
	Psi  float64
}

// DebtRankResult is the outcome of a DebtRank stress test.
type DebtRankResult struct {
	// R is the value-weighted distress added by the cascade:
	// Σ v_j h_j(T) − Σ v_j h_j(1).
	R float64
	// H is the final distress of every node, by node index.
	H []float64
	// Defaults counts nodes with h = 1, shocked ones included.
	Defaults int
	// Iterations is the number of update steps run (0 when no shock is > 0).
	Iterations int
	// Top lists the most distressed nodes (h > 0): by h, then value, both
	// descending, then id.
	Top []Impact
}

// Impact is one node of a DebtRank ranking.
type Impact struct {
	Node  string
	H     float64
	Value float64 // normalised value v
}

// Node states of the DebtRank cascade.
const (
	drUndistressed uint8 = iota
	drDistressed
	drInactive
)

// DebtRank runs the DebtRank stress test (Battiston et al. 2012) of docs/models.md
// on net read as the impact matrix W: the weight of edge i→j is the impact of
// i's distress on j, capped at 1 per link. values gives each node's economic
// value by index (nil: equal values); it is normalised to sum 1. topK bounds
// the length of Top (≤ 0: no ranking).
//
// The equations are followed literally: at t = 1, h = ψ and s = D where ψ > 0;
// at each step every node, inactive ones included, receives
// Σ_{i: s_i = D} W_ij h_i(t−1), h is capped at 1, D nodes turn I and U nodes
// with h > 0 turn D. Only D nodes push stress and each node is D for exactly
// one step, so a run costs O(nodes + out-edges of the nodes reached): see
// cascade for how each step is computed.
func DebtRank(ctx context.Context, net *graph.Network, values []float64, shocks []Shock, topK int) (DebtRankResult, error) {
	n := net.Len()
	v, err := normaliseValues(net, values)
	if err != nil {
		return DebtRankResult{}, err
	}
	h := make([]float64, n)
	state := make([]uint8, n)
	var front []int32
	seen := make(map[int]bool, len(shocks))
	var shockedAt []int
	for _, s := range shocks {
		i, ok := net.Index(s.Node)
		if !ok {
			return DebtRankResult{}, fmt.Errorf("debtrank: shock on unknown node %q", s.Node)
		}
		if math.IsNaN(s.Psi) || s.Psi < 0 || s.Psi > 1 {
			return DebtRankResult{}, fmt.Errorf("debtrank: shock on %q: ψ = %v is outside [0, 1]", s.Node, s.Psi)
		}
		if seen[i] {
			return DebtRankResult{}, fmt.Errorf("debtrank: node %q shocked twice", s.Node)
		}
		seen[i] = true
		shockedAt = append(shockedAt, i)
		h[i] = s.Psi
		if s.Psi > 0 {
			state[i] = drDistressed
			front = append(front, int32(i))
		}
	}

	steps, err := cascade(ctx, net, h, state, front)
	if err != nil {
		return DebtRankResult{}, err
	}

	// R sums v_j (h_j(T) − h_j(1)) term by term: h never decreases, so every
	// term is ≥ 0 and R is exactly 0 when nothing propagated. stamp marks the
	// shocked nodes, keeping the map out of the loop.
	stamp := make([]int32, n)
	res := DebtRankResult{H: h, Iterations: int(steps)}
	for k, i := range shockedAt {
		stamp[i] = -1
		res.R += v[i] * (h[i] - shocks[k].Psi)
	}
	for j, hj := range h {
		if hj >= 1 {
			res.Defaults++
		}
		if hj > 0 && stamp[j] != -1 {
			res.R += v[j] * hj
		}
	}
	res.Top = topImpacts(net, h, v, topK)
	return res, nil
}

// normaliseValues validates per-node values and scales them to sum 1.
func normaliseValues(net *graph.Network, values []float64) ([]float64, error) {
	n := net.Len()
	v := make([]float64, n)
	if values == nil {
		for i := range v {
			v[i] = 1 / float64(n)
		}
		return v, nil
	}
	if len(values) != n {
		return nil, fmt.Errorf("debtrank: %d values for %d nodes", len(values), n)
	}
	var sum float64
	for i, x := range values {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return nil, fmt.Errorf("debtrank: value of %q is %v, want a finite non-negative number", net.ID(i), x)
		}
		sum += x
	}
	if sum <= 0 || math.IsInf(sum, 0) {
		return nil, fmt.Errorf("debtrank: node values sum to %v, cannot normalise", sum)
	}
	for i, x := range values {
		v[i] = x / sum
	}
	return v, nil
}

// impactHeap is a min-heap on rank: the root is the weakest of the kept nodes.
type impactHeap struct {
	idx []int32
	h   []float64
	v   []float64
	net *graph.Network
}

// before reports whether node a ranks before node b.
func (q *impactHeap) before(a, b int32) bool {
	if q.h[a] != q.h[b] {
		return q.h[a] > q.h[b]
	}
	if q.v[a] != q.v[b] {
		return q.v[a] > q.v[b]
	}
	return q.net.ID(int(a)) < q.net.ID(int(b))
}

func (q *impactHeap) Len() int           { return len(q.idx) }
func (q *impactHeap) Less(a, b int) bool { return q.before(q.idx[b], q.idx[a]) }
func (q *impactHeap) Swap(a, b int)      { q.idx[a], q.idx[b] = q.idx[b], q.idx[a] }
func (q *impactHeap) Push(x any)         { q.idx = append(q.idx, x.(int32)) }
func (q *impactHeap) Pop() any {
	last := q.idx[len(q.idx)-1]
	q.idx = q.idx[:len(q.idx)-1]
	return last
}

// topImpacts selects the k highest-ranked nodes with h > 0 in O(n log k).
func topImpacts(net *graph.Network, h, v []float64, k int) []Impact {
	if k <= 0 {
		return nil
	}
	q := &impactHeap{h: h, v: v, net: net}
	for j, hj := range h {
		if hj <= 0 {
			continue
		}
		switch {
		case q.Len() < k:
			heap.Push(q, int32(j))
		case q.before(int32(j), q.idx[0]):
			q.idx[0] = int32(j)
			heap.Fix(q, 0)
		}
	}
	out := make([]Impact, q.Len())
	for p := len(out) - 1; p >= 0; p-- {
		j := heap.Pop(q).(int32)
		out[p] = Impact{Node: net.ID(int(j)), H: h[j], Value: v[j]}
	}
	return out
}
