package lists

import (
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// Input is what membership reads of a scan's state, by node index: n = len(Grade).
type Input struct {
	At     time.Time   // the scan's clock
	Model  *risk.Model // the catalogue the events' types index
	IDs    []string    // the firms' USCCs, the members' order (Sorted)
	Grade  []risk.Grade
	Status func(v int32) credit.Status
	// Active returns the firm's active events; Recent its events of the set's
	// Lookback, whatever their state, that occurred since Lookback.Since(At).
	Active func(v int32) []risk.EventRef
	Recent func(v int32) []risk.EventRef
}

// Membership is who is on each list of a set at one scan: a bit per firm and list.
// It is immutable once computed (the orders Sorted computes are kept).
type Membership struct {
	set    *Set
	at     time.Time
	model  *risk.Model
	ids    []string
	n      int
	bits   [][]uint64 // per list, bit v of word v/64 for node v
	counts []int
	sorted []sortedOnce
}

// sortedOnce is a list's members in id order, computed at most once.
type sortedOnce struct {
	once  sync.Once
	nodes atomic.Pointer[[]int32]
}

// Set returns the lists the membership is of.
func (m *Membership) Set() *Set { return m.set }

// At returns the clock it was computed with.
func (m *Membership) At() time.Time { return m.at }

// Has reports whether node v is on list l.
func (m *Membership) Has(l int, v int32) bool {
	return int(v) < m.n && m.bits[l][v>>6]&(1<<(uint(v)&63)) != 0
}

// Count is the number of members of list l.
func (m *Membership) Count(l int) int { return m.counts[l] }

// Sorted returns the members of list l in the order of their USCCs (Input.IDs). The
// first call sorts them, unless Patch carried the order over from the previous
// scan's; callers must not change the slice.
func (m *Membership) Sorted(l int) []int32 {
	so := &m.sorted[l]
	if p := so.nodes.Load(); p != nil {
		return *p
	}
	so.once.Do(func() {
		out := make([]int32, 0, m.counts[l])
		for w, word := range m.bits[l] {
			for ; word != 0; word &= word - 1 {
				out = append(out, int32(w<<6+bits.TrailingZeros64(word)))
			}
		}
		slices.SortFunc(out, m.byID)
		so.nodes.Store(&out)
	})
	return *so.nodes.Load()
}

// byID orders nodes by USCC.
func (m *Membership) byID(a, b int32) int { return strings.Compare(m.ids[a], m.ids[b]) }

// Compute evaluates every list of s for every firm of in.
func Compute(s *Set, in *Input) *Membership {
	m := newMembership(s, in, nil)
	e := newEvaluator(s, in)
	words := (m.n + 63) / 64
	workers := min(runtime.GOMAXPROCS(0), max(1, m.n/(1<<16)))
	per := (words + workers - 1) / workers
	counts := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, words)
		counts[w] = make([]int, s.Len())
		wg.Go(func() {
			for v := lo * 64; v < min(hi*64, m.n); v++ {
				for l := range s.Len() {
					if e.member(l, int32(v)) {
						m.bits[l][v>>6] |= 1 << (uint(v) & 63)
						counts[w][l]++
					}
				}
			}
		})
	}
	wg.Wait()
	for _, c := range counts {
		for l, k := range c {
			m.counts[l] += k
		}
	}
	return m
}

// Patch returns prev's membership with the given nodes, and the firms prev did not
// hold, evaluated again: what an incremental scan changed. When prev was computed
// for other lists, another catalogue or another clock, every firm is evaluated again.
// The members' order, when prev had sorted a list, is carried over.
func Patch(prev *Membership, s *Set, in *Input, nodes []int32) *Membership {
	if prev == nil || prev.set != s || prev.model != in.Model || !prev.at.Equal(in.At) || len(in.Grade) < prev.n {
		return Compute(s, in)
	}
	m := newMembership(s, in, prev)
	e := newEvaluator(s, in)
	joined, left := make([][]int32, s.Len()), make([]map[int32]bool, s.Len())
	eval := func(v int32) {
		for l := range s.Len() {
			word, bit := &m.bits[l][v>>6], uint64(1)<<(uint(v)&63)
			was, is := *word&bit != 0, e.member(l, v)
			switch {
			case is && !was:
				*word |= bit
				m.counts[l]++
				joined[l] = append(joined[l], v)
			case was && !is:
				*word &^= bit
				m.counts[l]--
				if left[l] == nil {
					left[l] = map[int32]bool{}
				}
				left[l][v] = true
			}
		}
	}
	for _, v := range nodes {
		if int(v) < prev.n {
			eval(v)
		}
	}
	for v := prev.n; v < m.n; v++ {
		eval(int32(v))
	}
	for l := range s.Len() {
		if old := prev.sorted[l].nodes.Load(); old != nil {
			m.sorted[l].nodes.Store(m.resorted(*old, joined[l], left[l]))
		}
	}
	return m
}

