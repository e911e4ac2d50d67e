package graph_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

func rel(u, v string) graph.Relation {
	return graph.Relation{Supplier: u, Customer: v, Attrs: attrs(0.5, 0.5, 0.5)}
}

func TestSCCHandCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []string
		rels []graph.Relation
		want [][]int32
	}{
		{"no edges", []string{"A", "B"}, nil, nil},
		{"path", []string{"A", "B", "C"}, []graph.Relation{rel("A", "B"), rel("B", "C")}, nil},
		{"2-cycle", []string{"A", "B", "C"}, []graph.Relation{rel("A", "B"), rel("B", "A"), rel("B", "C")}, [][]int32{{0, 1}}},
		{"two cycles joined one way", []string{"A", "B", "C", "D"},
			[]graph.Relation{rel("A", "B"), rel("B", "A"), rel("B", "C"), rel("C", "D"), rel("D", "C")}, [][]int32{{0, 1}, {2, 3}}},
		{"figure eight", []string{"A", "B", "C", "D", "E"},
			[]graph.Relation{rel("A", "B"), rel("B", "C"), rel("C", "A"), rel("C", "D"), rel("D", "E"), rel("E", "C")}, [][]int32{{0, 1, 2, 3, 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustBuild(t, tc.ids, tc.rels).Cycles()
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Cycles = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSCCLongCycle runs a cycle through a million firms: a recursive Tarjan
// would need a million stack frames.
func TestSCCLongCycle(t *testing.T) {
	const n = 1_000_000
	b := graph.NewBuilder(n, n)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
		b.AddNode(ids[i])
	}
	for i := range n {
		b.AddEdge(ids[i], ids[(i+1)%n], graph.EdgeAttrs{})
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	comps := s.Cycles()
	if len(comps) != 1 || len(comps[0]) != n {
		t.Fatalf("got %d components, want one of %d firms", len(comps), n)
	}
}

// TestSCCMatchesReachability compares with the definition: u and v share a
// component iff each reaches the other.
func TestSCCMatchesReachability(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		n := 1 + r.IntN(25)
		ids, rels := graphtest.Random(r, n, r.IntN(3*n))
		s := mustBuild(t, ids, rels)
		reach := make([][]bool, n)
		for u := range n {
			reach[u] = make([]bool, n)
			stack := []int32{int32(u)}
			reach[u][u] = true
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				lo, hi := s.OutEdges(x)
				for e := lo; e < hi; e++ {
					if w := s.CSR().OutTo[e]; !reach[u][w] {
						reach[u][w] = true
						stack = append(stack, w)
					}
				}
			}
		}
		var want [][]int32
		done := make([]bool, n)
		for u := range n {
			if done[u] {
				continue
			}
			var comp []int32
			for v := range n {
				if reach[u][v] && reach[v][u] {
					comp = append(comp, int32(v))
					done[v] = true
				}
			}
			if len(comp) > 1 {
				want = append(want, comp)
			}
		}
		if got := s.Cycles(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Cycles = %v, want %v", got, want)
		}
		for _, c := range want {
			if !slices.IsSorted(c) {
				t.Fatal("component not sorted")
			}
		}
	}
}
