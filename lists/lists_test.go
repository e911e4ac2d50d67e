package lists

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// firm is one firm of a hand-made input.
type firm struct {
	grade  risk.Grade
	status credit.Status
	active []string // event types, occurred at the clock minus activeAge
	recent []time.Time
	// recentTypes are the types of recent, in order.
	recentTypes []string
}

var clock = time.Date(2026, 11, 20, 0, 0, 0, 0, credit.Shanghai)

// input builds an Input over firms; active events occurred 2026-06-15.
func input(fs []firm) *Input {
	m := risk.NewModel(risk.DefaultScoreParams(), credit.NewCatalogue())
	in := &Input{At: clock, Model: m, Grade: make([]risk.Grade, len(fs)), IDs: make([]string, len(fs))}
	active, recent := make([][]risk.EventRef, len(fs)), make([][]risk.EventRef, len(fs))
	june := time.Date(2026, 6, 15, 0, 0, 0, 0, credit.Shanghai).Unix()
	for v, f := range fs {
		in.Grade[v], in.IDs[v] = f.grade, fmt.Sprintf("u%02d", v)
		for _, t := range f.active {
			active[v] = append(active[v], risk.EventRef{Type: m.TypeIndex(t), At: june})
		}
		for i, at := range f.recent {
			recent[v] = append(recent[v], risk.EventRef{Type: m.TypeIndex(f.recentTypes[i]), At: at.Unix()})
		}
	}
	in.Status = func(v int32) credit.Status { return fs[v].status }
	in.Active = func(v int32) []risk.EventRef { return active[v] }
	in.Recent = func(v int32) []risk.EventRef { return recent[v] }
	return in
}

// demoFirms: the default criteria decide each as its comment says. The window of
// the incentive list starts at 2026-11-20 − 3y = 2023-11-20 00:00 (Asia/Shanghai).
func demoFirms() []firm {
	const a, b, c, d = risk.GradeA, risk.GradeB, risk.GradeC, risk.GradeD
	act := credit.StatusActive
	start := clock.AddDate(-3, 0, 0)
	return []firm{
		0:  {grade: a, status: act, active: []string{"honor"}},                                                              // incentive
		1:  {grade: a, status: act, active: []string{"penalty_minor"}},                                                      // −20 points: not incentive
		2:  {grade: a, status: act, recent: []time.Time{clock.AddDate(-2, 0, 0)}, recentTypes: []string{"penalty_serious"}}, // serious, 2y ago
		3:  {grade: a, status: act, recent: []time.Time{start}, recentTypes: []string{"bankruptcy"}},                        // on the window's first second
		4:  {grade: a, status: act, recent: []time.Time{start.Add(-time.Second)}, recentTypes: []string{"bankruptcy"}},      // a second before: incentive
		5:  {grade: a, status: credit.StatusAbnormal},                                                                       // not active
		6:  {grade: c, status: act},                                                                                         // focus: grade C
		7:  {grade: b, status: act, active: []string{"tax_arrears"}},                                                        // focus: high event
		8:  {grade: d, status: act, active: []string{"bankruptcy"}},                                                         // discipline: both
		9:  {grade: b, status: act, active: []string{"serious_dishonesty_list"}},                                            // discipline: critical event
		10: {grade: c, status: act, active: []string{"tax_arrears", "honor"}},                                               // focus: both
		11: {grade: a, status: act, recent: []time.Time{clock.AddDate(-1, 0, 0)}, recentTypes: []string{"penalty_general"}}, // medium: incentive
	}
}

func members(m *Membership, l int) []int32 {
	var out []int32
	for v := range m.n {
		if m.Has(l, int32(v)) {
			out = append(out, int32(v))
		}
	}
	return out
}

