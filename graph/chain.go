package graph

import (
	"fmt"
	"math/bits"
	"slices"
)

// ChainOptions bound a leader's chain (docs/models.md).
type ChainOptions struct {
	DepthUp   int // hops upstream along supply relations (suppliers, their suppliers, …)
	DepthDown int // hops downstream (customers, …)
	MaxPaths  int // shortest paths to the leader recorded per member; 0 records none
}

// Default chain bounds (docs/models.md).
const (
	DefaultDepthUp   = 3
	DefaultDepthDown = 1
	DefaultMaxPaths  = 3
)

// DefaultChainOptions returns depth_up 3, depth_down 1 and 3 paths per member.
func DefaultChainOptions() ChainOptions {
	return ChainOptions{DepthUp: DefaultDepthUp, DepthDown: DefaultDepthDown, MaxPaths: DefaultMaxPaths}
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
	// leader, in Members order of their hops. Each path lists
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
	// within a tier by snapshot index (sorting a chain of 100,000 firms by
	// USCC would cost more than extracting it; presentation layers sort).
	Members []Member
	// Links are all relations whose two ends are members, ordered by
	// customer position in Members, then by supplier index.
	Links []Link
	snap  *Snapshot
	// tierStart[r] is the position in Members of the first member of rank r
	// (ranks 0 … DepthUp are tiers 0 … DepthUp, then −1, −2, …).
	tierStart []int32
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
	k, ok := c.Position(v)
	if !ok {
		return nil, false
	}
	return &c.Members[k], true
}

// Position returns v's position in Members: a binary search in each tier,
// which is sorted by index.
func (c *Chain) Position(v int32) (int, bool) {
	for r := range len(c.tierStart) - 1 {
		lo, hi := int(c.tierStart[r]), int(c.tierStart[r+1])
		k, ok := slices.BinarySearchFunc(c.Members[lo:hi], v, func(m Member, v int32) int { return int(m.Node - v) })
		if ok {
			return lo + k, true
		}
	}
	return 0, false
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
	at       []int32 // 1 + position in Reach.Nodes, then in Chain.Members
	touched  []int32
	queue    []int32
}

func (s *Snapshot) scratch() *chainScratch {
	if s.overlay != nil { // same firms: the registry snapshot's scratch fits
		return s.overlay.parent.scratch()
	}
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
	if s.overlay != nil {
		s = s.overlay.parent
	}
	s.pool.Put(sc)
}

// Reach is the membership of a chain without its structure: every firm
// within the depths, with its hop distances and tier (the rule of Member).
// It is what scoring a chain needs, at a fraction of Chain's cost. It
// borrows pooled scratch of its snapshot: call Release when done, and use
// neither it nor Nodes after that. Not safe for concurrent use.
type Reach struct {
	Leader  int32
	Options ChainOptions
	// Nodes are the members in BFS order, the leader first (upstream
	// members, then those reachable only downstream).
	Nodes []int32
	s     *Snapshot
	sc    *chainScratch
}

// Reach finds the members of leader's chain: a BFS upstream along in-edges
// and one downstream along out-edges, over pooled dense arrays, so it costs
// O(members and their relations), not O(firms).
func (s *Snapshot) Reach(leader int32, o ChainOptions) (*Reach, error) {
	return s.reach(leader, o, nil)
}

