package risk

import (
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// firm is a found, active firm of grade g with active events of the severities sev.
func firm(uscc string, g Grade, sev ...credit.Severity) CheckedFirm {
	return CheckedFirm{USCC: uscc, Found: true, Status: credit.StatusActive, Grade: g, Severities: sev}
}

func with(f CheckedFirm, s credit.Status) CheckedFirm { f.Status = s; return f }

func missing(uscc string) CheckedFirm { return CheckedFirm{USCC: uscc} }

// The expectations follow CheckVerdict's rule by hand: the worst level found wins,
// and only its own findings are listed, target first, then shareholders, then
// investees, each firm's in the rule's order (defunct, grade, critical; grade C, high).
func TestCheckVerdict(t *testing.T) {
	const (
		crit = credit.SeverityCritical
		high = credit.SeverityHigh
	)
	clean := firm("T", GradeA)
	tests := []struct {
		name         string
		target       CheckedFirm
		shareholders []CheckedFirm
		investees    []CheckedFirm
		verdict      Verdict
		reasons      []string
	}{
		{"all clean", clean, []CheckedFirm{firm("S1", GradeB)}, []CheckedFirm{firm("I1", GradeA)}, VerdictPass, nil},
		{"no grade yet", firm("T", GradeNone), nil, nil, VerdictPass, nil},
		{"medium, low and info events do not count", firm("T", GradeB, credit.SeverityMedium, credit.SeverityLow, credit.SeverityInfo),
			nil, nil, VerdictPass, nil},
		{"an abnormal firm is not defunct", with(firm("T", GradeB), credit.StatusAbnormal), nil, nil, VerdictPass, nil},

		// The target.
		{"target not in the store", missing("T"), nil, nil, VerdictCaution,
			[]string{"target T is not in the store: nothing is known about it"}},
		{"target revoked", with(firm("T", GradeB), credit.StatusRevoked), nil, nil, VerdictReject, []string{"target T is revoked"}},
		{"target deregistered", with(firm("T", GradeB), credit.StatusDeregistered), nil, nil, VerdictReject,
			[]string{"target T is deregistered"}},
		{"target bankrupt", with(firm("T", GradeB), credit.StatusBankrupt), nil, nil, VerdictReject, []string{"target T is bankrupt"}},
		{"target grade D", firm("T", GradeD), nil, nil, VerdictReject, []string{"target T is grade D"}},
		{"target critical event", firm("T", GradeB, crit), nil, nil, VerdictReject, []string{"target T has an active critical event"}},
		{"target grade C", firm("T", GradeC), nil, nil, VerdictCaution, []string{"target T is grade C"}},
		{"target high event", firm("T", GradeA, high), nil, nil, VerdictCaution, []string{"target T has an active high-severity event"}},
		{"target grade C and a high event", firm("T", GradeC, high, high), nil, nil, VerdictCaution,
			[]string{"target T is grade C", "target T has an active high-severity event"}},
		{"target all at once: the rejections only, in the rule's order", with(firm("T", GradeD, high, crit), credit.StatusBankrupt),
			nil, nil, VerdictReject, []string{"target T is bankrupt", "target T is grade D", "target T has an active critical event"}},

		// Shareholders weigh like the target, except when not found.
		{"shareholder not in the store", clean, []CheckedFirm{missing("S1")}, nil, VerdictPass, nil},
		{"shareholder deregistered", clean, []CheckedFirm{with(firm("S1", GradeA), credit.StatusDeregistered)}, nil, VerdictReject,
			[]string{"shareholder S1 is deregistered"}},
		{"shareholder grade D", clean, []CheckedFirm{firm("S1", GradeD)}, nil, VerdictReject, []string{"shareholder S1 is grade D"}},
		{"shareholder critical event", clean, []CheckedFirm{firm("S1", GradeA, crit)}, nil, VerdictReject,
			[]string{"shareholder S1 has an active critical event"}},
		{"shareholder grade C", clean, []CheckedFirm{firm("S1", GradeC)}, nil, VerdictCaution, []string{"shareholder S1 is grade C"}},
		{"shareholder high event", clean, []CheckedFirm{firm("S1", GradeB, high)}, nil, VerdictCaution,
			[]string{"shareholder S1 has an active high-severity event"}},
		{"shareholders in their order", clean, []CheckedFirm{firm("S1", GradeD), missing("S2"), with(firm("S3", GradeB), credit.StatusRevoked)},
			nil, VerdictReject, []string{"shareholder S1 is grade D", "shareholder S3 is revoked"}},
		{"a rejected shareholder hides the unknown target", missing("T"), []CheckedFirm{firm("S1", GradeD)}, nil, VerdictReject,
			[]string{"shareholder S1 is grade D"}},

		// Investees only ever caution, with their first finding.
		{"investee not in the store", clean, nil, []CheckedFirm{missing("I1")}, VerdictPass, nil},
		{"investee bankrupt", clean, nil, []CheckedFirm{with(firm("I1", GradeA), credit.StatusBankrupt)}, VerdictCaution,
			[]string{"investee I1 is bankrupt"}},
		{"investee grade D", clean, nil, []CheckedFirm{firm("I1", GradeD)}, VerdictCaution, []string{"investee I1 is grade D"}},
		{"investee critical event", clean, nil, []CheckedFirm{firm("I1", GradeB, crit)}, VerdictCaution,
			[]string{"investee I1 has an active critical event"}},
		{"investee grade C and a high event do not count", clean, nil, []CheckedFirm{firm("I1", GradeC, high)}, VerdictPass, nil},
		{"investee all at once: defunct first", clean, nil, []CheckedFirm{with(firm("I1", GradeD, crit), credit.StatusRevoked)},
			VerdictCaution, []string{"investee I1 is revoked"}},
		{"investee grade D before its critical event", clean, nil, []CheckedFirm{firm("I1", GradeD, crit)}, VerdictCaution,
			[]string{"investee I1 is grade D"}},

		// Across the firms.
		{"cautions in the firms' order", firm("T", GradeC), []CheckedFirm{firm("S1", GradeA, high)}, []CheckedFirm{firm("I1", GradeD)},
			VerdictCaution, []string{"target T is grade C", "shareholder S1 has an active high-severity event", "investee I1 is grade D"}},
		{"a rejection hides the cautions", firm("T", GradeC), []CheckedFirm{firm("S1", GradeB, crit)},
			[]CheckedFirm{with(firm("I1", GradeA), credit.StatusBankrupt)}, VerdictReject,
			[]string{"shareholder S1 has an active critical event"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verdict, reasons := CheckVerdict(&InvestmentCheck{Target: tc.target, Shareholders: tc.shareholders, Investees: tc.investees})
			if reasons == nil {
				t.Error("reasons are nil, want a list")
			}
			if verdict != tc.verdict || !slices.Equal(reasons, tc.reasons) {
				t.Errorf("CheckVerdict = %s %q, want %s %q", verdict, reasons, tc.verdict, tc.reasons)
			}
		})
	}
}
