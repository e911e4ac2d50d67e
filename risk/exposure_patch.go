package risk

import (
	"cmp"
	"iter"
	"maps"
	"slices"

	"github.com/chainrisk/chainrisk/graph"
)

// WithDistress returns x, leader's exposure on pr's graph for other distress
// figures, with them recomputed from d, or x itself when they did not change. The
// rest of an exposure depends on the graph, p and grades only: an incremental scan
// refreshes the chains around which only d moved this way.
func (pr *Propagator) WithDistress(x *Exposure, leader int32, d []float64) *Exposure {
	cr, supply, demand := pr.distressFigures(leader, d)
	if cr == x.ChainRisk && supply == x.SupplyAtRisk && demand == x.DemandAtRisk {
		return x
	}
	y := *x // the rest is shared: exposures are not modified once published
	y.ChainRisk, y.SupplyAtRisk, y.DemandAtRisk = cr, supply, demand
	return &y
}

// MemberWalks holds the walks from one firm m to the leaders whose chains hold it:
// the walk DP of contributors run from m instead of from each leader. When only a
// few firms' p or grade changed, it updates every chain holding them (patch) at the
// cost of m's neighbourhood rather than of the chains, which at province scale hold
// tens of thousands of firms each and number in the hundreds per firm.
type MemberWalks struct {
	m int32
	// levels[kind][h] are the firms m reaches in h hops: kind 0 along supply
	// relations (towards the firms m supplies: m a supplier-side member), kind 1
	// against them (m a customer-side member).
	levels [2][]walkFront
	at     map[int32]*memberPlace // by leader
}

// Leaders returns the leaders whose chains hold m: those whose exposure Patch
// may change.
func (mw *MemberWalks) Leaders() iter.Seq[int32] { return maps.Keys(mw.at) }

// walkFront is one hop count's firms, in discovery order, with their walk state.
type walkFront struct {
	nodes []int32
	pos   map[int32]int32
	steps []walkStep
}

type walkStep struct {
	sum, best float64 // over the walks from m of this many hops
	prev      int32   // the firm before on the best walk
}

// memberPlace is m's place in one leader's chain.
type memberPlace struct {
	tier       int
	up, down   float64 // walk sums of either kind
	best       float64 // best walk product
	kind, hops int     // of the best walk
}

// MemberWalks finds m's places in the chains (within o's depths) of the leading
// firms (leading(v)), for Patch.
func (pr *Propagator) MemberWalks(m int32, o graph.ChainOptions, leading func(int32) bool) *MemberWalks {
	c := &pr.csr
	mw := &MemberWalks{m: m, at: map[int32]*memberPlace{}}
	dist := [2]map[int32]int{{m: 0}, {m: 0}}
	for kind, depth := range [2]int{o.DepthUp, o.DepthDown} {
		cur := walkFront{nodes: []int32{m}, pos: map[int32]int32{m: 0}, steps: []walkStep{{sum: 1, best: 1, prev: -1}}}
		mw.levels[kind] = []walkFront{cur}
		for h := 1; h <= depth; h++ {
			next := walkFront{pos: map[int32]int32{}}
			for i, x := range cur.nodes {
				from := cur.steps[i]
				step := func(y int32, coef float64) {
					k, ok := next.pos[y]
					if !ok {
						k = int32(len(next.nodes))
						next.pos[y] = k
						next.nodes = append(next.nodes, y)
						next.steps = append(next.steps, walkStep{prev: -1})
					}
					to := &next.steps[k]
					to.sum += coef * from.sum
					if b := coef * from.best; b > to.best {
						to.best, to.prev = b, x
					}
				}
				if kind == 0 { // x supplies y
					for e := c.OutStart[x]; e < c.OutStart[x+1]; e++ {
						step(c.OutTo[e], pr.upCoef(e))
					}
				} else { // y supplies x
					for q := c.InStart[x]; q < c.InStart[x+1]; q++ {
						step(c.InFrom[q], pr.down(c.InFrom[q], c.InEdge[q], c.InEdge[q]+1)[0])
					}
				}
			}
			for i, y := range next.nodes {
				if _, seen := dist[kind][y]; !seen {
					dist[kind][y] = h
				}
				if !leading(y) || y == m {
					continue
				}
				pl := mw.at[y]
				if pl == nil {
					pl = &memberPlace{}
					mw.at[y] = pl
				}
				st := next.steps[i]
				if kind == 0 {
					pl.up += st.sum
				} else {
					pl.down += st.sum
				}
				// The shortest of the best walks, the upstream kind on ties, as in
				// contributors.
				if st.best > pl.best {
					pl.best, pl.kind, pl.hops = st.best, kind, h
				}
			}
			mw.levels[kind] = append(mw.levels[kind], next)
			cur = next
		}
	}
	for l, pl := range mw.at {
		if h, ok := dist[0][l]; ok {
			pl.tier = h
		} else {
			pl.tier = -dist[1][l]
		}
	}
	return mw
}

