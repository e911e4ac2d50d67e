package graph

import (
	"cmp"
	"slices"
)

// Only the tests use Cycles: it lives here, not in the package's API, until a
// production path needs it.

// Cycles returns the strongly connected components of more than one firm:
// the groups of firms that supply each other in a cycle, which is legal in
// supply networks but worth showing to analysts. Each component is sorted by
// node index, components by their first index.
//
// It is Tarjan's algorithm with an explicit stack instead of recursion: a
// province graph can have paths of millions of firms, far beyond a
// goroutine stack's comfort. Memory is O(n) int32s.
func (s *Snapshot) Cycles() [][]int32 {
	n := s.Len()
	const unvisited = -1
	c := &s.csr
	index := make([]int32, n) // DFS discovery order, or unvisited
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = unvisited
	}
	var (
		stack []int32 // Tarjan's component stack
		calls []frame // the DFS "call stack"
		next  int32
		comps [][]int32
	)
	for root := range int32(n) {
		if index[root] != unvisited {
			continue
		}
		calls = append(calls, frame{v: root, e: c.OutStart[root]})
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.v
			if f.e < c.OutStart[v+1] {
				w := c.OutTo[f.e]
				f.e++
				switch {
				case index[w] == unvisited: // descend
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{v: w, e: c.OutStart[w]})
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			// v is finished: pop its frame, report a root's component.
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			k := len(stack) - 1
			for stack[k] != v {
				k--
			}
			comp := stack[k:]
			for _, w := range comp {
				onStack[w] = false
			}
			if len(comp) > 1 {
				comp = slices.Clone(comp)
				slices.Sort(comp)
				comps = append(comps, comp)
			}
			stack = stack[:k]
		}
	}
	slices.SortFunc(comps, func(a, b []int32) int { return cmp.Compare(a[0], b[0]) })
	return comps
}

type frame struct {
	v int32 // node
	e int32 // next out-edge of v to explore
}
