package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// TypeWebhook is the generic webhook: each notification POSTed as a JSON body signed
// with HMAC-SHA256.
const TypeWebhook = "webhook"

func init() {
	register(Kind{Type: TypeWebhook, Name: "webhook", URL: Required, Secret: Required,
		build: func(ch Channel, o Options) (Notifier, error) {
			d, err := newDestination(ch.Type, "url", ch.URL, reveal(ch.URL), ch.Secret, o)
			if err != nil {
				return nil, err
			}
			return &webhook{dest: d, secret: seal(ch.Secret), p: newPoster(o)}, nil
		}})
}

// webhook posts each notification as the docs/alerts.md JSON body, signed with HMAC-SHA256.
type webhook struct {
	dest   *destination
	secret sealed
	p      *poster
}

// WebhookBody is the JSON body a webhook gets: the documented fields in the documented order,
// then extras. Receivers written in Go may decode into it. The fields up to
// ResolveReason describe the message's most severe alert; a snapshot or a digest leaves
// them empty (subject and started_at null), and Alerts lists every alert of the message.
type WebhookBody struct {
	ID           string             `json:"id"`
	Fingerprint  string             `json:"fingerprint"`
	Rule         string             `json:"rule"`
	Severity     string             `json:"severity"`
	Status       string             `json:"status"`
	Subject      WebhookFirm        `json:"subject"`
	Leader       *WebhookRef        `json:"leader"`
	Tier         int                `json:"tier"`
	Path         []string           `json:"path"`
	Summary      string             `json:"summary"`
	Reasons      []string           `json:"reasons"`
	StartedAt    time.Time          `json:"started_at"`
	EndedAt      *time.Time         `json:"ended_at"` // null while firing
	Subscription string             `json:"subscription"`
	PathNames    []string           `json:"path_names"`
	PathShares   []float64          `json:"path_shares"`
	Values       map[string]float64 `json:"values"`
	URL          string             `json:"url,omitempty"`
	// ResolveReason says why a resolved alert stopped firing; absent while firing.
	ResolveReason string `json:"resolve_reason,omitempty"`
	// Kind is alert, snapshot or digest.
	Kind string `json:"kind"`
	// Alerts are every alert of the message: for an alert message the one above first,
	// then the others about the same firm or chain; for a snapshot or a digest, those
	// it lists.
	Alerts []WebhookAlert `json:"alerts"`
	// PeriodStart and PeriodEnd bound a digest; TakenAt is when a snapshot was taken.
	PeriodStart *time.Time `json:"period_start,omitempty"`
	PeriodEnd   *time.Time `json:"period_end,omitempty"`
	TakenAt     *time.Time `json:"taken_at,omitempty"`
}

// WebhookAlert is one alert of a webhook body's alerts.
type WebhookAlert struct {
	Fingerprint   string             `json:"fingerprint"`
	Rule          string             `json:"rule"`
	Title         string             `json:"title"`
	Severity      string             `json:"severity"`
	Status        string             `json:"status"`
	Subject       WebhookFirm        `json:"subject"`
	Leader        *WebhookRef        `json:"leader"`
	Tier          int                `json:"tier"`
	Path          []string           `json:"path"`
	PathNames     []string           `json:"path_names"`
	PathShares    []float64          `json:"path_shares"`
	Summary       string             `json:"summary"`
	Reasons       []string           `json:"reasons"`
	StartedAt     time.Time          `json:"started_at"`
	EndedAt       *time.Time         `json:"ended_at"` // null while firing
	ResolveReason string             `json:"resolve_reason,omitempty"`
	Values        map[string]float64 `json:"values"`
	URL           string             `json:"url,omitempty"`
}

// webhookWire is WebhookBody as it is written: subject and started_at null when
// there is no alert at the top (a snapshot, a digest).
type webhookWire struct {
	ID            string             `json:"id"`
	Fingerprint   string             `json:"fingerprint"`
	Rule          string             `json:"rule"`
	Severity      string             `json:"severity"`
	Status        string             `json:"status"`
	Subject       *WebhookFirm       `json:"subject"`
	Leader        *WebhookRef        `json:"leader"`
	Tier          int                `json:"tier"`
	Path          []string           `json:"path"`
	Summary       string             `json:"summary"`
	Reasons       []string           `json:"reasons"`
	StartedAt     *time.Time         `json:"started_at"`
	EndedAt       *time.Time         `json:"ended_at"`
	Subscription  string             `json:"subscription"`
	PathNames     []string           `json:"path_names"`
	PathShares    []float64          `json:"path_shares"`
	Values        map[string]float64 `json:"values"`
	URL           string             `json:"url,omitempty"`
	ResolveReason string             `json:"resolve_reason,omitempty"`
	Kind          string             `json:"kind"`
	Alerts        []WebhookAlert     `json:"alerts"`
	PeriodStart   *time.Time         `json:"period_start,omitempty"`
	PeriodEnd     *time.Time         `json:"period_end,omitempty"`
	TakenAt       *time.Time         `json:"taken_at,omitempty"`
}

