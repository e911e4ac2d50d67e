package graph

import (
	"fmt"
	"math"
	"sync"
)

// Edge is one directed, weighted link of a Network given by node ids.
type Edge struct {
	From, To string
	Weight   float64
}

// Network is an immutable directed weighted network over string ids, stored as
// flat CSR arrays over out-edges like a Snapshot's. A Snapshot holds supply
// relations with their four attributes, both ways; a Network holds one weight per
// ordered pair: the matrix a model reads. DebtRank reads it as the impact matrix W,
// ESRI as the matrix of supplied amounts; keeping the raw weights lets both models
// apply their own transforms (caps, shares).
type Network struct {
	ids   []string
	index map[string]int32
	off   []int32   // out-edges of node i are dst[off[i]:off[i+1]]
	dst   []int32   // target node of each edge
	w     []float64 // weight of each edge

	inOnce sync.Once
	in     *Network // Transpose, built by In on first use
}

// NewNetwork builds a network from nodes (optional, for nodes that may have
// no edges) and an edge list. Node indices follow first appearance, nodes
// before edges; within a node, out-edges keep their input order, so results
// are deterministic. A matrix has one entry per pair, so a repeated (From, To)
// pair is an error rather than silently summed; so are self-loops, empty ids,
// repeated nodes and weights that are negative, NaN or infinite.
func NewNetwork(nodes []string, edges []Edge) (*Network, error) {
	if len(edges) > math.MaxInt32 {
		return nil, fmt.Errorf("network: %d edges exceed the supported maximum", len(edges))
	}
	n := &Network{index: make(map[string]int32, len(nodes))}
	add := func(id string) (int32, error) {
		if i, ok := n.index[id]; ok {
			return i, nil
		}
		if id == "" {
			return 0, fmt.Errorf("network: empty node id")
		}
		if len(n.ids) == math.MaxInt32 {
			return 0, fmt.Errorf("network: too many nodes")
		}
		i := int32(len(n.ids))
		n.ids = append(n.ids, id)
		n.index[id] = i
		return i, nil
	}
	for _, id := range nodes {
		if _, dup := n.index[id]; dup {
			return nil, fmt.Errorf("network: node %q listed twice", id)
		}
		if _, err := add(id); err != nil {
			return nil, err
		}
	}
	from := make([]int32, len(edges))
	to := make([]int32, len(edges))
	for k, e := range edges {
		if !validWeight(e.Weight) {
			return nil, fmt.Errorf("network: edge %d (%s→%s): weight %v is not a finite non-negative number", k+1, e.From, e.To, e.Weight)
		}
		if e.From == e.To {
			return nil, fmt.Errorf("network: edge %d: self-loop on %q", k+1, e.From)
		}
		var err error
		if from[k], err = add(e.From); err != nil {
			return nil, fmt.Errorf("edge %d: %w", k+1, err)
		}
		if to[k], err = add(e.To); err != nil {
			return nil, fmt.Errorf("edge %d: %w", k+1, err)
		}
	}
	var perm []int32
	n.off, perm = bucket(len(n.ids), from)
	n.dst = make([]int32, len(edges))
	n.w = make([]float64, len(edges))
	for p, k := range perm {
		n.dst[p] = to[k]
		n.w[p] = edges[k].Weight
	}
	if i, j, ok := n.duplicate(); ok {
		return nil, fmt.Errorf("network: edge %s→%s given twice", n.ids[i], n.ids[j])
	}
	return n, nil
}

func validWeight(w float64) bool { return w >= 0 && !math.IsInf(w, 1) } // also rejects NaN

// Network returns a network over s's firms — the same node indices, ids and id
// index, shared — whose row i is what row appends to dst and w for firm i:
// targets in increasing order, none i itself, with finite non-negative weights.
// A model derives its matrix from the supply relations this way. edges is a
// capacity hint.
func (s *Snapshot) Network(edges int, row func(i int32, dst []int32, w []float64) ([]int32, []float64)) (*Network, error) {
	size := s.Len()
	n := &Network{ids: s.IDs, index: s.index, off: make([]int32, size+1),
		dst: make([]int32, 0, edges), w: make([]float64, 0, edges)}
	for i := range int32(size) {
		start := len(n.dst)
		n.dst, n.w = row(i, n.dst, n.w)
		switch {
		case len(n.dst) != len(n.w):
			return nil, fmt.Errorf("network: row of %s: %d targets, %d weights", s.IDs[i], len(n.dst)-start, len(n.w)-start)
		case len(n.dst) > math.MaxInt32:
			return nil, fmt.Errorf("network: %d edges exceed the supported maximum", len(n.dst))
		}
		prev := int32(-1)
		for k := start; k < len(n.dst); k++ {
			j := n.dst[k]
			switch {
			case j <= prev || int(j) >= size || j == i:
				return nil, fmt.Errorf("network: row of %s: target %d out of order, out of range or a self-loop", s.IDs[i], j)
			case !validWeight(n.w[k]):
				return nil, fmt.Errorf("network: edge %s→%s: weight %v is not a finite non-negative number", s.IDs[i], s.IDs[j], n.w[k])
			}
			prev = j
		}
		n.off[i+1] = int32(len(n.dst))
	}
	return n, nil
}

// duplicate reports a repeated (i, j) pair in O(nodes + edges) without sorting:
// seen[j] holds 1 + the last row in which j was a target.
func (n *Network) duplicate() (i, j int, ok bool) {
	seen := make([]int32, len(n.ids))
	for i := range n.ids {
		for _, j := range n.dst[n.off[i]:n.off[i+1]] {
			if seen[j] == int32(i)+1 {
				return i, int(j), true
			}
			seen[j] = int32(i) + 1
		}
	}
	return 0, 0, false
}

// Len is the number of nodes.
func (n *Network) Len() int { return len(n.ids) }

// NumEdges is the number of edges.
func (n *Network) NumEdges() int { return len(n.dst) }

// ID is the id of node i.
func (n *Network) ID(i int) string { return n.ids[i] }

// Index is the index of the node with the given id.
func (n *Network) Index(id string) (int, bool) {
	i, ok := n.index[id]
	return int(i), ok
}

// Out returns the targets and weights of node i's out-edges. The slices alias
// the network's storage and must not be modified.
func (n *Network) Out(i int) (dst []int32, w []float64) {
	a, b := n.off[i], n.off[i+1]
	return n.dst[a:b:b], n.w[a:b:b]
}

// Transpose returns the network with every edge reversed (so Out of the
// result lists in-edges), sharing the node ids. In-edges of a node appear in
// increasing order of their source.
func (n *Network) Transpose() *Network {
	off, src, perm := transpose(len(n.ids), n.off, n.dst)
	w := make([]float64, len(n.w))
	for q, e := range perm {
		w[q] = n.w[e]
	}
	return &Network{ids: n.ids, index: n.index, off: off, dst: src, w: w}
}

// In returns the transpose (Out of the result lists in-edges, in increasing
// order of source), built on the first call and kept with the network: a
// kernel that gathers over in-edges pays for it once per network.
func (n *Network) In() *Network {
	n.inOnce.Do(func() { n.in = n.Transpose() })
	return n.in
}
