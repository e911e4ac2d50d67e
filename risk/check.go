package risk

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
)

// Verdict is the outcome of an investment-attraction check.
type Verdict string

const (
	VerdictPass    Verdict = "pass"
	VerdictCaution Verdict = "caution"
	VerdictReject  Verdict = "reject"
)

// rank orders the verdicts: pass 0, caution 1, reject 2 (an unknown one −1).
func (v Verdict) rank() int {
	return slices.Index([]Verdict{VerdictPass, VerdictCaution, VerdictReject}, v)
}

// CheckRules are the verdict rules of a check (docs/models.md, config checks.rules).
// The target, its actual controller and every holder whose penetrated share
// reaches MajorHolderShare are judged alike:
//
//   - reject: defunct (revoked, deregistered, bankrupt), of RejectGrade or
//     worse, or with an active event of RejectSeverity or more;
//   - caution: of CautionGrade or worse (but better than RejectGrade), or with
//     an active event of CautionSeverity or more (but below RejectSeverity).
//
// An investee in which the target's penetrated share reaches InvesteeMinShare
// cautions when it would reject as a holder: defunct, of RejectGrade or worse,
// or with an active event of RejectSeverity or more. A target the store does
// not hold calls for UnknownTarget; a known share below MinKnownShare cautions
// that the data is incomplete.
type CheckRules struct {
	MajorHolderShare float64         // (0, 1]; a holder at or above it is judged like the target
	RejectGrade      Grade           // A…D; this grade or worse rejects
	CautionGrade     Grade           // A…D, better than RejectGrade; this grade or worse cautions
	RejectSeverity   credit.Severity // an active event this severe or more rejects
	CautionSeverity  credit.Severity // below RejectSeverity; an active event this severe or more cautions
	InvesteeMinShare float64         // [0, 1]; investees below it are not judged (checks.min_share)
	UnknownTarget    Verdict         // caution or reject: what a target the store does not hold calls for
	MinKnownShare    float64         // [0, 1]; a known share below it cautions (0 turns the rule off)
}

// DefaultCheckRules returns docs/models.md's rules: holders from 25 %, reject at grade
// D or a critical event, caution at grade C or a high-severity event, investees
// from 5 %, caution on an unknown target and below a known share of one half.
func DefaultCheckRules() CheckRules {
	return CheckRules{
		MajorHolderShare: 0.25,
		RejectGrade:      GradeD, CautionGrade: GradeC,
		RejectSeverity: credit.SeverityCritical, CautionSeverity: credit.SeverityHigh,
		InvesteeMinShare: 0.05,
		UnknownTarget:    VerdictCaution,
		MinKnownShare:    0.5,
	}
}

// Validate reports every rule out of range or out of order.
func (r CheckRules) Validate() error {
	var errs []error
	inUnit := func(name string, v float64, open bool) {
		if open && !(v > 0 && v <= 1) {
			errs = append(errs, fmt.Errorf("%s %v outside (0, 1]", name, v))
		} else if !open && !(v >= 0 && v <= 1) {
			errs = append(errs, fmt.Errorf("%s %v outside [0, 1]", name, v))
		}
	}
	inUnit("major holder share", r.MajorHolderShare, true)
	inUnit("investee min share", r.InvesteeMinShare, false)
	inUnit("min known share", r.MinKnownShare, false)
	switch {
	case !r.RejectGrade.valid():
		errs = append(errs, fmt.Errorf("reject grade %q is not one of A, B, C, D", r.RejectGrade))
	case !r.CautionGrade.valid():
		errs = append(errs, fmt.Errorf("caution grade %q is not one of A, B, C, D", r.CautionGrade))
	case !r.RejectGrade.Worse(r.CautionGrade):
		errs = append(errs, fmt.Errorf("caution grade %s is not better than reject grade %s", r.CautionGrade, r.RejectGrade))
	}
	switch {
	case !r.RejectSeverity.Valid():
		errs = append(errs, fmt.Errorf("reject severity %q is not one of info, low, medium, high, critical", r.RejectSeverity))
	case !r.CautionSeverity.Valid():
		errs = append(errs, fmt.Errorf("caution severity %q is not one of info, low, medium, high, critical", r.CautionSeverity))
	case r.CautionSeverity.Rank() >= r.RejectSeverity.Rank():
		errs = append(errs, fmt.Errorf("caution severity %s is not below reject severity %s", r.CautionSeverity, r.RejectSeverity))
	}
	if r.UnknownTarget != VerdictCaution && r.UnknownTarget != VerdictReject {
		errs = append(errs, fmt.Errorf("unknown target verdict %q is not caution or reject", r.UnknownTarget))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("risk: check rules: %w", err)
	}
	return nil
}