// resorted is a sorted member list without the nodes that left and with those that
// joined (a merge: no sort of the whole list).
func (m *Membership) resorted(old, joined []int32, left map[int32]bool) *[]int32 {
	slices.SortFunc(joined, m.byID)
	out := make([]int32, 0, len(old)+len(joined))
	i := 0
	for _, v := range old {
		if left[v] {
			continue
		}
		for ; i < len(joined) && m.byID(joined[i], v) < 0; i++ {
			out = append(out, joined[i])
		}
		out = append(out, v)
	}
	out = append(out, joined[i:]...)
	return &out
}

// newMembership allocates the membership of in's firms, starting from prev's bits
// and counts when given.
func newMembership(s *Set, in *Input, prev *Membership) *Membership {
	n := len(in.Grade)
	m := &Membership{set: s, at: in.At, model: in.Model, ids: in.IDs, n: n, bits: make([][]uint64, s.Len()),
		counts: make([]int, s.Len()), sorted: make([]sortedOnce, s.Len())}
	for l := range m.bits {
		m.bits[l] = make([]uint64, (n+63)/64)
		if prev != nil {
			copy(m.bits[l], prev.bits[l])
			m.counts[l] = prev.counts[l]
		}
	}
	return m
}

// test is a condition compiled for one scan.
type test struct {
	kind     Kind
	grades   uint8 // bit g-'A' for each grade
	statuses []credit.Status
	sevs     uint8 // bit r for each severity of rank r
	since    int64 // no_event_severity: Unix seconds
}

// evaluator decides membership for one scan's input.
type evaluator struct {
	in       *Input
	sevBit   []uint8 // by event type index: the bit of its severity (0: unknown)
	negative []bool  // by event type index: negative points
	lists    [][2][]test
}

func newEvaluator(s *Set, in *Input) *evaluator {
	e := &evaluator{in: in}
	if in.Model != nil {
		for i := uint16(0); in.Model.TypeName(i) != ""; i++ {
			t, _ := in.Model.Catalogue.Lookup(in.Model.TypeName(i))
			var b uint8
			if r := t.Severity.Rank(); r >= 0 {
				b = 1 << r
			}
			e.sevBit, e.negative = append(e.sevBit, b), append(e.negative, t.Points < 0)
		}
	}
	compile := func(cs []Condition) []test {
		out := make([]test, len(cs))
		for i, c := range cs {
			t := test{kind: c.Kind, statuses: c.Statuses}
			for _, g := range c.Grades {
				t.grades |= 1 << (g - risk.GradeA)
			}
			for _, sev := range c.Severities {
				if r := sev.Rank(); r >= 0 {
					t.sevs |= 1 << r
				}
			}
			if c.Kind == KindNoEventSeverity {
				t.since = c.Since(in.At).Unix()
			}
			out[i] = t
		}
		return out
	}
	for _, l := range s.Lists() {
		e.lists = append(e.lists, [2][]test{compile(l.AllOf), compile(l.AnyOf)})
	}
	return e
}

// member reports whether node v is on list l.
func (e *evaluator) member(l int, v int32) bool {
	allOf, anyOf := e.lists[l][0], e.lists[l][1]
	for i := range allOf {
		if !e.holds(&allOf[i], v) {
			return false
		}
	}
	if len(anyOf) == 0 {
		return true
	}
	for i := range anyOf {
		if e.holds(&anyOf[i], v) {
			return true
		}
	}
	return false
}

// holds reports whether node v meets t.
func (e *evaluator) holds(t *test, v int32) bool {
	switch t.kind {
	case KindGrade:
		g := e.in.Grade[v]
		return g >= risk.GradeA && g <= risk.GradeD && t.grades&(1<<(g-risk.GradeA)) != 0
	case KindStatus:
		return slices.Contains(t.statuses, e.in.Status(v))
	case KindNoActiveNegativeEvent:
		for _, ev := range e.in.Active(v) {
			if int(ev.Type) < len(e.negative) && e.negative[ev.Type] {
				return false
			}
		}
		return true
	case KindNoEventSeverity:
		for _, ev := range e.in.Recent(v) {
			if ev.At >= t.since && e.sevOf(ev)&t.sevs != 0 {
				return false
			}
		}
		return true
	case KindActiveEventSeverity:
		for _, ev := range e.in.Active(v) {
			if e.sevOf(ev)&t.sevs != 0 {
				return true
			}
		}
	}
	return false
}

// sevOf is the severity bit of an event's type; 0 for a type the catalogue does not
// hold.
func (e *evaluator) sevOf(ev risk.EventRef) uint8 {
	if int(ev.Type) < len(e.sevBit) {
		return e.sevBit[ev.Type]
	}
	return 0
}
