package risk

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

var scoreNow = time.Date(2026, 11, 20, 0, 0, 0, 0, credit.Shanghai)

func daysAgo(d float64) time.Time { return scoreNow.Add(-time.Duration(d * 24 * float64(time.Hour))) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Expected values below were worked out by hand (with a calculator for exp):
// p(s) = 1/(1+exp((s−500)/80)).
func TestScoreHandWorked(t *testing.T) {
	m := NewModel(DefaultScoreParams(), credit.NewCatalogue())
	tests := []struct {
		name      string
		status    credit.Status
		events    []ScoredEvent
		score, p  float64
		grade     Grade
		hardRules []string
	}{
		{"no events", credit.StatusActive, nil, 800, 0.02297737, GradeB, nil},
		// tax_arrears −150 (high, half-life 730 d) 365 d old: −150·2^(−1/2) = −106.066;
		// five positive events worth 30+50+40+20+30 = 170, capped at 150.
		// 800 − 106.066 + 150 = 843.934 → B; p = 1/(1+e^4.29917) = 0.0133978.
		{"decay and positive cap", credit.StatusActive, []ScoredEvent{
			{"E1", "tax_arrears", daysAgo(365)}, {"E2", "honor", scoreNow}, {"E3", "a_level_taxpayer", scoreNow},
			{"E4", "contract_abiding", scoreNow}, {"E5", "commitment_kept", scoreNow}, {"E6", "honor", scoreNow},
		}, 843.933983, 0.0133978, GradeB, []string{RulePositiveCap}},
		// dishonest_judgment_debtor −350, critical: no decay even after 500 days.
		// 800 − 350 = 450 → C by score, capped at D; p = 1/(1+e^(−0.625)) = 0.651355.
		{"critical caps at D", credit.StatusActive, []ScoredEvent{{"E1", "dishonest_judgment_debtor", daysAgo(500)}},
			450, 0.6513549, GradeD, []string{RuleCriticalEvent}},
		// penalty_general −80 (medium, 365 d) 200 d old: −80·2^(−200/365) = −54.776;
		// overdue_payment −60 (medium) 30 d old: −60·2^(−30/365) = −56.621.
		// 800 − 111.397 = 688.603 → C; p = 0.0864683.
		{"two medium events", credit.StatusActive, []ScoredEvent{
			{"E1", "penalty_general", daysAgo(200)}, {"E2", "overdue_payment", daysAgo(30)}},
			688.603222, 0.0864683, GradeC, nil},
		{"bankrupt status", credit.StatusBankrupt, nil, 800, 1, GradeD, []string{RuleDefunct}},
		// bankruptcy −500 + license_revoked −450 + serious_dishonesty_list −400: 800 − 1350 < 0 → 0.
		{"clamped at 0", credit.StatusActive, []ScoredEvent{
			{"E1", "bankruptcy", scoreNow}, {"E2", "license_revoked", scoreNow}, {"E3", "serious_dishonesty_list", scoreNow}},
			0, 0.99807327, GradeD, []string{RuleClamped, RuleCriticalEvent}},
		// 50 + 40 + 30 + 30 = 150, exactly the cap (not cut): 950 → A;
		// p = 1/(1+e^5.625) = 1/278.27 = 0.0035936.
		{"grade A", credit.StatusActive, []ScoredEvent{
			{"E1", "a_level_taxpayer", scoreNow}, {"E2", "contract_abiding", scoreNow}, {"E3", "honor", scoreNow},
			{"E4", "honor", scoreNow}}, 950, 0.0035936, GradeA, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ex Explanation
			r := m.Score(tc.status, tc.events, scoreNow, &ex)
			if !near(r.Score, tc.score, 1e-5) || !near(r.P, tc.p, 1e-6) || r.Grade != tc.grade {
				t.Errorf("got score %.6f p %.8f grade %s; want %.6f %.8f %s", r.Score, r.P, r.Grade, tc.score, tc.p, tc.grade)
			}
			if !slices.Equal(ex.HardRules, tc.hardRules) {
				t.Errorf("hard rules %v, want %v", ex.HardRules, tc.hardRules)
			}
			if len(ex.Contributions) != len(tc.events) {
				t.Errorf("%d contributions for %d events", len(ex.Contributions), len(tc.events))
			}
			// The explanation adds up to the score (before the clamp).
			sum := ex.Base + ex.Negative + ex.PositiveCapped
			if tc.score > 0 && tc.score < 1000 && !near(sum, r.Score, 1e-9) {
				t.Errorf("explanation sums to %v, score %v", sum, r.Score)
			}
			if noEx := m.Score(tc.status, tc.events, scoreNow, nil); noEx != r {
				t.Errorf("score without explanation %+v differs from %+v", noEx, r)
			}
		})
	}
}

func TestScoreContributionDetail(t *testing.T) {
	m := NewModel(DefaultScoreParams(), credit.NewCatalogue())
	var ex Explanation
	m.Score(credit.StatusActive, []ScoredEvent{{"E9", "penalty_minor", daysAgo(180)}}, scoreNow, &ex)
	// penalty_minor −20, low severity, half-life 180 d, 180 d old: factor exactly 1/2.
	c := ex.Contributions[0]
	if c.EventID != "E9" || c.Severity != credit.SeverityLow || c.Points != -20 || !near(c.Decay, 0.5, 1e-12) ||
		!near(c.Effective, -10, 1e-9) || !near(c.AgeDays, 180, 1e-9) {
		t.Errorf("contribution = %+v", c)
	}
}
