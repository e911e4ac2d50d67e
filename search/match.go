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
// (two runes or more): the intersection of its bigrams' lists, checked by substring
// when text is longer than one bigram.
func (ix *Index) eachGrams(text string, fn func(v int32)) {
	b := ix.b
	var keys []uint64
	var prev rune = -1
	for _, r := range text {
		if prev >= 0 {
			keys = append(keys, gramKey(prev, uint32(r)))
		}
		prev = r
	}
	verify := len(keys) > 1
	slices.Sort(keys)
	keys = slices.Compact(keys)
	lists := make([][]int32, len(keys))
	for i, k := range keys {
		if lists[i] = b.postings(k); len(lists[i]) == 0 {
			return
		}
	}
	slices.SortFunc(lists, func(x, y []int32) int { return len(x) - len(y) })
next:
	for _, v := range lists[0] {
		for j := 1; j < len(lists); j++ {
			l := lists[j]
			k := gallop(l, v)
			if k == len(l) {
				return // no later node can be in every list
			}
			lists[j] = l[k:]
			if l[k] != v {
				continue next
			}
		}
		if ix.isStale(v) || verify && !strings.Contains(b.names[v], text) {
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

// scratch are bitsets of one bit per node, for one-character queries.
var scratch sync.Pool

// eachRune yields the nodes of the bigram index, not stale, whose name holds r: the
// union of the lists of every bigram r begins (with the end mark, r last), merged
// in a bitset.
func (ix *Index) eachRune(r rune, fn func(v int32)) {
	b := ix.b
	lo, _ := slices.BinarySearch(b.keys, gramKey(r, 0))
	hi, _ := slices.BinarySearch(b.keys, gramKey(r, endRune)+1)
	if lo == hi {
		return
	}
	if hi-lo == 1 {
		for _, v := range b.post[b.start[lo]:b.start[hi]] {
			if !ix.isStale(v) {
				fn(v)
			}
		}
		return
	}
	words := (b.n + 63) / 64
	set, _ := scratch.Get().(*[]uint64)
	if set == nil || len(*set) < words {
		s := make([]uint64, words)
		set = &s
	}
	defer scratch.Put(set)
	bs := (*set)[:words]
	for _, v := range b.post[b.start[lo]:b.start[hi]] {
		bs[v>>6] |= 1 << (v & 63)
	}
	for w, word := range bs {
		if word == 0 {
			continue
		}
		bs[w] = 0 // leave the scratch clear
		if ix.stale != nil {
			word &^= ix.stale[w]
		}
		for word != 0 {
			v := int32(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			fn(v)
		}
	}
}

// eachUSCC yields the nodes whose USCC begins with up and, when some names matched,
// whose name does not hold text (those came with the name matches).
func (ix *Index) eachUSCC(up, text string, named bool, fn func(v int32)) {
	b := ix.b
	lo, _ := slices.BinarySearchFunc(b.byID, up, func(v int32, p string) int { return strings.Compare(ix.ids[v], p) })
	for _, v := range b.byID[lo:] {
		if !strings.HasPrefix(ix.ids[v], up) {
			break
		}
		if !named || !strings.Contains(ix.name(v), text) {
			fn(v)
		}
	}
	for _, e := range ix.over {
		if int(e.node) >= b.n && strings.HasPrefix(ix.ids[e.node], up) && (!named || !strings.Contains(e.name, text)) {
			fn(e.node)
		}
	}
}
