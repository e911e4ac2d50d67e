package search

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Index is an immutable index of firms' names, USCCs and tags, by node (the graph
// snapshot's firm index). It is safe for concurrent use; a changed directory is a new
// Index (Update), which shares what did not change with its predecessor.
type Index struct {
	b *base
	// stale marks the nodes of b renamed since b was built (bit v of word v/64); nil
	// when none is.
	stale []uint64
	// over holds the current folded names of the stale nodes and of the nodes added
	// since b was built, by node.
	over []entry
	ids  []string // USCC by node
	tags []uint32 // tag set by node, into sets (0: no tags)
	sets [][]string
	// setOf finds a tag set's id by its key (tagKey); it is read and written by the
	// Builder and Update only, which the engine runs one at a time.
	setOf map[string]uint32
}

// base is the bigram index of the first n nodes' names as they were when it was built.
type base struct {
	n     int
	names []string // folded, by node
	// Posting list i, of bigram keys[i], is post[start[i]:start[i+1]]: ascending nodes;
	// off gives, for each posting, the byte offset of the bigram's first occurrence in
	// the name (noOffset past 254), with which a longer query is matched without
	// reading the name.
	keys  []uint64
	start []uint32
	post  []int32
	off   []uint8
	byID  []int32 // the n nodes in USCC order
	// byName lists the n nodes by folded name, then USCC; rank is its inverse.
	byName []int32
	rank   []uint32
}

// entry is a node's folded name in the overlay, with its place in the name order:
// pos is the first rank of the base past it, key its sort key (nameKey).
type entry struct {
	node int32
	name string
	pos  uint32
	key  uint64
}

// Doc is a firm as Update takes it.
type Doc struct {
	Node int32 // the firm's node; a node past the previous index's is a new firm
	Name string
	Tags []string
}

// Overlay bounds: Update rebuilds the bigram index when more than
// max(minOverlay, nodes/overlayShare) firms were renamed or added since it was built.
const (
	minOverlay   = 1024
	overlayShare = 32
)

// Builder collects every firm of a full scan, in node order.
type Builder struct {
	names []string
	tags  []uint32
	sets  [][]string
	setOf map[string]uint32
}

// NewBuilder returns a builder for about n firms.
func NewBuilder(n int) *Builder {
	return &Builder{names: make([]string, 0, n), tags: make([]uint32, 0, n), sets: [][]string{nil},
		setOf: map[string]uint32{"": 0}}
}

// Add appends the next node's name and tags.
func (b *Builder) Add(name string, tags []string) {
	b.names = append(b.names, Fold(name))
	var id uint32
	b.sets, b.setOf, id = internTags(b.sets, b.setOf, tags, false)
	b.tags = append(b.tags, id)
}

// Build indexes the firms added, whose USCCs are ids (by node; len(ids) firms).
func (b *Builder) Build(ids []string) *Index {
	if len(ids) != len(b.names) {
		panic("search: Build with ids for another number of firms")
	}
	return &Index{b: buildBase(b.names, ids), ids: ids, tags: b.tags, sets: b.sets, setOf: b.setOf}
}

// tagKey keys a tag set by its tags in order.
func tagKey(tags []string) string { return strings.Join(tags, "\x00") }

// internTags returns the id of a tag set, adding it to sets when new. With shared set,
// sets and setOf belong to a published index: they are copied before a set is added.
func internTags(sets [][]string, setOf map[string]uint32, tags []string, shared bool) ([][]string, map[string]uint32, uint32) {
	key := tagKey(tags)
	if id, ok := setOf[key]; ok {
		return sets, setOf, id
	}
	if shared {
		sets, setOf = slices.Clip(sets), maps.Clone(setOf)
	}
	id := uint32(len(sets))
	sets = append(sets, slices.Clone(tags))
	setOf[key] = id
	return sets, setOf, id
}

// Len is the number of firms indexed.
func (ix *Index) Len() int { return len(ix.ids) }

// Tags returns node v's tags (shared: do not modify).
func (ix *Index) Tags(v int32) []string { return ix.sets[ix.tags[v]] }

