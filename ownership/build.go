package ownership

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
)

// ShareTolerance is how far the current shares held in one firm may sum
// above 1 (docs/models.md: Σ ≤ 1 + 1e-6), for rounding in the source's figures.
const ShareTolerance = credit.ShareSumTolerance

// RowError is one rejected input row: its position in the slice given to
// Build and why it was rejected.
type RowError struct {
	Index  int
	Reason string
}

// BuildError lists every rejected holding and legal representative (and,
// from Apply, removal), each list sorted by index, so that ingest can name
// the lines of its file.
type BuildError struct {
	Holdings  []RowError
	LegalReps []RowError
	Removals  []RowError // Apply's Changes.Remove
}

const maxReportedErrors = 20

func (e *BuildError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "ownership: build: %d bad holdings, %d bad legal representatives", len(e.Holdings), len(e.LegalReps))
	if len(e.Removals) > 0 {
		fmt.Fprintf(&sb, ", %d bad removals", len(e.Removals))
	}
	n, total := 0, len(e.Holdings)+len(e.LegalReps)+len(e.Removals)
	for _, l := range [...]struct {
		what string
		errs []RowError
	}{{"holding", e.Holdings}, {"legal representative", e.LegalReps}, {"removal", e.Removals}} {
		for _, re := range l.errs {
			if n == maxReportedErrors {
				fmt.Fprintf(&sb, "; and %d more", total-n)
				return sb.String()
			}
			fmt.Fprintf(&sb, "; %s #%d: %s", l.what, re.Index, re.Reason)
			n++
		}
	}
	return sb.String()
}

// sorted sorts the lists by index and returns e, or nil when they are empty.
func (e *BuildError) sorted() error {
	if len(e.Holdings)+len(e.LegalReps)+len(e.Removals) == 0 {
		return nil
	}
	for _, l := range [][]RowError{e.Holdings, e.LegalReps, e.Removals} {
		slices.SortFunc(l, func(x, y RowError) int { return cmp.Compare(x.Index, y.Index) })
	}
	return e
}

// builder indexes the nodes of a registry being built.
type builder struct {
	keys    []string
	kinds   []Kind
	firms   map[string]int32
	persons map[string]int32
	errs    BuildError
}

func (b *builder) node(k Kind, key string) int32 {
	m := b.firms
	if k == Person {
		m = b.persons
	}
	if v, ok := m[key]; ok {
		return v
	}
	v := int32(len(b.keys))
	b.keys = append(b.keys, key)
	b.kinds = append(b.kinds, k)
	m[key] = v
	return v
}

// compare orders nodes by key, then kind: the order of every row.
func (b *builder) compare(x, y int32) int {
	if c := strings.Compare(b.keys[x], b.keys[y]); c != 0 {
		return c
	}
	return cmp.Compare(b.kinds[x], b.kinds[y])
}

// edge is one accepted holding during the build.
type edge struct {
	holder, investee int32
	index            int32 // position in the input
	share            float64
}

// Build indexes holdings and legal representatives into a Registry. A firm
// named only as a legal representative's firm is a node too. Build rejects
// holdings with an empty key, no holder kind, a share outside (0, 1], a
// holder holding itself, a (holder, investee) pair given twice (the later
// one) and, when the shares held in one firm sum above 1 + ShareTolerance,
// every holding of that firm; and legal representatives with an empty key
// or given twice for one firm. The error is a *BuildError naming them all.
func Build(holdings []Holding, reps []LegalRep) (*Registry, error) {
	if len(holdings) >= math.MaxInt32 || len(reps) >= math.MaxInt32 {
		return nil, fmt.Errorf("ownership: build: too many rows")
	}
	b := &builder{
		keys:    make([]string, 0, len(holdings)+len(reps)),
		kinds:   make([]Kind, 0, len(holdings)+len(reps)),
		firms:   make(map[string]int32, len(holdings)),
		persons: make(map[string]int32, len(holdings)/2),
	}
	edges := make([]edge, 0, len(holdings))
	// Sources list holdings by investee: at a million firms every map
	// lookup is a cache miss, so the last investee is remembered.
	lastKey, last := "", int32(-1)
	for i, h := range holdings {
		if reason := holdingFault(h); reason != "" {
			b.errs.Holdings = append(b.errs.Holdings, RowError{i, reason})
			continue
		}
		if last < 0 || h.Investee != lastKey {
			lastKey, last = h.Investee, b.node(Firm, h.Investee)
		}
		edges = append(edges, edge{holder: b.node(h.HolderKind, h.Holder), investee: last, index: int32(i), share: h.Share})
	}
	repPairs := make([][2]int32, len(reps))
	for j, lr := range reps {
		if lr.Firm == "" || lr.Person == "" {
			b.errs.LegalReps = append(b.errs.LegalReps, RowError{j, fmt.Sprintf("firm %q, person %q: empty key", lr.Firm, lr.Person)})
			repPairs[j] = [2]int32{-1, -1}
			continue
		}
		repPairs[j] = [2]int32{b.node(Firm, lr.Firm), b.node(Person, lr.Person)}
	}
	n := len(b.keys)
	if n >= math.MaxInt32 {
		return nil, fmt.Errorf("ownership: build: too many nodes")
	}
	up := b.holdersAdjacency(n, edges)
	rep := b.legalReps(n, repPairs)
	if err := b.errs.sorted(); err != nil {
		return nil, err
	}
	r := &Registry{keys: b.keys, kinds: b.kinds, firms: b.firms, persons: b.persons, up: up, rep: rep}
	r.down = b.transpose(n, &up)
	r.represents = b.represented(n, rep)
	return r, nil
}

