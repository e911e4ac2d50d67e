package api

import (
	"maps"
	"testing"

	"github.com/chainrisk/chainrisk/tokens"
)

// TestMembershipsMatchChains: the chains the enterprise endpoint lists for a firm,
// found by searching outwards from the firm, are exactly the leaders whose chains
// (built from each leader by graph.Chain) hold it, at the same tier — for every demo
// firm, searched twice with the same scratch.
func TestMembershipsMatchChains(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	st := h.b.State()
	o := st.Params.Exposure.Chain
	want := make(map[int32]map[string]int) // firm → leader → tier
	for _, l := range st.Leaders {
		ch, err := st.Snap.Chain(l, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ch.Members {
			if want[m.Node] == nil {
				want[m.Node] = map[string]int{}
			}
			want[m.Node][st.Snap.IDs[l]] = m.Tier
		}
	}
	rq := &request{s: h.s, who: &Principal{Name: "admin", Role: tokens.RoleAdmin}}
	listed := 0
	for round := range 2 {
		for v := range int32(len(st.Snap.IDs)) {
			got := map[string]int{}
			for _, m := range rq.memberships(st, v) {
				got[m.Leader] = m.Tier
			}
			w := want[v]
			if w == nil {
				w = map[string]int{}
			}
			if !maps.Equal(got, w) {
				t.Errorf("round %d, firm %s: chains %v, want %v", round, st.Snap.IDs[v], got, w)
			}
			listed += len(got)
		}
	}
	if listed == 0 {
		t.Fatal("no firm belongs to any chain: the comparison proved nothing")
	}
}
