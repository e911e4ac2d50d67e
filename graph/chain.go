package graph

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// ChainOptions bound a leader's chain (SPEC §5.2).
type ChainOptions struct {
	DepthUp   int // hops upstream along supply relations (suppliers, their suppliers, …)
	DepthDown int // hops downstream (customers, …)
	MaxPaths  int // shortest paths to the leader recorded per member; 0 records none
}

// DefaultChainOptions returns depth_up 3, depth_down 1 and 3 paths per member.
func DefaultChainOptions() ChainOptions {
	return ChainOptions{DepthUp: 3, DepthDown: 1, MaxPaths: 3}
}

// MaxDepth bounds DepthUp and DepthDown.
const MaxDepth = 64

// Member is one firm of a chain.
//
// Tier rule: a firm reachable upstream within DepthUp takes its shortest
// upstream hop distance as tier (1, 2, 3, …), even when it is also a customer
// within DepthDown — supply risk is what a chain is watched for first, and
// its Down distance stays recorded. Firms reachable only downstream take the
// negative downstream distance (−1, …). The leader is tier 0, also when a
// cycle leads back to it. Hop distances are BFS distances, so cycles never
// loop.
type Member struct {
	Node int32  // snapshot index
	ID   string // firm id
	Tier int
	Up   int // upstream hops to the leader, −1 if beyond DepthUp
	Down int // downstream hops from the leader, −1 if beyond DepthDown
	// Paths are up to MaxPaths shortest paths between the member and the
	// leader, in ascending node-index order of their hops. Each path lists
	// snapshot indices from the member to the leader. For a supplier (Tier
	// > 0) consecutive firms are supplier → customer; for a customer (Tier
	// < 0) they are customer ← supplier. The leader's only path is itself.
	Paths [][]int32
}

// Link is a relation between two members of a chain.
type Link struct {
	Supplier, Customer int32 // snapshot indices
	Edge               int32 // edge id
	From, To           int32 // positions of Supplier and Customer in Members
}

// Chain is the part of a snapshot around a leader: its members by tier and
// the relations among them. It is immutable and refers to its Snapshot.
type Chain struct {
	Leader  int32
	Options ChainOptions
	// Members lists the leader first, then tiers 1, 2, … then −1, −2, …;
	// within a tier by firm id.
	Members []Member
	// Links are all relations whose two ends are members, ordered by
	// (customer, supplier) index.
	Links []Link
	snap  *Snapshot
	pos   map[int32]int32 // node → position in Members
	// Links grouped by supplier position (outLinks) and by customer
	// position (inLinks), as indices into Links, each group in Links order.
	outStart, outLinks []int32
	inStart, inLinks   []int32
}

// LinksFrom returns the indices in Links of the relations in which the
// member at position k is the supplier, by customer index.
func (c *Chain) LinksFrom(k int) []int32 { return c.outLinks[c.outStart[k]:c.outStart[k+1]] }

// LinksTo returns the indices in Links of the relations in which the member
// at position k is the customer, by supplier index.
func (c *Chain) LinksTo(k int) []int32 { return c.inLinks[c.inStart[k]:c.inStart[k+1]] }

// Snapshot returns the snapshot the chain was taken from.
func (c *Chain) Snapshot() *Snapshot { return c.snap }

// Member returns the member with snapshot index v.
func (c *Chain) Member(v int32) (*Member, bool) {
	k, ok := c.pos[v]
	if !ok {
		return nil, false
	}
	return &c.Members[k], true
}

// Position returns v's position in Members.
func (c *Chain) Position(v int32) (int, bool) {
	k, ok := c.pos[v]
	return int(k), ok
}

// PathIDs turns a path of snapshot indices into firm ids.
func (c *Chain) PathIDs(path []int32) []string {
	ids := make([]string, len(path))
	for k, v := range path {
		ids[k] = c.snap.IDs[v]
	}
	return ids
}

