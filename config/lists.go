package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/risk"
)

// ListsConfig holds the graded lists by name (docs/models.md, "Graded lists").
// Package lists owns the criteria and their defaults (incentive, focus,
// discipline); lists.* spells them for the config file, and defaultLists and
// GradedLists are the two directions of that mapping. A list the file names
// replaces the fields it writes of the built-in list of that name (a new name adds
// a list); enabled: false turns a list off.
type ListsConfig map[string]ListConfig

// ListConfig is one list: its titles and criteria. A firm is a member when it meets
// every condition of all_of and, when any_of is not empty, one of any_of.
type ListConfig struct {
	// Enabled is nil where the file does not say: the list is computed.
	Enabled *bool           `yaml:"enabled" json:"enabled,omitempty"`
	TitleZh string          `yaml:"title_zh" json:"title_zh"`
	TitleEn string          `yaml:"title_en" json:"title_en"`
	AllOf   []ListCondition `yaml:"all_of" json:"all_of,omitempty"`
	AnyOf   []ListCondition `yaml:"any_of" json:"any_of,omitempty"`
}

// ListCondition is one condition: exactly one of its fields is set.
type ListCondition struct {
	// Grade: the firm's grade is one of these (A, B, C, D).
	Grade []string `yaml:"grade" json:"grade,omitempty"`
	// Status: its registration status is one of these.
	Status []credit.Status `yaml:"status" json:"status,omitempty"`
	// NoActiveNegativeEvent (true): none of its active events has negative points.
	NoActiveNegativeEvent *bool `yaml:"no_active_negative_event" json:"no_active_negative_event,omitempty"`
	// NoEventSeverity: no event of these severities, active or not, occurred within
	// the window before the scan's clock.
	NoEventSeverity *SeverityWindow `yaml:"no_event_severity" json:"no_event_severity,omitempty"`
	// ActiveEventSeverity: one of its active events is of one of these severities.
	ActiveEventSeverity []credit.Severity `yaml:"active_event_severity" json:"active_event_severity,omitempty"`
}

// SeverityWindow is the argument of no_event_severity.
type SeverityWindow struct {
	Severities []credit.Severity `yaml:"severities" json:"severities"`
	Within     Window            `yaml:"within" json:"within"`
}

// Window is a span back from a scan's clock, in calendar units: "3y", "18mo",
// "90d", "1y6mo".
type Window credit.Period

// ParseWindow reads a window.
func ParseWindow(s string) (Window, error) {
	p, err := ParsePeriod(s)
	if err != nil || p.UntilRepaired() {
		return Window{}, fmt.Errorf("invalid window %q (use 3y, 18mo, 90d or 1y6mo)", strings.TrimSpace(s))
	}
	return Window(p), nil
}

// String writes the window as ParseWindow reads it.
func (w Window) String() string { return FormatPeriod(credit.Period(w)) }

// MarshalText writes the window as the config does.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

func (w *Window) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected a string, got %s", kindName(n))
		return
	}
	x, err := ParseWindow(n.Value)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	*w = x
}

// defaultLists spells lists.Defaults for the config.
func defaultLists() ListsConfig {
	out := ListsConfig{}
	for _, l := range lists.Defaults() {
		lc := ListConfig{TitleZh: l.TitleZh, TitleEn: l.TitleEn}
		for _, c := range l.AllOf {
			lc.AllOf = append(lc.AllOf, listConditionOf(c))
		}
		for _, c := range l.AnyOf {
			lc.AnyOf = append(lc.AnyOf, listConditionOf(c))
		}
		out[l.Name] = lc
	}
	return out
}

func listConditionOf(c lists.Condition) ListCondition {
	var out ListCondition
	switch c.Kind {
	case lists.KindGrade:
		for _, g := range c.Grades {
			out.Grade = append(out.Grade, g.String())
		}
	case lists.KindStatus:
		out.Status = slices.Clone(c.Statuses)
	case lists.KindNoActiveNegativeEvent:
		yes := true
		out.NoActiveNegativeEvent = &yes
	case lists.KindNoEventSeverity:
		out.NoEventSeverity = &SeverityWindow{Severities: slices.Clone(c.Severities), Within: Window(c.Within)}
	case lists.KindActiveEventSeverity:
		out.ActiveEventSeverity = slices.Clone(c.Severities)
	}
	return out
}

// GradedLists returns the enabled lists in name order, as package lists takes them.
// What validation refuses is left out (an unknown grade) or empty.
func (c *Config) GradedLists() []lists.List {
	var out []lists.List
	for _, name := range slices.Sorted(maps.Keys(c.Lists)) {
		lc := c.Lists[name]
		if lc.Enabled != nil && !*lc.Enabled {
			continue
		}
		l := lists.List{Name: name, TitleZh: lc.TitleZh, TitleEn: lc.TitleEn}
		for _, x := range lc.AllOf {
			l.AllOf = append(l.AllOf, x.condition())
		}
		for _, x := range lc.AnyOf {
			l.AnyOf = append(l.AnyOf, x.condition())
		}
		out = append(out, l)
	}
	return out
}

