package notify

import "time"

// Notification statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Notification is one message about one alert to one subscriber (docs/alerts.md webhook body
// fields). Notifiers read it and never change it.
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
}

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