// reach is Reach with extra suppliers of the leader besides its in-edges'.
func (s *Snapshot) reach(leader int32, o ChainOptions, extra []int32) (*Reach, error) {
	if leader < 0 || int(leader) >= s.Len() {
		return nil, fmt.Errorf("graph: chain: leader index %d out of range [0, %d)", leader, s.Len())
	}
	if o.DepthUp < 0 || o.DepthUp > MaxDepth || o.DepthDown < 0 || o.DepthDown > MaxDepth || o.MaxPaths < 0 {
		return nil, fmt.Errorf("graph: chain: depths must be in [0, %d] and max paths ≥ 0, got up %d down %d paths %d",
			MaxDepth, o.DepthUp, o.DepthDown, o.MaxPaths)
	}
	sc := s.scratch()
	csr := &s.csr
	// The queue of the upstream BFS is touched itself.
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
		if k == 0 {
			for _, w := range extra {
				if sc.up[w] < 0 {
					sc.up[w] = 1
					sc.touched = append(sc.touched, w)
				}
			}
		}
	}
	queue := append(sc.queue[:0], leader)
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
	sc.queue = queue
	for i, v := range sc.touched {
		sc.at[v] = int32(i) + 1
	}
	return &Reach{Leader: leader, Options: o, Nodes: sc.touched, s: s, sc: sc}, nil
}

// Up returns v's upstream hop distance to the leader, −1 beyond DepthUp.
func (r *Reach) Up(v int32) int { return int(r.sc.up[v]) }

// Down returns v's downstream hop distance, −1 beyond DepthDown.
func (r *Reach) Down(v int32) int { return int(r.sc.down[v]) }

// Tier returns v's tier (see Member), and false when v is not a member.
func (r *Reach) Tier(v int32) (int, bool) {
	switch {
	case r.sc.up[v] >= 0:
		return int(r.sc.up[v]), true
	case r.sc.down[v] >= 0:
		return -int(r.sc.down[v]), true
	}
	return 0, false
}

// Pos returns v's position in Nodes, or −1 when v is not a member.
func (r *Reach) Pos(v int32) int32 { return r.sc.at[v] - 1 }

// Release returns the scratch to the snapshot's pool.
func (r *Reach) Release() {
	if r.sc != nil {
		r.s.release(r.sc)
		r.sc, r.Nodes = nil, nil
	}
}

