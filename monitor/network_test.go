package monitor

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNetworkBuild(t *testing.T) {
	// Nodes listed first keep their order; edge endpoints follow in order of
	// first appearance. Out-edges keep input order within a node.
	net, err := NewNetwork([]string{"Z", "A"}, []Edge{
		{"A", "B", 0.5},
		{"C", "A", 2},
		{"A", "C", 0},
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
	net, err := NewNetwork(nil, nil)
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
		edges []Edge
		want  string
	}{
		{"negative weight", nil, []Edge{{"A", "B", -0.1}}, "non-negative"},
		{"NaN weight", nil, []Edge{{"A", "B", math.NaN()}}, "non-negative"},
		{"Inf weight", nil, []Edge{{"A", "B", math.Inf(1)}}, "non-negative"},
		{"self-loop", nil, []Edge{{"A", "A", 1}}, "self-loop"},
		{"empty from", nil, []Edge{{"", "B", 1}}, "empty node id"},
		{"empty to", nil, []Edge{{"A", "", 1}}, "empty node id"},
		{"empty node", []string{""}, nil, "empty node id"},
		{"duplicate node", []string{"A", "A"}, nil, "listed twice"},
		{"duplicate edge", nil, []Edge{{"A", "B", 1}, {"A", "C", 1}, {"A", "B", 2}}, "A→B given twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewNetwork(c.nodes, c.edges)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
