package alerts

import (
	"context"
	"math"

	"github.com/chainrisk/chainrisk/config"
)

// RuleChainRisk fires when a leader's chain risk reaches a threshold.
const RuleChainRisk = "chain_risk"

func init() {
	register(&rule{name: RuleChainRisk, order: 30, enabled: true, aboutChain: true, chains: true,
		title:    [2]string{"供应链风险超限", "Supply chain risk high"},
		defaults: func() ruleParams { return &chainRiskParams{Warning: 0.2, Critical: 0.4, Hysteresis: 0.9} },
		evaluate: (*evaluation).chainRisk})
}

// chainRiskParams: the warning and critical thresholds of a leader's chain_risk or
// supply_at_risk, and the fraction of a threshold a firing alert holds down to.
type chainRiskParams struct {
	Warning    float64 `yaml:"warning"`
	Critical   float64 `yaml:"critical"`
	Hysteresis float64 `yaml:"hysteresis"`
}

func (p *chainRiskParams) check(_ bool, problem func(key, format string, args ...any)) {
	if !(0 < p.Warning && p.Warning < p.Critical && p.Critical <= 1) {
		problem("", "thresholds must satisfy 0 < warning < critical <= 1, got warning=%g critical=%g", p.Warning, p.Critical)
	}
	if p.Hysteresis <= 0 || p.Hysteresis > 1 {
		problem("hysteresis", "must be in (0,1], got %g", p.Hysteresis)
	}
}

// chainRisk: a leader's chain_risk or supply_at_risk, whichever is higher,
// reaches the warning or the critical threshold; a firing alert keeps its level
// until the figure falls below hysteresis × that level's threshold.
func (e *evaluation) chainRisk(_ context.Context, emit func(*candidate)) error {
	rule := RuleChainRisk
	rc := paramsOf[*chainRiskParams](e, rule)
	e.judgeAll(rule)
	for _, v := range e.next.Leaders {
		x := e.next.Chains[v]
		if x == nil {
			continue
		}
		uscc := e.next.Snap.IDs[v]
		held := ""
		if a := e.firing.get(rule, Fingerprint(rule, uscc, uscc)); a != nil {
			held = a.Severity
		}
		severity, threshold := chainRiskLevel(math.Max(x.ChainRisk, x.SupplyAtRisk), held, rc)
		if severity == "" {
			continue
		}
		c := &candidate{rule: rule, uscc: uscc, leader: uscc, severity: severity, grade: e.next.Grade[v].String(),
			det: details{Values: map[string]float64{
				"chain_risk": round4(x.ChainRisk), "supply_at_risk": round4(x.SupplyAtRisk), "threshold": threshold,
			}}}
		for _, tc := range x.TopContributors[:min(maxReasons, len(x.TopContributors))] {
			c.det.Reasons = append(c.det.Reasons, reason{Kind: reasonContributor, USCC: tc.USCC, Name: e.name(tc.USCC),
				Tier: tc.Tier, Value: round4(tc.Contribution), P: round4(tc.P)})
		}
		emit(c)
	}
	return nil
}

// chainRiskLevel is the severity of a chain risk figure m for an alert firing at held
// ("" when not firing), and the threshold of that severity.
func chainRiskLevel(m float64, held string, rc *chainRiskParams) (severity string, threshold float64) {
	const eps = 1e-9 // 0.9 × 0.2 is 0.18000000000000002 in floating point
	switch {
	case m >= rc.Critical-eps, held == config.AlertCritical && m >= rc.Hysteresis*rc.Critical-eps:
		return config.AlertCritical, rc.Critical
	case m >= rc.Warning-eps, held != "" && m >= rc.Hysteresis*rc.Warning-eps:
		return config.AlertWarning, rc.Warning
	}
	return "", 0
}
