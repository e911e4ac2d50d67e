package repair

import (
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// TestDefaultRules holds the default rule of every type of the catalogue to
// docs/models.md's "Credit repair" table: NDRC Order No. 36's classes (minor 0–3
// months, general 3 months–1 year, serious 1–3 years, decided by the recording
// body), the court lists and measures lifted by the court at once, the abnormal
// operation list by the market regulator, tax arrears by the tax authority, and
// bankruptcy and revoked licences never.
func TestDefaultRules(t *testing.T) {
	none := credit.Period{}
	mo, y := func(n int) credit.Period { return credit.Period{Months: n} }, func(n int) credit.Period { return credit.Period{Years: n} }
	want := map[string]struct {
		cat        Category
		repairable bool
		min, max   credit.Period
		authority  string
	}{
		"serious_dishonesty_list":   {Serious, true, y(1), y(3), "认定严重失信主体名单的部门"},
		"dishonest_judgment_debtor": {Serious, true, none, y(5), "人民法院"},
		"major_tax_violation":       {Serious, true, y(1), y(3), "税务机关"},
		"bankruptcy":                {Serious, false, none, none, "人民法院"},
		"license_revoked":           {Serious, false, none, none, "作出吊销决定的行政机关"},
		"consumption_restriction":   {General, true, none, none, "人民法院"},
		"penalty_serious":           {Serious, true, y(1), y(3), "作出行政处罚决定的行政机关"},
		"tax_arrears":               {General, true, none, none, "税务机关"},
		"equity_freeze":             {General, true, none, none, "人民法院"},
		"abnormal_operation":        {General, true, none, none, "市场监督管理部门"},
		"judgment_debtor":           {General, true, none, none, "人民法院"},
		"penalty_general":           {General, true, mo(3), y(1), "作出行政处罚决定的行政机关"},
		"social_insurance_arrears":  {General, true, mo(3), y(1), "社会保险费征收机构"},
		"overdue_payment":           {General, true, mo(3), y(1), "认定拖欠账款的部门"},
		"utility_arrears":           {Minor, true, none, mo(3), "认定拖欠的公共事业主管部门"},
		"penalty_minor":             {Minor, true, none, mo(3), "作出行政处罚决定的行政机关"},
		"honor":                     {Positive, false, none, none, ""},
		"a_level_taxpayer":          {Positive, false, none, none, ""},
		"contract_abiding":          {Positive, false, none, none, ""},
		"commitment_kept":           {Positive, false, none, none, ""},
	}
	var rules Rules // the zero Rules: the defaults
	types := credit.DefaultEventTypes()
	if len(want) != len(types) || len(DefaultRules()) != len(types) {
		t.Fatalf("%d types in the catalogue, %d in this table, %d default rules", len(types), len(want), len(DefaultRules()))
	}
	for _, et := range types {
		w, ok := want[et.Name]
		if !ok {
			t.Errorf("%s: not in this table", et.Name)
			continue
		}
		r := rules.For(et)
		if r.Category != w.cat || r.Repairable != w.repairable || r.MinPublicity != w.min || r.MaxPublicity != w.max ||
			r.Authority != w.authority {
			t.Errorf("%s: %s repairable=%v min=%v max=%v by %q; want %s %v %v %v %q", et.Name, r.Category, r.Repairable,
				r.MinPublicity, r.MaxPublicity, r.Authority, w.cat, w.repairable, w.min, w.max, w.authority)
		}
		if (r.Category == Positive) != (et.Points > 0) {
			t.Errorf("%s: category %s for %+g points", et.Name, r.Category, et.Points)
		}
		if r.Category != Positive && r.Requirements == "" {
			t.Errorf("%s: no requirements", et.Name)
		}
	}
}

// TestCategoryRules: the three classes of NDRC Order No. 36 and the positive one.
func TestCategoryRules(t *testing.T) {
	for _, tc := range []struct {
		c          Category
		repairable bool
		min, max   credit.Period
	}{
		{Minor, true, credit.Period{}, credit.Period{Months: 3}},
		{General, true, credit.Period{Months: 3}, credit.Period{Years: 1}},
		{Serious, true, credit.Period{Years: 1}, credit.Period{Years: 3}},
		{Positive, false, credit.Period{}, credit.Period{}},
	} {
		r := CategoryRule(tc.c)
		if r.Category != tc.c || r.Repairable != tc.repairable || r.MinPublicity != tc.min || r.MaxPublicity != tc.max {
			t.Errorf("%s: %+v", tc.c, r)
		}
		if tc.repairable && r.Authority != recorder {
			t.Errorf("%s: authority %q, want the recording body", tc.c, r.Authority)
		}
	}
	for _, c := range Categories {
		if !c.Valid() {
			t.Errorf("%s is not valid", c)
		}
	}
	if Category("grave").Valid() {
		t.Error("an unknown category is valid")
	}
}

// TestRulesForDeclaredTypes: a type declared in config without a rule of its own
// takes its category's rule, its category from its points and severity; a rule set
// replaces the default.
func TestRulesForDeclaredTypes(t *testing.T) {
	var rules Rules
	for _, tc := range []struct {
		t    credit.EventType
		want Category
	}{
		{credit.EventType{Name: "env_list", Points: -300, Severity: credit.SeverityCritical}, Serious},
		{credit.EventType{Name: "late_filing", Points: -90, Severity: credit.SeverityHigh}, General},
		{credit.EventType{Name: "late_report", Points: -40, Severity: credit.SeverityMedium}, General},
		{credit.EventType{Name: "late_notice", Points: -5, Severity: credit.SeverityLow}, Minor},
		{credit.EventType{Name: "green_label", Points: 20, Severity: credit.SeverityInfo}, Positive},
	} {
		if r := rules.For(tc.t); r != CategoryRule(tc.want) {
			t.Errorf("%s: %+v, want the %s rule", tc.t.Name, r, tc.want)
		}
	}
	own := Rule{Category: Minor, Repairable: true, Authority: "市场监督管理部门", Requirements: "补报"}
	set := NewRules(map[string]Rule{"penalty_general": own})
	if r := set.For(credit.EventType{Name: "penalty_general", Points: -80}); r != own {
		t.Errorf("set rule: %+v", r)
	}
	if r := set.For(credit.EventType{Name: "penalty_minor", Points: -20}); r != DefaultRules()["penalty_minor"] {
		t.Errorf("a type the set leaves out: %+v, want its default", r)
	}
}

// TestStatus: eligible_from is occurred_at plus the minimum publicity, counted in
// Asia/Shanghai (a month after 31 January 2026 is 3 March, as Go's AddDate
// normalises 31 February), max_until plus the maximum; a rule that cannot be
// repaired has no eligibility date, one without a maximum no max_until.
func TestStatus(t *testing.T) {
	sh := credit.Shanghai
	occurred := time.Date(2026, 1, 31, 0, 0, 0, 0, sh).UTC() // as the store gives it back
	general := CategoryRule(General)
	general.MinPublicity = credit.Period{Months: 1}
	s := general.At(occurred, time.Date(2026, 3, 2, 23, 59, 59, 0, sh))
	if want := time.Date(2026, 3, 3, 0, 0, 0, 0, sh); !s.EligibleFrom.Equal(want) || s.EligibleNow {
		t.Errorf("eligible from %v (now %v), want %v and not yet", s.EligibleFrom, s.EligibleNow, want)
	}
	if want := time.Date(2027, 1, 31, 0, 0, 0, 0, sh); !s.MaxUntil.Equal(want) {
		t.Errorf("max until %v, want %v", s.MaxUntil, want)
	}
	if s := general.At(occurred, time.Date(2026, 3, 3, 0, 0, 0, 0, sh)); !s.EligibleNow {
		t.Error("not eligible on its day")
	}
	if s := DefaultRules()["bankruptcy"].At(occurred, occurred.AddDate(10, 0, 0)); !s.EligibleFrom.IsZero() || s.EligibleNow ||
		!s.MaxUntil.IsZero() {
		t.Errorf("bankruptcy: %+v", s)
	}
	if s := DefaultRules()["tax_arrears"].At(occurred, occurred); !s.EligibleFrom.Equal(occurred) || !s.EligibleNow ||
		!s.MaxUntil.IsZero() {
		t.Errorf("tax arrears: %+v, want eligible at once, no maximum", s)
	}
}
