package monitor

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/chainrisk/chainrisk/graph"
)

// dChanged is how far a firm's distress must move for the chains around it to be
// recomputed. Contagion reaches every connected firm with ever smaller effects; below
// this they cannot move any reported figure by more than the 1e-9 that incremental
// and full scans agree to.
const dChanged = 1e-10

// incremental re-reads the touched firms and recomputes what depends on them: their
// scores, the distress of the region their changes reach, and the chains of the
// leaders whose chains contain a firm whose p, d or grade moved, or a relation that
// changed. Untouched firms keep the scores of the previous scan, so the result equals
// a full scan run with the same clock.
func (r *scanRun) incremental(ctx context.Context, prev *State, touched []string) (*State, error) {
	s := &State{ScanID: r.sc.ID, At: prev.At, Params: r.params}
	var recompute []int32 // nodes to rescore
	var ends []int32      // endpoints of changed relations, in the new snapshot
	var removedEnds []int32
	err := r.stage(StageLoad, func() error {
		sub, err := r.e.st.Subset(ctx, touched, s.At)
		if err != nil {
			return err
		}
		// Firms: new ones are appended, known ones replaced.
		s.Firms = slices.Clone(prev.Firms)
		var delta graph.Delta
		newFirm := make(map[string]Firm)
		for i := range sub.Enterprises {
			e := &sub.Enterprises[i]
			if _, ok := prev.Snap.Index(e.USCC); ok {
				continue
			}
			delta.Nodes = append(delta.Nodes, e.USCC)
			newFirm[e.USCC] = firmOf(e)
		}
		// Relations: the store's view of every relation a touched firm is party to,
		// against the snapshot's.
		want := make(map[graph.EdgeKey]graph.EdgeAttrs)
		for i := range sub.Relations {
			rel := &sub.Relations[i]
			if validAt(rel, s.At) {
				want[graph.EdgeKey{Supplier: rel.Supplier, Customer: rel.Customer}] = edgeAttrs(rel)
			}
		}
		csr := prev.Snap.CSR()
		removed := make(map[graph.EdgeKey]bool)
		drop := func(sv, cv int32) {
			k := graph.EdgeKey{Supplier: prev.Snap.IDs[sv], Customer: prev.Snap.IDs[cv]}
			if _, keep := want[k]; !keep && !removed[k] {
				removed[k] = true
				delta.Remove = append(delta.Remove, k)
				removedEnds = append(removedEnds, sv, cv)
			}
		}
		for _, u := range touched {
			v, ok := prev.Snap.Index(u)
			if !ok {
				continue
			}
			for e := csr.OutStart[v]; e < csr.OutStart[v+1]; e++ {
				drop(v, csr.OutTo[e])
			}
			for q := csr.InStart[v]; q < csr.InStart[v+1]; q++ {
				drop(csr.InFrom[q], v)
			}
		}
		for k, a := range want {
			sv, sok := prev.Snap.Index(k.Supplier)
			cv, cok := prev.Snap.Index(k.Customer)
			if sok && cok {
				if e, ok := prev.Snap.FindEdge(sv, cv); ok && prev.Snap.Attrs(e) == a {
					continue
				}
			}
			delta.Set = append(delta.Set, graph.Relation{Supplier: k.Supplier, Customer: k.Customer, Attrs: a})
		}
		slices.SortFunc(delta.Set, func(a, b graph.Relation) int {
			return cmpKey(a.Supplier, a.Customer, b.Supplier, b.Customer)
		})
		slices.SortFunc(delta.Remove, func(a, b graph.EdgeKey) int {
			return cmpKey(a.Supplier, a.Customer, b.Supplier, b.Customer)
		})
		s.Snap = prev.Snap
		if len(delta.Nodes)+len(delta.Set)+len(delta.Remove) > 0 {
			if s.Snap, err = prev.Snap.Apply(delta); err != nil {
				return err
			}
		}
		for _, u := range delta.Nodes {
			s.Firms = append(s.Firms, newFirm[u])
		}
		for i := range sub.Enterprises {
			e := &sub.Enterprises[i]
			v, _ := s.Snap.Index(e.USCC)
			s.Firms[v] = firmOf(e)
		}
		for _, rel := range delta.Set {
			sv, _ := s.Snap.Index(rel.Supplier)
			cv, _ := s.Snap.Index(rel.Customer)
			ends = append(ends, sv, cv)
		}
		// Events: the touched firms' lists are replaced, the rest copied.
		events := make(map[int32][]EventRef)
		for i := range sub.Events {
			ev := &sub.Events[i]
			v, ok := s.Snap.Index(ev.USCC)
			if !ok {
				return fmt.Errorf("event %s names unknown firm %s", ev.ID, ev.USCC)
			}
			events[v] = append(events[v], EventRef{Type: r.params.Model.TypeIndex(ev.Type), At: ev.OccurredAt.Unix()})
		}
		for _, u := range touched {
			if v, ok := s.Snap.Index(u); ok {
				recompute = append(recompute, v)
				if _, ok := events[v]; !ok {
					events[v] = nil
				}
			}
		}
		s.EventStart, s.Events = replaceEvents(prev, s.Len(), events)
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := s.Len()
	r.stats.Firms, r.stats.Relations, r.stats.ActiveEvents = n, s.Snap.NumEdges(), len(s.Events)
	r.progress(ctx, 0, len(recompute))

	s.Score, s.P, s.Grade = grow(prev.Score, n), grow(prev.P, n), growGrades(prev.Grade, n)
	if err := r.stage(StageScore, func() error { return r.score(ctx, s, recompute) }); err != nil {
		return nil, err
	}
	r.stats.Recomputed = len(recompute)
	r.progress(ctx, len(recompute), len(recompute))

	err = r.stage(StagePropagate, func() error {
		pr := prev.Prop
		if s.Snap != prev.Snap {
			if pr, err = NewPropagator(s.Snap, r.params.Distress); err != nil {
				return err
			}
		}
		s.Prop = pr
		s.D, s.Distress, err = pr.Update(ctx, prev.Prop, prev.P, prev.D, s.P)
		return err
	})
	if err != nil {
		return nil, err
	}

	// Firms whose figures moved, and the leaders whose chains hold one of them.
	var moved []int32
	for v := range n {
		if v >= prev.Len() || s.P[v] != prev.P[v] || s.Grade[v] != prev.Grade[v] || math.Abs(s.D[v]-prev.D[v]) > dChanged {
			moved = append(moved, int32(v))
		}
	}
	s.Leaders = leadersOf(s.Snap, s.Firms)
	affected := chainsHolding(s.Snap, r.params.Exposure.Chain, append(moved, ends...))
	for v := range chainsHolding(prev.Snap, r.params.Exposure.Chain, removedEnds) {
		affected[v] = true
	}
	var recomputeLeaders []int32
	s.Chains = make(map[int32]*Exposure, len(s.Leaders))
	s.detail = make(map[int32][]byte, len(s.Leaders))
	for _, v := range s.Leaders {
		x, had := prev.Chains[v]
		if had && !affected[v] && !slices.Contains(recompute, v) {
			s.Chains[v], s.detail[v] = x, prev.detail[v]
			continue
		}
		recomputeLeaders = append(recomputeLeaders, v)
	}
	if err := r.stage(StageExposure, func() error { return r.exposures(ctx, s, recomputeLeaders) }); err != nil {
		return nil, err
	}
	r.stats.Leaders = len(s.Leaders)
	r.written = written{nodes: moved, leaders: recomputeLeaders}
	return s, nil
}

func cmpKey(s1, c1, s2, c2 string) int {
	switch {
	case s1 != s2:
		if s1 < s2 {
			return -1
		}
		return 1
	case c1 < c2:
		return -1
	case c1 > c2:
		return 1
	}
	return 0
}

// replaceEvents rebuilds the event lists with some nodes' lists replaced.
func replaceEvents(prev *State, n int, replace map[int32][]EventRef) ([]int32, []EventRef) {
	start := make([]int32, n+1)
	out := make([]EventRef, 0, len(prev.Events)+len(replace))
	for v := range n {
		if evs, ok := replace[int32(v)]; ok {
			out = append(out, evs...)
		} else if v < prev.Len() {
			out = append(out, prev.FirmEvents(int32(v))...)
		}
		start[v+1] = int32(len(out))
	}
	return start, out
}

func grow(a []float64, n int) []float64 {
	out := make([]float64, n)
	copy(out, a)
	return out
}

func growGrades(a []Grade, n int) []Grade {
	out := make([]Grade, n)
	copy(out, a)
	return out
}

// chainsHolding returns the leaders whose chain (within the depths) contains one of
// the given firms: those reached from a firm downstream within DepthUp hops (it
// supplies them), or upstream within DepthDown hops (it buys from them).
func chainsHolding(snap *graph.Snapshot, o graph.ChainOptions, firms []int32) map[int32]bool {
	out := make(map[int32]bool)
	c := snap.CSR()
	walk := func(depth int, next func(v int32) []int32) {
		seen := make(map[int32]bool, len(firms))
		frontier := make([]int32, 0, len(firms))
		for _, v := range firms {
			if int(v) < snap.Len() && !seen[v] {
				seen[v] = true
				frontier = append(frontier, v)
			}
		}
		for _, v := range frontier {
			out[v] = true
		}
		for range depth {
			var nxt []int32
			for _, v := range frontier {
				for _, w := range next(v) {
					if !seen[w] {
						seen[w] = true
						out[w] = true
						nxt = append(nxt, w)
					}
				}
			}
			frontier = nxt
		}
	}
	walk(o.DepthUp, func(v int32) []int32 { return c.OutTo[c.OutStart[v]:c.OutStart[v+1]] })
	walk(o.DepthDown, func(v int32) []int32 { return c.InFrom[c.InStart[v]:c.InStart[v+1]] })
	return out
}
