package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// Leaders' own supplier lists (docs/onboarding.md). A leader's list is kept beside
// the registry's relations: the state's Snap, network distress and every other
// chain use the registry's alone, and the leader's chain — as the API, its
// subscriptions and the leaders' ranking see it — is taken on the leader's chain
// view (graph.Snapshot.Overlay), built here on demand.

// suppliedLists lays out a leader's list by leader node: the relations in force at
// at whose two firms snap knows, by supplier.
func suppliedLists(snap *graph.Snapshot, at time.Time, rels []credit.Relation) map[int32][]graph.Supplied {
	out := make(map[int32][]graph.Supplied)
	for i := range rels {
		rel := &rels[i]
		u, okU := snap.Index(rel.Supplier)
		v, okV := snap.Index(rel.Customer)
		if !okU || !okV || u == v || !validAt(rel, at) {
			continue
		}
		out[v] = append(out[v], graph.Supplied{Supplier: u, Attrs: edgeAttrs(rel), Estimated: rel.SalesShareEstimated})
	}
	for _, list := range out {
		slices.SortFunc(list, func(a, b graph.Supplied) int { return int(a.Supplier - b.Supplier) })
	}
	return out
}

// loadSupplied reads every leader's list into s (a full scan).
func (r *scanRun) loadSupplied(ctx context.Context, s *State) error {
	var rels []credit.Relation
	err := r.e.db.SuppliedRelations(ctx, func(rel *credit.Relation) error {
		rels = append(rels, *rel)
		return nil
	})
	if err != nil {
		return fmt.Errorf("leaders' supplier lists: %w", err)
	}
	s.Supplied = suppliedLists(s.Snap, s.At, rels)
	return nil
}

// patchSupplied carries prev's lists into s, the lists of the touched firms
// replaced by what sub holds of them (an incremental scan).
func patchSupplied(prev, s *State, sub *store.Subset, touched []string) {
	fresh := suppliedLists(s.Snap, s.At, sub.Supplied)
	s.Supplied = make(map[int32][]graph.Supplied, len(prev.Supplied)+len(fresh))
	for v, list := range prev.Supplied {
		s.Supplied[v] = list
	}
	for _, u := range touched {
		v, ok := s.Snap.Index(u)
		if !ok {
			continue
		}
		if len(fresh[v]) == 0 {
			delete(s.Supplied, v)
		} else {
			s.Supplied[v] = fresh[v]
		}
	}
}

// keepUnchangedOwn returns the recomputed leaders whose chains are to be written:
// a chain on its leader's own list is recomputed at every incremental scan, and
// written only when its document changed.
func keepUnchangedOwn(prev, s *State, recomputed []int32) []int32 {
	return slices.DeleteFunc(recomputed, func(v int32) bool {
		old, ok := prev.detail[v]
		if !ok || !s.HasOwnList(v) || !prev.HasOwnList(v) {
			return false
		}
		b, err := json.Marshal(s.Chains[v])
		if err != nil {
			return false
		}
		s.detail[v] = b // the document to write, marshalled once
		return bytes.Equal(b, old)
	})
}

// maxOverlays is how many leaders' chain views a state keeps: each holds two
// arrays over every firm (8 bytes a firm) besides its chain's relations.
const maxOverlays = 16

type overlayKey struct {
	leader   int32
	up, down int
}

// chainView is a leader's chain view and the coefficients of its relations.
type chainView struct {
	snap *graph.Snapshot
	prop *risk.Propagator
	list []graph.Supplied // the list it applies
}

// overlays caches chain views of one state, the most recently used last.
type overlays struct {
	mu    sync.Mutex
	order []overlayKey
	views map[overlayKey]*chainView
}

// view returns leader's chain view within o, building it on a miss.
func (s *State) view(leader int32, o graph.ChainOptions) (*chainView, error) {
	key := overlayKey{leader, o.DepthUp, o.DepthDown}
	c := s.overlayCache()
	c.mu.Lock()
	cv, ok := c.views[key]
	c.mu.Unlock()
	if ok {
		return cv, nil
	}
	list := s.Supplied[leader]
	ov, err := s.Snap.Overlay(leader, o, list)
	if err != nil {
		return nil, err
	}
	dp := s.Params.Distress
	dp.Workers = 1 // one chain: the coefficients, not parallel sweeps
	pr, err := risk.NewPropagator(ov, dp)
	if err != nil {
		return nil, err
	}
	cv = &chainView{snap: ov, prop: pr, list: list}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, cv)
	return cv, nil
}

