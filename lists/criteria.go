package lists

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// Kind names a condition of the criteria language (docs/models.md, "Graded lists").
type Kind string

// The conditions a list's criteria are made of.
const (
	// KindGrade holds when the firm's grade is one of Grades.
	KindGrade Kind = "grade"
	// KindStatus holds when the firm's registration status is one of Statuses.
	KindStatus Kind = "status"
	// KindNoActiveNegativeEvent holds when none of the firm's active events has
	// negative points in the catalogue.
	KindNoActiveNegativeEvent Kind = "no_active_negative_event"
	// KindNoEventSeverity holds when no event of the firm of one of Severities —
	// active, repaired or expired — occurred within Within before the scan's clock.
	KindNoEventSeverity Kind = "no_event_severity"
	// KindActiveEventSeverity holds when one of the firm's active events is of one
	// of Severities.
	KindActiveEventSeverity Kind = "active_event_severity"
)

// Kinds lists the conditions in the order the documentation gives them.
var Kinds = []Kind{KindGrade, KindStatus, KindNoActiveNegativeEvent, KindNoEventSeverity, KindActiveEventSeverity}

// Condition is one test of a firm; Kind says which of the other fields it reads.
type Condition struct {
	Kind       Kind
	Grades     []risk.Grade      // grade
	Statuses   []credit.Status   // status
	Severities []credit.Severity // no_event_severity, active_event_severity
	Within     credit.Period     // no_event_severity: how far back from the clock
}

// Since is where a no_event_severity condition's window starts for a scan at clock
// at: the window's length before it, to the second (events that occurred at or
// after it count).
func (c Condition) Since(at time.Time) time.Time {
	w := c.Within
	return at.AddDate(-w.Years, -w.Months, -w.Days).Truncate(time.Second)
}

// List is one named list. A firm is a member when it meets every condition of AllOf
// and, when AnyOf is not empty, at least one of AnyOf.
type List struct {
	Name    string
	TitleZh string
	TitleEn string
	AllOf   []Condition
	AnyOf   []Condition
}

// The default lists (docs/models.md).
const (
	Incentive  = "incentive"  // 守信激励对象
	Focus      = "focus"      // 重点关注对象
	Discipline = "discipline" // 失信惩戒对象
)

// Serious are the severities of a serious event (严重失信行为) in the default
// incentive list: high and critical.
var Serious = []credit.Severity{credit.SeverityHigh, credit.SeverityCritical}

// Defaults returns the lists docs/models.md describes: the incentive list
// (守信激励对象: grade A, active, no active negative event, no serious event in
// three years), the focus list (重点关注对象: grade C, or an active high-severity
// event) and the discipline list (失信惩戒对象: grade D, or an active critical event).
func Defaults() []List {
	return []List{
		{Name: Incentive, TitleZh: "守信激励对象", TitleEn: "Incentive list: trustworthy firms",
			AllOf: []Condition{
				{Kind: KindGrade, Grades: []risk.Grade{risk.GradeA}},
				{Kind: KindStatus, Statuses: []credit.Status{credit.StatusActive}},
				{Kind: KindNoActiveNegativeEvent},
				{Kind: KindNoEventSeverity, Severities: slices.Clone(Serious), Within: credit.Period{Years: 3}},
			}},
		{Name: Focus, TitleZh: "重点关注对象", TitleEn: "Focus list: firms under close watch",
			AnyOf: []Condition{
				{Kind: KindGrade, Grades: []risk.Grade{risk.GradeC}},
				{Kind: KindActiveEventSeverity, Severities: []credit.Severity{credit.SeverityHigh}},
			}},
		{Name: Discipline, TitleZh: "失信惩戒对象", TitleEn: "Discipline list: dishonest firms",
			AnyOf: []Condition{
				{Kind: KindGrade, Grades: []risk.Grade{risk.GradeD}},
				{Kind: KindActiveEventSeverity, Severities: []credit.Severity{credit.SeverityCritical}},
			}},
	}
}

// NameRE is the form of a list's name: it appears in URLs and metric labels.
var NameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate reports every problem of a list's definition.
func (l List) Validate() error {
	var errs []error
	if !NameRE.MatchString(l.Name) {
		errs = append(errs, fmt.Errorf("list name %q must be 1 to 64 lower-case letters, digits or '_', starting with a letter", l.Name))
	}
	if len(l.AllOf) == 0 && len(l.AnyOf) == 0 {
		errs = append(errs, fmt.Errorf("list %s has no condition", l.Name))
	}
	for _, c := range slices.Concat(l.AllOf, l.AnyOf) {
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("list %s: %w", l.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Validate reports what is wrong with a condition.
func (c Condition) Validate() error {
	switch c.Kind {
	case KindGrade:
		if len(c.Grades) == 0 {
			return errors.New("grade: no grade given")
		}
		for _, g := range c.Grades {
			if _, err := risk.ParseGrade(g.String()); err != nil {
				return fmt.Errorf("grade: %w", err)
			}
		}
	case KindStatus:
		if len(c.Statuses) == 0 {
			return errors.New("status: no status given")
		}
		for _, s := range c.Statuses {
			if !s.Valid() {
				return fmt.Errorf("status: %q is not a registration status", s)
			}
		}
	case KindNoActiveNegativeEvent:
	case KindNoEventSeverity, KindActiveEventSeverity:
		if len(c.Severities) == 0 {
			return fmt.Errorf("%s: no severity given", c.Kind)
		}
		for _, s := range c.Severities {
			if !s.Valid() {
				return fmt.Errorf("%s: %q is not a severity", c.Kind, s)
			}
		}
		if c.Kind == KindNoEventSeverity && c.Within.UntilRepaired() {
			return errors.New("no_event_severity: no window given")
		}
	default:
		return fmt.Errorf("unknown condition %q", c.Kind)
	}
	return nil
}

// String spells the condition as the config writes it.
func (c Condition) String() string {
	join := func(n int, at func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = at(i)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	sevs := join(len(c.Severities), func(i int) string { return string(c.Severities[i]) })
	switch c.Kind {
	case KindGrade:
		return "grade: " + join(len(c.Grades), func(i int) string { return c.Grades[i].String() })
	case KindStatus:
		return "status: " + join(len(c.Statuses), func(i int) string { return string(c.Statuses[i]) })
	case KindNoActiveNegativeEvent:
		return "no_active_negative_event: true"
	case KindNoEventSeverity:
		return fmt.Sprintf("no_event_severity: {severities: %s, within: %s}", sevs, c.Within)
	case KindActiveEventSeverity:
		return "active_event_severity: " + sevs
	}
	return string(c.Kind)
}
