package risk

import (
	"fmt"
	"slices"

	"github.com/chainrisk/chainrisk/credit"
)

// Verdict is the outcome of an investment-attraction check.
type Verdict string

const (
	VerdictPass    Verdict = "pass"
	VerdictCaution Verdict = "caution"
	VerdictReject  Verdict = "reject"
)

// CheckedFirm is what a check knows of one firm.
type CheckedFirm struct {
	USCC string
	// Found says whether the store holds the firm; the fields below are zero when not.
	Found  bool
	Status credit.Status
	Grade  Grade
	// Severities are those of the firm's active events; critical and high ones count.
	Severities []credit.Severity
}

func (f *CheckedFirm) has(s credit.Severity) bool { return slices.Contains(f.Severities, s) }

// InvestmentCheck is the input of a check: the target firm, its shareholders and
// its investees.
type InvestmentCheck struct {
	Target       CheckedFirm
	Shareholders []CheckedFirm
	Investees    []CheckedFirm
}

// CheckVerdict combines an investment-attraction check (精准招商, SPEC §8) of a
// target firm, its shareholders and its investees into a verdict:
//
//   - reject: the target or a shareholder is grade D, defunct (revoked,
//     deregistered, bankrupt) or has an active critical event — the firm or the money
//     behind it is not creditworthy;
//   - caution: the target or a shareholder is grade C or has an active high-severity
//     event; an investee is grade D, defunct or has an active critical event (the
//     target's exposure through its investments); or the target is not in the store
//     (nothing is known about it);
//   - pass: otherwise.
//
// A shareholder or investee the store does not hold is reported as not found and
// does not change the verdict: natural persons and firms registered elsewhere have
// no record here. Reasons list every finding that set the verdict, in the order of
// the firms (target, shareholders, investees) and, for one firm, of the rule above;
// a pass has none (an empty, non-nil list).
func CheckVerdict(c *InvestmentCheck) (Verdict, []string) {
	var reject, caution []string
	for i, f := range append([]CheckedFirm{c.Target}, c.Shareholders...) {
		who := "target " + f.USCC
		if i > 0 {
			who = "shareholder " + f.USCC
		}
		if !f.Found {
			if i == 0 {
				caution = append(caution, who+" is not in the store: nothing is known about it")
			}
			continue
		}
		if f.Status.Defunct() {
			reject = append(reject, fmt.Sprintf("%s is %s", who, f.Status))
		}
		switch {
		case f.Grade.Worse(GradeC):
			reject = append(reject, who+" is grade "+f.Grade.String())
		case f.Grade == GradeC:
			caution = append(caution, who+" is grade "+f.Grade.String())
		}
		if f.has(credit.SeverityCritical) {
			reject = append(reject, who+" has an active critical event")
		}
		if f.has(credit.SeverityHigh) {
			caution = append(caution, who+" has an active high-severity event")
		}
	}
	for _, f := range c.Investees {
		who := "investee " + f.USCC
		switch {
		case !f.Found:
		case f.Status.Defunct():
			caution = append(caution, fmt.Sprintf("%s is %s", who, f.Status))
		case f.Grade.Worse(GradeC):
			caution = append(caution, who+" is grade "+f.Grade.String())
		case f.has(credit.SeverityCritical):
			caution = append(caution, who+" has an active critical event")
		}
	}
	switch {
	case len(reject) > 0:
		return VerdictReject, reject
	case len(caution) > 0:
		return VerdictCaution, caution
	}
	return VerdictPass, []string{}
}
