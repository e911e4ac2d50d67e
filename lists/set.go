package lists

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// Set is the lists a scan computes, in name order. It is immutable once built.
type Set struct {
	lists []List
}

// NewSet returns the set of the given lists, sorted by name; it refuses invalid
// lists and repeated names.
func NewSet(ls []List) (*Set, error) {
	s := &Set{lists: slices.Clone(ls)}
	slices.SortFunc(s.lists, func(a, b List) int { return strings.Compare(a.Name, b.Name) })
	for i, l := range s.lists {
		if err := l.Validate(); err != nil {
			return nil, err
		}
		if i > 0 && s.lists[i-1].Name == l.Name {
			return nil, fmt.Errorf("list %s is defined twice", l.Name)
		}
	}
	return s, nil
}

// MustSet is NewSet for lists known to be valid (the defaults, a validated config).
func MustSet(ls []List) *Set {
	s, err := NewSet(ls)
	if err != nil {
		panic(err)
	}
	return s
}

// Len is the number of lists.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.lists)
}

// List returns list i (in name order).
func (s *Set) List(i int) List { return s.lists[i] }

// Index returns the position of the list called name.
func (s *Set) Index(name string) (int, bool) {
	for i, l := range s.Lists() {
		if l.Name == name {
			return i, true
		}
	}
	return 0, false
}

// Lists returns the lists in name order; nil for a nil set.
func (s *Set) Lists() []List {
	if s == nil {
		return nil
	}
	return s.lists
}

// Equal reports whether two sets define the same lists.
func (s *Set) Equal(o *Set) bool { return reflect.DeepEqual(s.Lists(), o.Lists()) }

// Lookback is what the lists need of the firms' past: the events of Severities,
// whatever their state, that occurred since the earliest start of Windows.
type Lookback struct {
	Severities []credit.Severity // in credit.Severities order
	Windows    []credit.Period   // distinct, in the order first met
}

// Lookback returns what the no_event_severity conditions of the set look back on;
// the zero Lookback when there is none.
func (s *Set) Lookback() Lookback {
	var lb Lookback
	var sevs [5]bool
	for _, l := range s.Lists() {
		for _, c := range slices.Concat(l.AllOf, l.AnyOf) {
			if c.Kind != KindNoEventSeverity {
				continue
			}
			for _, sev := range c.Severities {
				if r := sev.Rank(); r >= 0 {
					sevs[r] = true
				}
			}
			if !slices.Contains(lb.Windows, c.Within) {
				lb.Windows = append(lb.Windows, c.Within)
			}
		}
	}
	for _, sev := range credit.Severities {
		if sevs[sev.Rank()] {
			lb.Severities = append(lb.Severities, sev)
		}
	}
	return lb
}

// Equal reports whether two lookbacks read the same past.
func (lb Lookback) Equal(o Lookback) bool {
	return slices.Equal(lb.Severities, o.Severities) && slices.Equal(lb.Windows, o.Windows)
}

// Types lists the event types of the model's catalogue with one of the lookback's
// severities, in name order.
func (lb Lookback) Types(m *risk.Model) []string {
	if len(lb.Severities) == 0 || m == nil {
		return nil
	}
	var out []string
	for _, name := range m.Catalogue.Names() {
		if t, _ := m.Catalogue.Lookup(name); slices.Contains(lb.Severities, t.Severity) {
			out = append(out, name)
		}
	}
	return out
}

// Since returns the earliest start of the lookback's windows for a scan at clock
// at; the zero time when there is no window.
func (lb Lookback) Since(at time.Time) time.Time {
	var since time.Time
	for _, w := range lb.Windows {
		if t := (Condition{Within: w}).Since(at); since.IsZero() || t.Before(since) {
			since = t
		}
	}
	return since
}
