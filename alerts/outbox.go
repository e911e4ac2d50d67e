package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// The outbox is the store's alert_notifications table: every notification is written
// there in the transaction that changed its alert, then delivered by the Worker.
// A row carries everything its delivery needs — the notification as JSON and the
// channel's config, secrets included — so that a subscription edited or deleted
// afterwards does not change or lose what was already decided; the store is trusted
// with channel secrets as it is with subscriptions. Only Deliveries reads rows for
// people, and it serves neither the channel nor the payload.

// channelSpec is a channel's config with its secrets in clear, for the store only.
type channelSpec struct {
	Type   string   `json:"type"`
	URL    string   `json:"url,omitempty"`
	URLs   []string `json:"urls,omitempty"`
	Secret string   `json:"secret,omitempty"`
	To     []string `json:"to,omitempty"`
}

func specOf(ch config.Channel) channelSpec {
	s := channelSpec{Type: ch.Type, URL: ch.URL.Reveal(), Secret: ch.Secret.Reveal(), To: ch.To}
	for _, u := range ch.URLs {
		s.URLs = append(s.URLs, u.Reveal())
	}
	return s
}

func (s channelSpec) channel() config.Channel {
	ch := config.Channel{Type: s.Type, URL: config.Secret(s.URL), Secret: config.Secret(s.Secret), To: s.To}
	for _, u := range s.URLs {
		ch.URLs = append(ch.URLs, config.Secret(u))
	}
	return ch
}

