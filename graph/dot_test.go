package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dgraph "github.com/dominikbraun/graph"

	"github.com/chainrisk/chainrisk/graph"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func fixtureDescribe(s *graph.Snapshot) graph.Describe {
	info := map[string]graph.NodeInfo{
		"L":   {Name: `Harbin "Northern" Soy Group`, Grade: "A"},
		"S1a": {Name: "Suihua Bean Co-op", Grade: "B"},
		"S1b": {Grade: "C"},
		"S2":  {Grade: "D"},
		"K1":  {Name: "Daqing Feed Mill", Grade: "B"},
		// S3: unknown grade
	}
	return func(v int32) graph.NodeInfo { return info[s.IDs[v]] }
}

func TestChainDOTGolden(t *testing.T) {
	s := chainFixture(t)
	c, err := s.Chain(idx(t, s, "L"), graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for range 5 { // draw.DOT walks maps: the output must still be stable
		var buf bytes.Buffer
		if err := c.WriteDOT(&buf, fixtureDescribe(s)); err != nil {
			t.Fatal(err)
		}
		if first != nil && !bytes.Equal(first, buf.Bytes()) {
			t.Fatal("WriteDOT output is not deterministic")
		}
		first = buf.Bytes()
	}
	golden(t, "chain.dot", first)
	for _, want := range []string{`fillcolor="#66bb6a"`, `fillcolor="#ef5350"`, `Harbin \"Northern\" Soy Group\nL\ntier 0 · A`, `label="ps 0.60 / ss 0.50"`} {
		if !strings.Contains(string(first), want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
}

// TestChainDOTGraphviz renders the golden file with Graphviz when it is
// installed, to prove the output is valid DOT.
func TestChainDOTGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz not installed")
	}
	out, err := exec.Command(dot, "-Tsvg", filepath.Join("testdata", "chain.dot")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("<svg")) {
		t.Fatalf("dot failed: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Warning")) || bytes.Contains(out, []byte("Error")) {
		t.Fatalf("dot complained:\n%s", out)
	}
}

func TestChainJSONGolden(t *testing.T) {
	s := chainFixture(t)
	c, err := s.Chain(idx(t, s, "L"), graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(c.Document(fixtureDescribe(s)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "chain.json", append(out, '\n'))
}

func TestChainLibraryGraph(t *testing.T) {
	s := chainFixture(t)
	c, err := s.Chain(idx(t, s, "L"), graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Graph(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Traits().IsDirected {
		t.Fatal("chain graph is undirected")
	}
	if n, _ := g.Order(); n != len(c.Members) {
		t.Fatalf("Order = %d, want %d", n, len(c.Members))
	}
	if m, _ := g.Size(); m != len(c.Links) {
		t.Fatalf("Size = %d, want %d", m, len(c.Links))
	}
	_, props, err := g.VertexWithProperties("S2")
	if err != nil || props.Attributes["tier"] != "2" || props.Attributes["fillcolor"] != "#e0e0e0" {
		t.Fatalf("S2 = %+v, %v", props, err)
	}
	e, err := g.Edge("S3", "S2")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := e.Properties.Data.(graph.EdgeAttrs); !ok || a.PurchaseShare != 1 || e.Properties.Attributes["label"] != "ps 1.00 / ss 0.90" {
		t.Fatalf("edge S3→S2 = %+v", e.Properties)
	}
	// The library's own algorithms work on the subgraph, e.g. its SCCs.
	sccs, err := dgraph.StronglyConnectedComponents(g)
	if err != nil {
		t.Fatal(err)
	}
	big := 0
	for _, comp := range sccs {
		if len(comp) > 1 {
			big++
		}
	}
	if big != 1 { // {L, S1a, S2, S1b}: L → S1a → L and L → S2 → S1b → L
		t.Fatalf("library found %d cycles in the chain, want 1: %v", big, sccs)
	}
}
