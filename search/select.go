package search

import (
	"slices"
	"strings"
)

// Query asks for one page of the firms matching a text.
type Query struct {
	// Text is matched against names as a substring and against USCCs as a prefix,
	// both folded (Fold); surrounding spaces are dropped. Empty matches every firm.
	Text string
	// Keep filters the matches (the caller's filters and what it may see); nil keeps
	// every one.
	Keep func(v int32) bool
	// Score, when set, orders the page by score[v] first, lowest first (Desc: highest
	// first); the name order (CompareNames) follows, and alone orders without it.
	Score []float64
	Desc  bool
	// After is the position the page starts past (the previous page's last firm);
	// nil starts from the first.
	After *Position
	// Limit is the page size, at least 1.
	Limit int
}

// Position is a place in a query's order: a firm's score (when the query orders by
// score), name and USCC. The firm need not exist any longer.
type Position struct {
	Score      float64
	Name, USCC string
}

// Page is one page of matches.
type Page struct {
	Nodes []int32 // at most Limit, in the query's order
	Total int     // every match kept, on every page
	More  bool    // matches follow the page's last node
}

// item is a match with its sort key: the score (negated for Desc), then the name key.
type item struct {
	s float64
	k uint64
	v int32
}

func (a item) less(b item) bool { return a.s < b.s || a.s == b.s && a.k < b.k }

// Search returns the page q asks for. It visits every match once (so Total is
// exact) and keeps the page in a heap of Limit items compared by integer keys: the
// cost is the number of matches, whatever the page.
func (ix *Index) Search(q Query) Page {
	text := Fold(strings.TrimSpace(q.Text))
	limit := max(q.Limit, 1)
	sign := 1.0
	if q.Desc {
		sign = -1
	}
	var past func(it item) bool
	if q.After != nil {
		past = ix.past(*q.After, q.Score != nil, sign)
	}
	top := topK{items: make([]item, 0, min(limit, 1024)), limit: limit}
	var total, after int
	b := ix.b
	ix.each(text, func(v int32) {
		if q.Keep != nil && !q.Keep(v) {
			return
		}
		total++
		it := item{v: v}
		if int(v) < b.n && !ix.isStale(v) {
			it.k = uint64(b.rank[v])<<32 | rankedBit
		} else {
			it.k = ix.overEntry(v).key
		}
		if q.Score != nil {
			it.s = sign * q.Score[v]
		}
		if past != nil && !past(it) {
			return
		}
		after++
		top.offer(it)
	})
	slices.SortFunc(top.items, func(a, b item) int {
		if a.less(b) {
			return -1
		}
		return 1
	})
	nodes := make([]int32, len(top.items))
	for i, it := range top.items {
		nodes[i] = it.v
	}
	return Page{Nodes: nodes, Total: total, More: after > limit}
}

// past returns the test of whether an item comes after a position. Ranked nodes
// compare by rank with the first rank past the position; overlay nodes, few, by
// name and USCC.
func (ix *Index) past(p Position, byScore bool, sign float64) func(it item) bool {
	name := Fold(p.Name)
	bound := ix.b.past(name, p.USCC, ix.ids)
	s := sign * p.Score
	return func(it item) bool {
		if byScore && it.s != s {
			return it.s > s
		}
		if it.k&rankedBit != 0 {
			return uint32(it.k>>32) >= bound
		}
		return compareKeys(ix.name(it.v), ix.ids[it.v], name, p.USCC) > 0
	}
}

// topK keeps the limit least items seen, in a max-heap.
type topK struct {
	items []item
	limit int
}

// offer adds it when it is among the least so far.
func (t *topK) offer(it item) {
	h := t.items
	if len(h) < t.limit {
		h = append(h, it)
		for i := len(h) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if !h[p].less(h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.items = h
		return
	}
	if !it.less(h[0]) {
		return
	}
	h[0] = it
	for i := 0; ; { // sift down
		l, m := 2*i+1, i
		if l < len(h) && h[m].less(h[l]) {
			m = l
		}
		if r := l + 1; r < len(h) && h[m].less(h[r]) {
			m = r
		}
		if m == i {
			return
		}
		h[m], h[i] = h[i], h[m]
		i = m
	}
}