// TagFilter returns a test of whether a node carries tag.
func (ix *Index) TagFilter(tag string) func(v int32) bool {
	has := make([]bool, len(ix.sets))
	for i, set := range ix.sets {
		has[i] = slices.Contains(set, tag)
	}
	return func(v int32) bool { return has[ix.tags[v]] }
}

// Overlay is the number of firms renamed or added since the bigram index was built.
func (ix *Index) Overlay() int { return len(ix.over) }

// name returns node v's folded name.
func (ix *Index) name(v int32) string {
	if ix.ranked(v) {
		return ix.b.names[v]
	}
	return ix.overEntry(v).name
}

// overEntry returns the overlay's entry of a node not ranked in the base.
func (ix *Index) overEntry(v int32) *entry {
	i, _ := slices.BinarySearchFunc(ix.over, v, func(e entry, v int32) int { return cmp.Compare(e.node, v) })
	return &ix.over[i]
}

func (ix *Index) isStale(v int32) bool {
	return ix.stale != nil && ix.stale[v>>6]&(1<<(v&63)) != 0
}

// Update returns the index of the next state: ids are its USCCs by node (the
// previous index's nodes keep their place, new ones follow), docs the firms re-read
// (changed or not) and the new ones. Firms not in docs keep their name and tags.
func (ix *Index) Update(ids []string, docs []Doc) *Index {
	next := &Index{b: ix.b, stale: ix.stale, ids: ids, tags: ix.tags, sets: ix.sets, setOf: ix.setOf}
	over := make(map[int32]string, len(ix.over)+len(docs))
	for _, e := range ix.over {
		over[e.node] = e.name
	}
	if len(ids) > len(ix.tags) {
		next.tags = make([]uint32, len(ids))
		copy(next.tags, ix.tags)
	}
	staleCopied, tagsCopied, setsCopied := false, len(ids) > len(ix.tags), false
	for _, d := range docs {
		v := d.Node
		name := Fold(d.Name)
		inBase := int(v) < ix.b.n
		switch {
		case inBase && name == ix.b.names[v]: // as indexed (perhaps renamed back)
			if next.isStale(v) {
				if !staleCopied {
					next.stale, staleCopied = slices.Clone(next.stale), true
				}
				next.stale[v>>6] &^= 1 << (v & 63)
			}
			delete(over, v)
		case inBase:
			if !staleCopied {
				next.stale, staleCopied = make([]uint64, (ix.b.n+63)/64), true
				copy(next.stale, ix.stale)
			}
			next.stale[v>>6] |= 1 << (v & 63)
			over[v] = name
		default:
			over[v] = name
		}
		n := len(next.sets)
		var id uint32
		next.sets, next.setOf, id = internTags(next.sets, next.setOf, d.Tags, !setsCopied)
		setsCopied = setsCopied || len(next.sets) > n
		if next.tags[v] != id {
			if !tagsCopied {
				next.tags, tagsCopied = slices.Clone(next.tags), true
			}
			next.tags[v] = id
		}
	}
	for v := int32(len(ix.ids)); int(v) < len(ids); v++ {
		if _, ok := over[v]; !ok { // a new firm without its doc: no name
			over[v] = ""
		}
	}
	if len(over) > max(minOverlay, len(ids)/overlayShare) {
		names := make([]string, len(ids))
		for v := range names {
			if s, ok := over[int32(v)]; ok {
				names[v] = s
			} else {
				names[v] = ix.b.names[v]
			}
		}
		next.b, next.stale, next.over = buildBase(names, ids), nil, nil
		return next
	}
	next.over = ix.overlay(ids, over)
	return next
}

// endRune pairs with a name's last rune, so that every occurrence of a rune begins
// a bigram (one-character queries).
const endRune = 0xFFFFFFFF

func gramKey(a rune, b uint32) uint64 { return uint64(uint32(a))<<32 | uint64(b) }

// gram is a bigram of a name with the byte offset of its first occurrence.
type gram struct {
	key uint64
	off uint8
}

// noOffset stands for an offset too large for a byte.
const noOffset = 255

