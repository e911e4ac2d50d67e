package search

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// build indexes names with USCC-like ids id(0), id(1), … and no tags.
func build(names []string) *Index {
	b := NewBuilder(len(names))
	ids := make([]string, len(names))
	for v, s := range names {
		b.Add(s, nil)
		ids[v] = fmt.Sprintf("91230100MA%08d", v)
	}
	return b.Build(ids)
}

// all returns every match of text, by node.
func all(ix *Index, text string) []int32 {
	p := ix.Search(Query{Text: text, Limit: ix.Len() + 1})
	if p.Total != len(p.Nodes) || p.More {
		panic(fmt.Sprintf("%q: total %d, %d nodes, more %v", text, p.Total, len(p.Nodes), p.More))
	}
	slices.Sort(p.Nodes)
	return p.Nodes
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"大豆":               "大豆",
		"ABC科技有限公司":        "abc科技有限公司",
		"ＡＢＣ１２３":           "abc123",
		"北京\u3000Ａｂ":       "北京 ab",
		"ÀÉÎ":              "àéî",
		"91230100MA1ABCDE": "91230100ma1abcde",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	// Nothing to fold: the very string, not a copy.
	s := "黑龙江松花江大豆产业集团股份有限公司"
	if got := Fold(s); got != s || unsafe.StringData(got) != unsafe.StringData(s) {
		t.Errorf("Fold copied or changed %q", s)
	}
}

// A worked example: every kind of query on five names.
func TestSearchExample(t *testing.T) {
	ix := build([]string{
		"黑龙江松花江大豆产业集团股份有限公司", // 0
		"哈尔滨三江大豆种植专业合作社",     // 1
		"齐齐哈尔鹤乡乳业集团股份有限公司",   // 2
		"ABC大豆Trading有限公司",   // 3
		"豆豆豆",                // 4
	})
	for _, tc := range []struct {
		q    string
		want []int32
	}{
		{"大豆", []int32{0, 1, 3}},
		{"豆", []int32{0, 1, 3, 4}},
		{"豆豆", []int32{4}},
		{"豆豆豆", []int32{4}},
		{"豆豆豆豆", nil},               // one bigram, four runes: the substring check refuses 豆豆豆
		{"集团股份有限公司", []int32{0, 2}}, // a long query: lists intersected, then checked
		{"有限公司", []int32{0, 2, 3}},
		{"大豆产业", []int32{0}},
		{"江大", []int32{0, 1}},
		{"abc", []int32{3}},       // case folded
		{"ＡＢＣ大豆", []int32{3}},     // width folded
		{"trading有限", []int32{3}}, // across scripts
		{"  乳业 ", []int32{2}},     // spaces around dropped
		{"91230100MA00000002", []int32{2}},
		{"91230100ma0000000", []int32{0, 1, 2, 3, 4}}, // a USCC prefix, any case
		{"9123010", []int32{0, 1, 2, 3, 4}},
		{"司", []int32{0, 2, 3}}, // last rune: the end mark
		{"鸡西", nil},
		{"", []int32{0, 1, 2, 3, 4}},
	} {
		if got := all(ix, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.q, got, tc.want)
		}
	}
}

// Pages in name order and in score order, walked with a cursor, list every kept
// match once, and every page reports the same total.
func TestSearchPages(t *testing.T) {
	names := make([]string, 200)
	score := make([]float64, 200)
	for v := range names {
		names[v] = fmt.Sprintf("第%d大豆公司", v%37) // duplicate names: ties broken by USCC
		score[v] = float64(v % 5)               // and duplicate scores
	}
	ix := build(names)
	keep := func(v int32) bool { return v%3 != 0 } // 133 of 200 kept: 200 − ⌈200/3⌉
	byName := func(a, b int32) int {
		return cmp.Or(strings.Compare(names[a], names[b]), strings.Compare(ix.ids[a], ix.ids[b]))
	}
	for _, tc := range []struct {
		score []float64
		desc  bool
		order func(a, b int32) int
	}{
		{nil, false, byName},
		{score, false, func(a, b int32) int { return cmp.Or(cmp.Compare(score[a], score[b]), byName(a, b)) }},
		{score, true, func(a, b int32) int { return cmp.Or(cmp.Compare(score[b], score[a]), byName(a, b)) }},
	} {
		var walked []int32
		var after *Position
		for pages := 0; ; pages++ {
			p := ix.Search(Query{Text: "大豆", Keep: keep, Score: tc.score, Desc: tc.desc, After: after, Limit: 10})
			if p.Total != 133 {
				t.Fatalf("page %d: total %d, want 133", pages, p.Total)
			}
			walked = append(walked, p.Nodes...)
			if !p.More {
				if pages != 13 { // 133 = 13 pages of 10 and one of 3
					t.Errorf("%d pages, want 14", pages+1)
				}
				break
			}
			last := p.Nodes[len(p.Nodes)-1]
			after = &Position{Score: score[last], Name: names[last], USCC: ix.ids[last]}
		}
		want := slices.DeleteFunc(all(ix, "大豆"), func(v int32) bool { return !keep(v) })
		slices.SortFunc(want, tc.order)
		if !slices.Equal(walked, want) {
			t.Errorf("score %v desc %v: walked %v\nwant   %v", tc.score != nil, tc.desc, walked, want)
		}
	}
}

