package risk

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

// ExposureParams configure chain exposure (docs/models.md). The alphas are the
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

// DefaultExposureParams returns docs/models.md's defaults.
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
		return fmt.Errorf("exposure: %w", err)
	}
	if len(p) != n || len(d) != n || (grades != nil && len(grades) != n) {
		return fmt.Errorf("exposure: p, d and grades must have one entry per firm (%d), got %d, %d, %d",
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
					errs[w] = fmt.Errorf("exposure: %w", err)
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
		return nil, fmt.Errorf("exposure: %w", err)
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
		tiers[i].Members++
		tiers[i].count(gradeOf(grades, v), 1)
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
			return nil, fmt.Errorf("exposure: %w", err)
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
