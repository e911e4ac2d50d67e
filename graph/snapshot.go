package graph

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// EdgeAttrs are the numeric attributes of one supply relation supplier →
// customer (docs/models.md). Values are taken as given: defaults such as
// substitutability 0.5 are applied at ingest, not here. A share of 0 means
// "unknown" and carries no risk; Amount 0 means unknown.
type EdgeAttrs struct {
	PurchaseShare    float64 // share of the customer's purchases bought from the supplier
	SalesShare       float64 // share of the supplier's sales sold to the customer
	Substitutability float64 // 0 irreplaceable … 1 trivially replaced
	Amount           float64 // CNY per year
}

func (a EdgeAttrs) validate() error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"purchase_share", a.PurchaseShare}, {"sales_share", a.SalesShare}, {"substitutability", a.Substitutability}} {
		if !(f.v >= 0 && f.v <= 1) { // also rejects NaN
			return fmt.Errorf("%s %v outside [0, 1]", f.name, f.v)
		}
	}
	if !(a.Amount >= 0) || math.IsInf(a.Amount, 1) {
		return fmt.Errorf("amount %v is not a finite non-negative number", a.Amount)
	}
	return nil
}

// CSR exposes a snapshot's flat arrays to numeric kernels. Edge ids are
// positions in the out-edge order: edges sorted by supplier, then customer.
// The slices are shared with the Snapshot and must never be modified.
type CSR struct {
	// Out-edges (supplier → customers) of node v are edge ids
	// OutStart[v] … OutStart[v+1]-1; OutTo[e] is the customer of edge e.
	OutStart []int32
	OutTo    []int32
	// In-edges (customer ← suppliers) of node v are positions
	// InStart[v] … InStart[v+1]-1, sorted by supplier; InFrom[q] is the
	// supplier and InEdge[q] the edge id.
	InStart []int32
	InFrom  []int32
	InEdge  []int32
	// Attribute columns indexed by edge id.
	PurchaseShare    []float64
	SalesShare       []float64
	Substitutability []float64
	Amount           []float64
}

// Snapshot is an immutable supply graph over firms indexed 0..Len()-1. It is
// safe for concurrent use; a changed graph is a new Snapshot (see Apply), and
// callers publish it with an atomic.Pointer swap.
type Snapshot struct {
	// IDs maps node index → firm id (USCC). Read-only.
	IDs   []string
	index map[string]int32
	csr   CSR
	pool  sync.Pool // *chainScratch for Chain
	// overlay is set on a leader's chain view (Overlay); nil on the registry's graph.
	overlay *overlay
}

// Len returns the number of firms.
func (s *Snapshot) Len() int { return len(s.IDs) }

// NumEdges returns the number of supply relations.
func (s *Snapshot) NumEdges() int { return len(s.csr.OutTo) }

// Index returns the node index of a firm id.
func (s *Snapshot) Index(id string) (int32, bool) {
	i, ok := s.index[id]
	return i, ok
}

// CSR returns the snapshot's arrays (shared, read-only).
func (s *Snapshot) CSR() CSR { return s.csr }

// OutEdges returns the edge-id range [lo, hi) of v's out-edges (v supplies).
func (s *Snapshot) OutEdges(v int32) (lo, hi int32) {
	return s.csr.OutStart[v], s.csr.OutStart[v+1]
}

// InEdges returns the position range [lo, hi) of v's in-edges (v buys);
// InFrom and InEdge of the CSR give the supplier and edge id of a position.
func (s *Snapshot) InEdges(v int32) (lo, hi int32) {
	return s.csr.InStart[v], s.csr.InStart[v+1]
}

// Attrs returns the attributes of edge e.
func (s *Snapshot) Attrs(e int32) EdgeAttrs {
	c := &s.csr
	return EdgeAttrs{c.PurchaseShare[e], c.SalesShare[e], c.Substitutability[e], c.Amount[e]}
}

// FindEdge returns the id of the edge supplier → customer.
func (s *Snapshot) FindEdge(supplier, customer int32) (int32, bool) {
	lo, hi := s.OutEdges(supplier)
	k, ok := slices.BinarySearch(s.csr.OutTo[lo:hi], customer)
	return lo + int32(k), ok
}

// Extends reports whether s keeps every node index of old: old's ids are a
// prefix of s's. Results indexed by old's nodes (scores, distress) then stay
// valid for s, which incremental recomputation relies on. Apply preserves it.
func (s *Snapshot) Extends(old *Snapshot) bool {
	if old == nil || len(old.IDs) > len(s.IDs) {
		return false
	}
	if len(old.IDs) > 0 && &old.IDs[0] == &s.IDs[0] {
		return true
	}
	for i, id := range old.IDs {
		if s.IDs[i] != id {
			return false
		}
	}
	return true
}

// SizeBytes estimates the memory held by the snapshot: the CSR arrays, ids
// and the id index (map entries estimated at 40 bytes). Arrays shared with
// another snapshot (see Apply) are counted in both.
func (s *Snapshot) SizeBytes() int64 {
	c := &s.csr
	b := 4 * int64(len(c.OutStart)+len(c.OutTo)+len(c.InStart)+len(c.InFrom)+len(c.InEdge))
	b += 8 * int64(len(c.PurchaseShare)+len(c.SalesShare)+len(c.Substitutability)+len(c.Amount))
	for _, id := range s.IDs {
		b += 16 + int64(len(id))
	}
	return b + 40*int64(len(s.index))
}

