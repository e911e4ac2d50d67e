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
		if err != nil || !bytes.Equal(b, old) {
			return false
		}
		s.detail[v] = old
		return true
	})
}

// maxOverlays is how many leaders' chain views a state keeps: each holds two
// arrays over every firm (8 bytes a firm) besides its chain's relations.
const maxOverlays = 16

type overlayKey struct {
	leader   int32
	up, down int
}

// overlays caches chain views of one state, the most recently used last.
type overlays struct {
	mu    sync.Mutex
	order []overlayKey
	snaps map[overlayKey]*graph.Snapshot
}

// ChainSnap returns the snapshot on which leader's chain within o is taken: the
// registry's, or, for a leader with its own supplier list, its chain view.
func (s *State) ChainSnap(leader int32, o graph.ChainOptions) (*graph.Snapshot, error) {
	list := s.Supplied[leader]
	if len(list) == 0 {
		return s.Snap, nil
	}
	key := overlayKey{leader, o.DepthUp, o.DepthDown}
	c := s.overlayCache()
	c.mu.Lock()
	ov, ok := c.snaps[key]
	c.mu.Unlock()
	if ok {
		return ov, nil
	}
	ov, err := s.Snap.Overlay(leader, o, list)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.snaps[key]; !ok {
		c.snaps[key] = ov
		c.order = append(c.order, key)
		if len(c.order) > maxOverlays {
			delete(c.snaps, c.order[0])
			c.order = c.order[1:]
		}
	}
	return ov, nil
}

// overlayCache returns the state's cache, made on first use.
func (s *State) overlayCache() *overlays {
	s.overlayOnce.Do(func() { s.overlay = &overlays{snaps: make(map[overlayKey]*graph.Snapshot)} })
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
	ov, err := s.ChainSnap(leader, params.Chain)
	if err != nil {
		return nil, err
	}
	return risk.OverlayExposure(ov, leader, s.P, s.D, s.Grade, s.Params.Distress, params)
}

// ChainOf extracts leader's chain within o, on its chain view when it has one.
func (s *State) ChainOf(leader int32, o graph.ChainOptions) (*graph.Chain, error) {
	snap, err := s.ChainSnap(leader, o)
	if err != nil {
		return nil, err
	}
	return snap.Chain(leader, o)
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
