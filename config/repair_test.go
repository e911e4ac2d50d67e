package config

import (
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
)

// TestRepairDefaults: without repair.rules the rules are package repair's defaults.
func TestRepairDefaults(t *testing.T) {
	rules := Default().RepairRules()
	for name, want := range repair.DefaultRules() {
		ty, _ := credit.NewCatalogue().Lookup(name)
		if got := rules.For(ty); got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
}

// TestRepairFromFile: a field given replaces the default, the others stay; a new
// category brings its class's rule (serious: 1 year to 3, repairable) and keeps the
// type's authority; a type declared in model.event_types may have a rule.
func TestRepairFromFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, cat := c.RepairRules(), c.Catalogue()
	lookup := func(name string) repair.Rule {
		ty, ok := cat.Lookup(name)
		if !ok {
			t.Fatalf("%s is not in the catalogue", name)
		}
		return rules.For(ty)
	}
	pg := repair.DefaultRules()["penalty_general"]
	pg.MinPublicity, pg.Authority = credit.Period{Months: 6}, "黑龙江省发展和改革委员会"
	if got := lookup("penalty_general"); got != pg {
		t.Errorf("penalty_general: %+v, want %+v", got, pg)
	}
	env := repair.CategoryRule(repair.Serious)
	env.MaxPublicity = credit.Period{Years: 2}
	if got := lookup("environmental_violation"); got != env {
		t.Errorf("environmental_violation: %+v, want %+v", got, env)
	}
	ua := repair.DefaultRules()["utility_arrears"]
	ua.Repairable, ua.Requirements = false, "缴清欠费即止"
	if got := lookup("utility_arrears"); got != ua {
		t.Errorf("utility_arrears: %+v, want %+v", got, ua)
	}
	if got := lookup("penalty_serious"); got != repair.DefaultRules()["penalty_serious"] {
		t.Errorf("penalty_serious, not configured: %+v", got)
	}
}

// TestRepairBadValues: every problem of repair.rules names its key, with its line.
func TestRepairBadValues(t *testing.T) {
	const doc = `repair:
  rules:
    penalty_general:
      min_publicity: 2y
      max_publicity: 1y
    penalty_serious:
      min_publicity: 3x
      max_publicity: 0
    court_fine:
      repairable: true
    honor:
      repairable: true
    tax_arrears:
      category: grave
    penalty_minor:
      category: positive
    a_level_taxpayer:
      category: minor
    judgment_debtor:
      repairable: maybe
      max_publicity: 3mo
      min_publicity: until_repaired
    overdue_payment:
      max_publicity: 2mo
`
	want := []string{
		`repair.yaml:4:7: repair.rules.penalty_general.min_publicity: 2y is longer than max_publicity 1y`,
		`repair.yaml:7:7: repair.rules.penalty_serious.min_publicity: invalid period "3x" (use 0, 90d, 3mo, 1y or 1y6mo)`,
		`repair.yaml:8:7: repair.rules.penalty_serious.max_publicity: invalid period "0" (use 3mo, 1y, 1y6mo, 90d, or none for no maximum)`,
		`repair.yaml:9:5: repair.rules.court_fine: unknown event type "court_fine" (neither in the catalogue nor declared in model.event_types)`,
		`repair.yaml:12:7: repair.rules.honor.repairable: event type honor is positive: there is nothing to repair`,
		`repair.yaml:14:7: repair.rules.tax_arrears.category: "grave" is not one of minor, general, serious, positive`,
		`repair.yaml:16:7: repair.rules.penalty_minor.category: positive, but event type penalty_minor has -20 points`,
		`repair.yaml:18:7: repair.rules.a_level_taxpayer.category: minor, but event type a_level_taxpayer has +50 points: a positive type's category is positive`,
		`repair.yaml:20:19: repair.rules.judgment_debtor.repairable: expected true or false, got string "maybe"`,
		`repair.yaml:22:7: repair.rules.judgment_debtor.min_publicity: invalid period "until_repaired" (use 0, 90d, 3mo, 1y or 1y6mo)`,
		`repair.yaml:23:5: repair.rules.overdue_payment.min_publicity: 3mo is longer than max_publicity 2mo`,
	}
	_, err := Parse([]byte(doc), "repair.yaml")
	if err == nil {
		t.Fatal("Parse accepted the bad rules")
	}
	got := problems(err)
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Error())
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(lines, "\n"))
	}
}

// TestRepairPeriods: the syntax of min_publicity and max_publicity.
func TestRepairPeriods(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  bool
		want credit.Period
		ok   bool
	}{
		{"0", false, credit.Period{}, true},
		{"90d", false, credit.Period{Days: 90}, true},
		{"1y6mo", true, credit.Period{Years: 1, Months: 6}, true},
		{"none", true, credit.Period{}, true},
		{"none", false, credit.Period{}, false},
		{"0", true, credit.Period{}, false},
		{"3m", false, credit.Period{}, false},
		{"", false, credit.Period{}, false},
		{"-1y", true, credit.Period{}, false},
	} {
		got, err := parseRepairPeriod(tc.in, tc.max)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRepairPeriod(%q, max %v) = %v, %v", tc.in, tc.max, got, err)
		}
	}
}
