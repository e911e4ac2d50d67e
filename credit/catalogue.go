package credit

import (
	"fmt"
	"sort"
	"time"
)

// Severity orders how much an event type matters for alerting.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities from info (0) to critical (4); an unknown severity ranks -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// Severities lists every severity from least to most severe.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Period is a legal publicity period. The zero Period means the event stays public
// until it is repaired (经营异常名录 is removed only by a repair decision).
type Period struct {
	Years, Months, Days int
}

// UntilRepaired reports whether the period never ends by itself.
func (p Period) UntilRepaired() bool { return p == Period{} }

// After returns the end of the period started at t, or the zero time when it never ends.
func (p Period) After(t time.Time) time.Time {
	if p.UntilRepaired() {
		return time.Time{}
	}
	return t.AddDate(p.Years, p.Months, p.Days)
}

func (p Period) String() string {
	switch {
	case p.UntilRepaired():
		return "until repaired"
	case p.Months == 0 && p.Days == 0:
		return fmt.Sprintf("%dy", p.Years)
	case p.Years == 0 && p.Days == 0:
		return fmt.Sprintf("%dmo", p.Months)
	}
	return fmt.Sprintf("%dy%dmo%dd", p.Years, p.Months, p.Days)
}

// EventType is one entry of the event catalogue.
type EventType struct {
	Name      string
	Meaning   string
	Points    float64
	Severity  Severity
	Publicity Period
}

// DefaultEventTypes is the catalogue of docs/models.md. Points are the model's defaults and
// can be overridden in config (model.event_types), which can also declare new types.
func DefaultEventTypes() []EventType {
	y := func(n int) Period { return Period{Years: n} }
	return []EventType{
		{"serious_dishonesty_list", "严重失信主体名单", -400, SeverityCritical, y(3)},
		{"dishonest_judgment_debtor", "失信被执行人", -350, SeverityCritical, y(2)},
		{"major_tax_violation", "重大税收违法失信主体", -400, SeverityCritical, y(3)},
		{"bankruptcy", "破产申请/破产清算", -500, SeverityCritical, y(5)},
		{"license_revoked", "吊销许可/执照", -450, SeverityCritical, y(3)},
		{"consumption_restriction", "限制高消费", -200, SeverityHigh, y(2)},
		{"penalty_serious", "行政处罚(严重)", -200, SeverityHigh, y(3)},
		{"tax_arrears", "欠税公告", -150, SeverityHigh, y(1)},
		{"equity_freeze", "股权冻结", -120, SeverityHigh, y(2)},
		{"abnormal_operation", "经营异常名录", -120, SeverityMedium, Period{}},
		{"judgment_debtor", "被执行人", -100, SeverityMedium, y(1)},
		{"penalty_general", "行政处罚(一般)", -80, SeverityMedium, y(1)},
		{"social_insurance_arrears", "社保欠费", -80, SeverityMedium, y(1)},
		{"overdue_payment", "拖欠账款", -60, SeverityMedium, y(1)},
		{"utility_arrears", "拖欠公共事业费用", -50, SeverityLow, y(1)},
		{"penalty_minor", "行政处罚(轻微)", -20, SeverityLow, Period{Months: 3}},
		{"honor", "荣誉/表彰", 30, SeverityInfo, y(3)},
		{"a_level_taxpayer", "A级纳税人", 50, SeverityInfo, y(1)},
		{"contract_abiding", "守合同重信用", 40, SeverityInfo, y(2)},
		{"commitment_kept", "信用承诺履约", 20, SeverityInfo, y(1)},
	}
}

// Catalogue looks event types up by name. It is immutable once built.
type Catalogue struct {
	types map[string]EventType
}

// NewCatalogue starts from DefaultEventTypes and applies overrides: an override with a
// known name replaces that entry, a new name declares a new type.
func NewCatalogue(overrides ...EventType) Catalogue {
	c := Catalogue{types: make(map[string]EventType)}
	for _, t := range DefaultEventTypes() {
		c.types[t.Name] = t
	}
	for _, t := range overrides {
		c.types[t.Name] = t
	}
	return c
}

// Lookup returns the type called name.
func (c Catalogue) Lookup(name string) (EventType, bool) {
	t, ok := c.types[name]
	return t, ok
}

// Names lists the catalogue's type names in order.
func (c Catalogue) Names() []string {
	names := make([]string, 0, len(c.types))
	for n := range c.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