// path returns m's best walk to leader as firm ids, m first.
func (mw *MemberWalks) path(leader int32, ids []string) []string {
	pl := mw.at[leader]
	if pl.hops == 0 {
		return []string{ids[mw.m]}
	}
	levels := mw.levels[pl.kind]
	out := make([]string, pl.hops+1)
	v := leader
	for h := pl.hops; h >= 0; h-- {
		out[h] = ids[v]
		if h > 0 {
			v = levels[h].steps[levels[h].pos[v]].prev
		}
	}
	return out
}

// Patch returns leader's exposure x updated for the firms of walks, whose p or grade
// changed from prevGrades to grades on an unchanged graph: grade counts, single-source
// grades and top contributors. It returns x itself when nothing changed, and false
// when a listed contributor fell in a full list (the next one is unknown: recompute).
// The distress figures are left to WithDistress.
func (pr *Propagator) Patch(x *Exposure, leader int32, walks []*MemberWalks, p []float64, prevGrades, grades []Grade,
	topN int) (*Exposure, bool) {
	ids := pr.snap.IDs
	var y *Exposure
	edit := func() *Exposure {
		if y == nil {
			cp := *x
			cp.Tiers, cp.TopContributors = slices.Clone(x.Tiers), slices.Clone(x.TopContributors)
			cp.Concentration = slices.Clone(x.Concentration)
			y = &cp
		}
		return y
	}
	top := func() []Contributor {
		if y != nil {
			return y.TopContributors
		}
		return x.TopContributors
	}
	for _, mw := range walks {
		pl, ok := mw.at[leader]
		if !ok {
			continue
		}
		m, id := mw.m, ids[mw.m]
		if g0, g1 := gradeOf(prevGrades, m), gradeOf(grades, m); g0 != g1 {
			e := edit()
			i := slices.IndexFunc(e.Tiers, func(t TierGrades) bool { return t.Tier == pl.tier })
			if i < 0 {
				return nil, false
			}
			e.Tiers[i].count(g0, -1)
			e.Tiers[i].count(g1, 1)
			for j := range e.Concentration {
				con := &e.Concentration[j]
				if k := slices.IndexFunc(con.SingleSource, func(s SingleSource) bool { return s.Supplier == id }); k >= 0 {
					con.SingleSource = slices.Clone(con.SingleSource) // a supplier is listed once per firm
					con.SingleSource[k].Grade = g1.String()
				}
			}
		}
		if topN == 0 {
			continue
		}
		list := top()
		full := len(list) == topN
		i := slices.IndexFunc(list, func(c Contributor) bool { return c.USCC == id })
		switch {
		case i >= 0:
			c := p[m] * list[i].Weight
			if c == list[i].Contribution && p[m] == list[i].P {
				continue
			}
			if c < list[i].Contribution && full {
				return nil, false
			}
			e := edit()
			if c <= 0 {
				e.TopContributors = slices.Delete(e.TopContributors, i, i+1)
				continue
			}
			e.TopContributors[i].P, e.TopContributors[i].Contribution = p[m], c
		default:
			c := p[m] * (pl.up + pl.down)
			nc := Contributor{USCC: id, Tier: pl.tier, P: p[m], Weight: pl.up + pl.down, Contribution: c}
			if c <= 0 || (full && contributorOrder(nc, list[topN-1]) > 0) {
				continue
			}
			nc.Path, nc.PathWeight = mw.path(leader, ids), pl.best
			e := edit()
			e.TopContributors = append(e.TopContributors, nc)
		}
		slices.SortFunc(y.TopContributors, contributorOrder)
		if len(y.TopContributors) > topN {
			y.TopContributors = y.TopContributors[:topN]
		}
	}
	if y == nil {
		return x, true
	}
	return y, true
}

// contributorOrder ranks contributors as contributors does: by contribution,
// descending, then by USCC.
func contributorOrder(a, b Contributor) int {
	return cmp.Or(cmp.Compare(b.Contribution, a.Contribution), cmp.Compare(a.USCC, b.USCC))
}

// count adds n to the count of grade g.
func (t *TierGrades) count(g Grade, n int) {
	switch g {
	case GradeA:
		t.A += n
	case GradeB:
		t.B += n
	case GradeC:
		t.C += n
	case GradeD:
		t.D += n
	default:
		t.Unknown += n
	}
}
