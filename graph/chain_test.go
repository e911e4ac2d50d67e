package graph_test

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

// chainFixture is a small chain with every case of the tier rule:
//
//	S4 → S3 → S2 ⇉ {S1a, S1b} → L → K1 → K2
//
// plus L → S1a (a 2-cycle through the leader) and L → S2 (S2 is a supplier
// at 2 hops and a customer at 1 hop: its tier is the upstream 2).
func chainFixture(t testing.TB) *graph.Snapshot {
	t.Helper()
	ids := []string{"L", "S1a", "S1b", "S2", "S3", "S4", "K1", "K2", "Z"}
	return mustBuild(t, ids, []graph.Relation{
		{Supplier: "S1a", Customer: "L", Attrs: attrs(0.6, 0.5, 0.1)},
		{Supplier: "S1b", Customer: "L", Attrs: attrs(0.3, 0.2, 0.5)},
		{Supplier: "S2", Customer: "S1a", Attrs: attrs(0.5, 0.4, 0.2)},
		{Supplier: "S2", Customer: "S1b", Attrs: attrs(0.25, 0.3, 0.8)},
		{Supplier: "S3", Customer: "S2", Attrs: attrs(1, 0.9, 0)},
		{Supplier: "S4", Customer: "S3", Attrs: attrs(0.5, 0.5, 0.5)},
		{Supplier: "L", Customer: "K1", Attrs: graph.EdgeAttrs{PurchaseShare: 0.4, SalesShare: 0.7, Substitutability: 0.5, Amount: 1.5e6}},
		{Supplier: "K1", Customer: "K2", Attrs: attrs(0.5, 0.5, 0.5)},
		{Supplier: "L", Customer: "S1a", Attrs: attrs(0.1, 0.05, 0.5)},
		{Supplier: "L", Customer: "S2", Attrs: attrs(0.05, 0.1, 0.5)},
	})
}

func idx(t testing.TB, s *graph.Snapshot, id string) int32 {
	t.Helper()
	i, ok := s.Index(id)
	if !ok {
		t.Fatalf("no firm %s", id)
	}
	return i
}