// chainScratch holds dense per-node distances reused across extractions, so
// a chain costs O(its size), not O(n). Only touched entries are ever non −1.
type chainScratch struct {
	up, down []int8
	at       []int32 // 1 + position in Members
	touched  []int32
}

func (s *Snapshot) scratch() *chainScratch {
	if x := s.pool.Get(); x != nil {
		return x.(*chainScratch)
	}
	n := s.Len()
	sc := &chainScratch{up: make([]int8, n), down: make([]int8, n), at: make([]int32, n)}
	for i := range sc.up {
		sc.up[i], sc.down[i] = -1, -1
	}
	return sc
}

func (s *Snapshot) release(sc *chainScratch) {
	for _, v := range sc.touched {
		sc.up[v], sc.down[v], sc.at[v] = -1, -1, 0
	}
	sc.touched = sc.touched[:0]
	s.pool.Put(sc)
}

// Chain extracts the chain of leader. It never visits more than the chain
// and its members' relations, and is safe for concurrent use.
func (s *Snapshot) Chain(leader int32, o ChainOptions) (*Chain, error) {
	if leader < 0 || int(leader) >= s.Len() {
		return nil, fmt.Errorf("graph: chain: leader index %d out of range [0, %d)", leader, s.Len())
	}
	if o.DepthUp < 0 || o.DepthUp > MaxDepth || o.DepthDown < 0 || o.DepthDown > MaxDepth || o.MaxPaths < 0 {
		return nil, fmt.Errorf("graph: chain: depths must be in [0, %d] and max paths ≥ 0, got up %d down %d paths %d",
			MaxDepth, o.DepthUp, o.DepthDown, o.MaxPaths)
	}
	sc := s.scratch()
	defer s.release(sc)
	csr := &s.csr

	// Upstream BFS along in-edges, then downstream along out-edges; the
	// queue of each is its slice of touched.
	sc.touched = append(sc.touched, leader)
	sc.up[leader], sc.down[leader] = 0, 0
	for k := 0; k < len(sc.touched); k++ {
		x := sc.touched[k]
		h := sc.up[x]
		if int(h) >= o.DepthUp {
			continue
		}
		for q := csr.InStart[x]; q < csr.InStart[x+1]; q++ {
			if w := csr.InFrom[q]; sc.up[w] < 0 {
				sc.up[w] = h + 1
				sc.touched = append(sc.touched, w)
			}
		}
	}
	queue := []int32{leader}
	for k := 0; k < len(queue); k++ {
		x := queue[k]
		h := sc.down[x]
		if int(h) >= o.DepthDown {
			continue
		}
		for e := csr.OutStart[x]; e < csr.OutStart[x+1]; e++ {
			if w := csr.OutTo[e]; sc.down[w] < 0 {
				sc.down[w] = h + 1
				queue = append(queue, w)
				if sc.up[w] < 0 {
					sc.touched = append(sc.touched, w)
				}
			}
		}
	}

	// Members by tier, then id.
	type sortKey struct {
		rank int
		id   string
		node int32
	}
	keys := make([]sortKey, len(sc.touched))
	for i, v := range sc.touched {
		r := int(sc.up[v]) // 0, 1, …, DepthUp, then −1, −2, … as DepthUp+1, …
		if r < 0 {
			r = o.DepthUp + int(sc.down[v])
		}
		keys[i] = sortKey{r, s.IDs[v], v}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.id, b.id)
	})
	order := make([]int32, len(keys))
	for i := range keys {
		order[i] = keys[i].node
	}
	tier := func(v int32) int {
		if sc.up[v] >= 0 {
			return int(sc.up[v])
		}
		return -int(sc.down[v])
	}
	k := len(order)
	c := &Chain{Leader: leader, Options: o, snap: s, Members: make([]Member, k), pos: make(map[int32]int32, k)}
	for i, v := range order {
		c.Members[i] = Member{Node: v, ID: s.IDs[v], Tier: tier(v), Up: int(sc.up[v]), Down: int(sc.down[v])}
		c.pos[v] = int32(i)
		sc.at[v] = int32(i) + 1
	}

	// Links, found from the customers' in-rows (customers by index, each
	// row by supplier index): purchase shares sum to at most 1, so
	// in-degrees stay moderate while a hub supplier (a utility) may sell to
	// half the province. A row longer than the members it could hold is
	// searched member by member instead.
	byNode := slices.Clone(sc.touched)
	slices.Sort(byNode)
	for _, w := range byNode {
		to := sc.at[w] - 1
		lo, hi := s.InEdges(w)
		if cheaperToScan(hi-lo, k) {
			for q := lo; q < hi; q++ {
				if u := csr.InFrom[q]; sc.at[u] > 0 {
					c.Links = append(c.Links, Link{Supplier: u, Customer: w, Edge: csr.InEdge[q], From: sc.at[u] - 1, To: to})
				}
			}
			continue
		}
		for _, u := range byNode {
			if e, ok := s.FindEdge(u, w); ok {
				c.Links = append(c.Links, Link{Supplier: u, Customer: w, Edge: e, From: sc.at[u] - 1, To: to})
			}
		}
	}
	c.outStart, c.outLinks = groupLinks(c.Links, k, func(l *Link) int32 { return l.From })
	c.inStart, c.inLinks = groupLinks(c.Links, k, func(l *Link) int32 { return l.To })

	if o.MaxPaths > 0 {
		c.recordPaths()
	}
	return c, nil
}

