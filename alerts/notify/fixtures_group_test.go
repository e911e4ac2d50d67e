package notify

import "time"

// cst is China Standard Time as a digest's period arrives from the outbox: a fixed
// offset without a name.
var cst = time.FixedZone("", 8*3600)

// groupAlert is one scan's changes about the tier-2 caster, most severe first: a
// severe event (critical, the message's own alert), the grade downgrade it caused
// (warning), and its stale data, resolved since the record was updated.
func groupAlert(lang string) *Notification {
	severe := firingDowngrade(lang)
	severe.ID = "ntf-0005"
	severe.AlertID = "5e1f0c2a9b7d4e31"
	severe.Fingerprint = "severe_event:91330206MA2AHK5R3T:91330000MA27U8T41B"
	severe.Rule, severe.Severity = "severe_event", "critical"
	severe.Reasons, severe.Values = []string{"dishonest_judgment_debtor −350 (2026-11-20)"}, nil
	stale := firingDowngrade(lang)
	stale.ID = ""
	stale.Fingerprint = "stale_data:91330206MA2AHK5R3T:91330000MA27U8T41B"
	stale.Rule, stale.Severity, stale.Status = "stale_data", "warning", StatusResolved
	stale.Subject.PreviousGrade = ""
	stale.Reasons, stale.Values = nil, nil
	stale.StartedAt, stale.EndedAt = t0.Add(-(40*24+2)*time.Hour), t0.Add(-5*time.Minute)
	stale.ResolveReason = ResolveDataUpdated
	down := firingDowngrade(lang)
	down.ID = ""
	severe.Group = []*Notification{down, titled(stale)}
	return titled(severe)
}

// snapshotOf2 is the yuanhang-chain subscription's open alerts, taken at t0 (16:00 in
// China): the caster's downgrade and the bearing maker's severe event.
func snapshotOf2(lang string) *Notification {
	b := batch3(lang)
	return &Notification{
		ID: "ntf-0006", Kind: KindSnapshot, Subscription: "yuanhang-chain", Language: lang,
		Group: []*Notification{b[0], b[1]}, PeriodEnd: t0.In(cst),
	}
}

// dailyDigest is the yuanhang-chain subscription's day of 21 November 2026 in China:
// the downgrade and the severe event fired, the chain risk resolved.
func dailyDigest(lang string) *Notification {
	b := batch3(lang)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, cst)
	return &Notification{
		ID: "ntf-0007", Kind: KindDigest, Subscription: "yuanhang-chain", Language: lang,
		Group:       []*Notification{b[0], resolvedChainRisk(lang), b[1]},
		PeriodStart: day, PeriodEnd: day.AddDate(0, 0, 1),
	}
}
