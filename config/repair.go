package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
)

// RepairConfig changes the repair rules of event types (docs/models.md, "Credit
// repair"). Package repair owns the rules and their defaults (NDRC Order No. 36
// 《信用修复管理办法》 and the court lists); repair.rules spells the changes for the
// config file, and RepairRules builds the rules from them.
type RepairConfig struct {
	// Rules change the rule of an event type, by type name: a field left out keeps
	// the type's default.
	Rules map[string]RepairRuleConfig `yaml:"rules" json:"rules,omitempty"`
}

// RepairRuleConfig is one repair.rules entry. A category other than the type's
// brings that category's rule (repairable, periods, requirements; the authority
// stays the type's); the fields given replace what it brings.
type RepairRuleConfig struct {
	Repairable *bool           `yaml:"repairable" json:"repairable,omitempty"`
	Category   repair.Category `yaml:"category" json:"category,omitempty"`
	// MinPublicity is the time served before a repair may be asked for: "0", "90d",
	// "3mo", "1y", "1y6mo".
	MinPublicity string `yaml:"min_publicity" json:"min_publicity,omitempty"`
	// MaxPublicity is the longest publicity, in the same syntax but "0", or "none".
	MaxPublicity string `yaml:"max_publicity" json:"max_publicity,omitempty"`
	Authority    string `yaml:"authority" json:"authority,omitempty"`
	Requirements string `yaml:"requirements" json:"requirements,omitempty"`
}

// parseRepairPeriod reads min_publicity (max false) or max_publicity (max true).
func parseRepairPeriod(s string, max bool) (credit.Period, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "0" && !max:
		return credit.Period{}, nil
	case s == "none" && max:
		return credit.Period{}, nil
	}
	p, err := ParsePeriod(s)
	if err != nil || p.UntilRepaired() {
		if max {
			return credit.Period{}, fmt.Errorf("invalid period %q (use 3mo, 1y, 1y6mo, 90d, or none for no maximum)", s)
		}
		return credit.Period{}, fmt.Errorf("invalid period %q (use 0, 90d, 3mo, 1y or 1y6mo)", s)
	}
	return p, nil
}

// longer reports whether period a is longer than b, counted from one day.
func longer(a, b credit.Period) bool {
	ref := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	return ref.AddDate(a.Years, a.Months, a.Days).After(ref.AddDate(b.Years, b.Months, b.Days))
}

// repairRule applies an entry to the type's default rule; periods that do not
// parse, which validation refuses, are left as they were.
func repairRule(t credit.EventType, rc RepairRuleConfig) repair.Rule {
	var defaults repair.Rules
	r := defaults.For(t)
	if rc.Category != "" && rc.Category != r.Category && rc.Category.Valid() {
		authority := r.Authority
		r = repair.CategoryRule(rc.Category)
		if authority != "" {
			r.Authority = authority
		}
	}
	if rc.Repairable != nil {
		r.Repairable = *rc.Repairable
	}
	if p, err := parseRepairPeriod(rc.MinPublicity, false); rc.MinPublicity != "" && err == nil {
		r.MinPublicity = p
	}
	if p, err := parseRepairPeriod(rc.MaxPublicity, true); rc.MaxPublicity != "" && err == nil {
		r.MaxPublicity = p
	}
	if rc.Authority != "" {
		r.Authority = rc.Authority
	}
	if rc.Requirements != "" {
		r.Requirements = rc.Requirements
	}
	return r
}

// RepairRules returns the repair rules: the defaults with repair.rules applied.
func (c *Config) RepairRules() repair.Rules {
	cat := c.Catalogue()
	set := make(map[string]repair.Rule, len(c.Repair.Rules))
	for name, rc := range c.Repair.Rules {
		if t, ok := cat.Lookup(name); ok {
			set[name] = repairRule(t, rc)
		}
	}
	return repair.NewRules(set)
}

func (c *Config) checkRepair(ck *checker) {
	cat := c.Catalogue()
	var categories []string
	for _, k := range repair.Categories {
		categories = append(categories, string(k))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Repair.Rules)) {
		rc := c.Repair.Rules[name]
		p := "repair.rules." + name
		at := func(key string) string { return p + "." + key }
		t, ok := cat.Lookup(name)
		if !ok {
			ck.errf(p, "unknown event type %q (neither in the catalogue nor declared in model.event_types)", name)
			continue
		}
		if rc.Category != "" && !rc.Category.Valid() {
			ck.errf(at("category"), "%q is not one of %s", rc.Category, strings.Join(categories, ", "))
		}
		periodsOK := true
		for _, x := range []struct {
			key, v string
			max    bool
		}{{"min_publicity", rc.MinPublicity, false}, {"max_publicity", rc.MaxPublicity, true}} {
			if _, err := parseRepairPeriod(x.v, x.max); x.v != "" && err != nil {
				ck.errf(at(x.key), "%v", err)
				periodsOK = false
			}
		}
		r := repairRule(t, rc)
		switch {
		case rc.Category == repair.Positive && t.Points < 0:
			ck.errf(at("category"), "positive, but event type %s has %g points", name, t.Points)
		case rc.Category != "" && rc.Category != repair.Positive && t.Points > 0:
			ck.errf(at("category"), "%s, but event type %s has +%g points: a positive type's category is positive", rc.Category, name, t.Points)
		}
		if rc.Repairable != nil && *rc.Repairable && (r.Category == repair.Positive || t.Points > 0) {
			ck.errf(at("repairable"), "event type %s is positive: there is nothing to repair", name)
		}
		if !r.MaxPublicity.UntilRepaired() && longer(r.MinPublicity, r.MaxPublicity) && periodsOK {
			ck.errf(at("min_publicity"), "%s is longer than max_publicity %s", FormatPeriod(r.MinPublicity),
				FormatPeriod(r.MaxPublicity))
		}
		if len(rc.Authority) > 256 {
			ck.errf(at("authority"), "longer than 256 bytes")
		}
		if len(rc.Requirements) > 2048 {
			ck.errf(at("requirements"), "longer than 2048 bytes")
		}
	}
}
