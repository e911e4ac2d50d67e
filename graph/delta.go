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
	ids, index := s.IDs, s.index
	addID := func(id string) (int32, error) {
		if i, ok := index[id]; ok {
			return i, nil
		}
		if id == "" {
			return 0, errors.New("empty firm id")
		}
		if len(ids) == len(s.IDs) { // first new firm: copy, never append into s
			ids = slices.Clip(slices.Clone(s.IDs))
			index = maps.Clone(s.index)
			if index == nil {
				index = map[string]int32{}
			}
		}
		i := int32(len(ids))
		ids = append(ids, id)
		index[id] = i
		return i, nil
	}
	for _, id := range d.Nodes {
		if _, err := addID(id); err != nil {
			return nil, fmt.Errorf("graph: apply: %w", err)
		}
	}

	type change struct {
		from, to int32
		attrs    EdgeAttrs
		remove   bool
	}
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
		u, err1 := addID(r.Supplier)
		v, err2 := addID(r.Customer)
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
			errs = append(errs, fmt.Errorf("relation %s → %s: changed twice in one delta", ids[a.from], ids[a.to]))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("graph: apply: %w", errors.Join(errs...))
	}

	old := &s.csr
	n := len(ids)
	attrsOnly := n == len(s.IDs)
	for k := 0; k < len(changes) && attrsOnly; k++ {
		_, exists := s.FindEdge(changes[k].from, changes[k].to)
		attrsOnly = exists && !changes[k].remove
	}
	if attrsOnly {
		c := *old
		c.PurchaseShare = slices.Clone(old.PurchaseShare)
		c.SalesShare = slices.Clone(old.SalesShare)
		c.Substitutability = slices.Clone(old.Substitutability)
		c.Amount = slices.Clone(old.Amount)
		for _, ch := range changes {
			e, _ := s.FindEdge(ch.from, ch.to)
			c.PurchaseShare[e], c.SalesShare[e], c.Substitutability[e], c.Amount[e] = ch.attrs.PurchaseShare, ch.attrs.SalesShare, ch.attrs.Substitutability, ch.attrs.Amount
		}
		return &Snapshot{IDs: ids, index: index, csr: c}, nil
	}

	// Merge each old row (sorted by customer) with its sorted changes.
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
		return nil, fmt.Errorf("graph: apply: %w", errors.Join(errs...))
	}
	c.InStart, c.InFrom, c.InEdge = transpose(n, c.OutStart, c.OutTo)
	return &Snapshot{IDs: ids, index: index, csr: c}, nil
}
