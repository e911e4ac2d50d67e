package monitor_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/monitor"
)

// checkRescored checks State.Rescored after an incremental scan from prev to next:
// every firm it does not name holds prev's record, events, score, p and grade, every
// new firm is named, and another state is not taken for prev.
func checkRescored(t *testing.T, step int, prev, next *monitor.State) {
	t.Helper()
	nodes, ok := next.Rescored(prev)
	if !ok {
		t.Fatalf("step %d: Rescored(prev) not ok after an incremental scan", step)
	}
	if !slices.IsSorted(nodes) {
		t.Errorf("step %d: Rescored not in node order: %v", step, nodes)
	}
	if _, ok := next.Rescored(next); ok {
		t.Errorf("step %d: Rescored(next) ok: a state does not extend itself", step)
	}
	named := make(map[int32]bool, len(nodes))
	for _, v := range nodes {
		named[v] = true
	}
	for v := range int32(next.Len()) {
		if named[v] {
			continue
		}
		if int(v) >= prev.Len() {
			t.Errorf("step %d: new firm %s not among the rescored", step, next.Snap.IDs[v])
			continue
		}
		u := next.Snap.IDs[v]
		pv, ok := prev.Index(u)
		switch {
		case !ok || pv != v:
			t.Errorf("step %d: firm %s moved from node %d to %d and is not among the rescored", step, u, pv, v)
		case !reflect.DeepEqual(next.Firms[v], prev.Firms[pv]):
			t.Errorf("step %d: firm %s's record changed and it is not among the rescored", step, u)
		case !slices.Equal(next.FirmEvents(v), prev.FirmEvents(pv)):
			t.Errorf("step %d: firm %s's events changed and it is not among the rescored", step, u)
		case next.Score[v] != prev.Score[pv] || next.P[v] != prev.P[pv] || next.Grade[v] != prev.Grade[pv]:
			t.Errorf("step %d: firm %s's score changed and it is not among the rescored", step, u)
		}
	}
}
