package search

import (
	"container/heap"
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
	// Cmp orders the matches; it must be a total order (ties broken by USCC).
	Cmp func(a, b int32) int
	// After reports whether a node comes after the previous page's last (the
	// cursor); nil starts from the first.
	After func(v int32) bool
	// Limit is the page size, at least 1.
	Limit int
}

// Page is one page of matches.
type Page struct {
	Nodes []int32 // at most Limit, in Cmp order
	Total int     // every match kept, on every page
	More  bool    // matches follow the page's last node
}

// Search returns the page q asks for. It visits every match once (so Total is
// exact) and keeps the page in a bounded heap: the cost is the number of matches,
// times a comparison with the heap's top, whatever the page.
func (ix *Index) Search(q Query) Page {
	text := Fold(strings.TrimSpace(q.Text))
	limit := max(q.Limit, 1)
	top := &topK{cmp: q.Cmp, nodes: make([]int32, 0, min(limit, 1024))}
	var total, after int
	ix.each(text, func(v int32) {
		if q.Keep != nil && !q.Keep(v) {
			return
		}
		total++
		if q.After != nil && !q.After(v) {
			return
		}
		after++
		if len(top.nodes) < limit {
			heap.Push(top, v)
		} else if q.Cmp(v, top.nodes[0]) < 0 {
			top.nodes[0] = v
			heap.Fix(top, 0)
		}
	})
	slices.SortFunc(top.nodes, q.Cmp)
	return Page{Nodes: top.nodes, Total: total, More: after > limit}
}

// topK is a max-heap under cmp: its top is the last of the best nodes seen.
type topK struct {
	cmp   func(a, b int32) int
	nodes []int32
}

func (t *topK) Len() int           { return len(t.nodes) }
func (t *topK) Less(i, j int) bool { return t.cmp(t.nodes[i], t.nodes[j]) > 0 }
func (t *topK) Swap(i, j int)      { t.nodes[i], t.nodes[j] = t.nodes[j], t.nodes[i] }
func (t *topK) Push(x any)         { t.nodes = append(t.nodes, x.(int32)) }
func (t *topK) Pop() any {
	v := t.nodes[len(t.nodes)-1]
	t.nodes = t.nodes[:len(t.nodes)-1]
	return v
}
