package risk

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

const (
	crit = credit.SeverityCritical
	high = credit.SeverityHigh
	med  = credit.SeverityMedium
)

// firm is a found, active firm of grade g with active events of the severities sev.
func firm(uscc string, g Grade, sev ...credit.Severity) CheckedFirm {
	return CheckedFirm{USCC: uscc, Found: true, Status: credit.StatusActive, Grade: g, Severities: sev}
}

func with(f CheckedFirm, s credit.Status) CheckedFirm { f.Status = s; return f }

func missing(uscc string) CheckedFirm { return CheckedFirm{USCC: uscc} }

// at is a firm the ownership data found, with its penetrated share.
func at(f CheckedFirm, share float64) CheckParty { return CheckParty{Firm: f, Share: share} }

// listed is a firm the caller named.
func listed(f CheckedFirm) CheckParty { return CheckParty{Firm: f, Listed: true} }

func person(id string, share float64) CheckParty { return CheckParty{PersonID: id, Share: share} }

func parties(ps ...CheckParty) []CheckParty { return ps }

func known(k float64) *float64 { return &k }

// short writes a reason as "severity code subject".
func short(r Reason) string { return fmt.Sprintf("%s %s %s", r.Severity, r.Code, r.Subject) }

// The expectations follow docs/models.md's rules by hand, with the default rules unless
// a case changes them: every finding is a reason; the verdict is the worst; the
// target comes first, then the controller, the holders by share, the investees by
// share, completeness.
func TestCheckVerdict(t *testing.T) {
	clean := firm("T", GradeA)
	tests := []struct {
		name    string
		rules   func(*CheckRules)
		check   InvestmentCheck
		verdict Verdict
		reasons []string
	}{
		{name: "all clean", check: InvestmentCheck{Target: clean, Controller: &CheckParty{Firm: firm("C", GradeB), Share: 0.6},
			Holders: parties(at(firm("C", GradeB), 0.6), at(firm("H", GradeA), 0.4)), Investees: parties(at(firm("I", GradeB), 0.5)),
			KnownShare: known(1)}, verdict: VerdictPass},
		{name: "no grade yet", check: InvestmentCheck{Target: firm("T", GradeNone)}, verdict: VerdictPass},
		{name: "medium, low and info events do not count",
			check:   InvestmentCheck{Target: firm("T", GradeB, credit.SeverityMedium, credit.SeverityLow, credit.SeverityInfo)},
			verdict: VerdictPass},
		{name: "an abnormal firm is not defunct", check: InvestmentCheck{Target: with(firm("T", GradeB), credit.StatusAbnormal)},
			verdict: VerdictPass},

		// The target.
		{name: "target not in the store", check: InvestmentCheck{Target: missing("T")}, verdict: VerdictCaution,
			reasons: []string{"caution target_unknown T"}},
		{name: "target not in the store, rejected by the rules", rules: func(r *CheckRules) { r.UnknownTarget = VerdictReject },
			check: InvestmentCheck{Target: missing("T")}, verdict: VerdictReject, reasons: []string{"reject target_unknown T"}},
		{name: "target revoked", check: InvestmentCheck{Target: with(firm("T", GradeB), credit.StatusRevoked)}, verdict: VerdictReject,
			reasons: []string{"reject target_defunct T"}},
		{name: "target deregistered", check: InvestmentCheck{Target: with(firm("T", GradeB), credit.StatusDeregistered)},
			verdict: VerdictReject, reasons: []string{"reject target_defunct T"}},
		{name: "target bankrupt", check: InvestmentCheck{Target: with(firm("T", GradeB), credit.StatusBankrupt)}, verdict: VerdictReject,
			reasons: []string{"reject target_defunct T"}},
		{name: "target grade D", check: InvestmentCheck{Target: firm("T", GradeD)}, verdict: VerdictReject,
			reasons: []string{"reject target_grade_d T"}},
		{name: "target critical event", check: InvestmentCheck{Target: firm("T", GradeB, crit)}, verdict: VerdictReject,
			reasons: []string{"reject target_critical_event T"}},
		{name: "target grade C", check: InvestmentCheck{Target: firm("T", GradeC)}, verdict: VerdictCaution,
			reasons: []string{"caution target_grade_c T"}},
		{name: "target high event", check: InvestmentCheck{Target: firm("T", GradeA, high)}, verdict: VerdictCaution,
			reasons: []string{"caution target_high_event T"}},
		{name: "target grade C and two high events: one reason per severity", check: InvestmentCheck{Target: firm("T", GradeC, high, high)},
			verdict: VerdictCaution, reasons: []string{"caution target_grade_c T", "caution target_high_event T"}},
		{name: "target all at once: defunct, grade, events from the most severe",
			check:   InvestmentCheck{Target: with(firm("T", GradeD, high, med, crit), credit.StatusBankrupt)},
			verdict: VerdictReject,
			reasons: []string{"reject target_defunct T", "reject target_grade_d T", "reject target_critical_event T", "caution target_high_event T"}},

		// The actual controller is judged like the target, whatever its share.
		{name: "controller grade D below the major share", check: InvestmentCheck{Target: clean,
			Controller: &CheckParty{Firm: firm("C", GradeD), Share: 0.51 * 0.51 * 0.51}}, verdict: VerdictReject,
			reasons: []string{"reject controller_grade_d C"}},
		{name: "controller high event", check: InvestmentCheck{Target: clean, Controller: &CheckParty{Firm: firm("C", GradeB, high), Share: 0.3}},
			verdict: VerdictCaution, reasons: []string{"caution controller_high_event C"}},
		{name: "controller deregistered", check: InvestmentCheck{Target: clean,
			Controller: &CheckParty{Firm: with(firm("C", GradeB), credit.StatusDeregistered), Share: 0.7}}, verdict: VerdictReject,
			reasons: []string{"reject controller_defunct C"}},
		{name: "controller a person", check: InvestmentCheck{Target: clean, Controller: &CheckParty{PersonID: "p1", Share: 0.9}},
			verdict: VerdictPass},
		{name: "controller not in the store", check: InvestmentCheck{Target: clean, Controller: &CheckParty{Firm: missing("C"), Share: 0.6}},
			verdict: VerdictPass},
		{name: "controller also a major holder: judged once, as the controller", check: InvestmentCheck{Target: clean,
			Controller: &CheckParty{Firm: firm("C", GradeC), Share: 0.6}, Holders: parties(at(firm("C", GradeC), 0.6))},
			verdict: VerdictCaution, reasons: []string{"caution controller_grade_c C"}},

		// Holders from the major share on.
		{name: "holder at exactly the major share", check: InvestmentCheck{Target: clean, Holders: parties(at(firm("H", GradeD), 0.25))},
			verdict: VerdictReject, reasons: []string{"reject holder_grade_d H"}},
		{name: "holder a few ulps below the major share", check: InvestmentCheck{Target: clean,
			Holders: parties(at(firm("H", GradeD), 0.25-1e-12))}, verdict: VerdictReject, reasons: []string{"reject holder_grade_d H"}},
		{name: "holder just below the major share", check: InvestmentCheck{Target: clean, Holders: parties(at(firm("H", GradeD), 0.2499))},
			verdict: VerdictPass},
		{name: "a lower major share", rules: func(r *CheckRules) { r.MajorHolderShare = 0.1 },
			check:   InvestmentCheck{Target: clean, Holders: parties(at(firm("H", GradeD), 0.2499))},
			verdict: VerdictReject, reasons: []string{"reject holder_grade_d H"}},
		{name: "person holders are skipped", check: InvestmentCheck{Target: clean, Holders: parties(person("p1", 0.9), person("p2", 0.1))},
			verdict: VerdictPass},
		{name: "holder not in the store", check: InvestmentCheck{Target: clean, Holders: parties(at(missing("H"), 0.8))}, verdict: VerdictPass},
		{name: "holder revoked", check: InvestmentCheck{Target: clean, Holders: parties(at(with(firm("H", GradeA), credit.StatusRevoked), 0.3))},
			verdict: VerdictReject, reasons: []string{"reject holder_defunct H"}},
		{name: "holder critical event", check: InvestmentCheck{Target: clean, Holders: parties(at(firm("H", GradeA, crit), 0.3))},
			verdict: VerdictReject, reasons: []string{"reject holder_critical_event H"}},
		{name: "holder grade C", check: InvestmentCheck{Target: clean, Holders: parties(at(firm("H", GradeC), 0.3))},
			verdict: VerdictCaution, reasons: []string{"caution holder_grade_c H"}},
		{name: "holders by share, largest first, ties by USCC", check: InvestmentCheck{Target: clean,
			Holders: parties(at(firm("H3", GradeD), 0.3), at(firm("H2", GradeB, crit), 0.6), person("p", 0.7), at(firm("H1", GradeC), 0.3))},
			verdict: VerdictReject, reasons: []string{"reject holder_critical_event H2", "caution holder_grade_c H1", "reject holder_grade_d H3"}},
		{name: "listed holders are major whatever their share, after the others", check: InvestmentCheck{Target: clean,
			Holders: parties(listed(firm("L1", GradeC)), at(firm("F", GradeC), 0.4), listed(firm("L0", GradeD)))},
			verdict: VerdictReject, reasons: []string{"caution holder_grade_c F", "caution holder_grade_c L1", "reject holder_grade_d L0"}},
		{name: "a rejected holder does not hide the unknown target", check: InvestmentCheck{Target: missing("T"),
			Holders: parties(listed(firm("H", GradeD)))}, verdict: VerdictReject,
			reasons: []string{"caution target_unknown T", "reject holder_grade_d H"}},

		// Investees from the min share on, one caution each at most.
		{name: "investee at exactly the min share", check: InvestmentCheck{Target: clean, Investees: parties(at(firm("I", GradeD), 0.05))},
			verdict: VerdictCaution, reasons: []string{"caution investee_grade_d I"}},
		{name: "investee just below the min share", check: InvestmentCheck{Target: clean, Investees: parties(at(firm("I", GradeD), 0.0499))},
			verdict: VerdictPass},
		{name: "a higher investee min share", rules: func(r *CheckRules) { r.InvesteeMinShare = 0.2 },
			check: InvestmentCheck{Target: clean, Investees: parties(at(firm("I", GradeD), 0.1))}, verdict: VerdictPass},
		{name: "listed investee whatever its share", check: InvestmentCheck{Target: clean, Investees: parties(listed(firm("I", GradeD)))},
			verdict: VerdictCaution, reasons: []string{"caution investee_grade_d I"}},
		{name: "investee not in the store", check: InvestmentCheck{Target: clean, Investees: parties(at(missing("I"), 0.5))},
			verdict: VerdictPass},
		{name: "investee bankrupt", check: InvestmentCheck{Target: clean, Investees: parties(at(with(firm("I", GradeA), credit.StatusBankrupt), 0.5))},
			verdict: VerdictCaution, reasons: []string{"caution investee_defunct I"}},
		{name: "investee critical event", check: InvestmentCheck{Target: clean, Investees: parties(at(firm("I", GradeB, crit), 0.5))},
			verdict: VerdictCaution, reasons: []string{"caution investee_critical_event I"}},
		{name: "investee grade C and a high event do not count", check: InvestmentCheck{Target: clean,
			Investees: parties(at(firm("I", GradeC, high), 0.5))}, verdict: VerdictPass},
		{name: "investee all at once: defunct only", check: InvestmentCheck{Target: clean,
			Investees: parties(at(with(firm("I", GradeD, crit), credit.StatusRevoked), 0.5))},
			verdict: VerdictCaution, reasons: []string{"caution investee_defunct I"}},
		{name: "investee grade D before its critical event", check: InvestmentCheck{Target: clean,
			Investees: parties(at(firm("I", GradeD, crit), 0.5))}, verdict: VerdictCaution, reasons: []string{"caution investee_grade_d I"}},
		{name: "investees by share, then listed", check: InvestmentCheck{Target: clean,
			Investees: parties(listed(firm("L", GradeD)), at(firm("I1", GradeD), 0.1), at(firm("I2", GradeB, crit), 0.9))},
			verdict: VerdictCaution,
			reasons: []string{"caution investee_critical_event I2", "caution investee_grade_d I1", "caution investee_grade_d L"}},

		// Completeness.
		{name: "known share at exactly the minimum", check: InvestmentCheck{Target: clean, KnownShare: known(0.5)}, verdict: VerdictPass},
		{name: "known share just below the minimum", check: InvestmentCheck{Target: clean, KnownShare: known(0.4999)},
			verdict: VerdictCaution, reasons: []string{"caution data_incomplete T"}},
		{name: "ownership data not consulted", check: InvestmentCheck{Target: clean}, verdict: VerdictPass},
		{name: "min known share 0 turns the rule off", rules: func(r *CheckRules) { r.MinKnownShare = 0 },
			check: InvestmentCheck{Target: clean, KnownShare: known(0)}, verdict: VerdictPass},
		{name: "unknown target without holders", check: InvestmentCheck{Target: missing("T"), KnownShare: known(0)},
			verdict: VerdictCaution, reasons: []string{"caution target_unknown T", "caution data_incomplete T"}},

		// Across the parties: every finding, in order; a rejection hides nothing.
		{name: "everything in order", check: InvestmentCheck{
			Target:     firm("T", GradeC),
			Controller: &CheckParty{Firm: firm("C", GradeA, high), Share: 0.2},
			Holders:    parties(at(firm("H1", GradeB), 0.3), at(firm("H2", GradeD), 0.4), at(firm("C", GradeA, high), 0.2)),
			Investees:  parties(at(firm("I", GradeD), 0.06)),
			KnownShare: known(0.3),
		}, verdict: VerdictReject, reasons: []string{"caution target_grade_c T", "caution controller_high_event C",
			"reject holder_grade_d H2", "caution investee_grade_d I", "caution data_incomplete T"}},

		// Other thresholds.
		{name: "reject at grade C, caution at B", rules: func(r *CheckRules) { r.RejectGrade, r.CautionGrade = GradeC, GradeB },
			check: InvestmentCheck{Target: firm("T", GradeC), Holders: parties(at(firm("H", GradeB), 0.5), at(firm("H2", GradeA), 0.5)),
				Investees: parties(at(firm("I", GradeC), 0.5))},
			verdict: VerdictReject, reasons: []string{"reject target_grade_c T", "caution holder_grade_b H", "caution investee_grade_c I"}},
		{name: "reject at high events, caution at medium", rules: func(r *CheckRules) { r.RejectSeverity, r.CautionSeverity = high, med },
			check: InvestmentCheck{Target: firm("T", GradeA, med), Holders: parties(at(firm("H", GradeA, high, credit.SeverityLow), 0.5)),
				Investees: parties(at(firm("I", GradeA, high), 0.5), at(firm("I2", GradeA, med), 0.4))},
			verdict: VerdictReject, reasons: []string{"caution target_medium_event T", "reject holder_high_event H", "caution investee_high_event I"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules := DefaultCheckRules()
			if tc.rules != nil {
				tc.rules(&rules)
			}
			if err := rules.Validate(); err != nil {
				t.Fatal(err)
			}
			verdict, reasons := CheckVerdict(&tc.check, rules)
			if reasons == nil {
				t.Error("reasons are nil, want a list")
			}
			got := make([]string, len(reasons))
			for i, r := range reasons {
				got[i] = short(r)
			}
			if verdict != tc.verdict || !slices.Equal(got, tc.reasons) {
				t.Errorf("CheckVerdict = %s %q, want %s %q", verdict, got, tc.verdict, tc.reasons)
			}
		})
	}
}