// groupLinks counting-sorts link indices by key, keeping Links order
// within a group.
func groupLinks(links []Link, k int, key func(*Link) int32) (start, idx []int32) {
	start = make([]int32, k+1)
	for i := range links {
		start[key(&links[i])+1]++
	}
	for i := range k {
		start[i+1] += start[i]
	}
	idx = make([]int32, len(links))
	next := slices.Clone(start[:k])
	for i := range links {
		g := key(&links[i])
		idx[next[g]] = int32(i)
		next[g]++
	}
	return start, idx
}

// cheaperToScan reports whether scanning a CSR row of length deg beats
// binary-searching it for each of k candidates.
func cheaperToScan(deg int32, k int) bool {
	return int64(deg) <= int64(k)*int64(bits.Len32(uint32(deg))+1)
}

// recordPaths lists up to MaxPaths shortest paths per member by a
// depth-first walk down the BFS layers along the chain's links: every hop
// lowers the distance by one, so each walk reaches the leader, and the work
// is O(paths × tier × member degree).
func (c *Chain) recordPaths() {
	var arena []int32
	spans := make([][2]int, 0, len(c.Members)*2) // arena spans, per member in order
	counts := make([]int, len(c.Members))
	path := make([]int32, 0, MaxDepth+1)
	var found int
	var walk func(k int32, upstream bool)
	walk = func(k int32, upstream bool) {
		m := &c.Members[k]
		path = append(path, m.Node)
		defer func() { path = path[:len(path)-1] }()
		if m.Node == c.Leader {
			start := len(arena)
			arena = append(arena, path...)
			spans = append(spans, [2]int{start, len(arena)})
			found++
			return
		}
		if upstream { // m supplies the next firm, one hop closer
			for _, l := range c.LinksFrom(int(k)) {
				if found == c.Options.MaxPaths {
					return
				}
				if to := c.Links[l].To; c.Members[to].Up == m.Up-1 {
					walk(to, true)
				}
			}
			return
		}
		for _, l := range c.LinksTo(int(k)) { // the next firm supplies m
			if found == c.Options.MaxPaths {
				return
			}
			if from := c.Links[l].From; c.Members[from].Down == m.Down-1 {
				walk(from, false)
			}
		}
	}
	for k := range c.Members {
		found = 0
		walk(int32(k), c.Members[k].Tier >= 0)
		counts[k] = found
	}
	all := make([][]int32, len(spans))
	for i, sp := range spans {
		all[i] = arena[sp[0]:sp[1]:sp[1]]
	}
	for i := range c.Members {
		c.Members[i].Paths, all = all[:counts[i]:counts[i]], all[counts[i]:]
	}
}
