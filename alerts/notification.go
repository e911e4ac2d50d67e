package alerts

import (
	"context"
	"time"
)

// Notification statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Notification is one message about one alert to one subscriber (SPEC §7 webhook body
// fields). Notifiers read it and never change it.
type Notification struct {
	// ID is unique per notification; receivers de-duplicate on it (Idempotency-Key).
	ID string
	// Fingerprint identifies the alert: rule + subject + leader.
	Fingerprint string
	// Rule is one of config.RuleNames.
	Rule string
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

// Notifier delivers notifications on one channel.
type Notifier interface {
	// Send delivers a batch: bots may merge several notifications into one message,
	// other channels send one request each. It makes one attempt and returns one
	// Result per notification, in order; retrying is the caller's business.
	Send(ctx context.Context, batch []*Notification) []Result
}

// Result is the outcome of one notification's delivery attempt.
type Result struct {
	// Err is nil when the notification was delivered. It never contains a secret.
	Err error
	// Retryable says whether a later attempt may succeed.
	Retryable bool
	// RetryAfter is the earliest sensible retry (0: the caller's backoff decides).
	RetryAfter time.Duration
	// Code is the vendor's error code, if the vendor gave one ("45009").
	Code string
}

// OK reports whether the notification was delivered.
func (r Result) OK() bool { return r.Err == nil }
