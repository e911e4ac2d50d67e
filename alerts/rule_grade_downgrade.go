package alerts

import (
	"context"

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
// holds until the grade is back at the level it fell from, or better.
func (e *evaluation) gradeDowngrade(_ context.Context, emit func(*candidate)) error {
	rule := RuleGradeDowngrade
	judge := func(v int32, a *current) {
		g := e.next.Grade[v]
		if a != nil {
			if g.Worse(parseGrade(a.PreviousGrade)) {
				c := e.firmCandidate(rule, v, gradeSeverity(g), a.PreviousGrade)
				c.sticky(a)
				emit(c)
			}
			return
		}
		if old, ok := e.prevGrade(v); ok && g >= risk.GradeC && old != risk.GradeNone && g.Worse(old) {
			emit(e.firmCandidate(rule, v, gradeSeverity(g), old.String()))
		}
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			e.judge(rule, fp)
			judge(v, e.firing.get(rule, fp))
		}
		return nil
	}
	e.judgeAll(rule)
	held := make(map[int32]bool)
	for _, a := range e.firingOf(rule) {
		if v, ok := e.next.Index(a.USCC); ok { // a firm that is gone resolves
			held[v] = true
			judge(v, a)
		}
	}
	for v := range int32(e.next.Len()) {
		if e.next.Grade[v] >= risk.GradeC && !held[v] {
			judge(v, nil)
		}
	}
	return nil
}
