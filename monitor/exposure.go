package monitor

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrisk/chainrisk/graph"
)

// ExposureParams configure chain exposure (SPEC §5.2). The alphas are the
// Propagator's.
type ExposureParams struct {
	Chain graph.ChainOptions // depths (default up 3, down 1) and paths per member
	TopN  int                // top contributors listed (default 10)
	// A single-source dependency is a relation with purchase_share ≥
	// SingleSourceShare and substitutability ≤ SingleSourceSubstitutability.
	SingleSourceShare            float64 // default 0.5
	SingleSourceSubstitutability float64 // default 0.2
	// KeepChains keeps each Exposure's Chain in Exposures. A scan leaves it off: a
	// province's chains together hold tens of millions of members, and the API
	// extracts the one it serves on demand.
	KeepChains bool
}

// DefaultExposureParams returns SPEC §5.2's defaults.
func DefaultExposureParams() ExposureParams {
	return ExposureParams{
		Chain:                        graph.DefaultChainOptions(),
		TopN:                         10,
		SingleSourceShare:            0.5,
		SingleSourceSubstitutability: 0.2,
	}
}

func (p ExposureParams) validate() error {
	switch {
	case p.TopN < 0:
		return fmt.Errorf("top contributors must be ≥ 0, got %d", p.TopN)
	case !(p.SingleSourceShare >= 0 && p.SingleSourceShare <= 1),
		!(p.SingleSourceSubstitutability >= 0 && p.SingleSourceSubstitutability <= 1):
		return fmt.Errorf("single-source thresholds must be in [0, 1], got share %v substitutability %v",
			p.SingleSourceShare, p.SingleSourceSubstitutability)
	}
	return nil
}

// Exposure is the chain exposure of one leader.
type Exposure struct {
	Leader          string          `json:"leader"`
	ChainRisk       float64         `json:"chain_risk"`     // d_L
	SupplyAtRisk    float64         `json:"supply_at_risk"` // Σ purchase_share_iL·d_i over L's suppliers
	DemandAtRisk    float64         `json:"demand_at_risk"` // Σ sales_share_Lk·d_k over L's customers
	Tiers           []TierGrades    `json:"tiers"`
	TopContributors []Contributor   `json:"top_contributors"`
	Concentration   []Concentration `json:"concentration"`
	// Size is the number of members, the leader included.
	Size int `json:"size"`
	// Chain is the chain the exposure was computed on: members with tiers
	// and paths, relations, and DOT/JSON export (nil from Exposures unless
	// KeepChains). It refers to its snapshot, which stays in memory as long
	// as the exposure does.
	Chain *graph.Chain `json:"-"`
}

// TierGrades counts a tier's members by grade.
type TierGrades struct {
	Tier    int `json:"tier"`
	Members int `json:"members"`
	A       int `json:"A"`
	B       int `json:"B"`
	C       int `json:"C"`
	D       int `json:"D"`
	Unknown int `json:"unknown"`
}

// Contributor is a chain member ranked by its contribution to the leader's
// risk: P × Weight, where Weight sums the products of the coefficients a·Λ
// over the walks from the member to the leader within the depth limits.
type Contributor struct {
	USCC         string   `json:"uscc"`
	Tier         int      `json:"tier"`
	P            float64  `json:"p"`
	Weight       float64  `json:"weight"`
	Contribution float64  `json:"contribution"`
	Path         []string `json:"path"`        // highest-weight walk, member first, leader last
	PathWeight   float64  `json:"path_weight"` // product of the coefficients along Path
}

// Concentration describes how concentrated one firm's purchases are.
type Concentration struct {
	USCC         string         `json:"uscc"`
	Tier         int            `json:"tier"` // 0 for the leader, 1 for its suppliers
	Suppliers    int            `json:"suppliers"`
	HHI          float64        `json:"hhi"` // Σ purchase_share² over its suppliers, on shares as given
	SingleSource []SingleSource `json:"single_source"`
}

// SingleSource is a single-source dependency: a supplier the firm can
// neither do without nor replace.
type SingleSource struct {
	Supplier         string  `json:"supplier"`
	Grade            string  `json:"grade,omitempty"`
	PurchaseShare    float64 `json:"purchase_share"`
	Substitutability float64 `json:"substitutability"`
}

