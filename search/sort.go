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

// CompareNames is the name order: by folded name (Latin letters without case, see
// Fold), then by USCC — a total order. Two firms the bigram index holds under their
// current names compare by rank, without reading the names.
func (ix *Index) CompareNames(a, b int32) int {
	if ix.ranked(a) && ix.ranked(b) {
		return cmp.Compare(ix.b.rank[a], ix.b.rank[b])
	}
	return compareKeys(ix.name(a), ix.ids[a], ix.name(b), ix.ids[b])
}

// AfterName returns a test of whether a node comes after a firm called name with
// USCC uscc in the name order (a cursor: the firm need not exist).
func (ix *Index) AfterName(name, uscc string) func(v int32) bool {
	name = Fold(name)
	b := ix.b
	// The first rank past the cursor: the base's names are those it was built with,
	// renamed firms included, so that its order holds.
	lo, _ := slices.BinarySearchFunc(b.byName, 0, func(v int32, _ int) int {
		if compareKeys(b.names[v], ix.ids[v], name, uscc) > 0 {
			return 1
		}
		return -1
	})
	return func(v int32) bool {
		if ix.ranked(v) {
			return b.rank[v] >= uint32(lo)
		}
		return compareKeys(ix.name(v), ix.ids[v], name, uscc) > 0
	}
}

// ranked reports whether v has a rank for its current name.
func (ix *Index) ranked(v int32) bool { return int(v) < ix.b.n && !ix.isStale(v) }

// compareKeys orders (name, uscc) pairs.
func compareKeys(name1, id1, name2, id2 string) int {
	if c := strings.Compare(name1, name2); c != 0 {
		return c
	}
	return strings.Compare(id1, id2)
}
