package graph_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

func edge(from, to string, w float64) graph.Edge {
	return graph.Edge{From: from, To: to, Weight: w}
}

func TestNetworkBuild(t *testing.T) {
	// Nodes listed first keep their order; edge endpoints follow in order of
	// first appearance. Out-edges keep input order within a node.
	net, err := graph.NewNetwork([]string{"Z", "A"}, []graph.Edge{
		edge("A", "B", 0.5),
		edge("C", "A", 2),
		edge("A", "C", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := net.Len(), 4; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	if got, want := net.NumEdges(), 3; got != want {
		t.Fatalf("NumEdges = %d, want %d", got, want)
	}
	var ids []string
	for i := range net.Len() {
		ids = append(ids, net.ID(i))
	}
	if want := []string{"Z", "A", "B", "C"}; !slices.Equal(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if _, ok := net.Index("nope"); ok {
		t.Error("Index of an unknown id succeeded")
	}
	a, _ := net.Index("A")
	dst, w := net.Out(a)
	if !slices.Equal(dst, []int32{2, 3}) || !slices.Equal(w, []float64{0.5, 0}) {
		t.Errorf("Out(A) = %v %v, want [2 3] [0.5 0]", dst, w)
	}
	z, _ := net.Index("Z")
	if dst, _ := net.Out(z); len(dst) != 0 {
		t.Errorf("isolated Z has out-edges %v", dst)
	}

	// The transpose lists in-edges: A is reached from C (2), B from A (0.5),
	// C from A (0).
	tr := net.Transpose()
	for _, c := range []struct {
		node string
		src  []int32
		w    []float64
	}{
		{"Z", nil, nil},
		{"A", []int32{3}, []float64{2}},
		{"B", []int32{1}, []float64{0.5}},
		{"C", []int32{1}, []float64{0}},
	} {
		i, _ := tr.Index(c.node)
		src, w := tr.Out(i)
		if !slices.Equal(src, c.src) || !slices.Equal(w, c.w) {
			t.Errorf("in-edges of %s = %v %v, want %v %v", c.node, src, w, c.src, c.w)
		}
	}
}

func TestNetworkEmpty(t *testing.T) {
	net, err := graph.NewNetwork(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if net.Len() != 0 || net.NumEdges() != 0 || net.Transpose().Len() != 0 {
		t.Errorf("empty network has %d nodes, %d edges", net.Len(), net.NumEdges())
	}
}

func TestNetworkErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		nodes []string
		edges []graph.Edge
		want  string
	}{
		{"negative weight", nil, []graph.Edge{edge("A", "B", -0.1)}, "non-negative"},
		{"NaN weight", nil, []graph.Edge{edge("A", "B", math.NaN())}, "non-negative"},
		{"Inf weight", nil, []graph.Edge{edge("A", "B", math.Inf(1))}, "non-negative"},
		{"self-loop", nil, []graph.Edge{edge("A", "A", 1)}, "self-loop"},
		{"empty from", nil, []graph.Edge{edge("", "B", 1)}, "empty node id"},
		{"empty to", nil, []graph.Edge{edge("A", "", 1)}, "empty node id"},
		{"empty node", []string{""}, nil, "empty node id"},
		{"duplicate node", []string{"A", "A"}, nil, "listed twice"},
		{"duplicate edge", nil, []graph.Edge{edge("A", "B", 1), edge("A", "C", 1), edge("A", "B", 2)}, "A→B given twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := graph.NewNetwork(c.nodes, c.edges)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestSnapshotNetwork derives a network from a snapshot's relations: it shares
// the snapshot's nodes, holds the rows given, and rejects rows that break a
// matrix's rules.
func TestSnapshotNetwork(t *testing.T) {
	s := mustBuild(t, []string{"A", "B", "C"}, []graph.Relation{
		{Supplier: "A", Customer: "B", Attrs: attrs(0.5, 0.25, 0)},
		{Supplier: "C", Customer: "B", Attrs: attrs(0.5, 1, 0)},
	})
	c := s.CSR()
	// Row i: i's customers, weighted by purchase share.
	byShare := func(i int32, dst []int32, w []float64) ([]int32, []float64) {
		for e := c.OutStart[i]; e < c.OutStart[i+1]; e++ {
			dst, w = append(dst, c.OutTo[e]), append(w, c.PurchaseShare[e])
		}
		return dst, w
	}
	net, err := s.Network(0, byShare)
	if err != nil {
		t.Fatal(err)
	}
	if net.Len() != 3 || net.NumEdges() != 2 {
		t.Fatalf("%d nodes, %d edges; want 3, 2", net.Len(), net.NumEdges())
	}
	for i, id := range s.IDs {
		if j, ok := net.Index(id); !ok || j != i || net.ID(i) != id {
			t.Errorf("node %d: Index(%s) = %d, %v; ID = %s", i, id, j, ok, net.ID(i))
		}
	}
	for _, r := range []struct {
		node string
		dst  []int32
		w    []float64
	}{{"A", []int32{1}, []float64{0.5}}, {"B", nil, nil}, {"C", []int32{1}, []float64{0.5}}} {
		i, _ := net.Index(r.node)
		if dst, w := net.Out(i); !slices.Equal(dst, r.dst) || !slices.Equal(w, r.w) {
			t.Errorf("Out(%s) = %v %v, want %v %v", r.node, dst, w, r.dst, r.w)
		}
	}
	if src, w := net.Transpose().Out(1); !slices.Equal(src, []int32{0, 2}) || !slices.Equal(w, []float64{0.5, 0.5}) {
		t.Errorf("in-edges of B = %v %v, want [0 2] [0.5 0.5]", src, w)
	}

	for _, bad := range []struct {
		name string
		row  func(i int32, dst []int32, w []float64) ([]int32, []float64)
		want string
	}{
		{"self-loop", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			return append(dst, i), append(w, 1)
		}, "self-loop"},
		{"out of order", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			if i == 0 {
				return append(dst, 2, 1), append(w, 1, 1)
			}
			return dst, w
		}, "out of order"},
		{"repeated target", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			if i == 0 {
				return append(dst, 1, 1), append(w, 1, 1)
			}
			return dst, w
		}, "out of order"},
		{"out of range", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			return append(dst, 3), append(w, 1)
		}, "out of range"},
		{"negative weight", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			if i == 1 {
				return append(dst, 2), append(w, -1)
			}
			return dst, w
		}, "B→C: weight -1"},
		{"NaN weight", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			if i == 1 {
				return append(dst, 2), append(w, math.NaN())
			}
			return dst, w
		}, "B→C: weight NaN"},
		{"weights missing", func(i int32, dst []int32, w []float64) ([]int32, []float64) {
			return append(dst, (i+1)%3), w
		}, "1 targets, 0 weights"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := s.Network(0, bad.row); err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("err = %v, want one containing %q", err, bad.want)
			}
		})
	}
}
