package notify

import "time"

// Notification statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Notification is one message to one subscriber: an alert, with the others about the
// same firm that changed in the same scan, a snapshot or a digest (docs/alerts.md,
// "Messages"). Notifiers read it and never change it.
type Notification struct {
	// ID is unique per notification; receivers de-duplicate on it (Idempotency-Key).
	ID string
	// AlertID is the alert's id (16 hex characters of the fingerprint's SHA-256), where
	// the caller knows it; e-mails carry it in X-Chainrisk-Alert.
	AlertID string
	// Fingerprint identifies the alert: rule + subject + leader.
	Fingerprint string
	// Rule names the rule that raised the alert; Title is its name for people, in
	// Language ("Credit grade downgraded").
	Rule  string
	Title string
	// Severity is info, warning or critical. A resolved notification carries the
	// severity the alert had while firing: Alertmanager matches alerts by label set.
	Severity string
	// Status is firing or resolved.
	Status  string
	Subject Firm
	// Leader is the chain's leading firm; nil when the subscriber is not a chain.
	Leader *FirmRef
	// Tier is the subject's tier in the leader's chain: 0 the leader itself, +1..+3
	// upstream (suppliers), -1 downstream (customers).
	Tier int
	// Path holds USCCs from the subject to the leader; PathNames their names.
	Path      []string
	PathNames []string
	// PathShares holds the dependency share of each hop: PathShares[i] belongs to the
	// hop Path[i] → Path[i+1].
	PathShares []float64
	// Reasons are the top reasons, already worded.
	Reasons []string
	// Values holds figures the summary may quote: score, previous_score, chain_risk,
	// supply_at_risk, threshold, age_days.
	Values    map[string]float64
	StartedAt time.Time
	// EndedAt is zero while firing.
	EndedAt time.Time
	// Subscription is the subscription's name.
	Subscription string
	// Language of the summary: zh or en (empty means zh).
	Language string
	// URL links to the firm or chain in the API; may be empty.
	URL string
	// ResolveReason says why a resolved alert stopped firing: one of the Resolve*
	// constants (docs/alerts.md, "Why an alert resolved"); empty while firing.
	ResolveReason string

	// Kind is what the message is: KindAlert (the zero value), KindSnapshot or
	// KindDigest.
	Kind string
	// Group holds the message's other alerts. For an alert message: the other alerts
	// about the same firm (for chain-level rules, the same leader's chain) that changed
	// in the same scan for the same subscription, most severe first; the Notification
	// itself is the most severe of them. For a snapshot or a digest: every alert the
	// message lists, and the Notification's own alert fields (Fingerprint, Rule,
	// Subject…) are empty.
	Group []*Notification
	// PeriodStart and PeriodEnd bound what a digest covers; zero otherwise. A snapshot
	// is taken at PeriodEnd.
	PeriodStart, PeriodEnd time.Time
}

// Message kinds (Notification.Kind).
const (
	// KindAlert: one or more alerts about one firm (or one leader's chain) that
	// changed in one scan.
	KindAlert = ""
	// KindSnapshot: the alerts firing in a subscription's scope, sent when it is
	// created and on demand.
	KindSnapshot = "snapshot"
	// KindDigest: what fired and resolved in a subscription's scope during a period.
	KindDigest = "digest"
)

// Alerts lists the alerts a message carries: for an alert message the Notification
// itself, then its Group; for a snapshot or a digest its Group.
func (n *Notification) Alerts() []*Notification {
	if n.Kind != KindAlert {
		return n.Group
	}
	out := make([]*Notification, 0, 1+len(n.Group))
	return append(append(out, n), n.Group...)
}

// Why an alert resolved: the closed set of Notification.ResolveReason.
const (
	// ResolveRepaired: the event that kept it firing was repaired (信用修复).
	ResolveRepaired = "repaired"
	// ResolvePublicityExpired: the event's publicity period ended (公示期满).
	ResolvePublicityExpired = "publicity_expired"
	// ResolveGradeRecovered: the grade came back to the level it fell from, or the
	// related party in distress recovered (等级恢复).
	ResolveGradeRecovered = "grade_recovered"
	// ResolveRiskFell: the chain risk fell below the hysteresis threshold (风险回落).
	ResolveRiskFell = "risk_fell"
	// ResolveRelationEnded: the supply or ownership relation that put the firm at
	// risk ended, or the firm left the watched scope (供应关系结束).
	ResolveRelationEnded = "relation_ended"
	// ResolveRuleDisabled: the rule was disabled in the config (规则已停用).
	ResolveRuleDisabled = "rule_disabled"
	// ResolveDataUpdated: the firm's record was updated again (数据已更新).
	ResolveDataUpdated = "data_updated"
	// ResolveFirmRemoved: the firm is no longer in the data (企业已移除).
	ResolveFirmRemoved = "firm_removed"
	// ResolveOther: none of the above (其他).
	ResolveOther = "other"
)

// ResolveReasons lists the resolve reasons, in the order docs/alerts.md gives them.
var ResolveReasons = []string{ResolveRepaired, ResolvePublicityExpired, ResolveGradeRecovered, ResolveRiskFell,
	ResolveRelationEnded, ResolveRuleDisabled, ResolveDataUpdated, ResolveFirmRemoved, ResolveOther}

// Firm is the subject of an alert with its grade change.
type Firm struct {
	USCC          string
	Name          string
	Grade         string
	PreviousGrade string
}

// FirmRef names a firm.
type FirmRef struct {
	USCC string
	Name string
}
