package monitor

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/search"
	"github.com/chainrisk/chainrisk/store"
)

// dChanged is how far a firm's distress must move for the chains around it to be
// recomputed. Contagion reaches every connected firm with ever smaller effects; below
// this they cannot move any reported figure by more than the 1e-9 that incremental
// and full scans agree to.
const dChanged = 1e-10

// maxPatched is the most firms with a new p or grade whose chains an incremental
// scan patches (see risk.Propagator.Patch); with more, recomputing the chains is cheaper.
const maxPatched = 256

// newEnds lists the firms that sub's relations name and that neither prev's snapshot
// nor touched holds.
func newEnds(prev *State, sub *store.Subset, touched []string) []string {
	held := make(map[string]bool, len(touched))
	for _, u := range touched {
		held[u] = true
	}
	var out []string
	for i := range sub.Relations {
		for _, u := range []string{sub.Relations[i].Supplier, sub.Relations[i].Customer} {
			if _, ok := prev.Snap.Index(u); !ok && !held[u] {
				held[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// incremental re-reads the touched firms and recomputes what depends on them: their
// scores, the distress of the region their changes reach, and the chains of the
// leaders whose chains contain a firm whose p, d or grade moved, or a relation that
// changed. Untouched firms keep the scores of the previous scan, so the result equals
// a full scan run with the same clock. Its stages: load the change, rescore, propagate,
// choose the chains to recompute (Run persists what moved).
func (r *scanRun) incremental(ctx context.Context, prev *State, touched []string) (*State, error) {
	s := &State{ScanID: r.sc.ID, At: prev.At, Params: r.params}
	var ch change
	err := r.stage(StageLoad, func() (err error) {
		ch, err = r.loadChange(ctx, prev, s, touched)
		return err
	})
	if err != nil {
		return nil, err
	}
	n := s.Len()
	r.stats.Firms, r.stats.Relations, r.stats.ActiveEvents = n, s.Snap.NumEdges(), len(s.Events)
	s.setRescored(prev, ch.recompute)
	s.Score, s.P, s.Grade = grow(prev.Score, n), grow(prev.P, n), grow(prev.Grade, n)
	if err := r.stage(StageScore, func() error { return r.score(ctx, s, ch.recompute) }); err != nil {
		return nil, err
	}
	r.stats.Recomputed = len(ch.recompute)
	_ = r.stage(StageLists, func() error {
		s.Lists = lists.Patch(prev.Lists, r.params.Lists, s.ListInput(), ch.recompute)
		return nil
	})
	s.Leaders = prev.Leaders
	if !sharesFirms(prev, s) { // a firm came, or a record changed: its tags may have
		s.Leaders = leadersOf(s.Snap, s.Firms)
	}
	if err := r.observeRescored(ctx, prev, s); err != nil {
		return nil, err
	}
	// Rescoring takes microseconds: its progress is written once, after the alerts
	// it allows, each write being a store transaction.
	r.progress(ctx, len(ch.recompute), len(ch.recompute))
	if err := r.stage(StagePropagate, func() error { return r.repropagate(ctx, prev, s) }); err != nil {
		return nil, err
	}
	moved, rescored := movedFirms(prev, s)
	var leaders []int32
	err = r.stage(StageExposure, func() (err error) {
		leaders, err = r.rechain(ctx, prev, s, ch, rescored)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.stats.Leaders = len(s.Leaders)
	r.written = written{nodes: moved, leaders: leaders}
	return s, nil
}

// change is what an incremental scan read: the firms to rescore and the endpoints of
// the relations that changed.
type change struct {
	recompute   []int32 // nodes to rescore
	ends        []int32 // endpoints of changed relations, in the new snapshot
	removedEnds []int32 // endpoints of removed relations, in the previous snapshot
}

// loadChange reads the touched firms, their relations and events from the store and
// fills s with prev's firms, graph and events updated by them.
func (r *scanRun) loadChange(ctx context.Context, prev, s *State, touched []string) (change, error) {
	var ch change
	sub, touched, err := r.readSubset(ctx, prev, s.At, touched)
	if err != nil {
		return ch, err
	}
	delta, newFirm := firmDelta(prev, sub)
	delta.Set, delta.Remove, ch.removedEnds = relationDelta(prev.Snap, sub, touched, s.At)
	s.Snap = prev.Snap
	if len(delta.Nodes)+len(delta.Set)+len(delta.Remove) > 0 {
		if s.Snap, err = prev.Snap.Apply(delta); err != nil {
			return ch, err
		}
	}
	// Firms: new ones are appended, known ones replaced. prev's table is shared
	// until a firm differs from it: an ingest of events re-reads its firms as they
	// were, and a province's table is a hundred megabytes.
	s.Firms = slices.Clip(prev.Firms)
	own := false
	if len(delta.Nodes) > 0 {
		for _, u := range delta.Nodes {
			s.Firms = append(s.Firms, newFirm[u])
		}
		own = true
	}
	docs := make([]search.Doc, len(sub.Enterprises))
	changed := make([]int32, len(sub.Enterprises))
	for i := range sub.Enterprises {
		e := &sub.Enterprises[i]
		v, _ := s.Snap.Index(e.USCC)
		if f := firmOf(e); int(v) >= prev.Len() || !sameFirm(&prev.Firms[v], &f) {
			if !own {
				s.Firms, own = slices.Clone(s.Firms), true
			}
			s.Firms[v] = f
		}
		docs[i] = search.Doc{Node: v, Name: e.Name, Tags: e.Tags}
		changed[i] = v
	}
	s.Search = prev.Search.Update(s.Snap.IDs, docs)
	patchSupplied(prev, s, sub, touched)
	inheritViews(prev, s)
	s.Names = namesAfterIncremental(prev, s, changed)
	for _, rel := range delta.Set {
		sv, _ := s.Snap.Index(rel.Supplier)
		cv, _ := s.Snap.Index(rel.Customer)
		ch.ends = append(ch.ends, sv, cv)
	}
	// Events: the touched firms' lists are replaced, the rest copied.
	events := make(map[int32][]risk.EventRef)
	for i := range sub.Events {
		ev := &sub.Events[i]
		v, ok := s.Snap.Index(ev.USCC)
		if !ok {
			return ch, fmt.Errorf("event %s names unknown firm %s", ev.ID, ev.USCC)
		}
		events[v] = append(events[v], risk.EventRef{Type: r.params.Model.TypeIndex(ev.Type), At: ev.OccurredAt.Unix()})
	}
	for _, u := range touched {
		if v, ok := s.Snap.Index(u); ok {
			ch.recompute = append(ch.recompute, v)
			if _, ok := events[v]; !ok {
				events[v] = nil
			}
		}
	}
	s.EventStart, s.Events = replaceEvents(prev, s.Len(), events)
	if prev.RecentStart != nil { // Run saw to it that the lists look back as they did
		recent, err := r.readRecent(ctx, s, touched)
		if err != nil {
			return ch, err
		}
		s.RecentStart, s.Recent = replaceRefs(prev.RecentStart, prev.Recent, prev.Len(), s.Len(), recent)
	}
	r.applyOwners(prev, s, sub, touched)
	return ch, nil
}

// readRecent reads the touched firms' events of the lists' lookback, by node; every
// touched firm has an entry (nil when it has none).
func (r *scanRun) readRecent(ctx context.Context, s *State, touched []string) (map[int32][]risk.EventRef, error) {
	model, lb := r.params.Model, r.params.Lists.Lookback()
	out := make(map[int32][]risk.EventRef, len(touched))
	for _, u := range touched {
		if v, ok := s.Snap.Index(u); ok {
			out[v] = nil
		}
	}
	f := store.EventFilter{USCCs: touched, Recent: store.RecentFilter{Types: lb.Types(model), Since: lb.Since(s.At)}}
	err := r.e.db.Events(ctx, f, func(ev *credit.Event) error {
		v, ok := s.Snap.Index(ev.USCC)
		if !ok {
			return fmt.Errorf("event %s names unknown firm %s", ev.ID, ev.USCC)
		}
		out[v] = append(out[v], risk.EventRef{Type: model.TypeIndex(ev.Type), At: ev.OccurredAt.Unix()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent events: %w", err)
	}
	return out, nil
}

// readSubset reads the touched firms as of at. A relation may name a firm that came
// after the previous scan and that touched does not list (a rescan's scope lists the
// previous state's firms): it is read too, as the scan of its own ingest would read
// it, and returned among the touched firms.
func (r *scanRun) readSubset(ctx context.Context, prev *State, at time.Time, touched []string) (*store.Subset, []string, error) {
	sub, err := r.e.db.Subset(ctx, touched, at)
	if err != nil {
		return nil, nil, err
	}
	for extra := newEnds(prev, sub, touched); len(extra) > 0; extra = newEnds(prev, sub, touched) {
		touched = append(slices.Clip(touched), extra...)
		if sub, err = r.e.db.Subset(ctx, touched, at); err != nil {
			return nil, nil, err
		}
	}
	if r.onSubset != nil {
		r.onSubset(sub)
	}
	return sub, touched, nil
}

// firmDelta lists the firms of sub that prev's snapshot does not hold, with their data.
func firmDelta(prev *State, sub *store.Subset) (graph.Delta, map[string]Firm) {
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
	return delta, newFirm
}

// relationDelta compares the store's view of every relation a touched firm is party
// to (sub's, in force at at) with snap's: the relations to set and to remove, sorted,
// and the endpoints of the removed ones.
func relationDelta(snap *graph.Snapshot, sub *store.Subset, touched []string, at time.Time) (
	set []graph.Relation, remove []graph.EdgeKey, removedEnds []int32) {
	want := make(map[graph.EdgeKey]graph.EdgeAttrs)
	for i := range sub.Relations {
		rel := &sub.Relations[i]
		if validAt(rel, at) {
			want[graph.EdgeKey{Supplier: rel.Supplier, Customer: rel.Customer}] = edgeAttrs(rel)
		}
	}
	csr := snap.CSR()
	removed := make(map[graph.EdgeKey]bool)
	drop := func(sv, cv int32) {
		k := graph.EdgeKey{Supplier: snap.IDs[sv], Customer: snap.IDs[cv]}
		if _, keep := want[k]; !keep && !removed[k] {
			removed[k] = true
			remove = append(remove, k)
			removedEnds = append(removedEnds, sv, cv)
		}
	}
	for _, u := range touched {
		v, ok := snap.Index(u)
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
		sv, sok := snap.Index(k.Supplier)
		cv, cok := snap.Index(k.Customer)
		if sok && cok {
			if e, ok := snap.FindEdge(sv, cv); ok && snap.Attrs(e) == a {
				continue
			}
		}
		set = append(set, graph.Relation{Supplier: k.Supplier, Customer: k.Customer, Attrs: a})
	}
	slices.SortFunc(set, func(a, b graph.Relation) int {
		return cmpKey(a.Supplier, a.Customer, b.Supplier, b.Customer)
	})
	slices.SortFunc(remove, func(a, b graph.EdgeKey) int {
		return cmpKey(a.Supplier, a.Customer, b.Supplier, b.Customer)
	})
	return set, remove, removedEnds
}

// repropagate updates the distress from prev's, on prev's propagator when the graph
// did not change.
func (r *scanRun) repropagate(ctx context.Context, prev, s *State) error {
	pr := prev.Prop
	if s.Snap != prev.Snap {
		var err error
		if pr, err = risk.NewPropagator(s.Snap, r.params.Distress); err != nil {
			return err
		}
	}
	s.Prop = pr
	var err error
	s.D, s.Distress, err = pr.Update(ctx, prev.Prop, prev.P, prev.D, s.P)
	return err
}

// movedFirms lists the firms whose figures moved from prev to s, and among them those
// whose p or grade moved (new firms included).
func movedFirms(prev, s *State) (moved, rescored []int32) {
	for v := range s.Len() {
		switch {
		case v >= prev.Len() || s.P[v] != prev.P[v] || s.Grade[v] != prev.Grade[v]:
			moved, rescored = append(moved, int32(v)), append(rescored, int32(v))
		case math.Abs(s.D[v]-prev.D[v]) > dChanged:
			moved = append(moved, int32(v))
		}
	}
	return moved, rescored
}

// rechain fills s.Chains and returns the leaders whose chains are to be written.
//
// A chain's members, grade counts, contributors (p × walk weights) and concentration
// depend on the graph, p and grades; only its distress figures depend on d. Contagion
// moves nearly every firm's d a little at every change, so a chain is recomputed when
// its graph changed; when a firm whose p or grade moved is a member, it is patched
// from that firm's walks (or recomputed, for many such firms); every other chain only
// gets its distress figures refreshed.
func (r *scanRun) rechain(ctx context.Context, prev, s *State, ch change, rescored []int32) ([]int32, error) {
	o := r.params.Exposure.Chain
	var old, fresh []int32 // rescored firms the previous state held, new firms
	for _, v := range rescored {
		if int(v) < prev.Len() {
			old = append(old, v)
		} else {
			fresh = append(fresh, v)
		}
	}
	structural := chainsHolding(s.Snap, o, slices.Concat(ch.ends, fresh))
	maps.Copy(structural, chainsHolding(prev.Snap, o, ch.removedEnds))
	sameParams := prev.Params.Exposure == r.params.Exposure && prev.Prop.Params() == s.Prop.Params()
	// Concentration names the grades of tier-1 suppliers' suppliers: patches need
	// them in the chain.
	patching := sameParams && o.DepthUp >= 2 && len(old) <= maxPatched
	affected, walks := affectedChains(s, o, old, patching)
	var recompute, refreshed []int32
	s.Chains = make(map[int32]*risk.Exposure, len(s.Leaders))
	s.detail = make(map[int32][]byte, len(s.Leaders))
	for _, v := range s.Leaders {
		x, had := prev.Chains[v]
		// A chain on its leader's own list is recomputed every time: its view is
		// not the graph the patches and structural changes are found on.
		if !had || !sameParams || structural[v] || slices.Contains(ch.recompute, v) || (affected[v] && !patching) ||
			s.HasOwnList(v) {
			recompute = append(recompute, v)
			continue
		}
		if affected[v] {
			y, ok := s.Prop.Patch(x, v, walks, s.P, prev.Grade, s.Grade, r.params.Exposure.TopN)
			if !ok {
				recompute = append(recompute, v)
				continue
			}
			if y != x {
				s.Chains[v] = s.Prop.WithDistress(y, v, s.D)
				refreshed = append(refreshed, v)
				continue
			}
		}
		y := s.Prop.WithDistress(x, v, s.D)
		s.Chains[v], s.detail[v] = y, prev.detail[v]
		// Like firm results (see changed), a chain is written again when a figure
		// moved by 1e-6: the documents run to hundreds of kilobytes.
		if y != x && (prev.detail[v] == nil || math.Abs(y.ChainRisk-x.ChainRisk) >= 1e-6 ||
			math.Abs(y.SupplyAtRisk-x.SupplyAtRisk) >= 1e-6 || math.Abs(y.DemandAtRisk-x.DemandAtRisk) >= 1e-6) {
			delete(s.detail, v)
			refreshed = append(refreshed, v)
		}
	}
	if err := r.exposures(ctx, s, recompute); err != nil {
		return nil, err
	}
	return slices.Concat(keepUnchangedOwn(prev, s, recompute), refreshed), nil
}

// affectedChains returns the leaders whose chains hold one of the rescored firms old,
// and, when patching, the firms' walks that patch those chains. Without patching the
// reach is one hop deeper upstream than the chains: concentration names the grades of
// tier-1 suppliers' suppliers.
func affectedChains(s *State, o graph.ChainOptions, old []int32, patching bool) (map[int32]bool, []*risk.MemberWalks) {
	if !patching {
		reach := o
		reach.DepthUp = max(o.DepthUp, 2)
		return chainsHolding(s.Snap, reach, old), nil
	}
	affected := make(map[int32]bool)
	var walks []*risk.MemberWalks
	for _, m := range old {
		mw := s.Prop.MemberWalks(m, o, func(v int32) bool { return s.Firms[v].Leading })
		walks = append(walks, mw)
		for l := range mw.Leaders() {
			affected[l] = true
		}
	}
	return affected, walks
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
func replaceEvents(prev *State, n int, replace map[int32][]risk.EventRef) ([]int32, []risk.EventRef) {
	return replaceRefs(prev.EventStart, prev.Events, prev.Len(), n, replace)
}

// replaceRefs rebuilds events laid out by firm (node v's are refs0[start0[v]:start0[v+1]]
// for the n0 nodes of the previous state) for n nodes, with some nodes' replaced: the
// runs of nodes between replaced ones are copied whole.
func replaceRefs(start0 []int32, refs0 []risk.EventRef, n0, n int, replace map[int32][]risk.EventRef) ([]int32, []risk.EventRef) {
	nodes := slices.Sorted(maps.Keys(replace))
	size := len(refs0)
	for _, evs := range replace {
		size += len(evs)
	}
	start := make([]int32, n+1)
	out := make([]risk.EventRef, 0, size)
	next := 0               // the first node not laid out yet
	keep := func(end int) { // nodes [next, end) as they were; new ones have none
		if hi := min(end, n0); next < hi {
			shift := int32(len(out)) - start0[next]
			out = append(out, refs0[start0[next]:start0[hi]]...)
			for w := next; w < hi; w++ {
				start[w+1] = start0[w+1] + shift
			}
			next = hi
		}
		for ; next < end; next++ {
			start[next+1] = int32(len(out))
		}
	}
	for _, v := range nodes {
		if int(v) >= n {
			break
		}
		keep(int(v))
		out = append(out, replace[v]...)
		start[v+1], next = int32(len(out)), int(v)+1
	}
	keep(n)
	return start, out
}

// grow returns a copy of a extended with zero values to length n.
func grow[T any](a []T, n int) []T {
	out := make([]T, n)
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