// Chain extracts the chain of leader: members with tiers and paths, and
// the relations among them. It never visits more than the chain and its
// members' relations, and is safe for concurrent use.
func (s *Snapshot) Chain(leader int32, o ChainOptions) (*Chain, error) {
	r, err := s.Reach(leader, o)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	sc := r.sc
	csr := &s.csr

	// Members by tier, then index: bucket by rank, then sort each bucket,
	// or, for a chain that is a sizeable part of the graph, fill the
	// buckets by one pass over all firms in index order.
	ranks := o.DepthUp + o.DepthDown + 1
	rank := func(v int32) int32 { // 0, 1, …, DepthUp, then −1, −2, … as DepthUp+1, …
		if sc.up[v] >= 0 {
			return int32(sc.up[v])
		}
		return int32(o.DepthUp) + int32(sc.down[v])
	}
	k := len(sc.touched)
	c := &Chain{Leader: leader, Options: o, snap: s, Members: make([]Member, k), tierStart: make([]int32, ranks+1)}
	for _, v := range sc.touched {
		c.tierStart[rank(v)+1]++
	}
	for r := range ranks {
		c.tierStart[r+1] += c.tierStart[r]
	}
	order := make([]int32, k)
	next := slices.Clone(c.tierStart[:ranks])
	if n := s.Len(); int64(k)*int64(bits.Len(uint(k))) > int64(n) {
		for v := range int32(n) {
			if sc.up[v] >= 0 || sc.down[v] >= 0 {
				r := rank(v)
				order[next[r]] = v
				next[r]++
			}
		}
	} else {
		for _, v := range sc.touched {
			r := rank(v)
			order[next[r]] = v
			next[r]++
		}
		for r := range ranks {
			slices.Sort(order[c.tierStart[r]:c.tierStart[r+1]])
		}
	}
	for i, v := range order {
		tier := int(sc.up[v])
		if tier < 0 {
			tier = -int(sc.down[v])
		}
		c.Members[i] = Member{Node: v, ID: s.IDs[v], Tier: tier, Up: int(sc.up[v]), Down: int(sc.down[v])}
		sc.at[v] = int32(i) + 1
	}

	// Links, found from the customers' in-rows: purchase shares sum to at
	// most 1, so in-degrees stay moderate while a hub supplier (a utility)
	// may sell to half the province. A row longer than the members it
	// could hold is searched member by member instead.
	for i, w := range order {
		lo, hi := s.InEdges(w)
		if cheaperToScan(hi-lo, k) {
			for q := lo; q < hi; q++ {
				if u := csr.InFrom[q]; sc.at[u] > 0 {
					c.Links = append(c.Links, Link{Supplier: u, Customer: w, Edge: csr.InEdge[q], From: sc.at[u] - 1, To: int32(i)})
				}
			}
			continue
		}
		start := len(c.Links)
		for j, u := range order {
			if e, ok := s.FindEdge(u, w); ok {
				c.Links = append(c.Links, Link{Supplier: u, Customer: w, Edge: e, From: int32(j), To: int32(i)})
			}
		}
		slices.SortFunc(c.Links[start:], func(a, b Link) int { return int(a.Supplier - b.Supplier) })
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

// recordPaths lists up to MaxPaths shortest paths per member. A member's
// paths are itself followed by the paths of its next hops — the members one
// hop closer along its links, in Links order — so members are done in order
// of distance, each from its next hops' lists: O(links + members × paths ×
// depth), whatever the number of shortest paths.
func (c *Chain) recordPaths() {
	type span struct{ lo, hi int32 } // a path in arena
	var arena []int32
	maxPaths := c.Options.MaxPaths
	k := len(c.Members)
	// Upstream paths (supplier → customer hops, distance Up) and downstream
	// ones (customer ← supplier hops, distance Down), by position.
	upPaths, downPaths := make([][]span, k), make([][]span, k)
	arena = append(arena, c.Leader)
	upPaths[0], downPaths[0] = []span{{0, 1}}, []span{{0, 1}} // the leader is Members[0]
	byDist := func(dist func(*Member) int, depth int) [][]int32 {
		levels := make([][]int32, depth+1)
		for i := range c.Members {
			if d := dist(&c.Members[i]); d > 0 {
				levels[d] = append(levels[d], int32(i))
			}
		}
		return levels
	}
	extend := func(paths [][]span, levels [][]int32, dist func(*Member) int, hops func(int) []int32, next func(*Link) int32) {
		for _, level := range levels {
			for _, i := range level {
				m := &c.Members[i]
				var ps []span
			hopsLoop:
				for _, l := range hops(int(i)) {
					j := next(&c.Links[l])
					if dist(&c.Members[j]) != dist(m)-1 {
						continue
					}
					for _, sp := range paths[j] {
						if len(ps) == maxPaths {
							break hopsLoop
						}
						lo := int32(len(arena))
						arena = append(arena, m.Node)
						arena = append(arena, arena[sp.lo:sp.hi]...)
						ps = append(ps, span{lo, int32(len(arena))})
					}
				}
				paths[i] = ps
			}
		}
	}
	up := func(m *Member) int { return m.Up }
	down := func(m *Member) int { return m.Down }
	extend(upPaths, byDist(up, c.Options.DepthUp), up, c.LinksFrom, func(l *Link) int32 { return l.To })
	extend(downPaths, byDist(down, c.Options.DepthDown), down, c.LinksTo, func(l *Link) int32 { return l.From })

	total := 0
	for i := range c.Members {
		if c.Members[i].Tier >= 0 {
			total += len(upPaths[i])
		} else {
			total += len(downPaths[i])
		}
	}
	all := make([][]int32, 0, total)
	for i := range c.Members {
		ps := upPaths[i]
		if c.Members[i].Tier < 0 {
			ps = downPaths[i]
		}
		start := len(all)
		for _, sp := range ps {
			all = append(all, arena[sp.lo:sp.hi:sp.hi])
		}
		c.Members[i].Paths = all[start:len(all):len(all)]
	}
}