// CheckedFirm is what a check knows of one firm.
type CheckedFirm struct {
	USCC string
	// Found says whether the store holds the firm; the fields below are zero when not.
	Found  bool
	Status credit.Status
	Grade  Grade
	// Severities are those of the firm's active events.
	Severities []credit.Severity
}

func (f *CheckedFirm) has(s credit.Severity) bool { return slices.Contains(f.Severities, s) }

// CheckParty is the actual controller, a holder or an investee of a check's
// target.
type CheckParty struct {
	// Firm is the party when it is a firm. A natural person (PersonID set) has
	// no credit record and is never judged.
	Firm     CheckedFirm
	PersonID string
	// Share is the penetrated share: the holder's (or controller's) in the
	// target, or the target's in the investee.
	Share float64
	// Listed marks a party the caller named rather than one the ownership data
	// found: it is judged whatever its Share (a listed holder as a major one).
	Listed bool
}

// InvestmentCheck is the input of a check: the target firm and what the
// ownership data (or the caller) says of its holders and investees. A firm
// named both by the caller and by the data is given once, with its share.
type InvestmentCheck struct {
	Target     CheckedFirm
	Controller *CheckParty // the actual controller; nil when there is none
	Holders    []CheckParty
	Investees  []CheckParty
	// KnownShare is the fraction of the target's capital whose holders are
	// known; nil when the ownership data was not consulted, and then the
	// completeness rule does not apply.
	KnownShare *float64
}

// Reason is one finding of a check.
type Reason struct {
	// Code is stable snake_case: the role (target, controller, holder,
	// investee) and the finding — defunct, grade_<g> (the firm's grade),
	// <severity>_event (critical_event, high_event, …) — as in holder_grade_d;
	// and target_unknown and data_incomplete.
	Code string
	// Severity is the verdict the finding calls for: caution or reject.
	Severity Verdict
	// Subject is the USCC of the firm the finding is about (the target's for
	// target_unknown and data_incomplete).
	Subject string
	ZH, EN  string
}

// CheckVerdict judges an investment-attraction check (精准招商, docs/models.md) by the
// rules r, which must be valid. Every finding is a reason, and the verdict is
// the worst the reasons call for (pass when there are none). Reasons come in
// the order: the target; the actual controller; the holders by penetrated
// share, largest first (ties by USCC), then the listed ones in their order;
// the investees likewise; completeness. One firm's findings come in the order
// defunct, grade, events from the most severe; an investee gives one reason,
// its first finding. Holders below r.MajorHolderShare, investees below
// r.InvesteeMinShare (unless listed), natural persons, a holder that is also
// the actual controller (judged once, as the controller) and any firm but the
// target that the store does not hold give none: persons and firms registered
// elsewhere have no record here. The list is empty, not nil, on a pass.
func CheckVerdict(c *InvestmentCheck, r CheckRules) (Verdict, []Reason) {
	out := []Reason{}
	t := c.Target
	if t.Found {
		out = r.judge(out, party{"target", &t, "target " + t.USCC, "目标企业"})
	} else {
		out = append(out, Reason{"target_unknown", r.UnknownTarget, t.USCC, "目标企业不在库中，信用状况未知",
			"target " + t.USCC + " is not in the store: nothing is known about it"})
	}
	controller := ""
	if p := c.Controller; p != nil && p.PersonID == "" {
		controller = p.Firm.USCC
		out = r.judge(out, party{"controller", &p.Firm, "actual controller " + p.Firm.USCC, "实际控制人" + p.Firm.USCC})
	}
	for _, p := range ordered(c.Holders) {
		if p.PersonID != "" || (controller != "" && p.Firm.USCC == controller) ||
			!(p.Listed || atLeast(p.Share, r.MajorHolderShare)) {
			continue
		}
		out = r.judge(out, p.named("holder", "shareholder", "股东"))
	}
	for _, p := range ordered(c.Investees) {
		if p.PersonID != "" || !(p.Listed || atLeast(p.Share, r.InvesteeMinShare)) {
			continue
		}
		if x, ok := r.investee(p.named("investee", "investee", "对外投资企业")); ok {
			out = append(out, x)
		}
	}
	if k := c.KnownShare; k != nil && !atLeast(*k, r.MinKnownShare) {
		out = append(out, Reason{"data_incomplete", VerdictCaution, t.USCC,
			"股权信息不完整：已知股东持股合计仅" + percent(*k),
			"ownership data of target " + t.USCC + " is incomplete: its known shareholders hold only " + percent(*k) + " of its capital"})
	}
	v := VerdictPass
	for _, x := range out {
		if x.Severity.rank() > v.rank() {
			v = x.Severity
		}
	}
	return v, out
}

// party is a firm being judged, with its role and its names in the texts.
type party struct {
	role   string // the code's prefix
	firm   *CheckedFirm
	en, zh string // "shareholder S (penetrated share 30%)", "股东S（穿透持股30%）"
}

