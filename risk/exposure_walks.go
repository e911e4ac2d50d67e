package risk

import (
	"fmt"
	"slices"

	"github.com/chainrisk/chainrisk/graph"
)

// walkScratch holds the walk DP's arrays, indexed by position in
// Reach.Nodes and reused from leader to leader. Values a relaxation touches
// together sit together: the DP is bound by random memory access.
type walkScratch struct {
	up, down           walkDP
	cur, nxt           []walkLevel
	active, nextActive []int32
}

// walkLevel is one member's state at one hop count.
type walkLevel struct {
	sum, best float64 // sum and best product over walks of this many hops
	mark      int32   // the hop count that last reached the member
}

// walkTotal is one member's result over all hop counts.
type walkTotal struct {
	sum, best float64 // over walks of 1 … depth hops
	hops      int32   // hop count of the best walk (the shortest on ties)
}

// walkDP holds a DP's totals per member and, per hop count h, the next
// member of each member's best h-hop walk.
type walkDP struct {
	total []walkTotal
	next  [][]int32 // next[h][pos]
}

// zeroed returns s resized to k zero values, reusing its array.
func zeroed[T any](s []T, k int) []T {
	if cap(s) < k {
		return make([]T, k)
	}
	s = s[:k]
	clear(s)
	return s
}

// walks runs the DP over depth hops on the CSR, from the leader outwards:
// every walk of at most depth hops to the leader stays among the members.
// Upstream walks follow supply relations towards the leader (coefficients
// a, by in-edge position), downstream ones demand relations (b, by edge).
func (pr *Propagator) walks(r *graph.Reach, depth int, upstream bool, sc *walkScratch, w *walkDP) {
	c := &pr.csr
	k := len(r.Nodes)
	w.total = zeroed(w.total, k)
	for len(w.next) <= depth {
		w.next = append(w.next, nil)
	}
	cur, nxt := zeroed(sc.cur, k), zeroed(sc.nxt, k)
	cur[0] = walkLevel{sum: 1, best: 1} // the leader is Nodes[0]
	active, nextActive := append(sc.active[:0], 0), sc.nextActive[:0]
	for h := int32(1); int(h) <= depth && len(active) > 0; h++ {
		if cap(w.next[h]) < k {
			w.next[h] = make([]int32, k)
		}
		hop := w.next[h][:k] // read only where written at this level
		for _, x := range active {
			from := cur[x]
			node := r.Nodes[x]
			lo, hi := c.OutStart[node], c.OutStart[node+1]
			nbr, coef := c.OutTo[lo:hi], pr.down(node, lo, hi) // node's customers, b by edge id
			if upstream {
				lo, hi = c.InStart[node], c.InStart[node+1]
				nbr, coef = c.InFrom[lo:hi], pr.up(node, lo, hi) // node's suppliers, a by in-edge position
			}
			coef = coef[:len(nbr)]
			for i, v := range nbr {
				y := r.Pos(v)
				if coef[i] == 0 || y < 0 {
					continue
				}
				to := &nxt[y]
				if to.mark != h {
					to.mark = h
					nextActive = append(nextActive, y)
				}
				to.sum += coef[i] * from.sum
				if b := coef[i] * from.best; b > to.best {
					to.best, hop[y] = b, x
				}
			}
		}
		for _, x := range active {
			cur[x].sum, cur[x].best = 0, 0
		}
		for _, y := range nextActive {
			t, l := &w.total[y], &nxt[y]
			t.sum += l.sum
			if l.best > t.best {
				t.best, t.hops = l.best, h
			}
		}
		cur, nxt = nxt, cur
		active, nextActive = nextActive, active[:0]
	}
	sc.cur, sc.nxt = cur, nxt
	sc.active, sc.nextActive = active, nextActive
}

// path returns the best walk of the member at position m as firm ids,
// member first.
func (w *walkDP) path(r *graph.Reach, ids []string, m int32) []string {
	path := []string{ids[r.Nodes[m]]}
	for h := w.total[m].hops; h > 0; h-- {
		m = w.next[h][m]
		path = append(path, ids[r.Nodes[m]])
	}
	return path
}

// contributors ranks the members (the leader aside) by contribution.
func (pr *Propagator) contributors(r *graph.Reach, p []float64, topN int, sc *walkScratch) []Contributor {
	ids := pr.snap.IDs
	up, down := &sc.up, &sc.down
	pr.walks(r, r.Options.DepthUp, true, sc, up)
	pr.walks(r, r.Options.DepthDown, false, sc, down)
	type ranked struct {
		k            int32
		contribution float64
	}
	// before orders by contribution, descending, then USCC.
	before := func(a, b ranked) bool {
		if a.contribution != b.contribution {
			return a.contribution > b.contribution
		}
		return ids[r.Nodes[a.k]] < ids[r.Nodes[b.k]]
	}
	// Keep the best topN in a sorted slice: O(members × topN) at worst,
	// O(members) in practice, where sorting a 100,000-firm chain is not.
	var rank []ranked
	for k := 1; k < len(r.Nodes) && topN > 0; k++ { // Nodes[0] is the leader
		c := p[r.Nodes[k]] * (up.total[k].sum + down.total[k].sum)
		if c <= 0 {
			continue
		}
		x := ranked{int32(k), c}
		if len(rank) == topN && !before(x, rank[topN-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(rank, x, func(a, b ranked) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		if len(rank) == topN {
			rank = rank[:topN-1]
		}
		rank = slices.Insert(rank, i, x)
	}
	out := make([]Contributor, len(rank))
	for i, rk := range rank { // paths only for the few listed
		k := rk.k
		v := r.Nodes[k]
		tier, _ := r.Tier(v)
		best := up
		if down.total[k].best > up.total[k].best {
			best = down
		}
		out[i] = Contributor{
			USCC: ids[v], Tier: tier, P: p[v], Weight: up.total[k].sum + down.total[k].sum, Contribution: rk.contribution,
			Path: best.path(r, ids, k), PathWeight: best.total[k].best,
		}
	}
	return out
}

// Contributions returns the contribution of every member of leader's chain within o
// to its risk — P × Weight, the figure TopContributors ranks — by node; the leader
// has none. p must hold a value per firm of the propagator's snapshot.
func (pr *Propagator) Contributions(leader int32, p []float64, o graph.ChainOptions) (map[int32]float64, error) {
	if len(p) != pr.snap.Len() {
		return nil, fmt.Errorf("contributions: %d p values for %d firms", len(p), pr.snap.Len())
	}
	r, err := pr.snap.Reach(leader, o)
	if err != nil {
		return nil, fmt.Errorf("contributions: %w", err)
	}
	defer r.Release()
	sc := new(walkScratch)
	pr.walks(r, o.DepthUp, true, sc, &sc.up)
	pr.walks(r, o.DepthDown, false, sc, &sc.down)
	out := make(map[int32]float64, len(r.Nodes))
	for k := 1; k < len(r.Nodes); k++ { // Nodes[0] is the leader
		v := r.Nodes[k]
		out[v] = p[v] * (sc.up.total[k].sum + sc.down.total[k].sum)
	}
	return out, nil
}
