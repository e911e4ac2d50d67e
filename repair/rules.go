package repair

import (
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Category is the class of an event type under NDRC Order No. 36: minor (轻微),
// general (一般) and serious (严重) dishonesty information, or positive information,
// which has nothing to repair.
type Category string

const (
	Minor    Category = "minor"
	General  Category = "general"
	Serious  Category = "serious"
	Positive Category = "positive"
)

// Categories lists the categories from the mildest to positive.
var Categories = []Category{Minor, General, Serious, Positive}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	switch c {
	case Minor, General, Serious, Positive:
		return true
	}
	return false
}

// Rule is the repair rule of an event type.
type Rule struct {
	Category   Category
	Repairable bool
	// MinPublicity is the time served before a repair may be asked for, from the
	// event's occurred_at; zero: at once.
	MinPublicity credit.Period
	// MaxPublicity is the longest the information may be published; zero: no
	// maximum (it stays until the deciding body lifts it).
	MaxPublicity credit.Period
	// Authority is who decides the repair; Requirements what the firm must do.
	Authority    string
	Requirements string
}

// Order No. 36's principle and the wording of its three classes. The texts name no
// period, as a deployment may change the periods.
const (
	recorder = "认定失信行为的单位（谁认定、谁修复）"

	requireMinor  = "履行法定义务、纠正失信行为后，向认定单位申请信用修复（轻微失信信息原则上不予公示）"
	requireRepair = "最短公示期届满后，纠正失信行为、履行法定义务、消除不良影响，作出信用承诺，" +
		"通过“信用中国”网站向认定单位申请信用修复"
	requireCourt = "履行生效法律文书确定的义务（或与申请执行人达成执行和解并履行完毕）后，由人民法院删除或屏蔽相关信息"
)

func months(n int) credit.Period { return credit.Period{Months: n} }
func years(n int) credit.Period  { return credit.Period{Years: n} }

// CategoryRule is a category's rule under NDRC Order No. 36: minor information is
// not published in principle and may be repaired once the obligation is met (at
// most 3 months); general information after 3 months (at most 1 year); serious
// information after 1 year (at most 3 years); positive information has nothing to
// repair. The authority is the body that recorded the information.
func CategoryRule(c Category) Rule {
	switch c {
	case Minor:
		return Rule{Category: Minor, Repairable: true, MaxPublicity: months(3), Authority: recorder, Requirements: requireMinor}
	case General:
		return Rule{Category: General, Repairable: true, MinPublicity: months(3), MaxPublicity: years(1),
			Authority: recorder, Requirements: requireRepair}
	case Serious:
		return Rule{Category: Serious, Repairable: true, MinPublicity: years(1), MaxPublicity: years(3),
			Authority: recorder, Requirements: requireRepair}
	}
	return Rule{Category: Positive}
}

// with returns the category's rule with its own authority and, when given, its own
// requirements.
func with(c Category, authority, requirements string) Rule {
	r := CategoryRule(c)
	r.Authority = authority
	if requirements != "" {
		r.Requirements = requirements
	}
	return r
}

// court is the rule of a court list or measure: lifted by the court once the
// judgment is performed, at once, with no maximum but what the court decides.
func court(c Category, requirements string) Rule {
	return Rule{Category: c, Repairable: true, Authority: "人民法院", Requirements: requirements}
}

// notRepairable is a negative event type that no repair takes away.
func notRepairable(authority, requirements string) Rule {
	return Rule{Category: Serious, Authority: authority, Requirements: requirements}
}

