package ownership

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrTooLarge is the error (via errors.Is) of a check that needs more path
// steps than its budget, Params.MaxSteps. The error itself is a
// *TooLargeError saying where the budget ran out.
var ErrTooLarge = errors.New("ownership: too many paths to follow")

// TooLargeError says which search of a check exhausted the budget.
type TooLargeError struct {
	Search   string // "holders", "investees", "legal representative's investees"
	Key      string // the node the search started from
	Depth    int
	MaxSteps int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("ownership: more than %d path steps needed (exceeded following the %s of %s within depth %d)",
		e.MaxSteps, e.Search, e.Key, e.Depth)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Stake is a node a search reached: a holder of the start (upward) or a firm
// below it (downward), with the start's or holder's penetrated share.
type Stake struct {
	Node       int32
	Key        string
	Kind       Kind
	Direct     float64 // the share held directly; 0 when only indirect
	Penetrated float64 // Σ over simple paths of the product of their shares
	// Path is the simple path with the largest product (on a tie the one
	// with fewest links, then the first found, walking rows in key order),
	// holder first, held firm last; PathShare is that product.
	Path      []string
	PathShare float64
}

// scratch holds a search's working arrays: dense by node for the marks,
// dense by slot (order of first reach) for the results. Registries pool them,
// so a check allocates only its answer.
type scratch struct {
	slot   []int32 // node → 1 + its slot in this search, 0 when unreached
	onPath []bool
	nodes  []int32 // per slot from here on
	pen    []float64
	direct []float64
	best   []float64 // product of the best path
	links  []int32   // links of the best path
	paths  []int32   // stride nodes per slot: the best path, start first
	stride int
	stack  [MaxDepth + 1]int32 // the current path, start first
	adj    *adjacency
	depth  int
	steps  int
	budget int
}

func (r *Registry) scratch(p Params) *scratch {
	s, ok := r.pool.Get().(*scratch)
	if !ok {
		s = &scratch{slot: make([]int32, len(r.keys)), onPath: make([]bool, len(r.keys))}
	}
	s.steps, s.budget = 0, p.MaxSteps
	return s
}

func (r *Registry) release(s *scratch) {
	s.reset()
	r.pool.Put(s)
}

func (s *scratch) reset() {
	for _, v := range s.nodes {
		s.slot[v] = 0
	}
	s.nodes, s.pen, s.direct, s.best, s.links, s.paths = s.nodes[:0], s.pen[:0], s.direct[:0], s.best[:0], s.links[:0], s.paths[:0]
}

// search enumerates every simple path of at most depth links from start
// along adj, accumulating per reached node. It reports false when the
// budget of steps (shared by the searches of one check) ran out.
func (s *scratch) search(adj *adjacency, start int32, depth int) bool {
	s.reset()
	s.adj, s.depth, s.stride = adj, depth, depth+1
	s.stack[0] = start
	s.onPath[start] = true
	ok := s.walk(start, 1, 0)
	s.onPath[start] = false
	return ok
}

// walk extends the current path, which ends at v after k links with product
// prod. The on-path marks make every path simple, so cycles of
// cross-holdings end the walk instead of looping.
func (s *scratch) walk(v int32, prod float64, k int) bool {
	a := s.adj
	for q := a.start[v]; q < a.start[v+1]; q++ {
		h := a.node[q]
		if s.onPath[h] {
			continue
		}
		if s.steps++; s.steps > s.budget {
			return false
		}
		p := prod * a.share[q]
		s.stack[k+1] = h
		s.reach(h, p, k+1, a.share[q])
		if k+1 < s.depth && a.start[h] < a.start[h+1] {
			s.onPath[h] = true
			ok := s.walk(h, p, k+1)
			s.onPath[h] = false
			if !ok {
				return false
			}
		}
	}
	return true
}

// reach records the path on the stack, of k links and product p, ending at h.
func (s *scratch) reach(h int32, p float64, k int, share float64) {
	sl := s.slot[h] - 1
	if sl < 0 {
		sl = int32(len(s.nodes))
		s.slot[h] = sl + 1
		s.nodes = append(s.nodes, h)
		s.pen = append(s.pen, 0)
		s.direct = append(s.direct, 0)
		s.best = append(s.best, 0)
		s.links = append(s.links, 0)
		s.paths = slices.Grow(s.paths, s.stride)[:len(s.paths)+s.stride]
	}
	s.pen[sl] += p
	if k == 1 {
		s.direct[sl] = share
	}
	if p > s.best[sl] || (p == s.best[sl] && int32(k) < s.links[sl]) {
		s.best[sl], s.links[sl] = p, int32(k)
		copy(s.paths[int(sl)*s.stride:], s.stack[:k+1])
	}
}

// stakes returns the reached nodes whose penetrated share is at least min,
// except skip, sorted by penetrated share (descending), then key and kind.
// Paths run along ownership: reversed for an upward search.
func (s *scratch) stakes(r *Registry, min float64, skip int32, upward bool) []Stake {
	n, words := 0, 0
	for sl, v := range s.nodes {
		if v != skip && atLeast(s.pen[sl], min) {
			n++
			words += int(s.links[sl]) + 1
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Stake, 0, n)
	keys := make([]string, words)
	for sl, v := range s.nodes {
		if v == skip || !atLeast(s.pen[sl], min) {
			continue
		}
		path := keys[: s.links[sl]+1 : s.links[sl]+1]
		keys = keys[len(path):]
		for i, u := range s.paths[sl*s.stride : sl*s.stride+len(path)] {
			if upward {
				i = len(path) - 1 - i
			}
			path[i] = r.keys[u]
		}
		out = append(out, Stake{Node: v, Key: r.keys[v], Kind: r.kinds[v], Direct: s.direct[sl],
			Penetrated: s.pen[sl], Path: path, PathShare: s.best[sl]})
	}
	sortStakes(out)
	return out
}

func sortStakes(st []Stake) {
	slices.SortFunc(st, func(x, y Stake) int {
		if c := cmp.Compare(y.Penetrated, x.Penetrated); c != 0 {
			return c
		}
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		return cmp.Compare(x.Kind, y.Kind)
	})
}