// condition is the lists.Condition the entry spells (its first field set).
func (x ListCondition) condition() lists.Condition {
	switch {
	case x.Grade != nil:
		c := lists.Condition{Kind: lists.KindGrade}
		for _, s := range x.Grade {
			if g, err := risk.ParseGrade(s); err == nil {
				c.Grades = append(c.Grades, g)
			}
		}
		return c
	case x.Status != nil:
		return lists.Condition{Kind: lists.KindStatus, Statuses: slices.Clone(x.Status)}
	case x.NoActiveNegativeEvent != nil:
		return lists.Condition{Kind: lists.KindNoActiveNegativeEvent}
	case x.NoEventSeverity != nil:
		return lists.Condition{Kind: lists.KindNoEventSeverity, Severities: slices.Clone(x.NoEventSeverity.Severities),
			Within: credit.Period(x.NoEventSeverity.Within)}
	case x.ActiveEventSeverity != nil:
		return lists.Condition{Kind: lists.KindActiveEventSeverity, Severities: slices.Clone(x.ActiveEventSeverity)}
	}
	return lists.Condition{}
}

// conditionKeys are the keys of a condition, for messages.
const conditionKeys = "grade, status, no_active_negative_event, no_event_severity or active_event_severity"

func (c *Config) checkLists(ck *checker) {
	for _, name := range slices.Sorted(maps.Keys(c.Lists)) {
		lc := c.Lists[name]
		p := "lists." + name
		if !lists.NameRE.MatchString(name) {
			ck.errf(p, "list name %q must be 1 to 64 lower-case letters, digits or '_', starting with a letter", name)
		}
		for _, t := range []struct{ key, title string }{{"title_zh", lc.TitleZh}, {"title_en", lc.TitleEn}} {
			switch {
			case strings.TrimSpace(t.title) == "":
				ck.errf(p+"."+t.key, "required")
			case len(t.title) > 256:
				ck.errf(p+"."+t.key, "longer than 256 bytes")
			}
		}
		if len(lc.AllOf) == 0 && len(lc.AnyOf) == 0 {
			ck.errf(p, "list %s has no condition: give all_of, any_of or both", name)
		}
		for i, x := range lc.AllOf {
			ck.listCondition(fmt.Sprintf("%s.all_of[%d]", p, i), x)
		}
		for i, x := range lc.AnyOf {
			ck.listCondition(fmt.Sprintf("%s.any_of[%d]", p, i), x)
		}
	}
}

// listCondition checks one condition: one key, known grades, statuses and
// severities, a window.
func (ck *checker) listCondition(p string, x ListCondition) {
	set := 0
	for _, on := range []bool{x.Grade != nil, x.Status != nil, x.NoActiveNegativeEvent != nil, x.NoEventSeverity != nil,
		x.ActiveEventSeverity != nil} {
		if on {
			set++
		}
	}
	if set != 1 {
		if !ck.badUnder(p) { // a value that did not decode is already reported
			ck.errf(p, "a condition is one of %s (got %d of them)", conditionKeys, set)
		}
		return
	}
	each := func(key string, n int, bad func(i int) string) {
		for i := range n {
			if msg := bad(i); msg != "" {
				ck.errf(fmt.Sprintf("%s.%s[%d]", p, key, i), "%s", msg)
			}
		}
	}
	severity := func(sevs []credit.Severity) func(int) string {
		return func(i int) string {
			if !sevs[i].Valid() {
				return fmt.Sprintf("%q is not one of info, low, medium, high, critical", sevs[i])
			}
			return ""
		}
	}
	switch {
	case x.Grade != nil:
		each("grade", len(x.Grade), func(i int) string {
			if _, err := risk.ParseGrade(x.Grade[i]); err != nil {
				return fmt.Sprintf("%q is not one of A, B, C, D", x.Grade[i])
			}
			return ""
		})
	case x.Status != nil:
		each("status", len(x.Status), func(i int) string {
			if !x.Status[i].Valid() {
				return fmt.Sprintf("%q is not one of active, abnormal, revoked, deregistered, bankrupt", x.Status[i])
			}
			return ""
		})
	case x.NoActiveNegativeEvent != nil:
		if !*x.NoActiveNegativeEvent {
			ck.errf(p+".no_active_negative_event", "write true, or leave the condition out")
		}
	case x.NoEventSeverity != nil:
		w := x.NoEventSeverity
		if len(w.Severities) == 0 {
			ck.errf(p+".no_event_severity.severities", "required: the severities of the events the window must not hold")
		}
		each("no_event_severity.severities", len(w.Severities), severity(w.Severities))
		if credit.Period(w.Within).UntilRepaired() {
			ck.errf(p+".no_event_severity.within", "required: how far back from the scan's clock (e.g. 3y, 18mo, 90d)")
		}
	case x.ActiveEventSeverity != nil:
		each("active_event_severity", len(x.ActiveEventSeverity), severity(x.ActiveEventSeverity))
	}
}

// badUnder reports whether a key under path failed to decode.
func (ck *checker) badUnder(path string) bool {
	if ck.c == nil {
		return false
	}
	for p := range ck.c.bad {
		if strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}
