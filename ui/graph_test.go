package ui

import "testing"

// TestBuildGraph: tier columns and ranks, sizes from contributions, single-source
// links, and the cap keeping the leader and the highest contributors.
func TestBuildGraph(t *testing.T) {
	ch := &chainJSON{Leader: "L",
		Members: []memberJSON{
			{USCC: "L", Tier: 0, Grade: "A", D: 0.1},
			{USCC: "S1", Tier: 1, Grade: "C", D: 0.4},
			{USCC: "S2", Tier: 1, Grade: "B", D: 0.05},
			{USCC: "S3", Tier: 1, Grade: "", D: 0.5},
			{USCC: "T1", Tier: 2, Grade: "D", D: 0.9},
			{USCC: "C1", Tier: -1, Grade: "A", D: 0.02},
		},
		TopContributors: []contributorJSON{{USCC: "T1", Contribution: 0.09}, {USCC: "S1", Contribution: 0.0225}},
		Concentration: []concentrationJSON{{USCC: "L", SingleSource: []singleSourceJSON{{Supplier: "S1"}}},
			{USCC: "S1", SingleSource: []singleSourceJSON{{Supplier: "T1"}}}},
	}
	g := &graphJSON{Edges: []edgeJSON{{Supplier: "S1", Customer: "L"}, {Supplier: "S2", Customer: "L"},
		{Supplier: "S3", Customer: "L"}, {Supplier: "T1", Customer: "S1"}, {Supplier: "L", Customer: "C1"}}}

	all := buildGraph(ch, ch.Members, g, 100, "single", "?")
	if all.Shown != 6 || all.Total != 6 || len(all.Links) != 5 {
		t.Fatalf("shown %d of %d, %d links", all.Shown, all.Total, len(all.Links))
	}
	byID := map[string]graphNode{}
	for _, n := range all.Nodes {
		byID[n.ID] = n
	}
	// Order: leader, T1 (0.09), S1 (0.0225), then by d: S3 (0.5), S2 (0.05), C1 (0.02).
	wantOrder := []string{"L", "T1", "S1", "S3", "S2", "C1"}
	for i, n := range all.Nodes {
		if n.ID != wantOrder[i] {
			t.Errorf("node %d = %s, want %s", i, n.ID, wantOrder[i])
		}
	}
	// Columns: x = −tier × 260; tier 1 holds S1, S3, S2 at rows 0, 1, 2 → y −34, 0, 34.
	for id, want := range map[string][2]float64{"L": {0, 0}, "T1": {-520, 0}, "S1": {-260, -34}, "S3": {-260, 0},
		"S2": {-260, 34}, "C1": {260, 0}} {
		if n := byID[id]; n.X != want[0] || n.Y != want[1] {
			t.Errorf("%s at (%v, %v), want %v", id, n.X, n.Y, want)
		}
	}
	// Sizes: 16 + 34·√(c/0.09): T1 50, S1 16 + 34·0.5 = 33; others 8 + 6d; leader 40.
	for id, want := range map[string]float64{"L": 40, "T1": 50, "S1": 33, "S3": 11, "S2": 8.3, "C1": 8.1} {
		if got := byID[id].SymbolSize; got != want {
			t.Errorf("%s size %v, want %v", id, got, want)
		}
	}
	// Grades become categories: A 0, B 1, C 2, D 3, unknown 4.
	for id, want := range map[string]int{"L": 0, "S2": 1, "S1": 2, "T1": 3, "S3": 4} {
		if got := byID[id].Category; got != want {
			t.Errorf("%s category %d, want %d", id, got, want)
		}
	}
	single := 0
	for _, l := range all.Links {
		isSingle := (l.Source == "S1" && l.Target == "L") || (l.Source == "T1" && l.Target == "S1")
		if l.SingleSource != isSingle || (isSingle && (l.LineStyle.Color != "#c62828" || l.LineStyle.Width != 4)) {
			t.Errorf("link %s→%s single %v style %+v", l.Source, l.Target, l.SingleSource, l.LineStyle)
		}
		if l.SingleSource {
			single++
		}
	}
	if single != 2 || all.Categories[4].Name != "?" {
		t.Errorf("%d single-source links, categories %+v", single, all.Categories)
	}

	capped := buildGraph(ch, ch.Members, g, 3, "single", "?")
	if capped.Shown != 3 || capped.Total != 6 || capped.Nodes[0].ID != "L" || capped.Nodes[1].ID != "T1" || capped.Nodes[2].ID != "S1" {
		t.Fatalf("capped graph: %d of %d, %+v", capped.Shown, capped.Total, capped.Nodes)
	}
	if len(capped.Links) != 2 {
		t.Errorf("capped graph keeps %d links, want the 2 between shown members", len(capped.Links))
	}
}
