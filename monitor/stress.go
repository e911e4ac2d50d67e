package monitor

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/chainrisk/chainrisk/graph"
)

// StressNetwork is the DebtRank input (SPEC §5.3) built from a State's supply graph:
// the impact matrix W over the state's firms, in snapshot node order, and the firms'
// values.
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

// NewStressNetwork builds the DebtRank network of s in O(firms + relations).
func NewStressNetwork(s *State) (*StressNetwork, error) {
	snap := s.Snap
	c := snap.CSR()
	n := snap.Len()
	if n == 0 {
		return nil, fmt.Errorf("stress: the state holds no firm")
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
	for _, f := range s.Firms {
		if f.Revenue > 0 {
			known = append(known, f.Revenue)
		}
	}
	typical := typicalRevenue(known)
	var sum float64
	for i, f := range s.Firms {
		v := f.Revenue
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

// typicalRevenue is the median of the known revenues, the value a firm without one
// takes; 1 when none is known (every firm then weighs the same). It sorts known.
func typicalRevenue(known []float64) float64 {
	if len(known) == 0 {
		return 1
	}
	slices.Sort(known)
	mid := len(known) / 2
	if len(known)%2 == 0 {
		return (known[mid-1] + known[mid]) / 2
	}
	return known[mid]
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

// StressCache keeps the stress network of the latest State it was asked about, so
// that repeated stress tests between two scans build it once. The zero value is
// ready to use.
type StressCache struct {
	mu    sync.Mutex
	entry *stressEntry
}

type stressEntry struct {
	state *State
	once  sync.Once
	net   *StressNetwork
	err   error
}

// Get returns the stress network of s, building it on first use.
func (c *StressCache) Get(s *State) (*StressNetwork, error) {
	c.mu.Lock()
	e := c.entry
	if e == nil || e.state != s {
		e = &stressEntry{state: s}
		c.entry = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.net, e.err = NewStressNetwork(s) })
	return e.net, e.err
}
