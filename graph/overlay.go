package graph

import (
	"cmp"
	"fmt"
	"slices"
)

// Supplied is one relation of a leader's own supplier list: the leader buys from
// Supplier with the given attributes. A leader's list is kept beside the registry's
// relations and counts only in the leader's chain view (docs/onboarding.md).
type Supplied struct {
	Supplier int32
	Attrs    EdgeAttrs
	// Estimated is set when SalesShare was estimated, not given.
	Estimated bool
}

// SourceRegistry is how a chain's JSON names the registry as a relation's source.
const SourceRegistry = "registry"

// edgeSource says where an edge of an overlay snapshot came from.
type edgeSource uint8

const (
	fromRegistry edgeSource = iota
	fromLeader
	fromLeaderEstimated
)

// overlay is what an overlay snapshot knows beyond its edges: whose list it
// applies, and the source of each edge.
type overlay struct {
	parent *Snapshot // the registry's snapshot the view was made from
	leader int32
	source []edgeSource // by edge id
}

// Overlay returns leader's chain view with the leader's own supplier list applied:
// a snapshot over the same firms (the same node indices, ids shared with s) whose
// relations are those of the chain, taken within o's depths, and their immediate
// surroundings — every relation between two members, every supplier of the leader
// and of its tier-1 firms, and every customer of the leader — where the leader's
// in-relations are the registry's with each listed supplier's relation replaced by
// the leader's, and its new suppliers added.
//
// Chain, Reach and the risk package's exposure then give on it exactly what they
// would give on s with the leader's in-relations so changed: a chain's membership,
// walks, concentration and distress figures never look past these relations. Any
// other computation (network distress of the whole graph, another leader's chain)
// belongs on s. The overlay costs O(firms) for its index arrays plus O(chain)
// for its relations.
func (s *Snapshot) Overlay(leader int32, o ChainOptions, list []Supplied) (*Snapshot, error) {
	if leader < 0 || int(leader) >= s.Len() {
		return nil, fmt.Errorf("graph: overlay: leader index %d out of range [0, %d)", leader, s.Len())
	}
	own := make(map[int32]*Supplied, len(list))
	extra := make([]int32, 0, len(list))
	for i := range list {
		l := &list[i]
		if l.Supplier < 0 || int(l.Supplier) >= s.Len() || l.Supplier == leader {
			return nil, fmt.Errorf("graph: overlay: supplier index %d of leader %s is out of range or the leader",
				l.Supplier, s.IDs[leader])
		}
		if err := l.Attrs.validate(); err != nil {
			return nil, fmt.Errorf("graph: overlay: relation %s → %s: %w", s.IDs[l.Supplier], s.IDs[leader], err)
		}
		if _, dup := own[l.Supplier]; dup {
			return nil, fmt.Errorf("graph: overlay: relation %s → %s listed twice", s.IDs[l.Supplier], s.IDs[leader])
		}
		own[l.Supplier] = l
		extra = append(extra, l.Supplier)
	}
	r, err := s.reach(leader, o, extra)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	var edges []overlayEdge
	for _, w := range r.Nodes {
		all := w == leader || r.Up(w) == 1
		lo, hi := s.InEdges(w)
		for q := lo; q < hi; q++ {
			u, e := s.csr.InFrom[q], s.csr.InEdge[q]
			if w == leader && own[u] != nil {
				continue // the leader's own account replaces the registry's
			}
			if all || r.Pos(u) >= 0 {
				edges = append(edges, overlayEdge{from: u, to: w, attrs: s.Attrs(e)})
			}
		}
	}
	lo, hi := s.OutEdges(leader)
	for e := lo; e < hi; e++ {
		if w := s.csr.OutTo[e]; r.Pos(w) < 0 { // a member's in-edges are in already
			edges = append(edges, overlayEdge{from: leader, to: w, attrs: s.Attrs(e)})
		}
	}
	for _, l := range list {
		src := fromLeader
		if l.Estimated {
			src = fromLeaderEstimated
		}
		edges = append(edges, overlayEdge{from: l.Supplier, to: leader, attrs: l.Attrs, source: src})
	}
	return s.withEdges(leader, edges), nil
}

type overlayEdge struct {
	from, to int32
	attrs    EdgeAttrs
	source   edgeSource
}

// withEdges builds a snapshot over s's firms holding only edges (no duplicates).
func (s *Snapshot) withEdges(leader int32, edges []overlayEdge) *Snapshot {
	slices.SortFunc(edges, func(a, b overlayEdge) int { return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to)) })
	n, m := s.Len(), len(edges)
	c := CSR{
		OutStart:         make([]int32, n+1),
		OutTo:            make([]int32, m),
		PurchaseShare:    make([]float64, m),
		SalesShare:       make([]float64, m),
		Substitutability: make([]float64, m),
		Amount:           make([]float64, m),
	}
	ov := &overlay{parent: s, leader: leader, source: make([]edgeSource, m)}
	for k, e := range edges {
		c.OutStart[e.from+1]++
		c.OutTo[k] = e.to
		c.PurchaseShare[k], c.SalesShare[k], c.Substitutability[k], c.Amount[k] = e.attrs.PurchaseShare, e.attrs.SalesShare,
			e.attrs.Substitutability, e.attrs.Amount
		ov.source[k] = e.source
	}
	for v := range n {
		c.OutStart[v+1] += c.OutStart[v]
	}
	c.InStart, c.InFrom, c.InEdge = transpose(n, c.OutStart, c.OutTo)
	return &Snapshot{IDs: s.IDs, index: s.index, csr: c, overlay: ov}
}

// EdgeSource returns who supplied edge e: SourceRegistry, or the leader's id on an
// overlay snapshot for an edge of the leader's own list, with whether its sales
// share was estimated.
func (s *Snapshot) EdgeSource(e int32) (source string, estimated bool) {
	if s.overlay == nil || s.overlay.source[e] == fromRegistry {
		return SourceRegistry, false
	}
	return s.IDs[s.overlay.leader], s.overlay.source[e] == fromLeaderEstimated
}

// OverlayOf returns the leader whose list an overlay snapshot applies, and false
// for a snapshot of the registry's relations.
func (s *Snapshot) OverlayOf() (int32, bool) {
	if s.overlay == nil {
		return 0, false
	}
	return s.overlay.leader, true
}
