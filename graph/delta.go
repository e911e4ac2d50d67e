package graph

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Relation is a supply relation given by firm ids.
type Relation struct {
	Supplier, Customer string
	Attrs              EdgeAttrs
}

// EdgeKey names a relation by its firm ids.
type EdgeKey struct {
	Supplier, Customer string
}

// Delta is a change to a Snapshot. Firms are never removed (a firm that
// stops trading keeps its index and loses its relations).
type Delta struct {
	Nodes  []string   // firms to add; known ones are ignored
	Set    []Relation // relations to add, or whose attributes to replace
	Remove []EdgeKey  // relations to remove; each must exist
}

// Apply returns a new Snapshot with the delta applied; s is unchanged. Every
// node index of s is kept (new firms are appended), so the new snapshot
// Extends s. Cost: O(n + m) array work, no sorting of the whole graph; when
// only attributes change, the structural arrays are shared with s, and when
// no firm is added the id index is shared too.
func (s *Snapshot) Apply(d Delta) (*Snapshot, error) {
	nodes := newNodes{s: s, ids: s.IDs, index: s.index}
	for _, id := range d.Nodes {
		if _, err := nodes.add(id); err != nil {
			return nil, fmt.Errorf("graph: apply: %w", err)
		}
	}
	changes, err := s.changes(d, &nodes)
	if err != nil {
		return nil, fmt.Errorf("graph: apply: %w", err)
	}
	if c, ok := s.attrsOnly(len(nodes.ids), changes); ok {
		return &Snapshot{IDs: nodes.ids, index: nodes.index, csr: c}, nil
	}
	c, err := s.merge(nodes.ids, changes)
	if err != nil {
		return nil, fmt.Errorf("graph: apply: %w", err)
	}
	return &Snapshot{IDs: nodes.ids, index: nodes.index, csr: c}, nil
}

// newNodes are a snapshot's ids and id index as a delta extends them: shared with
// the snapshot until the first new firm, then copies (never appended into s).
type newNodes struct {
	s     *Snapshot
	ids   []string
	index map[string]int32
}

func (nn *newNodes) add(id string) (int32, error) {
	if i, ok := nn.index[id]; ok {
		return i, nil
	}
	if id == "" {
		return 0, errors.New("empty firm id")
	}
	if len(nn.ids) == len(nn.s.IDs) { // first new firm: copy
		nn.ids = slices.Clip(slices.Clone(nn.s.IDs))
		nn.index = maps.Clone(nn.s.index)
		if nn.index == nil {
			nn.index = map[string]int32{}
		}
	}
	i := int32(len(nn.ids))
	nn.ids = append(nn.ids, id)
	nn.index[id] = i
	return i, nil
}

// change is one relation a delta sets or removes, by node index.
type change struct {
	from, to int32
	attrs    EdgeAttrs
	remove   bool
}

// changes resolves the delta's relations to node indices (adding the firms they
// name), sorted by supplier then customer, and reports every bad one.
func (s *Snapshot) changes(d Delta, nodes *newNodes) ([]change, error) {
	changes := make([]change, 0, len(d.Set)+len(d.Remove))
	var errs []error
	for _, r := range d.Set {
		if r.Supplier == r.Customer {
			errs = append(errs, fmt.Errorf("relation %s → %s: self-loop", r.Supplier, r.Customer))
			continue
		}
		if err := r.Attrs.validate(); err != nil {
			errs = append(errs, fmt.Errorf("relation %s → %s: %w", r.Supplier, r.Customer, err))
			continue
		}
		u, err1 := nodes.add(r.Supplier)
		v, err2 := nodes.add(r.Customer)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("relation %s → %s: %w", r.Supplier, r.Customer, err))
			continue
		}
		changes = append(changes, change{from: u, to: v, attrs: r.Attrs})
	}
	for _, k := range d.Remove {
		u, ok1 := s.index[k.Supplier]
		v, ok2 := s.index[k.Customer]
		if !ok1 || !ok2 {
			errs = append(errs, fmt.Errorf("remove %s → %s: no such relation", k.Supplier, k.Customer))
			continue
		}
		changes = append(changes, change{from: u, to: v, remove: true})
	}
	slices.SortFunc(changes, func(a, b change) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	for k := 1; k < len(changes); k++ {
		if a, b := changes[k-1], changes[k]; a.from == b.from && a.to == b.to {
			errs = append(errs, fmt.Errorf("relation %s → %s: changed twice in one delta", nodes.ids[a.from], nodes.ids[a.to]))
		}
	}
	return changes, errors.Join(errs...)
}

