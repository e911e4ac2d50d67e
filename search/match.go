package search

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// each calls fn once for every node whose folded name contains text (folded), or
// whose USCC begins with text in upper case; for every node when text is empty.
// Nodes come in no particular order.
func (ix *Index) each(text string, fn func(v int32)) {
	if text == "" {
		for v := range int32(len(ix.ids)) {
			fn(v)
		}
		return
	}
	up := usccQuery(text)
	named := 0 // name matches, which the USCC matches must not repeat
	byName := fn
	if up != "" {
		byName = func(v int32) { named++; fn(v) }
	}
	switch utf8.RuneCountInString(text) {
	case 1:
		r, _ := utf8.DecodeRuneInString(text)
		ix.eachRune(r, byName)
	default:
		ix.eachGrams(text, byName)
	}
	for _, e := range ix.over {
		if strings.Contains(e.name, text) {
			byName(e.node)
		}
	}
	if up != "" {
		ix.eachUSCC(up, text, named > 0, fn)
	}
}

// eachGrams yields the nodes of the bigram index, not stale, whose name holds text
// (two runes or more): the intersection of its bigrams' lists. Past one bigram, a
// node whose bigrams first occur one after the other, as in text, holds it; any
// other is checked by substring.
func (ix *Index) eachGrams(text string, fn func(v int32)) {
	b := ix.b
	type list struct {
		nodes []int32
		offs  []uint8
		at    int // the bigram's offset in text
	}
	var lists []list
	repeats := false // a bigram twice in text: offsets cannot tell
	prev, at := rune(-1), 0
	for i, r := range text {
		if prev >= 0 {
			nodes, offs := b.postings(gramKey(prev, uint32(r)))
			if len(nodes) == 0 {
				return
			}
			if slices.ContainsFunc(lists, func(l list) bool { return &l.nodes[0] == &nodes[0] }) {
				repeats = true
			} else {
				lists = append(lists, list{nodes, offs, at})
			}
		}
		prev, at = r, i
	}
	verify := len(lists) > 1 || repeats
	slices.SortFunc(lists, func(x, y list) int { return len(x.nodes) - len(y.nodes) })
next:
	for i, v := range lists[0].nodes {
		start := int(lists[0].offs[i]) - lists[0].at // where text would begin
		inPlace := !repeats && lists[0].offs[i] != noOffset
		for j := 1; j < len(lists); j++ {
			l := &lists[j]
			k := gallop(l.nodes, v)
			if k == len(l.nodes) {
				return // no later node can be in every list
			}
			l.nodes, l.offs = l.nodes[k:], l.offs[k:]
			if l.nodes[0] != v {
				continue next
			}
			inPlace = inPlace && l.offs[0] != noOffset && int(l.offs[0])-l.at == start
		}
		if ix.isStale(v) || verify && !inPlace && !strings.Contains(b.names[v], text) {
			continue
		}
		fn(v)
	}
}

// gallop returns the first index of l (ascending) whose value is ≥ v, probing 1, 2,
// 4, … ahead before a binary search: intersecting a short list with a long one costs
// the short one's length times a logarithm, not the long one's length.
func gallop(l []int32, v int32) int {
	if len(l) == 0 || l[0] >= v {
		return 0
	}
	lo, step := 0, 1 // l[lo] < v
	for lo+step < len(l) && l[lo+step] < v {
		lo += step
		step *= 2
	}
	hi := min(lo+step, len(l))
	k, _ := slices.BinarySearch(l[lo+1:hi], v)
	return lo + 1 + k
}

// scratch are bitsets of one bit per node of a base, kept clear between uses.
var scratch sync.Pool

// ascending calls fn for the nodes mark sets in a bitset of the base's nodes, in
// ascending order: a long run of nodes read in order reads the per-node arrays
// (ranks, scores) in order too.
func (ix *Index) ascending(mark func(set []uint64), fn func(v int32)) {
	words := (ix.b.n + 63) / 64
	p, _ := scratch.Get().(*[]uint64)
	if p == nil || len(*p) < words {
		s := make([]uint64, words)
		p = &s
	}
	defer scratch.Put(p)
	set := (*p)[:words]
	mark(set)
	for w, word := range set {
		if word == 0 {
			continue
		}
		set[w] = 0 // leave the scratch clear
		for word != 0 {
			v := int32(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			fn(v)
		}
	}
}

// eachRune yields the nodes of the bigram index, not stale, whose name holds r: the
// union of the lists of every bigram r begins (with the end mark, r last).
func (ix *Index) eachRune(r rune, fn func(v int32)) {
	b := ix.b
	lo, _ := slices.BinarySearch(b.keys, gramKey(r, 0))
	hi, _ := slices.BinarySearch(b.keys, gramKey(r, endRune)+1)
	if lo == hi {
		return
	}
	ix.ascending(func(set []uint64) {
		for _, v := range b.post[b.start[lo]:b.start[hi]] {
			if !ix.isStale(v) {
				set[v>>6] |= 1 << (v & 63)
			}
		}
	}, fn)
}

// manyUSCCs is the length of a USCC range past which it is read in node order (a
// variable for the tests).
var manyUSCCs = 4096

// eachUSCC yields the nodes whose USCC begins with up and, when some names matched,
// whose name does not hold text (those came with the name matches).
func (ix *Index) eachUSCC(up, text string, named bool, fn func(v int32)) {
	b := ix.b
	lo, _ := slices.BinarySearchFunc(b.byID, up, func(v int32, p string) int { return strings.Compare(ix.ids[v], p) })
	n, _ := slices.BinarySearchFunc(b.byID[lo:], false, func(v int32, _ bool) int {
		if strings.HasPrefix(ix.ids[v], up) {
			return -1
		}
		return 1
	})
	yield := func(v int32) {
		if !named || !strings.Contains(ix.name(v), text) {
			fn(v)
		}
	}
	if n > manyUSCCs { // in node order, through a bitset
		ix.ascending(func(set []uint64) {
			for _, v := range b.byID[lo : lo+n] {
				set[v>>6] |= 1 << (v & 63)
			}
		}, yield)
	} else {
		for _, v := range b.byID[lo : lo+n] {
			yield(v)
		}
	}
	for _, e := range ix.over {
		if int(e.node) >= b.n && strings.HasPrefix(ix.ids[e.node], up) && (!named || !strings.Contains(e.name, text)) {
			fn(e.node)
		}
	}
}
