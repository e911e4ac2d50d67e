package graph_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// replaced rebuilds the whole graph with leader's in-relations changed by list:
// the reference an overlay must agree with on leader's chain.
func replaced(t *testing.T, ids []string, rels []graph.Relation, leader string, list map[string]graph.EdgeAttrs) *graph.Snapshot {
	t.Helper()
	var out []graph.Relation
	for _, r := range rels {
		if _, own := list[r.Supplier]; own && r.Customer == leader {
			continue
		}
		out = append(out, r)
	}
	for sup, a := range list {
		out = append(out, graph.Relation{Supplier: sup, Customer: leader, Attrs: a})
	}
	return mustBuild(t, ids, out)
}

type linkView struct {
	Supplier, Customer string
	Attrs              graph.EdgeAttrs
}

type memberView struct {
	ID             string
	Tier, Up, Down int
	Paths          [][]string
}

// chainView is a chain without snapshot-specific edge ids.
func chainView(c *graph.Chain) ([]memberView, []linkView) {
	var ms []memberView
	for _, m := range c.Members {
		mv := memberView{ID: m.ID, Tier: m.Tier, Up: m.Up, Down: m.Down}
		for _, p := range m.Paths {
			mv.Paths = append(mv.Paths, c.PathIDs(p))
		}
		ms = append(ms, mv)
	}
	var ls []linkView
	s := c.Snapshot()
	for _, l := range c.Links {
		ls = append(ls, linkView{s.IDs[l.Supplier], s.IDs[l.Customer], s.Attrs(l.Edge)})
	}
	return ms, ls
}

// TestOverlayChainEqualsRebuiltGraph: on random graphs, a leader's chain on its
// overlay equals its chain on the whole graph rebuilt with its in-relations
// changed — members, tiers, paths and relations with their attributes — for
// several depths, and the registry's snapshot keeps its own chain.
func TestOverlayChainEqualsRebuiltGraph(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 40 {
		n := 20 + r.IntN(60)
		ids, rels := graphtest.Random(r, n, 3*n)
		s := mustBuild(t, ids, rels)
		leader := r.IntN(n)
		list := map[string]graph.EdgeAttrs{}
		var supplied []graph.Supplied
		for range 1 + r.IntN(5) {
			sup := r.IntN(n)
			if sup == leader || list[ids[sup]] != (graph.EdgeAttrs{}) {
				continue
			}
			a := graph.EdgeAttrs{PurchaseShare: 0.05 + 0.1*r.Float64(), SalesShare: r.Float64(), Substitutability: r.Float64()}
			list[ids[sup]] = a
			supplied = append(supplied, graph.Supplied{Supplier: int32(sup), Attrs: a})
		}
		want := replaced(t, ids, rels, ids[leader], list)
		for _, o := range []graph.ChainOptions{{DepthUp: 3, DepthDown: 1, MaxPaths: 3}, {DepthUp: 1}, {DepthUp: 0, DepthDown: 2, MaxPaths: 1}, {DepthUp: 2, DepthDown: 0, MaxPaths: 2}} {
			name := fmt.Sprintf("trial %d up %d down %d", trial, o.DepthUp, o.DepthDown)
			ov, err := s.Overlay(int32(leader), o, supplied)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := ov.Chain(int32(leader), o)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := want.Chain(int32(leader), o)
			if err != nil {
				t.Fatal(err)
			}
			gm, gl := chainView(got)
			wm, wl := chainView(ref)
			if !reflect.DeepEqual(gm, wm) {
				t.Fatalf("%s: members\n got %v\nwant %v", name, gm, wm)
			}
			if !reflect.DeepEqual(gl, wl) {
				t.Fatalf("%s: links\n got %v\nwant %v", name, gl, wl)
			}
			// Every in-relation of the leader and of its tier-1 firms is there, as
			// concentration needs them.
			for _, m := range ref.Members {
				if m.Node != int32(leader) && m.Up != 1 {
					continue
				}
				wlo, whi := want.InEdges(m.Node)
				glo, ghi := ov.InEdges(m.Node)
				if whi-wlo != ghi-glo {
					t.Fatalf("%s: %s has %d suppliers on the overlay, %d on the rebuilt graph", name, m.ID, ghi-glo, whi-wlo)
				}
			}
		}
		plain, _ := s.Chain(int32(leader), graph.DefaultChainOptions())
		again := mustBuild(t, ids, rels)
		ref, _ := again.Chain(int32(leader), graph.DefaultChainOptions())
		pm, pl := chainView(plain)
		rm, rl := chainView(ref)
		if !reflect.DeepEqual(pm, rm) || !reflect.DeepEqual(pl, rl) {
			t.Fatalf("trial %d: the registry snapshot's chain changed after an overlay", trial)
		}
	}
}