// Exposure computes the chain exposure of leader from p and the network
// distress d (both by node) and the members' grades (by node; nil or
// GradeNone entries count as unknown), with its Chain (members, relations,
// paths) for presentation.
//
// Top contributors. A member m contributes p_m × Σ over walks m ⇝ L of the
// product of coefficients along the walk: suppliers travel along supply
// relations towards L (each hop i → j weighs a_ij = α_up·Λd_ij), customers
// along demand relations (each hop k → j, j supplying k, weighs b_jk =
// α_down·Λu_jk), with at most DepthUp, respectively DepthDown, hops. We sum
// over walks — node repeats allowed, cycles through L included — not over
// simple paths: this is the truncated Neumann series of the linearised
// distress equation, i.e. the first-order sensitivity ∂d_L/∂p_m restricted
// to short chains, and it is computed by a dynamic programme over hop
// counts in O(depth × relations in the chain) — enumerating simple paths is
// exponential on cyclic graphs. A member that is both a supplier and a
// customer within the depths sums both kinds of walks. The reported path is
// the highest-weight walk, shortest first on ties; since every coefficient
// is ≤ 1 it never repeats a firm (removing a cycle cannot lower a product).
func (pr *Propagator) Exposure(leader int32, p, d []float64, grades []Grade, params ExposureParams) (*Exposure, error) {
	if err := pr.checkExposureInputs(p, d, grades, params); err != nil {
		return nil, err
	}
	return pr.exposure(leader, p, d, grades, params, true, new(walkScratch))
}

func (pr *Propagator) checkExposureInputs(p, d []float64, grades []Grade, params ExposureParams) error {
	n := pr.snap.Len()
	if err := params.validate(); err != nil {
		return fmt.Errorf("monitor: exposure: %w", err)
	}
	if len(p) != n || len(d) != n || (grades != nil && len(grades) != n) {
		return fmt.Errorf("monitor: exposure: p, d and grades must have one entry per firm (%d), got %d, %d, %d",
			n, len(p), len(d), len(grades))
	}
	return nil
}