// grams appends the distinct bigrams of a folded name to buf, at their first
// occurrences.
func grams(buf []gram, s string) []gram {
	prev, at := rune(-1), 0
	add := func(k uint64) {
		for _, g := range buf {
			if g.key == k {
				return
			}
		}
		buf = append(buf, gram{k, uint8(min(at, noOffset))})
	}
	for i, r := range s {
		if prev >= 0 {
			add(gramKey(prev, uint32(r)))
		}
		prev, at = r, i
	}
	if prev >= 0 {
		add(gramKey(prev, endRune))
	}
	return buf
}

// buildBase indexes names (folded, by node) with a counting sort: the bigrams are
// counted, their lists laid out in key order, then filled node by node, so that
// every list comes out ascending.
func buildBase(names, ids []string) *base {
	b := &base{n: len(names), names: names}
	var slots slotTable
	var counts []uint32
	var buf []gram
	for _, s := range names {
		buf = grams(buf[:0], s)
		for _, g := range buf {
			i, fresh := slots.get(g.key, int32(len(b.keys)))
			if fresh {
				b.keys = append(b.keys, g.key)
				counts = append(counts, 0)
			}
			counts[i]++
		}
	}
	order := make([]int32, len(b.keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(b.keys[x], b.keys[y]) })
	rank := make([]int32, len(order)) // slot → position in key order
	keys := make([]uint64, len(order))
	b.start = make([]uint32, len(order)+1)
	for pos, i := range order {
		rank[i], keys[pos] = int32(pos), b.keys[i]
		b.start[pos+1] = b.start[pos] + counts[i]
	}
	b.keys = keys
	b.post, b.off = make([]int32, b.start[len(order)]), make([]uint8, b.start[len(order)])
	fill := slices.Clone(b.start[:len(order)])
	for v, s := range names {
		buf = grams(buf[:0], s)
		for _, g := range buf {
			i, _ := slots.get(g.key, -1)
			pos := rank[i]
			b.post[fill[pos]], b.off[fill[pos]] = int32(v), g.off
			fill[pos]++
		}
	}
	b.byID = sortNodes(ids[:len(names)], nil)
	b.byName = sortNodes(names, ids[:len(names)])
	b.rank = rankOf(b.byName)
	return b
}

// slotTable maps bigram keys to slots: open addressing over a power-of-two table,
// several times faster than a map for the billions of lookups of a province's build.
type slotTable struct {
	keys  []uint64
	slots []int32 // -1: empty
	used  int
}

// get returns the slot of k, giving it slot next when k is new (fresh).
func (t *slotTable) get(k uint64, next int32) (slot int32, fresh bool) {
	if 2*(t.used+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for h := (k * 0x9E3779B97F4A7C15) >> 20 & mask; ; h = (h + 1) & mask {
		switch {
		case t.slots[h] < 0:
			t.keys[h], t.slots[h] = k, next
			t.used++
			return next, true
		case t.keys[h] == k:
			return t.slots[h], false
		}
	}
}

func (t *slotTable) grow() {
	old, oldSlots := t.keys, t.slots
	n := max(1024, 2*len(oldSlots))
	t.keys, t.slots, t.used = make([]uint64, n), make([]int32, n), 0
	for i := range t.slots {
		t.slots[i] = -1
	}
	for i, s := range oldSlots {
		if s >= 0 {
			t.get(old[i], s)
		}
	}
}

// postings returns the list of a bigram key and its offsets (nil when no name
// holds it).
func (b *base) postings(k uint64) ([]int32, []uint8) {
	i, ok := slices.BinarySearch(b.keys, k)
	if !ok {
		return nil, nil
	}
	return b.post[b.start[i]:b.start[i+1]], b.off[b.start[i]:b.start[i+1]]
}

// SizeBytes estimates the memory the index holds of its own: the bigram lists, the
// per-node arrays, and the folded names that differ from the firms' (names equal to
// their fold are shared with the state's firms).
func (ix *Index) SizeBytes() int64 {
	b := ix.b
	n := 8*int64(len(b.keys)) + 16*int64(len(b.names)) + int64(len(b.off)) +
		4*int64(len(b.start)+len(b.post)+len(b.byID)+len(b.byName)+len(b.rank))
	n += 4*int64(len(ix.tags)) + 8*int64(len(ix.stale))
	for _, e := range ix.over {
		n += 24 + int64(len(e.name))
	}
	return n
}
