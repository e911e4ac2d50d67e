package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/graph"
)

// ChainESRI is the systemic importance (docs/models.md) of the members of one firm's
// chain. It is also the document the esri job stores per leader (its JSON form).
type ChainESRI struct {
	Leader string `json:"leader"`
	// Firms and Relations size the subgraph the cascade ran on: the chain plus one hop.
	Firms     int `json:"firms"`
	Relations int `json:"relations"`
	// DerivedAmounts counts relations without an amount whose W was derived from
	// shares; DroppedRelations those with neither amount nor shares, left out.
	DerivedAmounts   int     `json:"derived_amounts"`
	DroppedRelations int     `json:"dropped_relations"`
	Eps              float64 `json:"eps"`
	MaxSteps         int     `json:"max_steps"` // 0: no bound
	// NotConverged counts the members whose cascade stopped at MaxSteps.
	NotConverged int `json:"not_converged"`
	// Members are the chain's members by ESRI, highest first (then USCC).
	Members []ChainESRIMember `json:"members"`
}

// ChainESRIMember is one member's result. Node is its index in the snapshot the
// result was computed on; a decoded document has -1 there.
type ChainESRIMember struct {
	Node int32 `json:"-"`
	Tier int   `json:"tier"`
	ESRIResult
}

// Max is the highest member ESRI (0 for a chain without members).
func (c *ChainESRI) Max() float64 {
	if len(c.Members) == 0 {
		return 0
	}
	return c.Members[0].ESRI
}

// DecodeChainESRI reads a stored chain ESRI document.
func DecodeChainESRI(detail []byte) (*ChainESRI, error) {
	var c ChainESRI
	if err := json.Unmarshal(detail, &c); err != nil {
		return nil, fmt.Errorf("esri: stored document: %w", err)
	}
	for i := range c.Members {
		c.Members[i].Node = -1
	}
	return &c, nil
}

// UnknownSector is the sector of a firm without an industry code.
const UnknownSector = "unknown"

// ESRIParams configure the chain ESRI the esri job and the API compute (docs/models.md).
type ESRIParams struct {
	Eps      float64 // convergence threshold, in (0, 1); 0 means DefaultESRIEps
	MaxSteps int     // update steps after which a cascade stops unconverged; 0: no bound
	// SectorDigits leading characters of a firm's GB/T 4754 industry code make its
	// sector: 3 means the letter and two digits ("C13").
	SectorDigits int
	// Ess gives the essentiality of a supplying sector to a buying one; pairs not
	// listed take EssDefault.
	Ess        map[SectorPair]Essentiality
	EssDefault Essentiality
}

// SectorPair is a supplying and a buying sector.
type SectorPair struct{ Supplier, Customer string }

// DefaultESRIParams returns docs/models.md's defaults: eps 1e-2, no step bound, sectors
// of three characters, every input linear.
func DefaultESRIParams() ESRIParams {
	return ESRIParams{Eps: DefaultESRIEps, SectorDigits: 3, EssDefault: EssLinear}
}

// Sector returns the sector of a firm with the given industry code ("" when unknown).
func (p ESRIParams) Sector(industry string) string {
	if len(industry) <= p.SectorDigits {
		return industry
	}
	return industry[:p.SectorDigits]
}

// Essentiality returns the essentiality of supplying sector k to buying sector l.
func (p ESRIParams) Essentiality(k, l string) Essentiality {
	if e, ok := p.Ess[SectorPair{k, l}]; ok {
		return e
	}
	return p.EssDefault
}

// NewChainESRI computes the ESRI of the members of leader's chain (within the
// depths of chain) on the chain subgraph plus one hop: every member, every firm
// that supplies or buys from a member, and every relation among them. The ring of
// neighbours lets a member's failure hit its outside suppliers and customers, and
// lets their loss count in the network's output, without the cost of the whole graph.
//
// Inputs, from the snapshot, the firms' data and the parameters:
//   - W_ij is the relation's amount when given. Otherwise it is derived from shares:
//     sales_share_ij × revenue_i (the supplier's sales to j) when the sales share is
//     reported, else purchase_share_ij × revenue_j (the customer's revenue standing in
//     for its purchases). A firm whose revenue is unknown takes the median of the
//     subgraph's known revenues (1 when none is known, which leaves the amounts in
//     revenue units: ESRI only uses ratios). A relation with neither amount nor share
//     is left out.
//   - Sectors are ESRIParams.Sector(industry) (UnknownSector without one);
//     essentiality comes from the parameters' matrix and default.
//   - Revenue_i is passed where known and at least i's out-strength in the subgraph,
//     so Λu reflects that a neighbour sells mostly outside it; costs are not known.
func NewChainESRI(ctx context.Context, snap *graph.Snapshot, firms FirmData, leader int32, chain graph.ChainOptions,
	p ESRIParams) (*ChainESRI, error) {
	ch, err := snap.Chain(leader, graph.ChainOptions{DepthUp: chain.DepthUp, DepthDown: chain.DepthDown})
	if err != nil {
		return nil, fmt.Errorf("esri: %w", err)
	}
	sub := chainSubgraph(snap, firms, ch)
	out := &ChainESRI{Leader: snap.IDs[leader], Firms: len(sub.nodes), Eps: p.Eps, MaxSteps: p.MaxSteps}
	if out.Eps == 0 {
		out.Eps = DefaultESRIEps
	}
	edges, sOut := sub.edges(out)
	out.Relations = len(edges)
	members := make([]ChainESRIMember, len(ch.Members))
	for k, m := range ch.Members {
		members[k] = ChainESRIMember{Node: m.Node, Tier: m.Tier, ESRIResult: ESRIResult{Firm: m.ID, Converged: true}}
	}
	out.Members = members
	if len(edges) == 0 { // nothing flows: no firm's failure costs any output
		sortESRIMembers(members)
		return out, nil
	}
	m, err := sub.model(edges, sOut, p)
	if err != nil {
		return nil, err
	}
	scratch := newESRIScratch(m)
	for k := range members {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("esri: %w", err)
		}
		r, err := m.run(ctx, k, scratch) // members are the first nodes of the subgraph
		if err != nil {
			return nil, err
		}
		members[k].ESRIResult = r
		if !r.Converged {
			out.NotConverged++
		}
	}
	sortESRIMembers(members)
	return out, nil
}

