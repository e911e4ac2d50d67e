package lists

import (
	"fmt"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Reason is a condition that put a firm on a list, with what it found.
type Reason struct {
	Condition Kind
	// Detail says what held: the grade or status, the active events of the
	// severities asked for, or the window that held no such event.
	Detail string
}

// Explainer words the reasons of a membership's members.
type Explainer struct {
	m *Membership
	e *evaluator
}

// Explainer returns the explainer of m over the input it was computed from.
func (m *Membership) Explainer(in *Input) *Explainer {
	return &Explainer{m: m, e: newEvaluator(m.set, in)}
}

// Reasons lists the conditions of list l that node v meets: all of AllOf's, then
// those of AnyOf's that hold; nil when v is not a member.
func (x *Explainer) Reasons(l int, v int32) []Reason {
	if !x.m.Has(l, v) {
		return nil
	}
	list := x.m.set.lists[l]
	var out []Reason
	for k, cs := range [2][]Condition{list.AllOf, list.AnyOf} {
		for j, c := range cs {
			if t := &x.e.lists[l][k][j]; x.e.holds(t, v) {
				out = append(out, Reason{Condition: c.Kind, Detail: x.detail(c, t, v)})
			}
		}
	}
	return out
}

// detail words what a condition that holds found.
func (x *Explainer) detail(c Condition, t *test, v int32) string {
	in := x.e.in
	switch c.Kind {
	case KindGrade:
		return "grade " + in.Grade[v].String()
	case KindStatus:
		return "status " + string(in.Status(v))
	case KindNoActiveNegativeEvent:
		return "no active event with negative points"
	case KindNoEventSeverity:
		return fmt.Sprintf("no %s event since %s", orList(c.Severities), time.Unix(t.since, 0).In(credit.Shanghai).Format(time.DateOnly))
	case KindActiveEventSeverity:
		var evs []string
		for _, ev := range in.Active(v) {
			if x.e.sevOf(ev)&t.sevs == 0 {
				continue
			}
			sev, _ := in.Model.Severity(ev.Type)
			evs = append(evs, fmt.Sprintf("%s (%s, %s)", in.Model.TypeName(ev.Type), sev,
				time.Unix(ev.At, 0).In(credit.Shanghai).Format(time.DateOnly)))
		}
		return "active " + strings.Join(evs, ", ")
	}
	return ""
}

// orList writes severities as "high or critical".
func orList(sevs []credit.Severity) string {
	s := make([]string, len(sevs))
	for i, x := range sevs {
		s[i] = string(x)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
