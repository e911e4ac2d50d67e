package monitor

import (
	"context"
	"slices"
	"weak"

	"github.com/chainrisk/chainrisk/store"
)

// StageObserveRescored is the stage of an incremental scan that runs the rescored
// observers (Engine.ObserveRescored): after the touched firms are rescored, before
// the propagation.
const StageObserveRescored = "observe_rescored"

// ObserveRescored adds a hook run in each incremental scan as soon as the touched
// firms are rescored, before the network distress and the chains are updated: next
// then holds the new graph, firms, events, scores, grades, p and the graded lists,
// but not D, Distress, Prop or Chains (nil) — a hook must not read those. The hooks
// added with Observe run after the chains as before, on the same next, which by then
// is complete. Full scans call only the Observe hooks. Alert evaluation hooks in here
// to deliver the alerts about the rescored firms without waiting for the propagation
// (docs/alerts.md, "When an alert is sent").
func (e *Engine) ObserveRescored(fn func(ctx context.Context, prev, next *State, sc *store.Scan) error) {
	e.rescored = append(e.rescored, fn)
}

// observeRescored runs the rescored observers on an incremental scan's state.
func (r *scanRun) observeRescored(ctx context.Context, prev, next *State) error {
	if len(r.e.rescored) == 0 || r.shadow {
		return nil
	}
	return r.stage(StageObserveRescored, func() error {
		for _, fn := range r.e.rescored {
			if err := fn(ctx, prev, next, r.sc); err != nil {
				return err
			}
		}
		return nil
	})
}

// setRescored records the firms an incremental scan from prev re-read and rescores.
func (s *State) setRescored(prev *State, nodes []int32) {
	s.rescored = slices.Sorted(slices.Values(nodes))
	s.rescored = slices.Compact(s.rescored)
	s.rescoredFrom = weak.Make(prev)
}

// Rescored returns, in node order, the firms whose record, events, score, p or grade
// may differ from prev's, when s was computed by an incremental scan extending prev:
// those the scan re-read, new firms among them; every other firm holds prev's. It
// returns ok false otherwise (a full scan, or another prev): then any firm may differ.
func (s *State) Rescored(prev *State) (nodes []int32, ok bool) {
	if prev == nil || s.rescoredFrom.Value() != prev {
		return nil, false
	}
	return s.rescored, true
}

// sameFirm says whether a and b hold the same record (UpdatedAt compared as an
// instant).
func sameFirm(a, b *Firm) bool {
	return a.Name == b.Name && slices.Equal(a.FormerNames, b.FormerNames) && a.Status == b.Status &&
		a.Region == b.Region && a.Industry == b.Industry && a.Leading == b.Leading && a.Specialized == b.Specialized &&
		a.LittleGiant == b.LittleGiant && a.Listed == b.Listed && a.Revenue == b.Revenue && a.UpdatedAt.Equal(b.UpdatedAt)
}

// sharesFirms says whether s holds prev's firm table itself (loadChange shares it
// when no firm came and none of those re-read changed).
func sharesFirms(prev, s *State) bool {
	return len(prev.Firms) == len(s.Firms) && (len(s.Firms) == 0 || &prev.Firms[0] == &s.Firms[0])
}