// subgraph is a chain plus one hop: nodes are snapshot indices, the chain's
// members first (in chain order), then their neighbours by index.
type subgraph struct {
	snap    *graph.Snapshot
	firms   FirmData
	nodes   []int32
	local   map[int32]int // snapshot index → position in nodes
	typical float64       // the revenue of a firm whose revenue is unknown
}

func chainSubgraph(snap *graph.Snapshot, firms FirmData, ch *graph.Chain) *subgraph {
	c := snap.CSR()
	sub := &subgraph{snap: snap, firms: firms, local: make(map[int32]int, 2*len(ch.Members))}
	add := func(v int32) {
		if _, ok := sub.local[v]; !ok {
			sub.local[v] = len(sub.nodes)
			sub.nodes = append(sub.nodes, v)
		}
	}
	for _, m := range ch.Members {
		add(m.Node)
	}
	var ring []int32
	for _, m := range ch.Members {
		ring = append(ring, c.OutTo[c.OutStart[m.Node]:c.OutStart[m.Node+1]]...)
		ring = append(ring, c.InFrom[c.InStart[m.Node]:c.InStart[m.Node+1]]...)
	}
	slices.Sort(ring)
	for _, v := range ring {
		add(v)
	}
	var known []float64
	for _, v := range sub.nodes {
		if r := firms.Revenue(v); r > 0 {
			known = append(known, r)
		}
	}
	sub.typical = typicalRevenue(known)
	return sub
}

func (sub *subgraph) revenue(v int32) float64 {
	if r := sub.firms.Revenue(v); r > 0 {
		return r
	}
	return sub.typical
}

// edges returns the relations among the subgraph's firms with their amounts W
// (given or derived), counting derived and dropped ones in out, and each firm's
// out-strength by position.
func (sub *subgraph) edges(out *ChainESRI) ([]graph.Edge, []float64) {
	c := sub.snap.CSR()
	ids := sub.snap.IDs
	var edges []graph.Edge
	sOut := make([]float64, len(sub.nodes))
	for k, u := range sub.nodes {
		for e := c.OutStart[u]; e < c.OutStart[u+1]; e++ {
			w := c.OutTo[e]
			if _, ok := sub.local[w]; !ok {
				continue
			}
			amount := c.Amount[e]
			if !(amount > 0) {
				switch {
				case c.SalesShare[e] > 0:
					amount = c.SalesShare[e] * sub.revenue(u)
				case c.PurchaseShare[e] > 0:
					amount = c.PurchaseShare[e] * sub.revenue(w)
				default:
					out.DroppedRelations++
					continue
				}
				out.DerivedAmounts++
			}
			edges = append(edges, graph.Edge{From: ids[u], To: ids[w], Weight: amount})
			sOut[k] += amount
		}
	}
	return edges, sOut
}

// model builds the cascade of the subgraph's network.
func (sub *subgraph) model(edges []graph.Edge, sOut []float64, p ESRIParams) (*esriModel, error) {
	ids := make([]string, len(sub.nodes))
	sectors := make([]string, len(sub.nodes))
	rev := make([]float64, len(sub.nodes))
	for k, v := range sub.nodes {
		ids[k] = sub.snap.IDs[v]
		sectors[k] = p.Sector(sub.firms.Industry(v))
		if sectors[k] == "" {
			sectors[k] = UnknownSector
		}
		rev[k] = math.NaN()
		if r := sub.firms.Revenue(v); r > 0 && r >= sOut[k] {
			rev[k] = r
		}
	}
	net, err := graph.NewNetwork(ids, edges)
	if err != nil {
		return nil, fmt.Errorf("esri: %w", err)
	}
	return newESRIModel(ESRIInput{
		Network: net, Sectors: sectors, Revenue: rev, Eps: p.Eps, MaxSteps: p.MaxSteps, Ess: p.Essentiality,
	})
}

func sortESRIMembers(ms []ChainESRIMember) {
	slices.SortFunc(ms, func(a, b ChainESRIMember) int {
		switch {
		case a.ESRI > b.ESRI:
			return -1
		case a.ESRI < b.ESRI:
			return 1
		}
		return strings.Compare(a.Firm, b.Firm)
	})
}
