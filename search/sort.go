package search

import (
	"cmp"
	"slices"
	"strings"
)

// sortKey is a node with the first 24 bytes of its string as three big-endian
// integers (zero-padded).
type sortKey struct {
	w [3]uint64
	v int32
}

// sortNodes returns the nodes 0 … len(strs)−1 ordered by strs, then by tie (nil: no
// tie-break). A radix sort orders the strings' first 24 bytes — a USCC whole, eight
// Chinese characters of a name — and the runs equal on those are sorted by
// comparing the rest of the strings. Strings without a tie-break already in order
// (USCCs as a store may list them) cost one pass.
func sortNodes(strs, tie []string) []int32 {
	const prefix = 24
	rest := func(s string) string { return s[min(prefix, len(s)):] }
	order := func(x, y int32) int { // on a run equal on the prefix
		c := strings.Compare(rest(strs[x]), rest(strs[y]))
		if c == 0 && tie != nil {
			c = strings.Compare(tie[x], tie[y])
		}
		return c
	}
	out := make([]int32, len(strs))
	sorted := tie == nil
	for v := range out {
		out[v] = int32(v)
		sorted = sorted && (v == 0 || strs[v-1] <= strs[v])
	}
	if sorted {
		return out
	}
	keys := make([]sortKey, len(strs))
	for v, s := range strs {
		k := &keys[v]
		k.v = int32(v)
		for i := range prefix {
			if i < len(s) {
				k.w[i/8] |= uint64(s[i]) << (56 - 8*(i%8))
			}
		}
	}
	radixSort(keys)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].w == keys[i].w {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], func(x, y sortKey) int { return order(x.v, y.v) })
		}
		i = j
	}
	for i, k := range keys {
		out[i] = k.v
	}
	return out
}

// radixSort sorts keys by their words, least significant 16 bits first, skipping the
// digits every key shares (a province's USCCs share their leading characters, its
// names their city).
func radixSort(keys []sortKey) {
	if len(keys) < 2 {
		return
	}
	orig, tmp := keys, make([]sortKey, len(keys))
	count := make([]int, 1<<16)
	for pass := range 12 {
		word, shift := 2-pass/4, 16*(pass%4)
		digit := func(k *sortKey) int { return int(k.w[word] >> shift & 0xFFFF) }
		clear(count)
		for i := range keys {
			count[digit(&keys[i])]++
		}
		if count[digit(&keys[0])] == len(keys) {
			continue
		}
		sum := 0
		for d, c := range count {
			count[d], sum = sum, sum+c
		}
		for i := range keys {
			d := digit(&keys[i])
			tmp[count[d]] = keys[i]
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	if &keys[0] != &orig[0] { // an odd number of scatters: the keys are in the other buffer
		copy(orig, keys)
	}
}

// rankOf inverts an order: rank[order[i]] = i.
func rankOf(order []int32) []uint32 {
	rank := make([]uint32, len(order))
	for i, v := range order {
		rank[v] = uint32(i)
	}
	return rank
}

// The name order is by folded name (Latin letters without case, see Fold), then by
// USCC: a total order. Each node has a sort key in it (nameKey): a node the base
// holds under its current name has its rank in the high 32 bits and bit 31 set; an
// overlay node has the first rank past it in the high bits and, in the low 31, its
// place among the overlay nodes falling there. Comparing keys is comparing names.
const rankedBit = 1 << 31

// nameKey returns node v's sort key in the name order.
func (ix *Index) nameKey(v int32) uint64 {
	if ix.ranked(v) {
		return uint64(ix.b.rank[v])<<32 | rankedBit
	}
	return ix.overEntry(v).key
}

// CompareNames orders two nodes by name, then USCC.
func (ix *Index) CompareNames(a, b int32) int { return cmp.Compare(ix.nameKey(a), ix.nameKey(b)) }

// ranked reports whether v has a rank for its current name.
func (ix *Index) ranked(v int32) bool { return int(v) < ix.b.n && !ix.isStale(v) }

// compareKeys orders (name, uscc) pairs.
func compareKeys(name1, id1, name2, id2 string) int {
	if c := strings.Compare(name1, name2); c != 0 {
		return c
	}
	return strings.Compare(id1, id2)
}

// past returns the first rank of the base whose name and USCC come after (name, id):
// the base's names are those it was built with, renamed firms included, so that
// its order holds.
func (b *base) past(name, id string, ids []string) uint32 {
	i, _ := slices.BinarySearchFunc(b.byName, 0, func(u int32, _ int) int {
		if compareKeys(b.names[u], ids[u], name, id) > 0 {
			return 1
		}
		return -1
	})
	return uint32(i)
}

// overlay lays out the overlay (node → folded name) by node, each entry with its
// key: its place past the base's ranks (kept from the previous index when the name
// is the same), then its place among the entries of that place.
func (ix *Index) overlay(ids []string, over map[int32]string) []entry {
	out := make([]entry, 0, len(over))
	for v, s := range over {
		e := entry{node: v, name: s}
		if old := ix.overEntryOf(v); old != nil && old.name == s {
			e.pos = old.pos
		} else {
			e.pos = ix.b.past(s, ids[v], ids)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y entry) int {
		return cmp.Or(cmp.Compare(x.pos, y.pos), compareKeys(x.name, ids[x.node], y.name, ids[y.node]))
	})
	for i := range out {
		j := uint64(0)
		if i > 0 && out[i-1].pos == out[i].pos {
			j = out[i-1].key&(rankedBit-1) + 1
		}
		out[i].key = uint64(out[i].pos)<<32 | j
	}
	slices.SortFunc(out, func(x, y entry) int { return cmp.Compare(x.node, y.node) })
	return out
}

// overEntryOf returns v's overlay entry, or nil.
func (ix *Index) overEntryOf(v int32) *entry {
	i, ok := slices.BinarySearchFunc(ix.over, v, func(e entry, v int32) int { return cmp.Compare(e.node, v) })
	if !ok {
		return nil
	}
	return &ix.over[i]
}