// DefaultRules returns the repair rule of every type of credit.DefaultEventTypes
// (docs/models.md, "Credit repair", says why each one is in its category).
func DefaultRules() map[string]Rule {
	positive := CategoryRule(Positive)
	djd := court(Serious, requireCourt)
	djd.MaxPublicity = years(5) // two years, extended by one to three (SPC provisions, art. 2)
	return map[string]Rule{
		"serious_dishonesty_list":   with(Serious, "认定严重失信主体名单的部门", ""),
		"dishonest_judgment_debtor": djd,
		"major_tax_violation":       with(Serious, "税务机关", ""),
		"bankruptcy":                notRepairable("人民法院", "破产申请、破产清算信息不适用信用修复"),
		"license_revoked":           notRepairable("作出吊销决定的行政机关", "吊销许可证件、营业执照的信息不适用信用修复"),
		"consumption_restriction": court(General,
			"履行生效法律文书确定的义务（或提供确实有效的担保、经申请执行人同意）后，由人民法院解除限制消费措施"),
		"penalty_serious": with(Serious, "作出行政处罚决定的行政机关", ""),
		"tax_arrears":     {Category: General, Repairable: true, Authority: "税务机关", Requirements: "缴清欠缴税款及滞纳金后，欠税信息不再公告"},
		"equity_freeze": court(General,
			"履行生效法律文书确定的义务或提供担保后，由作出冻结裁定的人民法院解除股权冻结"),
		"abnormal_operation": {Category: General, Repairable: true, Authority: "市场监督管理部门",
			Requirements: "纠正列入原因（补报年度报告、更正登记住所等）后，向作出决定的市场监督管理部门申请移出经营异常名录"},
		"judgment_debtor":          court(General, requireCourt),
		"penalty_general":          with(General, "作出行政处罚决定的行政机关", ""),
		"social_insurance_arrears": with(General, "社会保险费征收机构", ""),
		"overdue_payment":          with(General, "认定拖欠账款的部门", ""),
		"utility_arrears":          with(Minor, "认定拖欠的公共事业主管部门", ""),
		"penalty_minor":            with(Minor, "作出行政处罚决定的行政机关", ""),
		"honor":                    positive,
		"a_level_taxpayer":         positive,
		"contract_abiding":         positive,
		"commitment_kept":          positive,
	}
}

// CategoryOf is the category of an event type without a rule of its own (one
// declared in model.event_types): positive points are positive; a critical type is
// serious, a high or medium one general, a low or info one minor.
func CategoryOf(t credit.EventType) Category {
	switch {
	case t.Points > 0:
		return Positive
	case t.Severity == credit.SeverityCritical:
		return Serious
	case t.Severity == credit.SeverityHigh || t.Severity == credit.SeverityMedium:
		return General
	}
	return Minor
}

// Rules is the repair rule of every event type. The zero Rules holds the defaults.
type Rules struct {
	byType map[string]Rule
}

// defaults is DefaultRules, built once.
var defaults = DefaultRules()

// NewRules returns the defaults with the given rules (complete ones, by event
// type) in their place.
func NewRules(set map[string]Rule) Rules {
	out := Rules{byType: make(map[string]Rule, len(set))}
	for name, r := range set {
		out.byType[name] = r
	}
	return out
}

// For returns the rule of an event type: the one set for it, else its default,
// else its category's (CategoryOf).
func (rs Rules) For(t credit.EventType) Rule {
	if r, ok := rs.byType[t.Name]; ok {
		return r
	}
	if r, ok := defaults[t.Name]; ok {
		return r
	}
	return CategoryRule(CategoryOf(t))
}

// Status is an event's repair status at a time.
type Status struct {
	Rule
	// EligibleFrom is occurred_at plus the minimum publicity: from then on a repair
	// may be asked for. Zero when the event is not repairable.
	EligibleFrom time.Time
	// EligibleNow says EligibleFrom is not after the time asked about.
	EligibleNow bool
	// MaxUntil is occurred_at plus the maximum publicity; zero when the rule sets
	// none.
	MaxUntil time.Time
}

// add adds a period to t in Asia/Shanghai, the zone of the dates of the input
// (ingest adds the publicity period the same way); a zero period adds nothing.
func add(t time.Time, p credit.Period) time.Time {
	return t.In(credit.Shanghai).AddDate(p.Years, p.Months, p.Days)
}

// At is the status at time now of an event of this rule that occurred at occurred;
// its times are in occurred's zone.
func (r Rule) At(occurred, now time.Time) Status {
	s := Status{Rule: r}
	if r.Repairable {
		s.EligibleFrom = add(occurred, r.MinPublicity).In(occurred.Location())
		s.EligibleNow = !s.EligibleFrom.After(now)
	}
	if !r.MaxPublicity.UntilRepaired() {
		s.MaxUntil = add(occurred, r.MaxPublicity).In(occurred.Location())
	}
	return s
}