// The reasons' texts: the English ones of firms the caller lists are those the
// API has always answered.
func TestCheckReasonTexts(t *testing.T) {
	tests := []struct {
		name   string
		check  InvestmentCheck
		zh, en []string
	}{
		{"target", InvestmentCheck{Target: with(firm("T", GradeD, crit, high), credit.StatusRevoked)},
			[]string{"目标企业已被吊销营业执照", "目标企业信用等级为D", "目标企业存在未失效的严重事件", "目标企业存在未失效的较重事件"},
			[]string{"target T is revoked", "target T is grade D", "target T has an active critical event",
				"target T has an active high-severity event"}},
		{"unknown target", InvestmentCheck{Target: missing("T")},
			[]string{"目标企业不在库中，信用状况未知"}, []string{"target T is not in the store: nothing is known about it"}},
		{"controller", InvestmentCheck{Target: firm("T", GradeA), Controller: &CheckParty{Firm: with(firm("C", GradeC), credit.StatusDeregistered)}},
			[]string{"实际控制人C已注销", "实际控制人C信用等级为C"}, []string{"actual controller C is deregistered", "actual controller C is grade C"}},
		{"listed firms", InvestmentCheck{Target: firm("T", GradeA), Holders: parties(listed(firm("S1", GradeC, high))),
			Investees: parties(listed(with(firm("I1", GradeD), credit.StatusBankrupt)))},
			[]string{"股东S1信用等级为C", "股东S1存在未失效的较重事件", "对外投资企业I1已破产"},
			[]string{"shareholder S1 is grade C", "shareholder S1 has an active high-severity event", "investee I1 is bankrupt"}},
		{"firms with shares", InvestmentCheck{Target: firm("T", GradeA), Holders: parties(at(firm("S1", GradeB, crit), 0.3)),
			Investees: parties(at(firm("I1", GradeD), 1.0/3))},
			[]string{"股东S1（穿透持股30%）存在未失效的严重事件", "对外投资企业I1（穿透持股33.33%）信用等级为D"},
			[]string{"shareholder S1 (penetrated share 30%) has an active critical event",
				"investee I1 (penetrated share 33.33%) is grade D"}},
		{"completeness", InvestmentCheck{Target: firm("T", GradeA), KnownShare: known(0.4237)},
			[]string{"股权信息不完整：已知股东持股合计仅42.37%"},
			[]string{"ownership data of target T is incomplete: its known shareholders hold only 42.37% of its capital"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, reasons := CheckVerdict(&tc.check, DefaultCheckRules())
			var zh, en []string
			for _, r := range reasons {
				zh, en = append(zh, r.ZH), append(en, r.EN)
			}
			if !slices.Equal(zh, tc.zh) {
				t.Errorf("zh = %q, want %q", zh, tc.zh)
			}
			if !slices.Equal(en, tc.en) {
				t.Errorf("en = %q, want %q", en, tc.en)
			}
		})
	}
	_, reasons := CheckVerdict(&InvestmentCheck{Target: firm("T", GradeA, med)},
		CheckRules{MajorHolderShare: 1, RejectGrade: GradeD, CautionGrade: GradeC, RejectSeverity: high, CautionSeverity: med,
			UnknownTarget: VerdictCaution})
	if len(reasons) != 1 || reasons[0].EN != "target T has an active medium-severity event" || reasons[0].ZH != "目标企业存在未失效的一般事件" {
		t.Errorf("medium event: %+v", reasons)
	}
}