func (p *CheckParty) named(role, en, zh string) party {
	u := p.Firm.USCC
	if p.Listed {
		return party{role, &p.Firm, en + " " + u, zh + u}
	}
	s := percent(p.Share)
	return party{role, &p.Firm, en + " " + u + " (penetrated share " + s + ")", zh + u + "（穿透持股" + s + "）"}
}

func (p party) reason(finding string, v Verdict, zh, en string) Reason {
	return Reason{p.role + "_" + finding, v, p.firm.USCC, p.zh + zh, p.en + " " + en}
}

// judge appends the findings of a firm judged like the target; a firm the
// store does not hold has none.
func (r *CheckRules) judge(out []Reason, p party) []Reason {
	f := p.firm
	if !f.Found {
		return out
	}
	if f.Status.Defunct() {
		out = append(out, p.defunct())
	}
	switch {
	case f.Grade.noBetter(r.RejectGrade):
		out = append(out, p.grade(VerdictReject))
	case f.Grade.noBetter(r.CautionGrade):
		out = append(out, p.grade(VerdictCaution))
	}
	for _, s := range slices.Backward(credit.Severities) {
		switch {
		case s.Rank() < r.CautionSeverity.Rank():
		case !f.has(s):
		case s.Rank() >= r.RejectSeverity.Rank():
			out = append(out, p.event(s, VerdictReject))
		default:
			out = append(out, p.event(s, VerdictCaution))
		}
	}
	return out
}

// investee returns an investee's first finding among those that would reject
// a holder, as a caution.
func (r *CheckRules) investee(p party) (Reason, bool) {
	f := p.firm
	switch {
	case !f.Found:
	case f.Status.Defunct():
		return p.defunct(), true
	case f.Grade.noBetter(r.RejectGrade):
		return p.grade(VerdictCaution), true
	default:
		for _, s := range slices.Backward(credit.Severities) {
			if s.Rank() >= r.RejectSeverity.Rank() && f.has(s) {
				return p.event(s, VerdictCaution), true
			}
		}
	}
	return Reason{}, false
}

func (p party) defunct() Reason {
	v := VerdictReject
	if p.role == "investee" {
		v = VerdictCaution
	}
	return p.reason("defunct", v, statusZH[p.firm.Status], "is "+string(p.firm.Status))
}

func (p party) grade(v Verdict) Reason {
	g := p.firm.Grade.String()
	return p.reason("grade_"+strings.ToLower(g), v, "信用等级为"+g, "is grade "+g)
}

func (p party) event(s credit.Severity, v Verdict) Reason {
	en := "has an active " + string(s) + "-severity event"
	if s == credit.SeverityCritical {
		en = "has an active critical event"
	}
	return p.reason(string(s)+"_event", v, "存在未失效的"+severityZH[s]+"事件", en)
}

var (
	statusZH = map[credit.Status]string{
		credit.StatusRevoked:      "已被吊销营业执照",
		credit.StatusDeregistered: "已注销",
		credit.StatusBankrupt:     "已破产",
	}
	severityZH = map[credit.Severity]string{
		credit.SeverityCritical: "严重",
		credit.SeverityHigh:     "较重",
		credit.SeverityMedium:   "一般",
		credit.SeverityLow:      "轻微",
		credit.SeverityInfo:     "提示性",
	}
)

// ordered returns the parties by share, largest first (ties by USCC, then
// person_id), then the listed ones in their order.
func ordered(ps []CheckParty) []*CheckParty {
	var found, listed []*CheckParty
	for i := range ps {
		if ps[i].Listed {
			listed = append(listed, &ps[i])
		} else {
			found = append(found, &ps[i])
		}
	}
	slices.SortStableFunc(found, func(a, b *CheckParty) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), cmp.Compare(a.Firm.USCC, b.Firm.USCC), cmp.Compare(a.PersonID, b.PersonID))
	})
	return append(found, listed...)
}

// shareEpsilon is the slack with which a computed share meets a threshold, as
// package ownership compares them: a sum of products such as 0.5·0.5 may land a
// few ulps below a share the data states exactly.
const shareEpsilon = 1e-9

// atLeast reports whether a computed share reaches a threshold.
func atLeast(share, threshold float64) bool { return share >= threshold-shareEpsilon }

// percent writes a share as a percentage cut (not rounded) to two decimals,
// without trailing zeros: 0.25 "25%", 0.4237 "42.37%", 1/3 "33.33%". The cut
// allows the slack of atLeast, so a share that reaches 25 % never reads 24.99 %.
func percent(share float64) string {
	hundredths := math.Floor(share*1e4 + shareEpsilon*1e4)
	return strconv.FormatFloat(hundredths/100, 'f', -1, 64) + "%"
}
