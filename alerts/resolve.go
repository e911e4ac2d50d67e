package alerts

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/risk"
)

// Why an alert resolved (docs/alerts.md, "Why an alert resolved"). When a firing
// alert is not named again, the evaluation that resolves it works out why — one of
// notify.ResolveReasons — and the figures of its firm as of that scan, and stores
// both in the alert's details (Resolved, Values, Reasons) for its resolve message.

// resolution returns cur's details as of its resolve: why it resolved, the current
// figures (score and p of the firm, the chain's risk), and only the event reasons
// still active.
func (e *evaluation) resolution(ctx context.Context, cur *current) (details, error) {
	det := cur.det
	det.Values = make(map[string]float64, len(cur.det.Values)+1)
	why, err := e.resolveReason(ctx, cur)
	if err != nil {
		return det, err
	}
	det.Resolved = why
	v, ok := e.next.Index(cur.USCC)
	if !ok {
		det.Values = cur.det.Values
		return det, nil
	}
	for k, x := range cur.det.Values {
		switch k {
		case "previous_score": // the score before the firing change: no current figure
		case "score":
			det.Values[k] = math.Round(e.next.Score[v])
		case "age_days": // as stale_data counts it
			det.Values[k] = math.Floor(e.next.At.Sub(e.next.Firms[v].UpdatedAt).Hours() / 24)
		default:
			det.Values[k] = x
		}
	}
	if _, ok := cur.det.Values["score"]; ok && int(v) < len(e.next.P) {
		det.Values["p"] = round4(e.next.P[v])
	}
	if x := e.next.Chains[v]; x != nil && cur.Rule == RuleChainRisk {
		det.Values["chain_risk"], det.Values["supply_at_risk"] = round4(x.ChainRisk), round4(x.SupplyAtRisk)
	}
	active := e.eventKeys(e.next.FirmEvents(v))
	det.Reasons = slices.DeleteFunc(slices.Clone(cur.det.Reasons), func(x reason) bool {
		if x.Kind != reasonEvent {
			return false
		}
		_, found := slices.BinarySearch(active, x.Type+"@"+itoa(x.At.Unix()))
		return !found
	})
	return det, nil
}

// resolveReason decides why cur resolves in this evaluation, per rule.
func (e *evaluation) resolveReason(ctx context.Context, cur *current) (string, error) {
	if !e.rules.enabled(cur.Rule) {
		return notify.ResolveRuleDisabled, nil
	}
	v, ok := e.next.Index(cur.USCC)
	if !ok {
		return notify.ResolveFirmRemoved, nil
	}
	switch cur.Rule {
	case RuleGradeDowngrade, RuleScoreDrop:
		return notify.ResolveGradeRecovered, nil
	case RuleSevereEvent:
		if !e.watched(v) {
			return notify.ResolveRelationEnded, nil
		}
		return e.eventEnded(ctx, cur, func(r repairedEvent) bool {
			return slices.ContainsFunc(cur.det.Events, func(k string) bool { return typeOfKey(k) == r.Type })
		})
	case RuleRepairEligible:
		_, key := splitSubject(cur.Fingerprint)
		return e.eventEnded(ctx, cur, func(r repairedEvent) bool { return r.EventID == key })
	case RuleChainRisk:
		if !slices.Contains(e.next.Leaders, v) {
			return notify.ResolveRelationEnded, nil
		}
		return notify.ResolveRiskFell, nil
	case RuleSingleSource:
		if e.next.Grade[v] < risk.GradeC {
			return notify.ResolveGradeRecovered, nil
		}
		return notify.ResolveRelationEnded, nil
	case RuleRelatedPartyDistress:
		if !e.watched(v) {
			return notify.ResolveRelationEnded, nil
		}
		for _, p := range cur.det.Parties {
			if pv, ok := e.next.Index(p); ok && e.next.Grade[pv] == risk.GradeD {
				return notify.ResolveRelationEnded, nil // still in distress: the stake is gone
			}
		}
		return notify.ResolveGradeRecovered, nil
	case RuleStaleData:
		if !e.watched(v) {
			return notify.ResolveRelationEnded, nil
		}
		return notify.ResolveDataUpdated, nil
	}
	return notify.ResolveOther, nil
}

// repairedEvent is what eventEnded matches a repair on.
type repairedEvent struct{ EventID, Type string }

// eventEnded tells a repaired event from an expired one: repaired when a repair of
// cur's firm recorded since the alert started matches, its publicity expired
// otherwise.
func (e *evaluation) eventEnded(ctx context.Context, cur *current, match func(repairedEvent) bool) (string, error) {
	repairs, err := e.m.db.RepairsSince(ctx, cur.StartedAt.Add(-time.Millisecond))
	if err != nil {
		return "", err
	}
	for _, r := range repairs {
		if r.USCC == cur.USCC && match(repairedEvent{EventID: r.EventID, Type: r.Type}) {
			return notify.ResolveRepaired, nil
		}
	}
	return notify.ResolvePublicityExpired, nil
}

// typeOfKey is the event type of an event key ("type@unix seconds", eventKeys).
func typeOfKey(k string) string {
	t, _, _ := strings.Cut(k, "@")
	return t
}

// itoa writes unix seconds as eventKeys does.
func itoa(sec int64) string { return strconv.FormatInt(sec, 10) }

// splitSubject returns the USCC and the key ("" when none) of a fingerprint's subject.
func splitSubject(fp string) (uscc, key string) {
	_, rest, _ := strings.Cut(fp, ":")
	subject, _, _ := strings.Cut(rest, ":")
	uscc, key, _ = strings.Cut(subject, "/")
	return uscc, key
}