func TestPercent(t *testing.T) {
	for share, want := range map[float64]string{
		0: "0%", 1: "100%", 0.25: "25%", 0.25 - 1e-12: "25%", 0.29: "29%", 0.4237: "42.37%", 1.0 / 3: "33.33%",
		0.0001: "0.01%", 0.00009: "0%", 0.5 * 0.5 * 0.5: "12.5%",
	} {
		if got := percent(share); got != want {
			t.Errorf("percent(%v) = %q, want %q", share, got, want)
		}
	}
}

func TestCheckRulesValidate(t *testing.T) {
	if err := DefaultCheckRules().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name   string
		change func(*CheckRules)
		want   []string
	}{
		{"major share 0", func(r *CheckRules) { r.MajorHolderShare = 0 }, []string{"major holder share 0 outside (0, 1]"}},
		{"shares above 1", func(r *CheckRules) { r.MajorHolderShare, r.InvesteeMinShare, r.MinKnownShare = 1.5, 2, 1.01 },
			[]string{"major holder share 1.5 outside (0, 1]", "investee min share 2 outside [0, 1]", "min known share 1.01 outside [0, 1]"}},
		{"negative shares", func(r *CheckRules) { r.InvesteeMinShare, r.MinKnownShare = -0.1, -1 },
			[]string{"investee min share -0.1 outside [0, 1]", "min known share -1 outside [0, 1]"}},
		{"no grade", func(r *CheckRules) { r.RejectGrade = GradeNone }, []string{`reject grade "" is not one of A, B, C, D`}},
		{"grade E", func(r *CheckRules) { r.CautionGrade = 'E' }, []string{`caution grade "E" is not one of A, B, C, D`}},
		{"grades equal", func(r *CheckRules) { r.CautionGrade = GradeD }, []string{"caution grade D is not better than reject grade D"}},
		{"grades reversed", func(r *CheckRules) { r.RejectGrade, r.CautionGrade = GradeC, GradeD },
			[]string{"caution grade D is not better than reject grade C"}},
		{"unknown severity", func(r *CheckRules) { r.RejectSeverity = "fatal" },
			[]string{`reject severity "fatal" is not one of info, low, medium, high, critical`}},
		{"no caution severity", func(r *CheckRules) { r.CautionSeverity = "" },
			[]string{`caution severity "" is not one of info, low, medium, high, critical`}},
		{"severities reversed", func(r *CheckRules) { r.RejectSeverity = credit.SeverityMedium },
			[]string{"caution severity high is not below reject severity medium"}},
		{"unknown target passes", func(r *CheckRules) { r.UnknownTarget = VerdictPass },
			[]string{`unknown target verdict "pass" is not caution or reject`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := DefaultCheckRules()
			tc.change(&r)
			err := r.Validate()
			if err == nil {
				t.Fatal("valid")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "risk: check rules: ") {
				t.Errorf("%q lacks the prefix", msg)
			}
			if got := strings.Split(strings.TrimPrefix(msg, "risk: check rules: "), "\n"); !slices.Equal(got, tc.want) {
				t.Errorf("Validate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseGrade(t *testing.T) {
	for _, s := range []string{"A", "B", "C", "D"} {
		if g, err := ParseGrade(s); err != nil || g.String() != s {
			t.Errorf("ParseGrade(%q) = %v, %v", s, g, err)
		}
	}
	for _, s := range []string{"", "E", "a", "d", "AA", " D"} {
		if _, err := ParseGrade(s); err == nil {
			t.Errorf("ParseGrade(%q) accepted", s)
		}
	}
}
