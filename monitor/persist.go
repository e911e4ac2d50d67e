package monitor

import (
	"context"

	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// persist writes what changed between prev (nil: what the store holds) and s:
// results of the given nodes (nil: all) and the chains of the given leaders.
func (r *scanRun) persist(ctx context.Context, prev, s *State, nodes []int32, leaders []int32) error {
	if r.shadow {
		return nil
	}
	before := previous(prev, s)
	// With prev's node numbering (no firm left the graph), node v is prev's node v:
	// no lookup by USCC for each of the firms that moved, nearly all of them.
	sameIDs := prev != nil && (prev.Snap == s.Snap || s.Snap.Extends(prev.Snap))
	// Rows are stamped with the scan's own time, which an incremental scan's clock
	// (that of the state it extends) is not: two changes are two history entries.
	res := &store.Results{ScanID: s.ScanID, ModelVersion: r.params.Model.Version, At: r.sc.StartedAt}
	check := func(v int32) {
		uscc := s.Snap.IDs[v]
		f := store.FirmResult{USCC: uscc, Score: s.Score[v], Grade: s.Grade[v].String(), P: s.P[v], D: s.D[v]}
		var old store.FirmResult
		var ok bool
		if sameIDs {
			if ok = int(v) < prev.Len(); ok {
				old = store.FirmResult{Score: prev.Score[v], Grade: prev.Grade[v].String(), P: prev.P[v], D: prev.D[v]}
			}
		} else {
			old, ok = before(uscc)
		}
		if !ok || changed(old.Score, f.Score, old.P, f.P, old.D, f.D, risk.Grade(gradeByte(old.Grade)), s.Grade[v]) {
			res.Firms = append(res.Firms, f)
		}
		if !ok || historic(old.Score, f.Score, risk.Grade(gradeByte(old.Grade)), s.Grade[v]) {
			res.History = append(res.History, f)
		}
	}
	if nodes == nil {
		for v := range s.Len() {
			check(int32(v))
		}
	} else {
		for _, v := range nodes {
			check(v)
		}
	}
	s.details()
	for _, v := range leaders {
		x := s.Chains[v]
		detail := s.detail[v]
		if prev != nil {
			if pv, ok := prev.Snap.Index(s.Snap.IDs[v]); ok && string(prev.detail[pv]) == string(detail) && prev.detail[pv] != nil {
				continue
			}
		}
		res.Chains = append(res.Chains, store.ChainResult{Leader: x.Leader, ChainRisk: x.ChainRisk,
			SupplyAtRisk: x.SupplyAtRisk, DemandAtRisk: x.DemandAtRisk, Members: int64(x.Size), Detail: detail})
	}
	if prev != nil {
		for _, pv := range prev.Leaders {
			if v, ok := s.Snap.Index(prev.Snap.IDs[pv]); !ok || !s.Firms[v].Leading {
				res.DropChains = append(res.DropChains, prev.Snap.IDs[pv])
			}
		}
	}
	r.stats.Written = len(res.Firms)
	return r.e.db.SaveResults(ctx, res)
}

func gradeByte(g string) byte {
	if g == "" {
		return 0
	}
	return g[0]
}

// previous returns a lookup of the results as last written: prev's, or — for the
// first scan of this process — the store's (s.Held).
func previous(prev, s *State) func(uscc string) (store.FirmResult, bool) {
	if prev == nil {
		return func(uscc string) (store.FirmResult, bool) {
			f, ok := s.Held[uscc]
			return f, ok
		}
	}
	return func(uscc string) (store.FirmResult, bool) {
		v, ok := prev.Snap.Index(uscc)
		if !ok || int(v) >= prev.Len() {
			return store.FirmResult{}, false
		}
		return store.FirmResult{Score: prev.Score[v], Grade: prev.Grade[v].String(), P: prev.P[v], D: prev.D[v]}, true
	}
}

// loadHeld reads the results the store holds into s.Held.
func (e *Engine) loadHeld(ctx context.Context, s *State) error {
	s.Held = make(map[string]store.FirmResult, s.Len())
	return e.db.FirmResults(ctx, func(f *store.FirmResult) error {
		s.Held[f.USCC] = *f
		return nil
	})
}
