package alerts

import (
	"context"
	"math"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// RuleStaleData fires when a watched firm's record was not updated for too long.
const RuleStaleData = "stale_data"

func init() {
	register(&rule{name: RuleStaleData, order: 70, enabled: true,
		title:    [2]string{"信用数据过期", "Credit data stale"},
		defaults: func() ruleParams { return &staleDataParams{MaxAge: 180 * 24 * time.Hour} },
		evaluate: (*evaluation).staleData})
}

// staleDataParams: how old a watched firm's record may grow.
type staleDataParams struct {
	MaxAge time.Duration `yaml:"max_age"`
}

func (p *staleDataParams) check(_ bool, problem func(key, format string, args ...any)) {
	if p.MaxAge <= 0 {
		problem("max_age", "must be positive, got %s", config.FormatDuration(p.MaxAge))
	}
}

// staleData: a watched firm's record was not updated for longer than the
// configured age. It is judged on full scans (an incremental scan keeps the clock of
// the previous one); in between, a firing alert resolves as soon as its firm's
// record changes. A firing alert is carried over as it fired (its age is not
// rewritten every day).
func (e *evaluation) staleData(_ context.Context, emit func(*candidate)) error {
	rule := RuleStaleData
	maxAge := paramsOf[*staleDataParams](e, rule).MaxAge
	stale := func(v int32) (float64, bool) {
		age := e.next.At.Sub(e.next.Firms[v].UpdatedAt)
		return math.Floor(age.Hours() / 24), age > maxAge
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			if a := e.firing.get(rule, fp); a != nil {
				e.judge(rule, fp)
				if _, still := stale(v); still {
					emit(&candidate{keep: a})
				}
			}
		}
		return nil
	}
	e.judgeAll(rule)
	for v := range int32(e.next.Len()) {
		days, old := stale(v)
		if !old || !e.watched(v) {
			continue
		}
		uscc := e.next.Snap.IDs[v]
		if a := e.firing.get(rule, Fingerprint(rule, uscc, "")); a != nil {
			emit(&candidate{keep: a})
			continue
		}
		emit(&candidate{rule: rule, uscc: uscc, severity: config.AlertWarning, grade: e.next.Grade[v].String(),
			det: details{Values: map[string]float64{"age_days": days},
				Reasons: []reason{{Kind: reasonStale, At: e.next.Firms[v].UpdatedAt}}}})
	}
	return nil
}
