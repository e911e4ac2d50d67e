package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

func attrs(ps, ss, sub float64) graph.EdgeAttrs {
	return graph.EdgeAttrs{PurchaseShare: ps, SalesShare: ss, Substitutability: sub}
}

func mustBuild(t testing.TB, ids []string, rels []graph.Relation) *graph.Snapshot {
	t.Helper()
	s, err := graphtest.Build(ids, rels)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnapshotBuild(t *testing.T) {
	b := graph.NewBuilder(0, 0)
	b.AddNode("C")
	b.AddEdge("B", "C", attrs(0.5, 0.1, 0.2))
	b.AddEdge("A", "C", attrs(0.25, 0.3, 0))
	b.AddEdge("A", "B", graph.EdgeAttrs{PurchaseShare: 1, SalesShare: 0.7, Substitutability: 1, Amount: 42})
	b.AddNode("D") // isolated
	if got := b.IDs(); !slices.Equal(got, []string{"C", "B", "A", "D"}) {
		t.Fatalf("Builder.IDs = %v", got)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"C", "B", "A", "D"}; !slices.Equal(s.IDs, want) {
		t.Fatalf("IDs = %v, want %v (first appearance)", s.IDs, want)
	}
	c := s.CSR()
	// Edges by supplier index then customer: B(1)→C(0), A(2)→C(0), A(2)→B(1).
	check := func(name string, got, want []int32) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("OutStart", c.OutStart, []int32{0, 0, 1, 3, 3})
	check("OutTo", c.OutTo, []int32{0, 0, 1})
	check("InStart", c.InStart, []int32{0, 2, 3, 3, 3})
	check("InFrom", c.InFrom, []int32{1, 2, 2})
	check("InEdge", c.InEdge, []int32{0, 1, 2})
	if got, want := c.PurchaseShare, []float64{0.5, 0.25, 1}; !slices.Equal(got, want) {
		t.Errorf("PurchaseShare = %v, want %v", got, want)
	}
	if got := s.Attrs(2); got.Amount != 42 || got.Substitutability != 1 || got.SalesShare != 0.7 {
		t.Errorf("Attrs(2) = %+v", got)
	}
	if e, ok := s.FindEdge(2, 1); !ok || e != 2 {
		t.Errorf("FindEdge(A, B) = %d, %v", e, ok)
	}
	if _, ok := s.FindEdge(1, 2); ok {
		t.Errorf("FindEdge(B, A) found a missing edge")
	}
	if i, ok := s.Index("D"); !ok || i != 3 {
		t.Errorf("Index(D) = %d, %v", i, ok)
	}
	if s.Len() != 4 || s.NumEdges() != 3 {
		t.Errorf("Len, NumEdges = %d, %d", s.Len(), s.NumEdges())
	}
	if s.SizeBytes() <= 0 {
		t.Errorf("SizeBytes = %d", s.SizeBytes())
	}
}

func TestSnapshotEmpty(t *testing.T) {
	s, err := graph.NewBuilder(0, 0).Build()
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 || s.NumEdges() != 0 || len(s.Cycles()) != 0 {
		t.Fatalf("empty snapshot: %d nodes, %d edges", s.Len(), s.NumEdges())
	}
}

func TestSnapshotBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(b *graph.Builder)
		want []string
	}{
		{"self-loop", func(b *graph.Builder) { b.AddEdge("A", "A", attrs(0.1, 0.1, 0.5)) }, []string{"A → A: self-loop"}},
		{"duplicate", func(b *graph.Builder) {
			b.AddEdge("A", "B", attrs(0.1, 0.1, 0.5))
			b.AddEdge("A", "B", attrs(0.2, 0.1, 0.5))
		}, []string{"A → B: duplicate"}},
		{"share above 1", func(b *graph.Builder) { b.AddEdge("A", "B", attrs(1.5, 0.1, 0.5)) }, []string{"purchase_share 1.5 outside [0, 1]"}},
		{"NaN share", func(b *graph.Builder) { b.AddEdge("A", "B", attrs(0.5, math.NaN(), 0.5)) }, []string{"sales_share NaN"}},
		{"negative substitutability", func(b *graph.Builder) { b.AddEdge("A", "B", attrs(0.5, 0.5, -0.1)) }, []string{"substitutability -0.1"}},
		{"infinite amount", func(b *graph.Builder) {
			b.AddEdge("A", "B", graph.EdgeAttrs{Amount: math.Inf(1)})
		}, []string{"amount +Inf"}},
		{"empty id", func(b *graph.Builder) { b.AddNode("") }, []string{"empty firm id"}},
		{"several", func(b *graph.Builder) {
			for i := range 25 {
				id := fmt.Sprint(i)
				b.AddEdge(id, id, graph.EdgeAttrs{})
			}
		}, []string{"0 → 0: self-loop", "19 → 19", "and 5 more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(0, 0)
			tc.add(b)
			_, err := b.Build()
			if err == nil {
				t.Fatal("Build succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// naive is an adjacency model to check snapshots against.
type naive map[graph.EdgeKey]graph.EdgeAttrs

func checkAgainst(t *testing.T, s *graph.Snapshot, ids []string, model naive) {
	t.Helper()
	if !slices.Equal(s.IDs, ids) {
		t.Fatalf("IDs differ: %d vs %d", len(s.IDs), len(ids))
	}
	if s.NumEdges() != len(model) {
		t.Fatalf("NumEdges = %d, want %d", s.NumEdges(), len(model))
	}
	c := s.CSR()
	for u := range int32(s.Len()) {
		lo, hi := s.OutEdges(u)
		for e := lo; e < hi; e++ {
			if e > lo && c.OutTo[e-1] >= c.OutTo[e] {
				t.Fatalf("row %d not sorted", u)
			}
			k := graph.EdgeKey{Supplier: s.IDs[u], Customer: s.IDs[c.OutTo[e]]}
			if a, ok := model[k]; !ok || a != s.Attrs(e) {
				t.Fatalf("edge %v = %+v, want %+v (present %v)", k, s.Attrs(e), a, ok)
			}
		}
		lo, hi = s.InEdges(u)
		for q := lo; q < hi; q++ {
			if q > lo && c.InFrom[q-1] >= c.InFrom[q] {
				t.Fatalf("in-row %d not sorted", u)
			}
			e := c.InEdge[q]
			if c.OutTo[e] != u {
				t.Fatalf("in-edge %d of %d points to edge %d of %d", q, u, e, c.OutTo[e])
			}
			if f, _ := s.FindEdge(c.InFrom[q], u); f != e {
				t.Fatalf("in-edge %d: supplier %d, edge %d; FindEdge says %d", q, c.InFrom[q], e, f)
			}
		}
	}
}

func TestSnapshotMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		ids, rels := graphtest.Random(r, 1+r.IntN(40), r.IntN(200))
		s := mustBuild(t, ids, rels)
		model := naive{}
		for _, rel := range rels {
			model[graph.EdgeKey{Supplier: rel.Supplier, Customer: rel.Customer}] = rel.Attrs
		}
		checkAgainst(t, s, ids, model)
	}
}

// TestSnapshotApply applies random deltas and compares each result with the
// model and with a snapshot built from scratch.
func TestSnapshotApply(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 30 {
		ids, rels := graphtest.Random(r, 2+r.IntN(30), r.IntN(120))
		s := mustBuild(t, ids, rels)
		model := naive{}
		for _, rel := range rels {
			model[graph.EdgeKey{Supplier: rel.Supplier, Customer: rel.Customer}] = rel.Attrs
		}
		for step := range 6 {
			var d graph.Delta
			touched := map[graph.EdgeKey]bool{}
			attrsOnly := step%3 == 0
			if !attrsOnly && r.IntN(2) == 0 {
				id := fmt.Sprintf("new-%d-%d", round, step)
				d.Nodes = append(d.Nodes, id)
				ids = append(slices.Clip(ids), id)
			}
			for range r.IntN(8) {
				u, v := ids[r.IntN(len(ids))], ids[r.IntN(len(ids))]
				k := graph.EdgeKey{Supplier: u, Customer: v}
				if u == v || touched[k] {
					continue
				}
				_, exists := model[k]
				switch {
				case exists && !attrsOnly && r.IntN(2) == 0:
					d.Remove = append(d.Remove, k)
					delete(model, k)
				case exists || !attrsOnly:
					a := attrs(r.Float64(), r.Float64(), r.Float64())
					d.Set = append(d.Set, graph.Relation{Supplier: u, Customer: v, Attrs: a})
					model[k] = a
				default:
					continue
				}
				touched[k] = true
			}
			next, err := s.Apply(d)
			if err != nil {
				t.Fatalf("round %d step %d: %v", round, step, err)
			}
			checkAgainst(t, next, ids, model)
			if !next.Extends(s) {
				t.Fatalf("round %d step %d: Apply lost node indices", round, step)
			}
			if attrsOnly && s.NumEdges() > 0 && &next.CSR().OutTo[0] != &s.CSR().OutTo[0] {
				t.Errorf("round %d step %d: attribute-only delta copied the structure", round, step)
			}
			var fresh []graph.Relation
			for k, a := range model {
				fresh = append(fresh, graph.Relation{Supplier: k.Supplier, Customer: k.Customer, Attrs: a})
			}
			scratch := mustBuild(t, ids, fresh)
			if !slices.Equal(scratch.CSR().OutTo, next.CSR().OutTo) || !slices.Equal(scratch.CSR().InEdge, next.CSR().InEdge) ||
				!slices.Equal(scratch.CSR().PurchaseShare, next.CSR().PurchaseShare) {
				t.Fatalf("round %d step %d: Apply differs from a rebuild", round, step)
			}
			s = next
		}
	}
}

func TestSnapshotApplyErrors(t *testing.T) {
	s := mustBuild(t, []string{"A", "B", "C"}, []graph.Relation{{Supplier: "A", Customer: "B", Attrs: attrs(0.5, 0.5, 0.5)}})
	for _, tc := range []struct {
		name string
		d    graph.Delta
		want string
	}{
		{"remove missing", graph.Delta{Remove: []graph.EdgeKey{{Supplier: "B", Customer: "A"}}}, "remove B → A: no such relation"},
		{"remove unknown firm", graph.Delta{Remove: []graph.EdgeKey{{Supplier: "X", Customer: "A"}}}, "remove X → A: no such relation"},
		{"self-loop", graph.Delta{Set: []graph.Relation{{Supplier: "C", Customer: "C"}}}, "C → C: self-loop"},
		{"bad share", graph.Delta{Set: []graph.Relation{{Supplier: "C", Customer: "A", Attrs: attrs(2, 0, 0)}}}, "purchase_share 2"},
		{"twice", graph.Delta{
			Set:    []graph.Relation{{Supplier: "A", Customer: "B", Attrs: attrs(0.1, 0.1, 0.1)}},
			Remove: []graph.EdgeKey{{Supplier: "A", Customer: "B"}},
		}, "A → B: changed twice"},
		{"empty id", graph.Delta{Nodes: []string{""}}, "empty firm id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Apply(tc.d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Apply error = %v, want %q", err, tc.want)
			}
		})
	}
	// s itself is untouched by failed and successful deltas.
	if _, err := s.Apply(graph.Delta{Nodes: []string{"D"}, Set: []graph.Relation{{Supplier: "D", Customer: "A"}}}); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || s.NumEdges() != 1 {
		t.Fatalf("Apply changed its receiver: %d nodes, %d edges", s.Len(), s.NumEdges())
	}
	if _, ok := s.Index("D"); ok {
		t.Fatal("Apply changed its receiver's index")
	}
}

func TestSnapshotExtends(t *testing.T) {
	a := mustBuild(t, []string{"A", "B"}, nil)
	b := mustBuild(t, []string{"A", "B", "C"}, nil)
	c := mustBuild(t, []string{"B", "A", "C"}, nil)
	for _, tc := range []struct {
		name     string
		new, old *graph.Snapshot
		want     bool
	}{
		{"self", a, a, true}, {"appended", b, a, true}, {"shorter", a, b, false}, {"reordered", c, a, false}, {"nil", a, nil, false},
	} {
		if got := tc.new.Extends(tc.old); got != tc.want {
			t.Errorf("%s: Extends = %v, want %v", tc.name, got, tc.want)
		}
	}
}
