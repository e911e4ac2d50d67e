package monitor

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
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
// GradeNone entries count as unknown).
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
	return pr.exposure(leader, p, d, grades, params)
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
			for {
				k := int(next.Add(1) - 1)
				if k >= len(leaders) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = fmt.Errorf("monitor: exposure: %w", err)
					return
				}
				x, err := pr.exposure(leaders[k], p, d, grades, params)
				if err != nil {
					errs[w] = err
					next.Store(int64(len(leaders))) // stop the others
					return
				}
				if !params.KeepChains {
					x.Chain = nil
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

func (pr *Propagator) exposure(leader int32, p, d []float64, grades []Grade, params ExposureParams) (*Exposure, error) {
	s := pr.snap
	c := &pr.csr
	ch, err := s.Chain(leader, params.Chain)
	if err != nil {
		return nil, fmt.Errorf("monitor: exposure: %w", err)
	}
	x := &Exposure{Leader: s.IDs[leader], ChainRisk: d[leader], Chain: ch, Size: len(ch.Members)}
	for q := c.InStart[leader]; q < c.InStart[leader+1]; q++ {
		x.SupplyAtRisk += c.PurchaseShare[c.InEdge[q]] * d[c.InFrom[q]]
	}
	for e := c.OutStart[leader]; e < c.OutStart[leader+1]; e++ {
		x.DemandAtRisk += c.SalesShare[e] * d[c.OutTo[e]]
	}

	// Grade counts per tier; Members are ordered by tier already.
	for _, m := range ch.Members {
		if len(x.Tiers) == 0 || x.Tiers[len(x.Tiers)-1].Tier != m.Tier {
			x.Tiers = append(x.Tiers, TierGrades{Tier: m.Tier})
		}
		t := &x.Tiers[len(x.Tiers)-1]
		t.Members++
		switch gradeOf(grades, m.Node) {
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

	x.TopContributors = pr.contributors(ch, p, params.TopN)

	// Concentration of the leader and of each tier-1 supplier.
	for _, m := range ch.Members {
		if m.Tier > 1 {
			break
		}
		if m.Tier < 0 {
			continue
		}
		con := Concentration{USCC: m.ID, Tier: m.Tier, SingleSource: []SingleSource{}}
		for q := c.InStart[m.Node]; q < c.InStart[m.Node+1]; q++ {
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
	return x, nil
}

// walkDP holds, per hop count h, the sum and the best product over walks of
// h hops from each chain member to the leader, and the next hop of the best
// one. Indices are positions in the chain's Members.
type walkDP struct {
	sum      []float64 // Σ_h sum of products
	best     []float64 // best product over all h
	bestHops []int     // hop count of the best walk
	next     [][]int32 // next[h][m]: next member on the best h-hop walk
}

// walks runs the DP over depth hops along the chain's links (every walk of
// at most depth hops to the leader stays among the members); upstream walks
// follow supply relations towards the leader with coefficients a,
// downstream ones demand relations with coefficients b.
func (pr *Propagator) walks(ch *graph.Chain, depth int, upstream bool) walkDP {
	k := len(ch.Members)
	w := walkDP{sum: make([]float64, k), best: make([]float64, k), bestHops: make([]int, k), next: make([][]int32, depth+1)}
	cur, curBest := make([]float64, k), make([]float64, k)
	nxt, nxtBest := make([]float64, k), make([]float64, k)
	lead, _ := ch.Position(ch.Leader)
	cur[lead], curBest[lead] = 1, 1
	active := []int32{int32(lead)}
	var nextActive []int32
	touched := make([]int, k) // the level that last reached a member
	for h := 1; h <= depth && len(active) > 0; h++ {
		hop := make([]int32, k)
		for _, x := range active {
			links := ch.LinksFrom(int(x)) // x supplies y: b = α_down·Λu
			if upstream {
				links = ch.LinksTo(int(x)) // y supplies x: a = α_up·Λd
			}
			for _, li := range links {
				l := &ch.Links[li]
				y, coef := l.To, pr.down[l.Edge]
				if upstream {
					y, coef = l.From, pr.upCoef(l.Edge)
				}
				if coef == 0 {
					continue
				}
				if touched[y] != h {
					touched[y] = h
					nextActive = append(nextActive, y)
				}
				nxt[y] += coef * cur[x]
				if b := coef * curBest[x]; b > nxtBest[y] {
					nxtBest[y], hop[y] = b, x
				}
			}
		}
		w.next[h] = hop
		for _, x := range active {
			cur[x], curBest[x] = 0, 0
		}
		for _, y := range nextActive {
			w.sum[y] += nxt[y]
			if nxtBest[y] > w.best[y] {
				w.best[y], w.bestHops[y] = nxtBest[y], h
			}
		}
		cur, nxt = nxt, cur
		curBest, nxtBest = nxtBest, curBest
		active, nextActive = nextActive, active[:0]
	}
	return w
}

// path returns the best walk of member m as firm ids, member first.
func (w *walkDP) path(ch *graph.Chain, m int) []string {
	ids := []string{ch.Members[m].ID}
	for h := w.bestHops[m]; h > 0; h-- {
		m = int(w.next[h][m])
		ids = append(ids, ch.Members[m].ID)
	}
	return ids
}

// contributors ranks the members (the leader aside) by contribution.
func (pr *Propagator) contributors(ch *graph.Chain, p []float64, topN int) []Contributor {
	up := pr.walks(ch, ch.Options.DepthUp, true)
	down := pr.walks(ch, ch.Options.DepthDown, false)
	type ranked struct {
		k            int
		contribution float64
	}
	var rank []ranked
	for k, m := range ch.Members {
		if c := p[m.Node] * (up.sum[k] + down.sum[k]); m.Node != ch.Leader && c > 0 {
			rank = append(rank, ranked{k, c})
		}
	}
	slices.SortFunc(rank, func(a, b ranked) int { // contributions are finite
		switch {
		case a.contribution > b.contribution:
			return -1
		case a.contribution < b.contribution:
			return 1
		}
		return strings.Compare(ch.Members[a.k].ID, ch.Members[b.k].ID)
	})
	out := make([]Contributor, min(topN, len(rank)))
	for i := range out { // paths only for the few listed
		k := rank[i].k
		m := &ch.Members[k]
		best := &up
		if down.best[k] > up.best[k] {
			best = &down
		}
		out[i] = Contributor{
			USCC: m.ID, Tier: m.Tier, P: p[m.Node], Weight: up.sum[k] + down.sum[k], Contribution: rank[i].contribution,
			Path: best.path(ch, k), PathWeight: best.best[k],
		}
	}
	return out
}