func TestDefaults(t *testing.T) {
	s := MustSet(Defaults())
	// Name order: discipline, focus, incentive.
	var names []string
	for _, l := range s.Lists() {
		names = append(names, l.Name)
	}
	if !slices.Equal(names, []string{Discipline, Focus, Incentive}) {
		t.Fatalf("lists %v", names)
	}
	m := Compute(s, input(demoFirms()))
	for l, want := range [][]int32{{8, 9}, {6, 7, 10}, {0, 4, 11}} {
		if got := members(m, l); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", names[l], got, want)
		}
		if m.Count(l) != len(want) {
			t.Errorf("%s: count %d, want %d", names[l], m.Count(l), len(want))
		}
	}
	// The incentive list looks back on high and critical events over 3 years: the
	// nine types of the catalogue with those severities.
	lb := s.Lookback()
	if !slices.Equal(lb.Severities, Serious) || !slices.Equal(lb.Windows, []credit.Period{{Years: 3}}) {
		t.Errorf("lookback %+v", lb)
	}
	m0 := risk.NewModel(risk.DefaultScoreParams(), credit.NewCatalogue())
	if got, want := lb.Types(m0), []string{"bankruptcy", "consumption_restriction", "dishonest_judgment_debtor",
		"equity_freeze", "license_revoked", "major_tax_violation", "penalty_serious", "serious_dishonesty_list",
		"tax_arrears"}; !slices.Equal(got, want) {
		t.Errorf("types %v, want %v", got, want)
	}
	if got, want := lb.Since(clock), clock.AddDate(-3, 0, 0); !got.Equal(want) {
		t.Errorf("since %v, want %v", got, want)
	}
}

func TestReasons(t *testing.T) {
	s := MustSet(Defaults())
	in := input(demoFirms())
	m := Compute(s, in)
	x := m.Explainer(in)
	focus, _ := s.Index(Focus)
	incentive, _ := s.Index(Incentive)
	discipline, _ := s.Index(Discipline)
	for _, tc := range []struct {
		l    int
		v    int32
		want []Reason
	}{
		{focus, 10, []Reason{{KindGrade, "grade C"}, {KindActiveEventSeverity, "active tax_arrears (high, 2026-06-15)"}}},
		{focus, 7, []Reason{{KindActiveEventSeverity, "active tax_arrears (high, 2026-06-15)"}}},
		{discipline, 8, []Reason{{KindGrade, "grade D"}, {KindActiveEventSeverity, "active bankruptcy (critical, 2026-06-15)"}}},
		{incentive, 0, []Reason{{KindGrade, "grade A"}, {KindStatus, "status active"},
			{KindNoActiveNegativeEvent, "no active event with negative points"},
			{KindNoEventSeverity, "no high or critical event since 2023-11-20"}}},
		{incentive, 1, nil}, // not a member
	} {
		if got := x.Reasons(tc.l, tc.v); !slices.Equal(got, tc.want) {
			t.Errorf("reasons of %d on %s: %q, want %q", tc.v, s.List(tc.l).Name, got, tc.want)
		}
	}
}

// Patch evaluates again the nodes it is given and the new ones, and keeps the rest.
func TestPatch(t *testing.T) {
	s := MustSet(Defaults())
	fs := demoFirms()
	prev := Compute(s, input(fs))
	fs[6].grade = risk.GradeB                                                // leaves focus
	fs[0].active = append(fs[0].active, "equity_freeze")                     // leaves incentive, joins focus
	fs = append(fs, firm{grade: risk.GradeD, status: credit.StatusBankrupt}) // 12: joins discipline
	in := input(fs)
	in.Model = prev.model // the same catalogue
	got := Patch(prev, s, in, []int32{0, 6})
	want := Compute(s, in)
	for l := range s.Len() {
		if !slices.Equal(members(got, l), members(want, l)) || got.Count(l) != want.Count(l) {
			t.Errorf("%s: patched %v (%d), computed %v (%d)", s.List(l).Name, members(got, l), got.Count(l),
				members(want, l), want.Count(l))
		}
	}
	// discipline {8, 9, 12}, focus {0, 7, 10}, incentive {4, 11}.
	for l, w := range [][]int32{{8, 9, 12}, {0, 7, 10}, {4, 11}} {
		if !slices.Equal(members(got, l), w) {
			t.Errorf("%s: %v, want %v", s.List(l).Name, members(got, l), w)
		}
	}
	// The previous membership is untouched.
	if !prev.Has(1, 6) || prev.Has(1, 0) {
		t.Error("Patch changed the previous membership")
	}
	// Another clock: everything is evaluated again (node 6, not listed, leaves focus).
	in.At = clock.Add(time.Hour)
	if again := Patch(prev, s, in, nil); again.Has(1, 6) {
		t.Error("a patch on another clock kept node 6 on focus")
	}
}