// holdingFault says what is wrong with a holding on its own, or "".
func holdingFault(h Holding) string {
	switch {
	case h.Holder == "":
		return fmt.Sprintf("holder of %s: empty key", h.Investee)
	case h.Investee == "":
		return fmt.Sprintf("investee of %s: empty key", h.Holder)
	case h.HolderKind != Firm && h.HolderKind != Person:
		return fmt.Sprintf("%s in %s: holder kind is neither firm nor person", h.Holder, h.Investee)
	case !(h.Share > 0 && h.Share <= 1): // NaN too
		return fmt.Sprintf("%s in %s: share %v outside (0, 1]", h.Holder, h.Investee, h.Share)
	case h.Holder == h.Investee:
		return fmt.Sprintf("%s holds itself", h.Holder)
	}
	return ""
}

// holdersAdjacency sorts the edges by investee, each firm's holders by key,
// and rejects duplicate pairs and firms whose shares sum above 1.
func (b *builder) holdersAdjacency(n int, edges []edge) adjacency {
	start := make([]int32, n+1)
	for _, e := range edges {
		start[e.investee+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	rows := make([]edge, len(edges))
	next := slices.Clone(start[:n])
	for _, e := range edges {
		rows[next[e.investee]] = e
		next[e.investee]++
	}
	for v := range n {
		row := rows[start[v]:start[v+1]]
		if len(row) == 0 {
			continue
		}
		slices.SortFunc(row, func(x, y edge) int {
			if c := b.compare(x.holder, y.holder); c != 0 {
				return c
			}
			return cmp.Compare(x.index, y.index)
		})
		b.checkRow(row)
	}
	a := adjacency{start: start, node: make([]int32, len(rows)), share: make([]float64, len(rows))}
	for q, e := range rows {
		a.node[q], a.share[q] = e.holder, e.share
	}
	return a
}

// checkRow rejects the duplicates of one firm's holders (sorted by holder,
// then input position) and, when the rest sum above 1, all of them.
func (b *builder) checkRow(row []edge) {
	sum := 0.0
	for k, e := range row {
		if k > 0 && e.holder == row[k-1].holder {
			first := k - 1
			for first > 0 && row[first-1].holder == e.holder {
				first--
			}
			b.errs.Holdings = append(b.errs.Holdings, RowError{int(e.index),
				fmt.Sprintf("%s in %s: duplicate of holding #%d", b.keys[e.holder], b.keys[e.investee], row[first].index)})
			continue
		}
		sum += e.share
	}
	if sum <= 1+ShareTolerance {
		return
	}
	for k, e := range row {
		if k > 0 && e.holder == row[k-1].holder {
			continue // already rejected as a duplicate
		}
		b.errs.Holdings = append(b.errs.Holdings, RowError{int(e.index),
			fmt.Sprintf("%s in %s: the shares held in %s sum to %v, more than 1", b.keys[e.holder], b.keys[e.investee], b.keys[e.investee], sum)})
	}
}

// transpose builds the investees adjacency, each row sorted by key.
func (b *builder) transpose(n int, up *adjacency) adjacency {
	m := len(up.node)
	start := make([]int32, n+1)
	for _, h := range up.node {
		start[h+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	links := make([]link, m)
	next := slices.Clone(start[:n])
	for v := range int32(n) {
		for q := up.start[v]; q < up.start[v+1]; q++ {
			h := up.node[q]
			links[next[h]] = link{v, up.share[q]}
			next[h]++
		}
	}
	a := adjacency{start: start, node: make([]int32, m), share: make([]float64, m)}
	for v := range n {
		row := links[start[v]:start[v+1]]
		if len(row) > 1 {
			slices.SortFunc(row, func(x, y link) int { return b.compare(x.node, y.node) })
		}
	}
	for q, l := range links {
		a.node[q], a.share[q] = l.node, l.share
	}
	return a
}

// legalReps maps each firm to its legal representative, rejecting a firm
// given twice.
func (b *builder) legalReps(n int, pairs [][2]int32) []int32 {
	rep := make([]int32, n)
	from := make([]int32, n) // row of the firm's first legal representative
	for v := range rep {
		rep[v] = -1
	}
	for j, p := range pairs {
		f, person := p[0], p[1]
		if f < 0 {
			continue
		}
		if rep[f] >= 0 {
			b.errs.LegalReps = append(b.errs.LegalReps, RowError{j,
				fmt.Sprintf("firm %s: legal representative given twice (first in #%d)", b.keys[f], from[f])})
			continue
		}
		rep[f], from[f] = person, int32(j)
	}
	return rep
}

// represented inverts rep: the firms of each person, sorted by key.
func (b *builder) represented(n int, rep []int32) adjacency {
	start := make([]int32, n+1)
	for _, p := range rep {
		if p >= 0 {
			start[p+1]++
		}
	}
	for v := range n {
		start[v+1] += start[v]
	}
	firms := make([]int32, start[n])
	next := slices.Clone(start[:n])
	for f, p := range rep {
		if p >= 0 {
			firms[next[p]] = int32(f)
			next[p]++
		}
	}
	for v := range n {
		if row := firms[start[v]:start[v+1]]; len(row) > 1 {
			slices.SortFunc(row, b.compare)
		}
	}
	return adjacency{start: start, node: firms}
}