func TestTags(t *testing.T) {
	b := NewBuilder(3)
	b.Add("甲", []string{"leading", "listed"})
	b.Add("乙", nil)
	b.Add("丙", []string{"leading", "listed"})
	ix := b.Build([]string{"A", "B", "C"})
	if got := ix.Tags(2); !slices.Equal(got, []string{"leading", "listed"}) || len(ix.sets) != 2 {
		t.Errorf("tags %v, %d sets (want 2: none, leading+listed)", got, len(ix.sets))
	}
	listed := ix.TagFilter("listed")
	if !listed(0) || listed(1) || !listed(2) {
		t.Error("TagFilter(listed) wrong")
	}
	// An update sets new tags without touching the index it came from.
	nx := ix.Update([]string{"A", "B", "C", "D"}, []Doc{{Node: 1, Name: "乙", Tags: []string{"specialized"}},
		{Node: 3, Name: "丁", Tags: []string{"leading", "listed"}}})
	if !slices.Equal(nx.Tags(1), []string{"specialized"}) || !slices.Equal(nx.Tags(3), []string{"leading", "listed"}) ||
		len(ix.Tags(1)) != 0 || len(ix.sets) != 2 || ix.Len() != 3 {
		t.Errorf("update: %v %v; old %v, %d sets", nx.Tags(1), nx.Tags(3), ix.Tags(1), len(ix.sets))
	}
	if sp := nx.TagFilter("specialized"); !sp(1) || sp(0) {
		t.Error("TagFilter(specialized) wrong after the update")
	}
}

// world is a random directory and what a brute force finds in it.
type world struct {
	rng   *rand.Rand
	names []string
	ids   []string
}

// The alphabet mixes Chinese, ASCII of both cases, full-width forms and a space, with
// few symbols so that substrings recur.
var alphabet = []rune("大豆有限公司哈尔滨龙江农业集团aAbB1２Ｃｃ -")

func (w *world) name() string {
	n := 1 + w.rng.IntN(12)
	if w.rng.IntN(20) == 0 { // past 255 bytes: offsets too large for the index to keep
		n = 60 + w.rng.IntN(100)
	}
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = alphabet[w.rng.IntN(len(alphabet))]
	}
	return string(rs)
}

func (w *world) addFirm() {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for {
		b := make([]byte, 18)
		for i := range b {
			b[i] = chars[w.rng.IntN(6)] // few characters: prefixes shared
		}
		if !slices.Contains(w.ids, string(b)) {
			w.ids = append(w.ids, string(b))
			w.names = append(w.names, w.name())
			return
		}
	}
}

// query draws a query: a piece of a name, random text, a USCC prefix, or nothing.
func (w *world) query() string {
	switch w.rng.IntN(5) {
	case 0, 1:
		rs := []rune(w.names[w.rng.IntN(len(w.names))])
		i := w.rng.IntN(len(rs))
		return string(rs[i : i+1+w.rng.IntN(min(5, len(rs)-i))])
	case 2:
		rs := []rune(w.name())
		return string(rs[:1+w.rng.IntN(min(3, len(rs)))])
	case 3:
		id := w.ids[w.rng.IntN(len(w.ids))]
		q := id[:1+w.rng.IntN(len(id))]
		if w.rng.IntN(2) == 0 {
			q = strings.ToLower(q)
		}
		return q
	}
	return ""
}

func (w *world) brute(text string) []int32 {
	text = Fold(strings.TrimSpace(text))
	up := usccQuery(text)
	var out []int32
	for v, s := range w.names {
		if strings.Contains(Fold(s), text) || up != "" && strings.HasPrefix(w.ids[v], up) {
			out = append(out, int32(v))
		}
	}
	return out
}

