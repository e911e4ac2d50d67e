package risk_test

import (
	"context"
	"math"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
)

// The chain of L with depth up 1, down 0 is {L, S, S2}; one hop adds T (S's
// supplier) and K (L's customer), not F (T's supplier). In the subgraph:
//
//	T→S  100 (given)
//	S→L  sales share 0.5 × S's revenue 400 = 200 (derived)
//	S2→L 200 (given)
//	L→K  purchase share 0.5 × K's revenue 600 = 300 (derived; no sales share)
//
// Strengths out: T 100, S 200, S2 200, L 300, K 0 (total 800): w = .125, .25, .25,
// .375, 0. Λd (all linear, one sector): TS = 1, SL = .5, S2L = .5, LK = 1. Λu over
// revenue when known and ≥ the out-strength, else over the out-strength: TS = 1
// (T's unknown), SL = 200/400 = .5, S2L = 1, LK = 300/1000 = .3.
//
// S fails: L keeps 1 − .5 = .5 of its inputs, then K .5; T loses its only customer
// (h^u_T = 0). min(h^d, h^u) = T 0, S 0, S2 1, L .5, K .5 after 3 steps:
// ESRI = .125 + .25 + .375·.5 = .5625, ESRI_d = .25 + .1875 = .4375, ESRI_u = .375.
// S2 fails: L .5, K .5; S keeps its sales to L (h^u_L stays 1): ESRI = .25 + .1875
// = .4375 = ESRI_d, ESRI_u = .25.
// L fails: K loses everything (h^d 0, weight 0); S loses half its sales, T half of
// S's purchases... (h^u: S .5, T .5, S2 0): ESRI = .0625 + .125 + .25 + .375 = .8125,
// ESRI_d = .375, ESRI_u = .8125.
func TestESRIChainByHand(t *testing.T) {
	s := handGraph(t, []string{"L", "S", "S2", "T", "K", "F"}, []relation{
		{from: "T", to: "S", ps: 0.4, ss: 0.3, sb: 0.5, amount: 100},
		{from: "S", to: "L", ps: 0.4, ss: 0.5, sb: 0.5},
		{from: "S2", to: "L", ps: 0.4, ss: 0.9, sb: 0.5, amount: 200},
		{from: "L", to: "K", ps: 0.5, sb: 0.5},
		{from: "F", to: "T", ps: 0.5, ss: 0.5, sb: 0.5, amount: 50},
	})
	leader, _ := s.Index("L")
	got, err := risk.NewChainESRI(context.Background(), s, handFirms{1000, 400, 0, 0, 600, 0}, leader,
		graph.ChainOptions{DepthUp: 1, DepthDown: 0}, risk.DefaultESRIParams())
	if err != nil {
		t.Fatal(err)
	}
	if got.Leader != "L" || got.Firms != 5 || got.Relations != 4 || got.DerivedAmounts != 2 || got.DroppedRelations != 0 {
		t.Errorf("subgraph: %+v", got)
	}
	want := []struct {
		firm               string
		tier               int
		esri, esriD, esriU float64
	}{
		{"L", 0, .8125, .375, .8125},
		{"S", 1, .5625, .4375, .375},
		{"S2", 1, .4375, .4375, .25},
	}
	if len(got.Members) != len(want) {
		t.Fatalf("%d members, want %d: %+v", len(got.Members), len(want), got.Members)
	}
	for i, w := range want {
		m := got.Members[i]
		if m.Firm != w.firm || m.Tier != w.tier || math.Abs(m.ESRI-w.esri) > 1e-12 || math.Abs(m.ESRId-w.esriD) > 1e-12 ||
			math.Abs(m.ESRIu-w.esriU) > 1e-12 || m.Iterations != 3 {
			t.Errorf("member %d = %+v, want %+v after 3 steps", i, m, w)
		}
	}
}

func TestESRIChainWithoutRelations(t *testing.T) {
	s := handGraph(t, []string{"L", "X"}, []relation{{from: "X", to: "L", sb: 0.5}})
	leader, _ := s.Index("L")
	got, err := risk.NewChainESRI(context.Background(), s, handFirms{0, 0}, leader, graph.DefaultChainOptions(),
		risk.DefaultESRIParams())
	if err != nil {
		t.Fatal(err)
	}
	// The only relation reports neither amount nor shares: nothing flows.
	if got.DroppedRelations != 1 || got.Relations != 0 || len(got.Members) != 2 || got.Members[0].ESRI != 0 {
		t.Errorf("%+v", got)
	}
}