func TestChainTiersAndPaths(t *testing.T) {
	s := chainFixture(t)
	c, err := s.Chain(idx(t, s, "L"), graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID       string
		Tier     int
		Up, Down int
		Paths    [][]string
	}
	var got []row
	for _, m := range c.Members {
		r := row{ID: m.ID, Tier: m.Tier, Up: m.Up, Down: m.Down}
		for _, p := range m.Paths {
			r.Paths = append(r.Paths, c.PathIDs(p))
		}
		got = append(got, r)
	}
	want := []row{
		{"L", 0, 0, 0, [][]string{{"L"}}},
		{"S1a", 1, 1, 1, [][]string{{"S1a", "L"}}},
		{"S1b", 1, 1, -1, [][]string{{"S1b", "L"}}},
		{"S2", 2, 2, 1, [][]string{{"S2", "S1a", "L"}, {"S2", "S1b", "L"}}},
		{"S3", 3, 3, -1, [][]string{{"S3", "S2", "S1a", "L"}, {"S3", "S2", "S1b", "L"}}},
		{"K1", -1, -1, 1, [][]string{{"K1", "L"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("members:\n got %+v\nwant %+v", got, want)
	}
	var links []string
	for _, l := range c.Links {
		links = append(links, s.IDs[l.Supplier]+"→"+s.IDs[l.Customer])
		if e, _ := s.FindEdge(l.Supplier, l.Customer); e != l.Edge {
			t.Errorf("link %v has the wrong edge id", l)
		}
	}
	wantLinks := "S1a→L S1b→L L→S1a S2→S1a S2→S1b L→S2 S3→S2 L→K1" // by customer, then supplier index
	if strings.Join(links, " ") != wantLinks {
		t.Fatalf("links = %v, want %s", links, wantLinks)
	}
	from, to := map[int32][]int32{}, map[int32][]int32{}
	for i, l := range c.Links {
		if c.Members[l.From].Node != l.Supplier || c.Members[l.To].Node != l.Customer {
			t.Fatalf("link %+v: positions do not match its firms", l)
		}
		from[l.From] = append(from[l.From], int32(i))
		to[l.To] = append(to[l.To], int32(i))
	}
	for k := range c.Members {
		if got := c.LinksFrom(k); !slices.Equal(got, from[int32(k)]) {
			t.Errorf("LinksFrom(%s) = %v, want %v", c.Members[k].ID, got, from[int32(k)])
		}
		if got := c.LinksTo(k); !slices.Equal(got, to[int32(k)]) {
			t.Errorf("LinksTo(%s) = %v, want %v", c.Members[k].ID, got, to[int32(k)])
		}
	}
	if m, ok := c.Member(idx(t, s, "S2")); !ok || m.Tier != 2 {
		t.Fatalf("Member(S2) = %+v, %v", m, ok)
	}
	if _, ok := c.Member(idx(t, s, "S4")); ok {
		t.Fatal("S4 is beyond depth_up 3")
	}
	if p, ok := c.Position(idx(t, s, "K1")); !ok || p != 5 {
		t.Fatalf("Position(K1) = %d, %v", p, ok)
	}
}

func TestChainOptions(t *testing.T) {
	s := chainFixture(t)
	L := idx(t, s, "L")
	for _, tc := range []struct {
		name string
		o    graph.ChainOptions
		want string // members with tier
	}{
		{"leader only", graph.ChainOptions{}, "L:0"},
		{"customers only", graph.ChainOptions{DepthDown: 2}, "L:0 K1:-1 S1a:-1 S2:-1 K2:-2 S1b:-2"},
		{"deep", graph.ChainOptions{DepthUp: 10, DepthDown: 10}, "L:0 S1a:1 S1b:1 S2:2 S3:3 S4:4 K1:-1 K2:-2"},
		{"one hop", graph.ChainOptions{DepthUp: 1, DepthDown: 1, MaxPaths: 1}, "L:0 S1a:1 S1b:1 K1:-1 S2:-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Chain(L, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range c.Members {
				got = append(got, m.ID+":"+strconv.Itoa(m.Tier))
				if tc.o.MaxPaths == 0 && m.Paths != nil {
					t.Errorf("%s has paths with MaxPaths 0", m.ID)
				}
				if tc.o.MaxPaths == 1 && len(m.Paths) != 1 {
					t.Errorf("%s has %d paths, want 1", m.ID, len(m.Paths))
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("members = %v, want %s", got, tc.want)
			}
		})
	}
	// A leader with neither suppliers nor customers is a chain of one.
	c, err := s.Chain(idx(t, s, "Z"), graph.DefaultChainOptions())
	if err != nil || len(c.Members) != 1 || len(c.Links) != 0 {
		t.Fatalf("isolated leader: %+v, %v", c, err)
	}
}

func TestChainErrors(t *testing.T) {
	s := chainFixture(t)
	for _, tc := range []struct {
		name   string
		leader int32
		o      graph.ChainOptions
	}{
		{"leader negative", -1, graph.DefaultChainOptions()},
		{"leader too large", int32(s.Len()), graph.DefaultChainOptions()},
		{"negative depth", 0, graph.ChainOptions{DepthUp: -1}},
		{"too deep", 0, graph.ChainOptions{DepthDown: graph.MaxDepth + 1}},
		{"negative paths", 0, graph.ChainOptions{MaxPaths: -1}},
	} {
		if _, err := s.Chain(tc.leader, tc.o); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestChainConcurrent extracts chains from many goroutines: the scratch
// buffers are pooled per snapshot and must never leak between calls.
func TestChainConcurrent(t *testing.T) {
	s := chainFixture(t)
	want, err := s.Chain(0, graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			for range 200 {
				c, err := s.Chain(int32(g%s.Len()), graph.DefaultChainOptions())
				if err == nil && g%s.Len() == 0 && !reflect.DeepEqual(c.Members, want.Members) {
					err = errors.New("concurrent chain differs")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