func (w *world) check(t *testing.T, ix *Index, round int) {
	t.Helper()
	for range 300 {
		q := w.query()
		if got, want := all(ix, q), w.brute(q); !slices.Equal(got, want) {
			t.Fatalf("round %d, %q: %d matches %v, brute force %d %v", round, q, len(got), got, len(want), want)
		}
	}
	// The name and score orders, walked page by page with a cursor, are the
	// brute-force orders of (folded name, USCC) and (score, folded name, USCC).
	score := make([]float64, len(w.names))
	for v := range score {
		score[v] = float64(w.rng.IntN(4))
	}
	byName := func(a, b int32) int {
		return cmp.Or(strings.Compare(Fold(w.names[a]), Fold(w.names[b])), strings.Compare(w.ids[a], w.ids[b]))
	}
	for i := range 30 {
		q := w.query()
		var sc []float64
		sign := 1.0
		if i%3 > 0 {
			sc, sign = score, float64(3-2*(i%3)) // 1 then -1
		}
		want := w.brute(q)
		slices.SortFunc(want, func(a, b int32) int {
			if sc != nil {
				if c := cmp.Compare(sign*sc[a], sign*sc[b]); c != 0 {
					return c
				}
			}
			return byName(a, b)
		})
		var got []int32
		var after *Position
		for {
			p := ix.Search(Query{Text: q, Score: sc, Desc: sign < 0, After: after, Limit: 1 + w.rng.IntN(40)})
			got = append(got, p.Nodes...)
			if !p.More {
				break
			}
			last := p.Nodes[len(p.Nodes)-1]
			after = &Position{Score: score[last], Name: w.names[last], USCC: w.ids[last]}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d, %q (scores %v, sign %v): %v, brute force %v", round, q, sc != nil, sign, got, want)
		}
		for j := 1; j < len(got); j++ {
			if ix.CompareNames(got[j-1], got[j]) >= 0 && sc == nil {
				t.Fatalf("round %d: CompareNames disagrees with the page order", round)
			}
		}
	}
}

// The index finds what a brute-force substring search finds, on random names, after
// a build and after every update (renames, renames back, new firms) — through the
// overlay and through the rebuilds it triggers.
func TestSearchMatchesBruteForce(t *testing.T) {
	defer func(n int) { manyUSCCs = n }(manyUSCCs)
	manyUSCCs = 8 // both ways of reading USCC ranges
	w := &world{rng: rand.New(rand.NewPCG(1, 2))}
	for range 3000 {
		w.addFirm()
	}
	b := NewBuilder(len(w.ids))
	for _, s := range w.names {
		b.Add(s, nil)
	}
	ix := b.Build(slices.Clone(w.ids))
	w.check(t, ix, 0)
	original := slices.Clone(w.names)
	rebuilt := 0
	for round := 1; round <= 8; round++ {
		var docs []Doc
		for range w.rng.IntN(700) {
			v := int32(w.rng.IntN(len(w.names)))
			if w.rng.IntN(4) == 0 && int(v) < len(original) {
				w.names[v] = original[v] // renamed back
			} else {
				w.names[v] = w.name()
			}
			docs = append(docs, Doc{Node: v, Name: w.names[v]})
		}
		for range w.rng.IntN(100) {
			w.addFirm()
			docs = append(docs, Doc{Node: int32(len(w.ids) - 1), Name: w.names[len(w.ids)-1]})
		}
		prev := ix.b
		ix = ix.Update(slices.Clone(w.ids), docs)
		if ix.b != prev {
			rebuilt++
			if ix.Overlay() != 0 {
				t.Errorf("round %d: rebuilt with %d firms in the overlay", round, ix.Overlay())
			}
		}
		w.check(t, ix, round)
	}
	if rebuilt == 0 {
		t.Error("no update rebuilt the bigram index: the overlay bound is untested")
	}
}

// sortNodes orders strings as strings.Compare does, ties broken by the second list:
// strings of every length, equal on their first 24 bytes or not.
func TestSortNodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var strs, tie []string
	for i := range 5000 {
		b := []byte("91230100000000000000000000XY")[:8+rng.IntN(21)]
		for i := 10; i < len(b); i++ {
			if rng.IntN(3) == 0 {
				b[i] = "0AZ"[rng.IntN(3)]
			}
		}
		strs, tie = append(strs, string(b)), append(tie, fmt.Sprint(i%7, i))
	}
	for _, tc := range []struct {
		name      string
		strs, tie []string
	}{{"unsorted", strs, tie}, {"no tie-break", strs, nil}, {"sorted", slices.Sorted(slices.Values(strs)), nil}} {
		got := sortNodes(tc.strs, tc.tie)
		if !slices.IsSortedFunc(got, func(x, y int32) int {
			c := strings.Compare(tc.strs[x], tc.strs[y])
			if c == 0 && tc.tie != nil {
				c = strings.Compare(tc.tie[x], tc.tie[y])
			}
			return c
		}) {
			t.Errorf("%s: not in order", tc.name)
		}
		slices.Sort(got)
		for i, v := range got {
			if v != int32(i) {
				t.Fatalf("%s: not a permutation", tc.name)
			}
		}
	}
}
