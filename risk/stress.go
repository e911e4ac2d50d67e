package risk

import (
	"context"
	"fmt"

	"github.com/chainrisk/chainrisk/graph"
)

// StressNetwork is the DebtRank input (docs/models.md) built from a supply graph: the
// impact matrix W over the snapshot's firms, in node order, and the firms' values.
//
// Direction. With supplier i → customer j, Λd_ij = purchase_share_ij·(1 −
// substitutability_ij) is how much j loses when i is in distress (supply loss) and
// Λu_ij = sales_share_ij how much i loses when j is (lost sales). The impact of i's
// distress on j is W_ij = min(1, Λd_ij + Λu_ji): the first term exists when i
// supplies j, the second when i buys from j. Each relation a → b therefore gives two
// entries, W_ab += Λd_ab and W_ba += Λu_ab, summed when a and b trade both ways.
//
// Values. v_i is firm i's share of the revenue of all firms. A firm whose revenue is
// unknown takes the median of the known revenues (a typical firm, robust to the
// leaders' heavy tail); when no revenue is known every firm weighs the same.
type StressNetwork struct {
	Net *graph.Network
	// Values are the normalised v (Σ = 1), by node.
	Values []float64
	// Imputed counts the firms whose revenue was unknown.
	Imputed int
}

// NewStressNetwork builds the DebtRank network of snap, whose firms' revenues firms
// gives, in O(firms + relations).
func NewStressNetwork(snap *graph.Snapshot, firms FirmData) (*StressNetwork, error) {
	c := snap.CSR()
	n := snap.Len()
	if n == 0 {
		return nil, fmt.Errorf("stress: the graph holds no firm")
	}
	// Row i merges i's out-edges (i supplies j: Λd_ij), sorted by customer, with its
	// in-edges (j supplies i: Λu_ji), sorted by supplier, into one row sorted by j.
	net, err := snap.Network(2*snap.NumEdges(), func(i int32, dst []int32, ws []float64) ([]int32, []float64) {
		a, b := c.OutStart[i], c.OutStart[i+1]
		p, q := c.InStart[i], c.InStart[i+1]
		for a < b || p < q {
			var j int32
			var w float64
			switch {
			case p == q || (a < b && c.OutTo[a] < c.InFrom[p]):
				j, w = c.OutTo[a], c.PurchaseShare[a]*(1-c.Substitutability[a])
				a++
			case a == b || c.InFrom[p] < c.OutTo[a]:
				j, w = c.InFrom[p], c.SalesShare[c.InEdge[p]]
				p++
			default: // i and j trade both ways
				j = c.OutTo[a]
				w = c.PurchaseShare[a]*(1-c.Substitutability[a]) + c.SalesShare[c.InEdge[p]]
				a++
				p++
			}
			if w > 0 {
				dst = append(dst, j)
				ws = append(ws, min(1, w))
			}
		}
		return dst, ws
	})
	if err != nil {
		return nil, fmt.Errorf("stress: %w", err)
	}

	sn := &StressNetwork{Net: net, Values: make([]float64, n)}
	var known []float64
	for v := range int32(n) {
		if r := firms.Revenue(v); r > 0 {
			known = append(known, r)
		}
	}
	typical := typicalRevenue(known)
	var sum float64
	for i := range n {
		v := firms.Revenue(int32(i))
		if !(v > 0) {
			v = typical
			sn.Imputed++
		}
		sn.Values[i] = v
		sum += v
	}
	for i := range sn.Values {
		sn.Values[i] /= sum
	}
	return sn, nil
}

// Run runs DebtRank with the given shocks (node ids are USCCs), without a ranking:
// Summarise ranks.
func (sn *StressNetwork) Run(ctx context.Context, shocks []Shock) (DebtRankResult, error) {
	return DebtRank(ctx, sn.Net, sn.Values, shocks, 0)
}

// StressSummary is a DebtRank result seen from a set of firms.
type StressSummary struct {
	// R is Σ v_j (h_j(T) − h_j(1)) over the firms kept.
	R float64
	// Defaults counts the kept firms with h = 1.
	Defaults int
	// Top ranks the kept firms with h > 0 as DebtRank does (h, value, id).
	Top []Impact
}

// Summarise restricts res (a Run with shocks) to the firms keep accepts (nil keeps
// all, giving res's own R and Defaults) and ranks the topK most distressed of them.
// A tenant's stress test is summarised over its chain, so that nothing about firms
// outside it leaves the daemon.
func (sn *StressNetwork) Summarise(res DebtRankResult, shocks []Shock, keep func(node int) bool, topK int) StressSummary {
	start := make(map[int]float64, len(shocks))
	for _, s := range shocks {
		if i, ok := sn.Net.Index(s.Node); ok {
			start[i] = s.Psi
		}
	}
	h := res.H
	if keep != nil {
		h = make([]float64, len(res.H))
	}
	var out StressSummary
	for j, hj := range res.H {
		if keep != nil {
			if !keep(j) {
				continue
			}
			h[j] = hj
		}
		out.R += sn.Values[j] * (hj - start[j])
		if hj >= 1 {
			out.Defaults++
		}
	}
	out.Top = topImpacts(sn.Net, h, sn.Values, topK)
	return out
}