// Builder collects firms and relations for a Snapshot. Node indices follow
// first appearance. It is not safe for concurrent use and is spent by Build.
type Builder struct {
	ids   []string
	index map[string]int32
	from  []int32
	to    []int32
	attrs []EdgeAttrs
	errs  []error
	nerr  int
	// The last supplier's id and index: stores list relations by supplier,
	// and at a million firms each map lookup is a cache miss.
	lastID  string
	lastIdx int32
}

// NewBuilder returns a Builder; nodes and edges are capacity hints.
func NewBuilder(nodes, edges int) *Builder {
	return &Builder{
		ids:   make([]string, 0, nodes),
		index: make(map[string]int32, nodes),
		from:  make([]int32, 0, edges),
		to:    make([]int32, 0, edges),
		attrs: make([]EdgeAttrs, 0, edges),
	}
}

const maxReportedErrors = 20

func (b *Builder) fail(err error) {
	b.nerr++
	if len(b.errs) < maxReportedErrors {
		b.errs = append(b.errs, err)
	}
}

// IDs returns the firm ids added so far, by index (AddEdge adds unknown
// endpoints too). The slice is the builder's: read it, do not keep it.
func (b *Builder) IDs() []string { return b.ids }

// AddNode adds a firm (again: no-op) and returns its index.
func (b *Builder) AddNode(id string) int32 {
	if i, ok := b.index[id]; ok {
		return i
	}
	if id == "" {
		b.fail(errors.New("empty firm id"))
	}
	if len(b.ids) >= math.MaxInt32 {
		b.fail(errors.New("too many firms"))
		return 0
	}
	i := int32(len(b.ids))
	b.ids = append(b.ids, id)
	b.index[id] = i
	return i
}

// AddEdge adds the relation supplier → customer, adding unknown firms.
// Self-loops, attributes out of range and (at Build) duplicates are errors.
func (b *Builder) AddEdge(supplier, customer string, e EdgeAttrs) {
	if supplier == customer {
		b.fail(fmt.Errorf("relation %s → %s: self-loop", supplier, customer))
		return
	}
	if err := e.validate(); err != nil {
		b.fail(fmt.Errorf("relation %s → %s: %w", supplier, customer, err))
		return
	}
	if len(b.from) >= math.MaxInt32 {
		b.fail(errors.New("too many relations"))
		return
	}
	if supplier != b.lastID || b.lastID == "" {
		b.lastID, b.lastIdx = supplier, b.AddNode(supplier)
	}
	b.from = append(b.from, b.lastIdx)
	b.to = append(b.to, b.AddNode(customer))
	b.attrs = append(b.attrs, e)
}

// Build sorts the relations into a Snapshot. It reports every rejected
// relation (the first 20 of them) in one error.
func (b *Builder) Build() (*Snapshot, error) {
	ids, index, from, to, attrs := b.ids, b.index, b.from, b.to, b.attrs
	*b = Builder{errs: b.errs, nerr: b.nerr} // spent: let the GC take the inputs
	n, m := len(ids), len(from)

	// Counting sort by supplier, then sort each row by customer.
	outStart, perm := bucket(n, from)
	for v := range n {
		row := perm[outStart[v]:outStart[v+1]]
		slices.SortFunc(row, func(x, y int32) int { return cmp.Compare(to[x], to[y]) })
		for k := 1; k < len(row); k++ {
			if to[row[k]] == to[row[k-1]] {
				b.fail(fmt.Errorf("relation %s → %s: duplicate", ids[v], ids[to[row[k]]]))
			}
		}
	}
	if b.nerr > 0 {
		return nil, b.err()
	}
	c := CSR{
		OutStart:         outStart,
		OutTo:            make([]int32, m),
		PurchaseShare:    make([]float64, m),
		SalesShare:       make([]float64, m),
		Substitutability: make([]float64, m),
		Amount:           make([]float64, m),
	}
	for k, e := range perm {
		c.OutTo[k] = to[e]
		a := &attrs[e]
		c.PurchaseShare[k], c.SalesShare[k], c.Substitutability[k], c.Amount[k] = a.PurchaseShare, a.SalesShare, a.Substitutability, a.Amount
	}
	c.InStart, c.InFrom, c.InEdge = transpose(n, c.OutStart, c.OutTo)
	return &Snapshot{IDs: ids, index: index, csr: c}, nil
}

func (b *Builder) err() error {
	errs := b.errs
	if b.nerr > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more", b.nerr-len(errs)))
	}
	return fmt.Errorf("graph: build: %w", errors.Join(errs...))
}

// bucket is a stable counting sort of the items 0 … len(key)−1 by their key in
// [0, n): the items of key v are perm[start[v]:start[v+1]], in input order.
func bucket(n int, key []int32) (start, perm []int32) {
	start = make([]int32, n+1)
	for _, k := range key {
		start[k+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	perm = make([]int32, len(key))
	next := slices.Clone(start[:n])
	for i, k := range key {
		perm[next[k]] = int32(i)
		next[k]++
	}
	return start, perm
}

// transpose builds the in-edge arrays from the out-edge arrays. Walking the
// edges in id order (by supplier) leaves every in-row sorted by supplier.
func transpose(n int, outStart, outTo []int32) (inStart, inFrom, inEdge []int32) {
	m := len(outTo)
	inStart = make([]int32, n+1)
	for _, v := range outTo {
		inStart[v+1]++
	}
	for v := range n {
		inStart[v+1] += inStart[v]
	}
	inFrom = make([]int32, m)
	inEdge = make([]int32, m)
	next := slices.Clone(inStart[:n])
	for u := range n {
		for e := outStart[u]; e < outStart[u+1]; e++ {
			v := outTo[e]
			q := next[v]
			next[v]++
			inFrom[q] = int32(u)
			inEdge[q] = e
		}
	}
	return inStart, inFrom, inEdge
}