// TestOverlaySourcesAndDocument: the leader's own relations are named as its own,
// an estimated sales share is labelled, and every other relation is the
// registry's, in the JSON document and in DOT.
func TestOverlaySourcesAndDocument(t *testing.T) {
	s := chainFixture(t)
	l, s1a, z := idx(t, s, "L"), idx(t, s, "S1a"), idx(t, s, "Z")
	ov, err := s.Overlay(l, graph.DefaultChainOptions(), []graph.Supplied{
		{Supplier: s1a, Attrs: attrs(0.4, 0.5, 0.1)},
		{Supplier: z, Attrs: attrs(0.2, 0.1, 0.3), Estimated: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ov.Chain(l, graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	doc := c.Document(func(int32) graph.NodeInfo { return graph.NodeInfo{} })
	got := map[string]graph.ChainEdge{}
	for _, e := range doc.Edges {
		got[e.Supplier+">"+e.Customer] = e
	}
	if e := got["S1a>L"]; e.Source != "L" || e.PurchaseShare != 0.4 || len(e.Estimated) != 0 {
		t.Errorf("S1a → L = %+v, want the leader's own 0.4, not estimated", e)
	}
	if e := got["Z>L"]; e.Source != "L" || !reflect.DeepEqual(e.Estimated, []string{"sales_share"}) {
		t.Errorf("Z → L = %+v, want the leader's own with its sales share estimated", e)
	}
	if e := got["S1b>L"]; e.Source != graph.SourceRegistry || e.PurchaseShare != 0.3 {
		t.Errorf("S1b → L = %+v, want the registry's 0.3", e)
	}
	if e := got["S2>S1a"]; e.Source != graph.SourceRegistry {
		t.Errorf("S2 → S1a = %+v, want the registry's", e)
	}
	if m, ok := c.Member(z); !ok || m.Tier != 1 {
		t.Errorf("Z, a supplier only the leader lists, = %+v, %v; want tier 1", m, ok)
	}
	if _, ok := ov.OverlayOf(); !ok {
		t.Error("OverlayOf says the overlay is the registry's")
	}
	if e, ok := s.FindEdge(s1a, l); !ok || s.Attrs(e).PurchaseShare != 0.6 {
		t.Error("the registry's S1a → L changed")
	}
}

// TestOverlayRefusesBadLists: the leader itself, a supplier out of range, a share
// out of range and a supplier listed twice are errors.
func TestOverlayRefusesBadLists(t *testing.T) {
	s := chainFixture(t)
	l := idx(t, s, "L")
	for name, list := range map[string][]graph.Supplied{
		"leader":       {{Supplier: l, Attrs: attrs(0.1, 0.1, 0.5)}},
		"out of range": {{Supplier: 99, Attrs: attrs(0.1, 0.1, 0.5)}},
		"share":        {{Supplier: idx(t, s, "Z"), Attrs: attrs(1.5, 0.1, 0.5)}},
		"twice":        {{Supplier: idx(t, s, "Z"), Attrs: attrs(0.1, 0.1, 0.5)}, {Supplier: idx(t, s, "Z"), Attrs: attrs(0.2, 0.1, 0.5)}},
	} {
		if _, err := s.Overlay(l, graph.DefaultChainOptions(), list); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
