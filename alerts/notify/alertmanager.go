package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TypeAlertmanager posts alerts to the v2 API of one or more Alertmanager replicas.
const TypeAlertmanager = "alertmanager"

func init() {
	register(Kind{Type: TypeAlertmanager, Name: "Alertmanager", URLs: Required, Refreshed: true, build: newAlertmanager})
}

func newAlertmanager(ch Channel, o Options) (Notifier, error) {
	a := &alertmanager{resend: o.ResendInterval, p: newPoster(o)}
	for i, u := range ch.URLs {
		field := fmt.Sprintf("urls[%d]", i)
		api, err := alertmanagerAPI(reveal(u))
		if err != nil {
			return nil, fmt.Errorf("alerts: alertmanager channel: %s %s: %w", field, u, err)
		}
		d, err := newDestination(ch.Type, field, u, api, nil, o)
		if err != nil {
			return nil, err
		}
		a.dests = append(a.dests, d)
	}
	return a, nil
}

// alertmanager posts alerts to the v2 API of every configured Alertmanager, as
// Prometheus does: replicas de-duplicate identical label sets, so re-posting is harmless.
type alertmanager struct {
	dests  []*destination
	resend time.Duration
	p      *poster
}

// amAlert is one element of POST /api/v2/alerts.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

const alertmanagerPath = "/api/v2/alerts"

// alertmanagerAPI turns an Alertmanager's address into its alerts endpoint, accepting
// the endpoint itself too.
func alertmanagerAPI(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("not a valid URL")
	}
	if !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), alertmanagerPath) {
		// Escapes kept: a proxy's key in the path may hold a %2F.
		raw := strings.TrimSuffix(u.EscapedPath(), "/") + alertmanagerPath
		u.Path = strings.TrimSuffix(u.Path, "/") + alertmanagerPath
		u.RawPath = raw
	}
	return u.String(), nil
}

// Send posts the whole batch to every Alertmanager, each alert of each message
// (Notification.Alerts) as an alert of its own. It succeeds only when every one
// accepted it; otherwise the failure is permanent if some Alertmanager refused the
// alerts (4xx), else retryable — a retry posts to all of them again.
func (a *alertmanager) Send(ctx context.Context, batch []*Notification) []Result {
	results := make([]Result, len(batch))
	now := a.p.clock.Now()
	var alerts []amAlert
	var sent []int
	for i, n := range batch {
		als, err := a.alerts(n, now)
		if err != nil {
			results[i] = Result{Err: fmt.Errorf("alertmanager: notification %s: %w", n.ID, err)}
			continue
		}
		alerts = append(alerts, als...)
		sent = append(sent, i)
	}
	if len(alerts) == 0 {
		return results
	}
	body, err := marshalJSON(alerts)
	if err != nil {
		r := Result{Err: fmt.Errorf("alertmanager: encode alerts: %w", err)}
		for _, i := range sent {
			results[i] = r
		}
		return results
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	var errs []error
	var total Result
	total.Retryable = true
	for _, d := range a.dests {
		r := a.p.attempt(ctx, d, func(ctx context.Context) Result {
			rep, err := a.p.post(ctx, d, d.url.reveal(), h, body)
			return a.p.httpResult(d, rep, err)
		})
		if r.Err == nil {
			continue
		}
		errs = append(errs, r.Err)
		total.Retryable = total.Retryable && r.Retryable
		total.RetryAfter = max(total.RetryAfter, r.RetryAfter)
	}
	if len(errs) > 0 {
		total.Err = errors.Join(errs...)
		if !total.Retryable {
			total.RetryAfter = 0
		}
	} else {
		total = Result{}
	}
	for _, i := range sent {
		results[i] = total
	}
	return results
}

// alerts maps every alert of a message (a group, a snapshot, a digest) onto
// Alertmanager's model, one alert each: Alertmanager does its own grouping.
func (a *alertmanager) alerts(n *Notification, now time.Time) ([]amAlert, error) {
	var out []amAlert
	for _, x := range alertsOf(n) {
		al, err := a.alert(x, now)
		if err != nil {
			return nil, err
		}
		out = append(out, al)
	}
	return out, nil
}

// alert maps one alert onto Alertmanager's model. The labels identify the alert
// (rule, subject, leader, subscription) and must not change while it fires; the
// free text goes into annotations. A firing alert ends at now + 4 × the resend interval
// unless re-posted; a resolved one at its EndedAt.
func (a *alertmanager) alert(n *Notification, now time.Time) (amAlert, error) {
	summary, err := Summary(n)
	if err != nil {
		return amAlert{}, err
	}
	title, _, _ := strings.Cut(summary, "\n")
	labels := map[string]string{
		"alertname":    n.Rule,
		"severity":     n.Severity,
		"uscc":         n.Subject.USCC,
		"subscription": n.Subscription,
	}
	if n.Leader != nil {
		labels["leader"] = n.Leader.USCC
	}
	for k, v := range labels {
		if v == "" {
			delete(labels, k) // Alertmanager treats an empty label as absent anyway
		}
	}
	al := amAlert{
		Labels: labels,
		Annotations: map[string]string{
			"summary":     title,
			"description": summary,
			"path":        pathText(n),
			"tier":        strconv.Itoa(n.Tier),
		},
		StartsAt:     n.StartedAt.UTC(),
		EndsAt:       now.Add(4 * a.resend).UTC(),
		GeneratorURL: generatorURL(n),
	}
	if n.Status == StatusResolved {
		if n.ResolveReason != "" {
			al.Annotations["resolve_reason"] = n.ResolveReason
		}
		al.EndsAt = now.UTC()
		if !n.EndedAt.IsZero() {
			al.EndsAt = n.EndedAt.UTC()
		}
	}
	if al.StartsAt.IsZero() {
		al.StartsAt = now.UTC()
	}
	if al.StartsAt.After(al.EndsAt) {
		al.StartsAt = al.EndsAt
	}
	return al, nil
}

// pathText writes the path for an annotation: "name (USCC) → … → leader (USCC)".
func pathText(n *Notification) string {
	parts := make([]string, len(n.Path))
	for i, uscc := range n.Path {
		parts[i] = uscc
		if i < len(n.PathNames) && n.PathNames[i] != "" {
			parts[i] = n.PathNames[i] + " (" + uscc + ")"
		}
	}
	return strings.Join(parts, " → ")
}

// generatorURL is the notification's link when it is an absolute URL (Alertmanager
// rejects anything that is not a URI), else a chainrisk: URI naming the firm.
func generatorURL(n *Notification) string {
	if u, err := url.Parse(n.URL); err == nil && u.IsAbs() && u.Host != "" {
		return n.URL
	}
	return "chainrisk://enterprise/" + url.PathEscape(n.Subject.USCC)
}