// attrsOnly returns s's arrays with new attribute columns when the changes only
// set attributes of existing relations (and n, the new firm count, is s's):
// the structural arrays are shared with s.
func (s *Snapshot) attrsOnly(n int, changes []change) (CSR, bool) {
	if n != len(s.IDs) {
		return CSR{}, false
	}
	for _, ch := range changes {
		if _, exists := s.FindEdge(ch.from, ch.to); !exists || ch.remove {
			return CSR{}, false
		}
	}
	old := &s.csr
	c := *old
	c.PurchaseShare = slices.Clone(old.PurchaseShare)
	c.SalesShare = slices.Clone(old.SalesShare)
	c.Substitutability = slices.Clone(old.Substitutability)
	c.Amount = slices.Clone(old.Amount)
	for _, ch := range changes {
		e, _ := s.FindEdge(ch.from, ch.to)
		c.setAttrs(e, ch.attrs)
	}
	return c, true
}

// setAttrs writes the attributes of edge e.
func (c *CSR) setAttrs(e int32, a EdgeAttrs) {
	c.PurchaseShare[e], c.SalesShare[e], c.Substitutability[e], c.Amount[e] = a.PurchaseShare, a.SalesShare, a.Substitutability, a.Amount
}

// merge builds the arrays of the changed graph over ids (s's, then the new firms)
// by merging each old row (sorted by customer) with its sorted changes.
func (s *Snapshot) merge(ids []string, changes []change) (CSR, error) {
	old := &s.csr
	n := len(ids)
	m := len(old.OutTo) + len(changes)
	c := CSR{
		OutStart:         make([]int32, n+1),
		OutTo:            make([]int32, 0, m),
		PurchaseShare:    make([]float64, 0, m),
		SalesShare:       make([]float64, 0, m),
		Substitutability: make([]float64, 0, m),
		Amount:           make([]float64, 0, m),
	}
	push := func(v int32, a EdgeAttrs) {
		c.OutTo = append(c.OutTo, v)
		c.PurchaseShare = append(c.PurchaseShare, a.PurchaseShare)
		c.SalesShare = append(c.SalesShare, a.SalesShare)
		c.Substitutability = append(c.Substitutability, a.Substitutability)
		c.Amount = append(c.Amount, a.Amount)
	}
	var errs []error
	ci := 0
	for u := range int32(n) {
		var e, hi int32
		if int(u) < len(s.IDs) {
			e, hi = s.OutEdges(u)
		}
		for e < hi || (ci < len(changes) && changes[ci].from == u) {
			switch {
			case ci == len(changes) || changes[ci].from != u || (e < hi && old.OutTo[e] < changes[ci].to):
				push(old.OutTo[e], s.Attrs(e))
				e++
			case e < hi && old.OutTo[e] == changes[ci].to:
				if !changes[ci].remove {
					push(changes[ci].to, changes[ci].attrs)
				}
				e++
				ci++
			default: // the change names an edge that does not exist yet
				if changes[ci].remove {
					errs = append(errs, fmt.Errorf("remove %s → %s: no such relation", ids[u], ids[changes[ci].to]))
				} else {
					push(changes[ci].to, changes[ci].attrs)
				}
				ci++
			}
		}
		c.OutStart[u+1] = int32(len(c.OutTo))
	}
	if len(errs) > 0 {
		return CSR{}, errors.Join(errs...)
	}
	c.InStart, c.InFrom, c.InEdge = transpose(n, c.OutStart, c.OutTo)
	return c, nil
}