// key identifies a destination: notifications with the same key are sent in order,
// and bots batch them. It is a hash, so it can be shown and logged.
func (s channelSpec) key() string {
	h := sha256.New()
	for _, part := range append([]string{s.Type, s.URL, s.Secret}, s.URLs...) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	// An e-mail channel's addresses are its destination; other channels have none, and
	// keep the keys they always had.
	if len(s.To) > 0 {
		h.Write([]byte("to\x00"))
		for _, a := range s.To {
			h.Write([]byte(strings.ToLower(a) + "\x00"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// notificationJSON is a notify.Notification as the outbox stores it. Rows written
// before notifications carried their rule's title have none: decodeNotification
// gives them the rule's title, so that a daemon upgraded with a full outbox delivers
// what was queued as it would have.
type notificationJSON struct {
	ID           string             `json:"id"`
	Fingerprint  string             `json:"fingerprint"`
	Rule         string             `json:"rule"`
	Title        string             `json:"title,omitempty"`
	Severity     string             `json:"severity"`
	Status       string             `json:"status"`
	Subject      outboxFirm         `json:"subject"`
	Leader       *outboxFirmRef     `json:"leader,omitempty"`
	Tier         int                `json:"tier"`
	Path         []string           `json:"path,omitempty"`
	PathNames    []string           `json:"path_names,omitempty"`
	PathShares   []float64          `json:"path_shares,omitempty"`
	Reasons      []string           `json:"reasons,omitempty"`
	Values       map[string]float64 `json:"values,omitempty"`
	StartedAt    time.Time          `json:"started_at"`
	EndedAt      time.Time          `json:"ended_at,omitzero"`
	Subscription string             `json:"subscription"`
	Language     string             `json:"language,omitempty"`
	URL          string             `json:"url,omitempty"`
	// ResolveReason: notify.Notification.ResolveReason.
	ResolveReason string `json:"resolve_reason,omitempty"`
	// Kind, Group and the period: notify.Notification's. Rows written before messages
	// were grouped have none: one alert each.
	Kind        string              `json:"kind,omitempty"`
	Group       []*notificationJSON `json:"group,omitempty"`
	PeriodStart time.Time           `json:"period_start,omitzero"`
	PeriodEnd   time.Time           `json:"period_end,omitzero"`
}

// outboxFirm and outboxFirmRef are notify.Firm and notify.FirmRef as the outbox has
// always stored them: keyed by their Go field names.
type (
	outboxFirm    struct{ USCC, Name, Grade, PreviousGrade string }
	outboxFirmRef struct{ USCC, Name string }
)

func encodeNotification(n *notify.Notification) ([]byte, error) {
	return json.Marshal(toJSON(n))
}

func toJSON(n *notify.Notification) *notificationJSON {
	j := &notificationJSON{
		ID: n.ID, Fingerprint: n.Fingerprint, Rule: n.Rule, Title: n.Title, Severity: n.Severity, Status: n.Status,
		Subject: outboxFirm(n.Subject), Leader: (*outboxFirmRef)(n.Leader), Tier: n.Tier, Path: n.Path,
		PathNames: n.PathNames, PathShares: n.PathShares, Reasons: n.Reasons, Values: n.Values, StartedAt: n.StartedAt,
		EndedAt: n.EndedAt, Subscription: n.Subscription, Language: n.Language, URL: n.URL,
		ResolveReason: n.ResolveReason, Kind: n.Kind, PeriodStart: n.PeriodStart, PeriodEnd: n.PeriodEnd,
	}
	for _, g := range n.Group {
		j.Group = append(j.Group, toJSON(g))
	}
	return j
}

func decodeNotification(b []byte) (*notify.Notification, error) {
	var j notificationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	return fromJSON(&j), nil
}

func fromJSON(j *notificationJSON) *notify.Notification {
	if j.Title == "" && j.Rule != "" {
		j.Title = ruleTitle(j.Rule, j.Language)
	}
	n := &notify.Notification{
		ID: j.ID, Fingerprint: j.Fingerprint, Rule: j.Rule, Title: j.Title, Severity: j.Severity, Status: j.Status,
		Subject: notify.Firm(j.Subject), Leader: (*notify.FirmRef)(j.Leader), Tier: j.Tier, Path: j.Path,
		PathNames: j.PathNames, PathShares: j.PathShares, Reasons: j.Reasons, Values: j.Values, StartedAt: j.StartedAt,
		EndedAt: j.EndedAt, Subscription: j.Subscription, Language: j.Language, URL: j.URL,
		ResolveReason: j.ResolveReason, Kind: j.Kind, PeriodStart: j.PeriodStart, PeriodEnd: j.PeriodEnd,
	}
	for _, g := range j.Group {
		n.Group = append(n.Group, fromJSON(g))
	}
	return n
}

// outboxEntry turns a notification to one channel of a subscription into an outbox row.
func outboxEntry(n *notify.Notification, a *store.Alert, owner string, index int, ch config.Channel) (store.OutboxEntry, error) {
	payload, err := encodeNotification(n)
	if err != nil {
		return store.OutboxEntry{}, err
	}
	spec := specOf(ch)
	chJSON, err := json.Marshal(spec)
	if err != nil {
		return store.OutboxEntry{}, err
	}
	return store.OutboxEntry{
		ID: n.ID, AlertID: a.ID, Fingerprint: a.Fingerprint, Rule: a.Rule, Severity: n.Severity, Status: n.Status,
		USCC: a.USCC, Subscription: n.Subscription, Owner: owner, ChannelIndex: index, ChannelType: ch.Type,
		ChannelKey: spec.key(), Channel: chJSON, Payload: payload,
	}, nil
}

// Delivery is an outbox entry as the API lists it: never the channel's config (its
// URL and secret) nor the payload.
type Delivery struct {
	ID string `json:"id"` // the Idempotency-Key
	// Seq is the entry's place in the outbox, for paging (DeliveryQuery.BeforeSeq).
	Seq int64 `json:"-"`
	// Kind is the message's (notify.Kind*): absent for one alert's, whose alert the
	// alert fields name; "snapshot" for a subscription's snapshot, whose alert fields
	// are empty.
	Kind         string          `json:"kind,omitempty"`
	AlertID      string          `json:"alert_id"`
	Fingerprint  string          `json:"fingerprint"`
	Rule         string          `json:"rule"`
	Severity     string          `json:"severity"`
	Status       string          `json:"status"` // firing | resolved
	USCC         string          `json:"uscc"`
	Subscription string          `json:"subscription"`
	Owner        string          `json:"owner,omitempty"`
	Channel      DeliveryChannel `json:"channel"`
	State        string          `json:"state"` // pending | delivered | dead
	Attempts     int             `json:"attempts"`
	// NextAttemptAt is set while pending.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// LastError says why the last attempt failed; a tenant sees our words only
	// (tenantError).
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// DeliveryChannel names a subscription's channel: its position and type, and the
// hash that groups notifications to one destination.
type DeliveryChannel struct {
	Index int    `json:"index"`
	Type  string `json:"type"`
	Key   string `json:"key"`
}

// DeliveryQuery selects deliveries; zero fields select everything.
type DeliveryQuery struct {
	State        string // pending | delivered | dead
	Subscription string
	// View is the reader's (nil: staff). A tenant lists the deliveries of its own
	// subscriptions, of the alerts it may see, as it may see them: last_error without
	// what receivers answered.
	View    *visibility.View
	AlertID string
	// BeforeSeq keeps the deliveries before it in the outbox (Delivery.Seq): the next page.
	BeforeSeq int64
	// Limit bounds the list; 0 means 100.
	Limit int
}

// visibleDeliveries reads outbox entries the reader sees until it has f.Limit of
// them or the outbox ends, so that a page a tenant reads is as full as staff's.
func (m *Manager) visibleDeliveries(ctx context.Context, q DeliveryQuery, f store.DeliveryFilter) ([]store.OutboxEntry, error) {
	var out []store.OutboxEntry
	for {
		list, err := m.db.Deliveries(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		n := len(list)
		if n > 0 {
			f.BeforeSeq = list[n-1].Seq
		}
		// Routing sends a tenant only what it sees; the check again here keeps records
		// written under an older rule (or before the firm left its chain) from showing.
		// A message of no alert of its own (a snapshot, a digest) is its owner's, listing
		// what routing gave it.
		list = slices.DeleteFunc(list, func(o store.OutboxEntry) bool {
			return o.AlertID != "" && !q.View.SeesAlert(o.USCC, fingerprintLeader(o.Fingerprint))
		})
		out = append(out, list...)
		if n < f.Limit || len(out) >= q.Limit {
			return out[:min(len(out), q.Limit)], nil
		}
	}
}

// Deliveries lists outbox entries, newest first (GET /api/v1/deliveries).
func (m *Manager) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error) {
	switch q.State {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
	default:
		return nil, inputErrorf("state", "%q is not one of pending, delivered, dead", q.State)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.View == nil {
		q.View = staffView
	}
	var owner string
	if !q.View.IsStaff() {
		owner = q.View.Tenant
	}
	list, err := m.visibleDeliveries(ctx, q, store.DeliveryFilter{State: q.State, Subscription: q.Subscription,
		Owner: owner, AlertID: q.AlertID, BeforeSeq: q.BeforeSeq, Limit: q.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(list))
	for i, o := range list {
		out[i] = Delivery{
			ID: o.ID, Seq: o.Seq, AlertID: o.AlertID, Fingerprint: o.Fingerprint, Rule: o.Rule, Severity: o.Severity,
			Status: o.Status, USCC: o.USCC, Subscription: o.Subscription, Owner: o.Owner,
			Channel: DeliveryChannel{Index: o.ChannelIndex, Type: o.ChannelType, Key: o.ChannelKey},
			State:   o.State, Attempts: o.Attempts, LastError: o.LastError, CreatedAt: o.CreatedAt,
			DeliveredAt: o.DeliveredAt,
		}
		if o.State == store.DeliveryPending {
			out[i].NextAttemptAt = o.NextAttemptAt
		}
		if o.AlertID == "" {
			out[i].Kind = messageKind(o.Payload)
		}
		if !q.View.IsStaff() {
			out[i].LastError = tenantError(o.LastError)
		}
	}
	return out, nil
}

// messageKind reads the kind of a stored notification ("" when unreadable).
func messageKind(payload []byte) string {
	var k struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(payload, &k)
	return k.Kind
}

// tenantError is a failed delivery's error as a tenant sees it: on each line (one per
// Alertmanager of a channel) what chainrisk said — the status, "no answer within 10s",
// "refused: loopback address" — without the detail that came from the receiver or the
// network (detailSep), which would let a tenant's URL read internal services out.
// Details are cleaned onto one line, so no detail reaches a next line.
func tenantError(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i], _, _ = strings.Cut(l, notify.DetailSep)
	}
	return strings.Join(lines, "\n")
}
