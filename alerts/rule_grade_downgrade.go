package alerts

import (
	"context"
	"fmt"

	"github.com/chainrisk/chainrisk/risk"
)

// RuleGradeDowngrade fires when a firm's grade worsened to C or D.
const RuleGradeDowngrade = "grade_downgrade"

func init() {
	register(&rule{name: RuleGradeDowngrade, order: 10, enabled: true,
		title:    [2]string{"信用等级下调", "Credit grade downgraded"},
		evaluate: (*evaluation).gradeDowngrade})
}

// gradeDowngrade: the grade worsened to C (warning) or D (critical); the alert
// holds until the grade is back at the level it fell from, or better. A fall that
// the firm's history explains — its baseline grade is as bad (baseline.go) — does
// not fire: a firm loaded in batches is not downgraded by its own records.
func (e *evaluation) gradeDowngrade(ctx context.Context, emit func(*candidate)) error {
	rule := RuleGradeDowngrade
	judge := func(v int32, a *current) error {
		g := e.next.Grade[v]
		if a != nil {
			if g.Worse(parseGrade(a.PreviousGrade)) {
				c := e.firmCandidate(rule, v, gradeSeverity(g), a.PreviousGrade)
				c.sticky(a)
				emit(c)
			}
			return nil
		}
		old, ok := e.prevGrade(v)
		if !ok || g < risk.GradeC || old == risk.GradeNone || !g.Worse(old) {
			return nil
		}
		if explained, err := e.historyExplains(ctx, v, g); err != nil || explained {
			return err
		}
		emit(e.firmCandidate(rule, v, gradeSeverity(g), old.String()))
		return nil
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			e.judge(rule, fp)
			if err := judge(v, e.firing.get(rule, fp)); err != nil {
				return fmt.Errorf("grade_downgrade: %w", err)
			}
		}
		return nil
	}
	e.judgeAll(rule)
	held := make(map[int32]bool)
	for _, a := range e.firingOf(rule) {
		if v, ok := e.next.Index(a.USCC); ok { // a firm that is gone resolves
			held[v] = true
			if err := judge(v, a); err != nil {
				return fmt.Errorf("grade_downgrade: %w", err)
			}
		}
	}
	for v := range int32(e.next.Len()) {
		if e.next.Grade[v] >= risk.GradeC && !held[v] {
			if err := judge(v, nil); err != nil {
				return fmt.Errorf("grade_downgrade: %w", err)
			}
		}
	}
	return nil
}
