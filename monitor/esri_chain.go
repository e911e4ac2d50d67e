package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/graph"
)

// ChainESRI is the systemic importance (SPEC §5.4) of the members of one firm's
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

// ChainESRIMember is one member's result. Node is its index in the State the
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

// NewChainESRI computes the ESRI of the members of leader's chain (with the depths
// the state's scan used) on the chain subgraph plus one hop: every member, every firm
// that supplies or buys from a member, and every relation among them. The ring of
// neighbours lets a member's failure hit its outside suppliers and customers, and
// lets their loss count in the network's output, without the cost of the whole graph.
//
// Inputs, from the state and the ESRI config:
//   - W_ij is the relation's amount when given. Otherwise it is derived from shares:
//     sales_share_ij × revenue_i (the supplier's sales to j) when the sales share is
//     reported, else purchase_share_ij × revenue_j (the customer's revenue standing in
//     for its purchases). A firm whose revenue is unknown takes the median of the
//     subgraph's known revenues (1 when none is known, which leaves the amounts in
//     revenue units: ESRI only uses ratios). A relation with neither amount nor share
//     is left out.
//   - Sectors are config.ESRIConfig.Sector(industry) (UnknownSector without one);
//     essentiality comes from the config's matrix and default.
//   - Revenue_i is passed where known and at least i's out-strength in the subgraph,
//     so Λu reflects that a neighbour sells mostly outside it; costs are not known.
func NewChainESRI(ctx context.Context, s *State, leader int32, ec config.ESRIConfig) (*ChainESRI, error) {
	opts := s.Params.Exposure.Chain
	ch, err := s.Snap.Chain(leader, graph.ChainOptions{DepthUp: opts.DepthUp, DepthDown: opts.DepthDown})
	if err != nil {
		return nil, fmt.Errorf("esri: %w", err)
	}
	snap := s.Snap
	c := snap.CSR()
	// Subgraph nodes: members in chain order, then their neighbours by index.
	local := make(map[int32]int, 2*len(ch.Members))
	var nodes []int32
	add := func(v int32) {
		if _, ok := local[v]; !ok {
			local[v] = len(nodes)
			nodes = append(nodes, v)
		}
	}
	for _, m := range ch.Members {
		add(m.Node)
	}
	var ring []int32
	for _, m := range ch.Members {
		for e := c.OutStart[m.Node]; e < c.OutStart[m.Node+1]; e++ {
			ring = append(ring, c.OutTo[e])
		}
		for q := c.InStart[m.Node]; q < c.InStart[m.Node+1]; q++ {
			ring = append(ring, c.InFrom[q])
		}
	}
	slices.Sort(ring)
	for _, v := range ring {
		add(v)
	}

	var known []float64
	for _, v := range nodes {
		if r := s.Firms[v].Revenue; r > 0 {
			known = append(known, r)
		}
	}
	typical := typicalRevenue(known)
	revenue := func(v int32) float64 {
		if r := s.Firms[v].Revenue; r > 0 {
			return r
		}
		return typical
	}

	out := &ChainESRI{Leader: snap.IDs[leader], Firms: len(nodes), Eps: ec.Eps, MaxSteps: ec.MaxSteps}
	if out.Eps == 0 {
		out.Eps = DefaultESRIEps
	}
	ids := make([]string, len(nodes))
	sectors := make([]string, len(nodes))
	for k, v := range nodes {
		ids[k] = snap.IDs[v]
		sectors[k] = ec.Sector(s.Firms[v].Industry)
		if sectors[k] == "" {
			sectors[k] = UnknownSector
		}
	}
	var edges []graph.Edge
	sOut := make([]float64, len(nodes))
	for k, u := range nodes {
		for e := c.OutStart[u]; e < c.OutStart[u+1]; e++ {
			w := c.OutTo[e]
			if _, ok := local[w]; !ok {
				continue
			}
			amount := c.Amount[e]
			if !(amount > 0) {
				switch {
				case c.SalesShare[e] > 0:
					amount = c.SalesShare[e] * revenue(u)
				case c.PurchaseShare[e] > 0:
					amount = c.PurchaseShare[e] * revenue(w)
				default:
					out.DroppedRelations++
					continue
				}
				out.DerivedAmounts++
			}
			edges = append(edges, graph.Edge{From: ids[k], To: snap.IDs[w], Weight: amount})
			sOut[k] += amount
		}
	}
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
	rev := make([]float64, len(nodes))
	for k, v := range nodes {
		rev[k] = math.NaN()
		if r := s.Firms[v].Revenue; r > 0 && r >= sOut[k] {
			rev[k] = r
		}
	}
	net, err := graph.NewNetwork(ids, edges)
	if err != nil {
		return nil, fmt.Errorf("esri: %w", err)
	}
	m, err := newESRIModel(ESRIInput{
		Network: net, Sectors: sectors, Revenue: rev, Eps: ec.Eps, MaxSteps: ec.MaxSteps,
		Ess: func(k, l string) Essentiality { return Essentiality(ec.Ess(k, l)) },
	})
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

// ChainESRICache keeps the chain ESRI of each firm asked about for the latest
// State, computing each once even under concurrent requests; a new State empties
// it. The zero value is ready to use.
type ChainESRICache struct {
	mu      sync.Mutex
	state   *State
	entries map[int32]*esriEntry
}

type esriEntry struct {
	done chan struct{}
	res  *ChainESRI
	err  error
}

// maxESRIEntries bounds the cache when many different firms are asked about.
const maxESRIEntries = 4096

// Get returns the chain ESRI of leader in s, computing it on first use.
func (c *ChainESRICache) Get(ctx context.Context, s *State, leader int32, ec config.ESRIConfig) (*ChainESRI, error) {
	for {
		c.mu.Lock()
		if c.state != s || len(c.entries) >= maxESRIEntries {
			c.state, c.entries = s, make(map[int32]*esriEntry)
		}
		e, found := c.entries[leader]
		if !found {
			e = &esriEntry{done: make(chan struct{})}
			c.entries[leader] = e
		}
		c.mu.Unlock()
		if !found {
			e.res, e.err = NewChainESRI(ctx, s, leader, ec)
			if e.err != nil && ctx.Err() != nil { // a cancelled request must not poison the entry
				c.mu.Lock()
				if c.entries[leader] == e {
					delete(c.entries, leader)
				}
				c.mu.Unlock()
			}
			close(e.done)
			return e.res, e.err
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("esri: %w", ctx.Err())
		}
		if e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
			continue // the request that computed it gave up; ours has not
		}
		return e.res, e.err
	}
}