// put adds a view, forgetting the least recently added past maxOverlays. c.mu is held.
func (c *overlays) put(key overlayKey, cv *chainView) {
	if _, ok := c.views[key]; ok {
		return
	}
	c.views[key] = cv
	c.order = append(c.order, key)
	if len(c.order) > maxOverlays {
		delete(c.views, c.order[0])
		c.order = c.order[1:]
	}
}

// inheritViews hands prev's chain views on to s when s has prev's graph (an
// incremental scan that changed no relation): a view whose leader's list is the
// same is the same view. Leaders' lists change rarely and events often, so most
// incremental scans rebuild none.
func inheritViews(prev, s *State) {
	if prev.Snap != s.Snap || prev.overlay == nil {
		return
	}
	pc, c := prev.overlayCache(), s.overlayCache()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range pc.order {
		if cv := pc.views[key]; slices.Equal(cv.list, s.Supplied[key.leader]) && s.Params.Distress == prev.Params.Distress {
			c.put(key, cv)
		}
	}
}

// ChainSnap returns the snapshot on which leader's chain within o is taken: the
// registry's, or, for a leader with its own supplier list, its chain view.
func (s *State) ChainSnap(leader int32, o graph.ChainOptions) (*graph.Snapshot, error) {
	if !s.HasOwnList(leader) {
		return s.Snap, nil
	}
	cv, err := s.view(leader, o)
	if err != nil {
		return nil, err
	}
	return cv.snap, nil
}

// overlayCache returns the state's cache, made on first use.
func (s *State) overlayCache() *overlays {
	s.overlayOnce.Do(func() { s.overlay = &overlays{views: make(map[overlayKey]*chainView)} })
	return s.overlay
}

// HasOwnList reports whether leader gave its own supplier list.
func (s *State) HasOwnList(leader int32) bool { return len(s.Supplied[leader]) > 0 }

// ChainExposure computes leader's exposure with params on its chain: on its chain
// view when it gave its own supplier list (risk.OverlayExposure), else on the
// registry's graph.
func (s *State) ChainExposure(leader int32, params risk.ExposureParams) (*risk.Exposure, error) {
	if !s.HasOwnList(leader) {
		return s.Prop.Exposure(leader, s.P, s.D, s.Grade, params)
	}
	cv, err := s.view(leader, params.Chain)
	if err != nil {
		return nil, err
	}
	return cv.prop.OverlayExposure(leader, s.P, s.D, s.Grade, params)
}

// ChainOf extracts leader's chain within o, on its chain view when it has one.
func (s *State) ChainOf(leader int32, o graph.ChainOptions) (*graph.Chain, error) {
	snap, err := s.ChainSnap(leader, o)
	if err != nil {
		return nil, err
	}
	return snap.Chain(leader, o)
}

// exposures computes the chains of the given leaders into s.Chains.
func (r *scanRun) exposures(ctx context.Context, s *State, leaders []int32) error {
	// Member paths are for the API, which extracts the chain it serves; the scan
	// needs only the contributors' paths, which the exposure finds itself.
	params := r.params.Exposure
	params.Chain.MaxPaths, params.KeepChains = 0, false
	registry, own := splitLeaders(s, leaders)
	xs, err := s.Prop.Exposures(ctx, registry, s.P, s.D, s.Grade, params)
	if err != nil {
		return err
	}
	for i, v := range registry {
		s.Chains[v] = xs[i]
	}
	for _, v := range own {
		if s.Chains[v], err = s.ChainExposure(v, params); err != nil {
			return fmt.Errorf("chain of %s on its own supplier list: %w", s.Snap.IDs[v], err)
		}
	}
	r.stats.Chains, r.stats.Leaders = len(leaders), len(s.Leaders)
	r.stats.Iterations, r.stats.Residual, r.stats.DistressMode = s.Distress.Iterations, s.Distress.Residual, s.Distress.Mode
	return nil
}

// splitLeaders parts leaders into those whose chains are taken on the registry's
// graph and those with their own supplier lists.
func splitLeaders(s *State, leaders []int32) (registry, own []int32) {
	for _, v := range leaders {
		if s.HasOwnList(v) {
			own = append(own, v)
		} else {
			registry = append(registry, v)
		}
	}
	return registry, own
}

// ChainContributions returns every member's contribution to leader's chain risk
// within o (risk.Propagator.Contributions), on its chain view when it has one.
func (s *State) ChainContributions(leader int32, o graph.ChainOptions) (map[int32]float64, error) {
	if !s.HasOwnList(leader) {
		return s.Prop.Contributions(leader, s.P, o)
	}
	cv, err := s.view(leader, o)
	if err != nil {
		return nil, err
	}
	return cv.prop.Contributions(leader, s.P, o)
}