// MarshalJSON writes the body as receivers get it: a zero subject and a zero
// started_at as null.
func (b WebhookBody) MarshalJSON() ([]byte, error) {
	w := webhookWire{
		ID: b.ID, Fingerprint: b.Fingerprint, Rule: b.Rule, Severity: b.Severity, Status: b.Status,
		Leader: b.Leader, Tier: b.Tier, Path: b.Path, Summary: b.Summary, Reasons: b.Reasons, EndedAt: b.EndedAt,
		Subscription: b.Subscription, PathNames: b.PathNames, PathShares: b.PathShares, Values: b.Values, URL: b.URL,
		ResolveReason: b.ResolveReason, Kind: b.Kind, Alerts: b.Alerts, PeriodStart: b.PeriodStart,
		PeriodEnd: b.PeriodEnd, TakenAt: b.TakenAt,
	}
	if b.Subject != (WebhookFirm{}) {
		w.Subject = &b.Subject
	}
	if !b.StartedAt.IsZero() {
		w.StartedAt = &b.StartedAt
	}
	return marshalJSON(w)
}

// WebhookFirm is the subject of a webhook body.
type WebhookFirm struct {
	USCC          string `json:"uscc"`
	Name          string `json:"name"`
	Grade         string `json:"grade"`
	PreviousGrade string `json:"previous_grade"`
}

// WebhookRef names a firm in a webhook body.
type WebhookRef struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

func (w *webhook) Send(ctx context.Context, batch []*Notification) []Result {
	reqs := make([]request, len(batch))
	for i, n := range batch {
		reqs[i] = request{owners: []int{i}, send: func(ctx context.Context) Result { return w.post(ctx, n) }}
	}
	return w.p.sendAll(ctx, w.dest, reqs, len(batch))
}

func (w *webhook) post(ctx context.Context, n *Notification) Result {
	body, err := encodeWebhookBody(n)
	if err != nil {
		return Result{Err: w.dest.explain("encode notification "+n.ID, err)}
	}
	ts := strconv.FormatInt(w.p.clock.Now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Chainrisk-Timestamp", ts)
	h.Set("X-Chainrisk-Signature", "sha256="+webhookSignature(w.secret.reveal(), ts, body))
	h.Set("Idempotency-Key", n.ID)
	r, err := w.p.post(ctx, w.dest, w.dest.url.reveal(), h, body)
	return w.p.httpResult(w.dest, r, err)
}

// webhookSignature is hex(HMAC-SHA256(secret, timestamp + "." + body)).
func webhookSignature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Webhook body kinds: Notification.Kind, with KindAlert spelled out.
const webhookKindAlert = "alert"

func encodeWebhookBody(n *Notification) ([]byte, error) {
	summary, err := Summary(n)
	if err != nil {
		return nil, err
	}
	b := WebhookBody{
		ID:            n.ID,
		Fingerprint:   n.Fingerprint,
		Rule:          n.Rule,
		Severity:      n.Severity,
		Status:        n.Status,
		Subject:       WebhookFirm{n.Subject.USCC, n.Subject.Name, n.Subject.Grade, n.Subject.PreviousGrade},
		Leader:        webhookRef(n.Leader),
		Tier:          n.Tier,
		Path:          nonNil(n.Path),
		Summary:       summary,
		Reasons:       nonNil(n.Reasons),
		StartedAt:     n.StartedAt.UTC(),
		EndedAt:       utcOrNil(n.EndedAt),
		Subscription:  n.Subscription,
		PathNames:     nonNil(n.PathNames),
		PathShares:    nonNil(n.PathShares),
		Values:        nonNilMap(n.Values),
		URL:           n.URL,
		ResolveReason: n.ResolveReason,
		Kind:          n.Kind,
		Alerts:        []WebhookAlert{},
	}
	switch n.Kind {
	case KindAlert:
		b.Kind = webhookKindAlert
	case KindSnapshot:
		b.TakenAt = utcOrNil(n.PeriodEnd)
	case KindDigest:
		b.PeriodStart, b.PeriodEnd = utcOrNil(n.PeriodStart), utcOrNil(n.PeriodEnd)
	}
	for _, a := range alertsOf(n) {
		wa, err := webhookAlert(a)
		if err != nil {
			return nil, err
		}
		b.Alerts = append(b.Alerts, wa)
	}
	return marshalJSON(b)
}

// webhookAlert is one alert of a body's alerts.
func webhookAlert(a *Notification) (WebhookAlert, error) {
	summary, err := Summary(a)
	if err != nil {
		return WebhookAlert{}, err
	}
	return WebhookAlert{
		Fingerprint:   a.Fingerprint,
		Rule:          a.Rule,
		Title:         a.Title,
		Severity:      a.Severity,
		Status:        a.Status,
		Subject:       WebhookFirm{a.Subject.USCC, a.Subject.Name, a.Subject.Grade, a.Subject.PreviousGrade},
		Leader:        webhookRef(a.Leader),
		Tier:          a.Tier,
		Path:          nonNil(a.Path),
		PathNames:     nonNil(a.PathNames),
		PathShares:    nonNil(a.PathShares),
		Summary:       summary,
		Reasons:       nonNil(a.Reasons),
		StartedAt:     a.StartedAt.UTC(),
		EndedAt:       utcOrNil(a.EndedAt),
		ResolveReason: a.ResolveReason,
		Values:        nonNilMap(a.Values),
		URL:           a.URL,
	}, nil
}

func webhookRef(r *FirmRef) *WebhookRef {
	if r == nil {
		return nil
	}
	return &WebhookRef{r.USCC, r.Name}
}

// utcOrNil is t in UTC, or nil when zero (null in the body).
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func nonNilMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// marshalJSON encodes without HTML escaping (summaries hold "→" and "<" and are read by
// people) and without the encoder's trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// nonNil makes absent lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
