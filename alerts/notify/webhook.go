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
// then extras. Receivers written in Go may decode into it.
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
	// Alerts lists every alert of the message; for an alert message the first is the
	// one the fields above describe.
	Alerts []WebhookAlert `json:"alerts"`
}

// WebhookAlert is one alert of a webhook message.
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
	Summary       string             `json:"summary"`
	Reasons       []string           `json:"reasons"`
	StartedAt     time.Time          `json:"started_at"`
	EndedAt       *time.Time         `json:"ended_at"`
	ResolveReason string             `json:"resolve_reason,omitempty"`
	Values        map[string]float64 `json:"values"`
	URL           string             `json:"url,omitempty"`
}

// webhookAlert is one alert of a message as a webhook body lists it.
func webhookAlert(n *Notification) (WebhookAlert, error) {
	summary, err := Summary(n)
	if err != nil {
		return WebhookAlert{}, err
	}
	a := WebhookAlert{Fingerprint: n.Fingerprint, Rule: n.Rule, Title: n.Title, Severity: n.Severity, Status: n.Status,
		Subject: WebhookFirm{n.Subject.USCC, n.Subject.Name, n.Subject.Grade, n.Subject.PreviousGrade},
		Tier:    n.Tier, Path: nonNil(n.Path), PathNames: nonNil(n.PathNames), Summary: summary, Reasons: nonNil(n.Reasons),
		StartedAt: n.StartedAt.UTC(), ResolveReason: n.ResolveReason, Values: n.Values, URL: n.URL}
	if a.Values == nil {
		a.Values = map[string]float64{}
	}
	if n.Leader != nil {
		a.Leader = &WebhookRef{n.Leader.USCC, n.Leader.Name}
	}
	if !n.EndedAt.IsZero() {
		t := n.EndedAt.UTC()
		a.EndedAt = &t
	}
	return a, nil
}

// webhookKind is the kind a webhook body names.
func webhookKind(n *Notification) string {
	if n.Kind == KindAlert {
		return "alert"
	}
	return n.Kind
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
		Tier:          n.Tier,
		Path:          nonNil(n.Path),
		Summary:       summary,
		Reasons:       nonNil(n.Reasons),
		StartedAt:     n.StartedAt.UTC(),
		Subscription:  n.Subscription,
		PathNames:     nonNil(n.PathNames),
		PathShares:    nonNil(n.PathShares),
		Values:        n.Values,
		URL:           n.URL,
		ResolveReason: n.ResolveReason,
	}
	if b.Values == nil {
		b.Values = map[string]float64{}
	}
	if n.Leader != nil {
		b.Leader = &WebhookRef{n.Leader.USCC, n.Leader.Name}
	}
	if !n.EndedAt.IsZero() {
		t := n.EndedAt.UTC()
		b.EndedAt = &t
	}
	b.Kind, b.Alerts = webhookKind(n), []WebhookAlert{}
	for _, x := range n.Alerts() {
		a, err := webhookAlert(x)
		if err != nil {
			return nil, err
		}
		b.Alerts = append(b.Alerts, a)
	}
	return marshalJSON(b)
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