func TestSorted(t *testing.T) {
	s := MustSet(Defaults())
	fs := demoFirms()
	in := input(fs)
	in.IDs = []string{"k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a", "z"}
	m := Compute(s, in)
	focus, _ := s.Index(Focus)
	// focus {6 "e", 7 "d", 10 "a"} in id order: a, d, e.
	if got := m.Sorted(focus); !slices.Equal(got, []int32{10, 7, 6}) {
		t.Errorf("sorted %v", got)
	}
	// A patch carries the order over: 6 leaves, 0 ("k") and the new 12 ("b") join.
	fs[6].grade = risk.GradeB
	fs[0].active = append(fs[0].active, "tax_arrears")
	fs = append(fs, firm{grade: risk.GradeC, status: credit.StatusActive})
	in2 := input(fs)
	in2.Model, in2.IDs = in.Model, append(slices.Clone(in.IDs), "b2")
	p := Patch(m, s, in2, []int32{0, 6})
	if p.sorted[focus].nodes.Load() == nil {
		t.Fatal("the patch did not carry the order over")
	}
	want := []int32{10, 12, 7, 0} // a, b2, d, k
	if got := p.Sorted(focus); !slices.Equal(got, want) {
		t.Errorf("patched order %v, want %v", got, want)
	}
	if got := Compute(s, in2).Sorted(focus); !slices.Equal(got, want) {
		t.Errorf("computed order %v, want %v", got, want)
	}
	// A list never sorted before is sorted when asked.
	incentive, _ := s.Index(Incentive)
	if p.sorted[incentive].nodes.Load() != nil {
		t.Error("the patch sorted a list nobody asked for")
	}
}

// Any of and all of together: every AllOf and one of AnyOf.
func TestAllAndAny(t *testing.T) {
	s := MustSet([]List{{Name: "watch", AllOf: []Condition{{Kind: KindStatus, Statuses: []credit.Status{credit.StatusActive}}},
		AnyOf: []Condition{{Kind: KindGrade, Grades: []risk.Grade{risk.GradeC, risk.GradeD}},
			{Kind: KindActiveEventSeverity, Severities: []credit.Severity{credit.SeverityHigh}}}}})
	fs := demoFirms()
	fs[6].status = credit.StatusAbnormal // grade C but not active
	// Active and (C or D or an active high event): 7 (high), 8 (D), 9 (B, critical: no), 10.
	if got := members(Compute(s, input(fs)), 0); !slices.Equal(got, []int32{7, 8, 10}) {
		t.Errorf("members %v", got)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		l    List
		want string
	}{
		{List{Name: "Bad-Name", AnyOf: []Condition{{Kind: KindNoActiveNegativeEvent}}}, "lower-case"},
		{List{Name: "empty"}, "no condition"},
		{List{Name: "g", AllOf: []Condition{{Kind: KindGrade}}}, "grade: no grade"},
		{List{Name: "g", AllOf: []Condition{{Kind: KindGrade, Grades: []risk.Grade{'E'}}}}, "not one of A, B, C, D"},
		{List{Name: "s", AllOf: []Condition{{Kind: KindStatus, Statuses: []credit.Status{"closed"}}}}, `"closed" is not`},
		{List{Name: "w", AllOf: []Condition{{Kind: KindNoEventSeverity, Severities: Serious}}}, "no window"},
		{List{Name: "v", AllOf: []Condition{{Kind: KindActiveEventSeverity, Severities: []credit.Severity{"grave"}}}}, `"grave" is not a severity`},
		{List{Name: "k", AllOf: []Condition{{Kind: "score_below"}}}, "unknown condition"},
	} {
		err := tc.l.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.l, err, tc.want)
		}
	}
	if _, err := NewSet([]List{Defaults()[0], Defaults()[0]}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a name twice: %v", err)
	}
	for _, l := range Defaults() {
		if err := l.Validate(); err != nil {
			t.Errorf("default %s: %v", l.Name, err)
		}
	}
}
