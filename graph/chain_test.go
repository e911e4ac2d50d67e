package graph_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
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
		{"customers only", graph.ChainOptions{DepthDown: 2}, "L:0 S1a:-1 S2:-1 K1:-1 S1b:-2 K2:-2"},
		{"deep", graph.ChainOptions{DepthUp: 10, DepthDown: 10}, "L:0 S1a:1 S1b:1 S2:2 S3:3 S4:4 K1:-1 K2:-2"},
		{"one hop", graph.ChainOptions{DepthUp: 1, DepthDown: 1, MaxPaths: 1}, "L:0 S1a:1 S1b:1 S2:-1 K1:-1"},
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

// TestChainPathsRandom checks every member's recorded paths on random
// cyclic graphs: right length, real relations in the right direction,
// distinct, and as many as exist up to MaxPaths (counted by a DP over the
// BFS layers).
func TestChainPathsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 100 {
		n := 2 + r.IntN(30)
		ids, rels := graphtest.Random(r, n, r.IntN(5*n))
		s := mustBuild(t, ids, rels)
		o := graph.ChainOptions{DepthUp: r.IntN(5), DepthDown: r.IntN(3), MaxPaths: 1 + r.IntN(4)}
		c, err := s.Chain(int32(r.IntN(n)), o)
		if err != nil {
			t.Fatal(err)
		}
		// Number of shortest paths per member, by distance.
		count := func(upstream bool) map[int32]int {
			cnt := map[int32]int{c.Leader: 1}
			for d := 1; d <= max(o.DepthUp, o.DepthDown); d++ {
				for _, m := range c.Members {
					dist := m.Down
					if upstream {
						dist = m.Up
					}
					if dist != d {
						continue
					}
					for _, l := range c.Links {
						switch {
						case upstream && l.Supplier == m.Node && c.Members[l.To].Up == d-1:
							cnt[m.Node] += cnt[l.Customer]
						case !upstream && l.Customer == m.Node && c.Members[l.From].Down == d-1:
							cnt[m.Node] += cnt[l.Supplier]
						}
					}
				}
			}
			return cnt
		}
		upCount, downCount := count(true), count(false)
		for _, m := range c.Members {
			want := downCount[m.Node]
			if m.Tier >= 0 {
				want = upCount[m.Node]
			}
			if len(m.Paths) != min(want, o.MaxPaths) {
				t.Fatalf("%s (tier %d): %d paths, want min(%d, %d)", m.ID, m.Tier, len(m.Paths), want, o.MaxPaths)
			}
			seen := map[string]bool{}
			for _, p := range m.Paths {
				key := fmt.Sprint(p)
				if seen[key] {
					t.Fatalf("%s: path %v twice", m.ID, p)
				}
				seen[key] = true
				tier := max(m.Tier, -m.Tier)
				if len(p) != tier+1 || p[0] != m.Node || p[len(p)-1] != c.Leader {
					t.Fatalf("%s (tier %d): bad path %v", m.ID, m.Tier, p)
				}
				for k := 1; k < len(p); k++ {
					u, v := p[k-1], p[k]
					if m.Tier < 0 {
						u, v = v, u
					}
					if _, ok := s.FindEdge(u, v); !ok {
						t.Fatalf("%s: path %v uses a missing relation %d → %d", m.ID, p, u, v)
					}
				}
			}
			if k, ok := c.Position(m.Node); !ok || c.Members[k].Node != m.Node {
				t.Fatalf("Position(%d) = %d, %v", m.Node, k, ok)
			}
		}
		// Reach finds the same members, distances and tiers.
		reach, err := s.Reach(c.Leader, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(reach.Nodes) != len(c.Members) || reach.Nodes[0] != c.Leader {
			t.Fatalf("Reach has %d members (first %d), Chain %d", len(reach.Nodes), reach.Nodes[0], len(c.Members))
		}
		for _, m := range c.Members {
			tier, ok := reach.Tier(m.Node)
			if p := reach.Pos(m.Node); !ok || tier != m.Tier || reach.Up(m.Node) != m.Up || reach.Down(m.Node) != m.Down ||
				p < 0 || reach.Nodes[p] != m.Node {
				t.Fatalf("Reach of %s: tier %d %v up %d down %d pos %d; chain %+v", m.ID, tier, ok, reach.Up(m.Node), reach.Down(m.Node), p, m)
			}
		}
		for v := range int32(n) {
			if _, in := c.Member(v); !in {
				if _, ok := reach.Tier(v); ok || reach.Pos(v) != -1 {
					t.Fatalf("Reach counts non-member %d", v)
				}
			}
		}
		reach.Release()
		reach.Release() // idempotent
		for v := range int32(n) {
			_, in := c.Member(v)
			member := false
			for _, m := range c.Members {
				member = member || m.Node == v
			}
			if in != member {
				t.Fatalf("Member(%d) = %v, want %v", v, in, member)
			}
		}
	}
}
