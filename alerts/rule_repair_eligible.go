package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
	"github.com/chainrisk/chainrisk/store"
)

// RuleRepairEligible announces, for an SME's own watch-list, the day an active event
// becomes eligible for credit repair.
const RuleRepairEligible = "repair_eligible"

func init() {
	register(&rule{name: RuleRepairEligible, order: 65, enabled: true, noRepeat: true, clock: true,
		title:    [2]string{"可申请信用修复", "Eligible for credit repair"},
		evaluate: (*evaluation).repairEligible})
}

// repairEligible: an active negative event of a firm watched for this rule is
// eligible for repair at the evaluation's clock — occurred_at plus its type's
// min_publicity (docs/models.md, "Credit repair") — one info alert per event, its
// fingerprint keyed by the event id. It is announced once (not repeated), holds
// while the event stays active, and resolves when the event is repaired or its
// publicity ends. The repair_eligible job evaluates it every day between scans;
// full scans and the first scan of a process judge every firm, an incremental scan
// the firms it changed. Only the firms with an eligible event in the state have
// their events read from the store, for their ids.
func (e *evaluation) repairEligible(ctx context.Context, emit func(*candidate)) error {
	rule := RuleRepairEligible
	all := e.clock || !e.incremental()
	if all {
		e.judgeAll(rule)
	}
	rules := e.repairRules()
	judge := func(v int32) error {
		if !all {
			for _, a := range e.firingOfFirm(rule, e.next.Snap.IDs[v]) {
				e.judge(rule, a.Fingerprint)
			}
		}
		if !e.repairWatched(v) || !e.anyEligible(v, rules) {
			return nil
		}
		return e.emitEligible(ctx, v, emit)
	}
	if all {
		for v := range int32(e.next.Len()) {
			if err := judge(v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range e.changedNodes() {
		if err := judge(v); err != nil {
			return err
		}
	}
	return nil
}

// repairRules are the repair rules of the event types by type index, nil for a
// type that is not negative or not repairable: looked up once, as a province holds
// millions of events.
func (e *evaluation) repairRules() []*repair.Rule {
	model := e.next.Params.Model
	var out []*repair.Rule
	for i := uint16(0); model.TypeName(i) != ""; i++ {
		t, _ := model.Catalogue.Lookup(model.TypeName(i))
		var r *repair.Rule
		if rule := e.next.Params.Repair.For(t); t.Points < 0 && rule.Repairable {
			r = &rule
		}
		out = append(out, r)
	}
	return out
}

// anyEligible says whether firm v has an event in the state that is eligible for
// repair at the evaluation's clock.
func (e *evaluation) anyEligible(v int32, rules []*repair.Rule) bool {
	for _, ev := range e.next.FirmEvents(v) {
		if int(ev.Type) < len(rules) && rules[ev.Type] != nil && rules[ev.Type].At(time.Unix(ev.At, 0), e.now).EligibleNow {
			return true
		}
	}
	return false
}

// emitEligible reads firm v's events active at the evaluation's clock and emits an
// alert for each negative one eligible for repair.
func (e *evaluation) emitEligible(ctx context.Context, v int32, emit func(*candidate)) error {
	uscc := e.next.Snap.IDs[v]
	cat, rules := e.next.Params.Model.Catalogue, e.next.Params.Repair
	err := e.m.db.Events(ctx, store.EventFilter{USCC: uscc, ActiveAt: e.now}, func(ev *credit.Event) error {
		t, ok := cat.Lookup(ev.Type)
		if !ok || t.Points >= 0 {
			return nil
		}
		st := rules.For(t).At(ev.OccurredAt, e.now)
		if !st.Repairable || !st.EligibleNow {
			return nil
		}
		emit(&candidate{rule: RuleRepairEligible, uscc: uscc, key: ev.ID, severity: config.AlertInfo,
			grade: e.next.Grade[v].String(), det: details{Reasons: []reason{{Kind: reasonEligible, Type: ev.Type,
				Points: t.Points, At: ev.OccurredAt, From: st.EligibleFrom, By: st.Authority}}}})
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", RuleRepairEligible, err)
	}
	return nil
}

// firingOfFirm returns the firing alerts of a rule with one alert per key about the
// firm uscc.
func (e *evaluation) firingOfFirm(rule, uscc string) []*current {
	list := e.firingOf(rule)
	prefix := rule + ":" + uscc + "/" // Fingerprint(rule, subjectKey(uscc, key), "") for every key
	i, _ := slices.BinarySearchFunc(list, prefix, func(a *current, p string) int { return strings.Compare(a.Fingerprint, p) })
	j := i
	for j < len(list) && strings.HasPrefix(list[j].Fingerprint, prefix) {
		j++
	}
	return list[i:j]
}

// repairWatched says whether firm v is watched for repair_eligible: it is on the
// watch-list of a subscription that takes the rule (all rules, or this one among
// them), or in the scope — a chain, or everything — of a subscription that names the
// rule among its rules. Leaders are not watched for it as such: the rule is an SME's
// own reminder, and a province's scope-all subscription would otherwise hold an
// alert for every eligible event.
func (e *evaluation) repairWatched(v int32) bool {
	if e.repairWatch == nil {
		e.repairWatch = make([]bool, e.next.Len())
		for _, sub := range e.subs {
			named := sub.rules[RuleRepairEligible]
			if sub.rules != nil && !named {
				continue
			}
			switch {
			case sub.Scope.Kind == config.ScopeWatchlist:
				for u := range sub.watch {
					if x, ok := e.next.Index(u); ok {
						e.repairWatch[x] = true
					}
				}
			case !named:
			case sub.Scope.Kind == config.ScopeAll:
				for i := range e.repairWatch {
					e.repairWatch[i] = true
				}
			case sub.Scope.Kind == config.ScopeChain:
				if ch := e.m.scopes.chain(e.next, chainKey{sub.Scope.Leader, sub.up, sub.down}); ch != nil {
					for _, mem := range ch.Members {
						e.repairWatch[mem.Node] = true
					}
				}
			}
		}
	}
	return e.repairWatch[v]
}