// Exposures computes the exposures of many leaders in parallel (Workers of
// the distress parameters, 0 = GOMAXPROCS), results in leaders' order.
// Without KeepChains no Chain is built: a scan needs the scores, and a
// province's chains together hold tens of millions of members.
func (pr *Propagator) Exposures(ctx context.Context, leaders []int32, p, d []float64, grades []Grade, params ExposureParams) ([]*Exposure, error) {
	if err := pr.checkExposureInputs(p, d, grades, params); err != nil {
		return nil, err
	}
	out := make([]*Exposure, len(leaders))
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := pr.params.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, max(1, min(workers, len(leaders))))
	for w := range errs {
		wg.Go(func() {
			var sc walkScratch // reused across this worker's leaders
			for {
				k := int(next.Add(1) - 1)
				if k >= len(leaders) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = fmt.Errorf("monitor: exposure: %w", err)
					return
				}
				x, err := pr.exposure(leaders[k], p, d, grades, params, params.KeepChains, &sc)
				if err != nil {
					errs[w] = err
					next.Store(int64(len(leaders))) // stop the others
					return
				}
				out[k] = x
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func gradeOf(grades []Grade, v int32) Grade {
	if grades == nil {
		return GradeNone
	}
	return grades[v]
}

// exposure scores leader's chain from its membership (graph.Reach) and the
// CSR; it materialises the graph.Chain only when keepChain.
func (pr *Propagator) exposure(leader int32, p, d []float64, grades []Grade, params ExposureParams, keepChain bool, sc *walkScratch) (*Exposure, error) {
	s := pr.snap
	c := &pr.csr
	o := params.Chain
	r, err := s.Reach(leader, o)
	if err != nil {
		return nil, fmt.Errorf("monitor: exposure: %w", err)
	}
	defer r.Release()
	x := &Exposure{Leader: s.IDs[leader], Size: len(r.Nodes)}
	x.ChainRisk, x.SupplyAtRisk, x.DemandAtRisk = pr.distressFigures(leader, d)

	// Grade counts per tier, in the order of Chain.Members: 0, 1, …,
	// DepthUp, then −1, −2, …
	tiers := make([]TierGrades, o.DepthUp+o.DepthDown+1)
	for i := range tiers {
		tiers[i].Tier = i
		if i > o.DepthUp {
			tiers[i].Tier = o.DepthUp - i
		}
	}
	var tier1 []int32
	for _, v := range r.Nodes {
		tier, _ := r.Tier(v)
		i := tier
		if tier < 0 {
			i = o.DepthUp - tier
		}
		if tier == 1 {
			tier1 = append(tier1, v)
		}
		t := &tiers[i]
		t.Members++
		switch gradeOf(grades, v) {
		case GradeA:
			t.A++
		case GradeB:
			t.B++
		case GradeC:
			t.C++
		case GradeD:
			t.D++
		default:
			t.Unknown++
		}
	}
	for _, t := range tiers {
		if t.Members > 0 {
			x.Tiers = append(x.Tiers, t)
		}
	}

	x.TopContributors = pr.contributors(r, p, params.TopN, sc)

	// Concentration of the leader and of each tier-1 supplier (by index).
	slices.Sort(tier1)
	for _, v := range slices.Concat([]int32{leader}, tier1) {
		con := Concentration{USCC: s.IDs[v], SingleSource: []SingleSource{}}
		if v != leader {
			con.Tier = 1
		}
		for q := c.InStart[v]; q < c.InStart[v+1]; q++ {
			e := c.InEdge[q]
			ps, sub := c.PurchaseShare[e], c.Substitutability[e]
			con.Suppliers++
			con.HHI += ps * ps
			if ps >= params.SingleSourceShare && sub <= params.SingleSourceSubstitutability {
				i := c.InFrom[q]
				con.SingleSource = append(con.SingleSource, SingleSource{
					Supplier: s.IDs[i], Grade: gradeOf(grades, i).String(), PurchaseShare: ps, Substitutability: sub,
				})
			}
		}
		slices.SortFunc(con.SingleSource, func(a, b SingleSource) int {
			return cmp.Or(cmp.Compare(b.PurchaseShare, a.PurchaseShare), cmp.Compare(a.Supplier, b.Supplier))
		})
		x.Concentration = append(x.Concentration, con)
	}

	if keepChain {
		if x.Chain, err = s.Chain(leader, o); err != nil {
			return nil, fmt.Errorf("monitor: exposure: %w", err)
		}
	}
	return x, nil
}

// distressFigures returns leader's chain_risk, supply_at_risk and demand_at_risk:
// the only figures of an exposure that depend on d (the rest depend on the graph,
// p and grades).
func (pr *Propagator) distressFigures(leader int32, d []float64) (chainRisk, supply, demand float64) {
	c := &pr.csr
	for q := c.InStart[leader]; q < c.InStart[leader+1]; q++ {
		supply += c.PurchaseShare[c.InEdge[q]] * d[c.InFrom[q]]
	}
	for e := c.OutStart[leader]; e < c.OutStart[leader+1]; e++ {
		demand += c.SalesShare[e] * d[c.OutTo[e]]
	}
	return d[leader], supply, demand
}

// withDistress returns x with its distress figures recomputed from d, or x itself
// when they did not change.
func (pr *Propagator) withDistress(x *Exposure, leader int32, d []float64) *Exposure {
	cr, supply, demand := pr.distressFigures(leader, d)
	if cr == x.ChainRisk && supply == x.SupplyAtRisk && demand == x.DemandAtRisk {
		return x
	}
	y := *x // the rest is shared: exposures are not modified once published
	y.ChainRisk, y.SupplyAtRisk, y.DemandAtRisk = cr, supply, demand
	return &y
}

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
			nbr, coef := c.OutTo[lo:hi], pr.down[lo:hi] // node's customers, b by edge id
			if upstream {
				lo, hi = c.InStart[node], c.InStart[node+1]
				nbr, coef = c.InFrom[lo:hi], pr.up[lo:hi] // node's suppliers, a by in-edge position
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

// memberWalks holds the walks from one firm m to the leaders whose chains hold it:
// the walk DP of contributors run from m instead of from each leader. When only a
// few firms' p or grade changed, it updates every chain holding them (patch) at the
// cost of m's neighbourhood rather than of the chains, which at province scale hold
// tens of thousands of firms each and number in the hundreds per firm.
type memberWalks struct {
	m int32
	// levels[kind][h] are the firms m reaches in h hops: kind 0 along supply
	// relations (towards the firms m supplies: m a supplier-side member), kind 1
	// against them (m a customer-side member).
	levels [2][]walkFront
	at     map[int32]*memberPlace // by leader
}

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

// memberWalks finds m's places in the chains of the leading firms (leading(v)).
func (pr *Propagator) memberWalks(m int32, o graph.ChainOptions, leading func(int32) bool) *memberWalks {
	c := &pr.csr
	mw := &memberWalks{m: m, at: map[int32]*memberPlace{}}
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
						step(c.InFrom[q], pr.down[c.InEdge[q]])
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
func (mw *memberWalks) path(leader int32, ids []string) []string {
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

// patch returns leader's exposure x updated for the firms of walks, whose p or grade
// changed from prevGrades to grades on an unchanged graph: grade counts, single-source
// grades and top contributors. It returns x itself when nothing changed, and false
// when a listed contributor fell in a full list (the next one is unknown: recompute).
// The distress figures are left to withDistress.
func (pr *Propagator) patch(x *Exposure, leader int32, walks []*memberWalks, p []float64, prevGrades, grades []Grade,
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
