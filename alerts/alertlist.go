package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// Alert is an alert as the API lists it.
type Alert struct {
	ID          string             `json:"id"`
	Fingerprint string             `json:"fingerprint"`
	Rule        string             `json:"rule"`
	Severity    string             `json:"severity"`
	State       string             `json:"state"` // firing | resolved
	Subject     AlertFirm          `json:"subject"`
	Leader      *AlertFirm         `json:"leader,omitempty"`
	Labels      map[string]string  `json:"labels"`
	Values      map[string]float64 `json:"values"`
	Reasons     []string           `json:"reasons"`
	// Path is the rule's own path: from the subject to the leader (single_source), or
	// from the related party in distress down to the subject (related_party_distress).
	Path       []string  `json:"path,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// ResolveReason is why a resolved alert stopped firing (notify.ResolveReasons).
	ResolveReason string    `json:"resolve_reason,omitempty"`
	NotifiedAt    time.Time `json:"notified_at,omitzero"`
	// AckedAt and AckedBy are the reader's own acknowledgement (its audience's: staff,
	// or its tenant); another principal's is never shown.
	AckedAt time.Time `json:"acked_at,omitzero"`
	AckedBy string    `json:"acked_by,omitempty"`
	// Status, Assignee and Notes are the reader's own incident workflow, Feedback its
	// own verdict (its audience's, workflow.go); another principal's are never shown.
	Status   string         `json:"status"`
	Assignee string         `json:"assignee,omitempty"`
	Notes    []AlertNote    `json:"notes,omitempty"`
	Feedback *AlertFeedback `json:"feedback,omitempty"`
	// Silenced is set while a silence matches the alert's labels (a silence that
	// names a subscription mutes that subscription only and is not counted here).
	Silenced   bool     `json:"silenced"`
	SilencedBy []string `json:"silenced_by,omitempty"`
	// Baseline marks an alert recorded by the first scan on an empty store, never
	// announced.
	Baseline bool  `json:"baseline"`
	ScanID   int64 `json:"scan_id"`
}

// AlertFirm names a firm of an alert.
type AlertFirm struct {
	USCC          string `json:"uscc"`
	Name          string `json:"name"`
	Grade         string `json:"grade,omitempty"`
	PreviousGrade string `json:"previous_grade,omitempty"`
}

// AlertQuery selects alerts (GET /api/v1/alerts); zero fields select everything.
type AlertQuery struct {
	State    string // firing | resolved
	Severity string // info | warning | critical
	Rule     string
	// Leader keeps the alerts about a leader's chain: those whose own leader it is
	// (chain_risk, single_source), and — with Chain, that leader's chain — those
	// about one firm of it.
	Leader string
	Chain  *visibility.View
	USCC   string
	// Status and Assignee select on the reader's own workflow: the status (open also
	// for alerts it never changed) and the exact assignee.
	Status   string
	Assignee string
	// View is the reader's: it lists only the alerts the reader may see, cut to its
	// view, with its own acknowledgement. Nil means staff.
	View *visibility.View
	// After keeps the alerts after it in the list's order: the next page.
	After *store.AlertPos
	// Limit bounds the list (0 means 500).
	Limit int
	// Language words the reasons: zh or en (empty: the config's).
	Language string
}

// Alerts lists alerts, the most recently changed first, marked when silenced.
func (m *Manager) Alerts(ctx context.Context, q AlertQuery) ([]Alert, error) {
	cfg := m.cfg()
	switch {
	case q.State != "" && q.State != store.AlertFiring && q.State != store.AlertResolved:
		return nil, inputErrorf("state", "%q is not one of firing, resolved", q.State)
	case q.Severity != "" && severityRank(q.Severity) < 0:
		return nil, inputErrorf("severity", "%q is not one of info, warning, critical", q.Severity)
	case q.Rule != "" && ruleNamed(q.Rule) == nil:
		return nil, inputErrorf("rule", "unknown rule %q", q.Rule)
	case q.Status != "" && !slices.Contains(WorkflowStatuses, q.Status):
		return nil, inputErrorf("status", "%q is not one of %s", q.Status, strings.Join(WorkflowStatuses, ", "))
	}
	if q.Limit <= 0 {
		q.Limit = 500
	}
	if q.Language == "" {
		q.Language = cfg.Alerts.Language
	}
	if q.View == nil {
		q.View = staffView
	}
	own := &store.OwnFilter{Audience: q.View.Audience(), Status: q.Status, Assignee: q.Assignee}
	f := store.AlertFilter{State: q.State, Severity: q.Severity, Rule: q.Rule, USCC: q.USCC, Own: own, After: q.After}
	// Alerts kept or dropped here are read in full, and the reader's own records of
	// those kept then; the store bounds the rest, and reads their records with them.
	filtered := !q.View.IsStaff() || q.Chain != nil
	if !filtered {
		f.Leader, f.Limit, own.Records = q.Leader, q.Limit, true
	}
	list, err := m.db.Alerts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	kept := list[:0]
	for _, a := range list {
		if len(kept) == q.Limit {
			break
		}
		if q.View.SeesAlert(a.USCC, a.Leader) && (q.Chain == nil || a.Leader == q.Leader || a.Leader == "" && q.Chain.Sees(a.USCC)) {
			kept = append(kept, a)
		}
	}
	if filtered {
		if err := m.db.FillOwn(ctx, kept, own.Audience); err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
	}
	sil, err := m.activeSilences(ctx, m.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("alerts: silences: %w", err)
	}
	r := &router{m: m, cfg: cfg}
	out := make([]Alert, 0, len(kept))
	for _, a := range kept {
		c, err := decodeAlert(a)
		if err != nil {
			return nil, err
		}
		out = append(out, m.present(c, sil, r, q.Language, q.View))
	}
	return out, nil
}

// staffView is the view of the platform's staff, who see everything.
var staffView = new(visibility.Views).Of(nil, visibility.Staff(), 0, 0)

// GetAlert returns one alert as view (nil: staff) sees it; store.ErrNotFound also
// for one it may not see.
func (m *Manager) GetAlert(ctx context.Context, id, lang string, view *visibility.View) (*Alert, error) {
	if view == nil {
		view = staffView
	}
	list, err := m.db.Alerts(ctx, store.AlertFilter{ID: id, Own: &store.OwnFilter{Audience: view.Audience(), Records: true}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 || !view.SeesAlert(list[0].USCC, list[0].Leader) {
		return nil, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	c, err := decodeAlert(list[0])
	if err != nil {
		return nil, err
	}
	sil, err := m.activeSilences(ctx, m.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("alerts: silences: %w", err)
	}
	cfg := m.cfg()
	if lang == "" {
		lang = cfg.Alerts.Language
	}
	v := m.present(c, sil, &router{m: m, cfg: cfg}, lang, view)
	return &v, nil
}

// present is an alert as view sees it.
func (m *Manager) present(c *current, sil silences, r *router, lang string, view *visibility.View) Alert {
	a := &c.Alert
	det := c.det.cut(view, a)
	v := Alert{
		ID: a.ID, Fingerprint: a.Fingerprint, Rule: a.Rule, Severity: a.Severity, State: a.State,
		Subject: AlertFirm{USCC: a.USCC, Name: a.Name, Grade: a.Grade, PreviousGrade: a.PreviousGrade},
		Labels:  alertLabels(a), Values: det.Values, Reasons: r.words(det.Reasons, lang), Path: det.Path,
		StartedAt: a.StartedAt, UpdatedAt: a.UpdatedAt, ResolvedAt: a.ResolvedAt, NotifiedAt: a.NotifiedAt,
		Baseline: a.Quiet, ScanID: a.ScanID,
	}
	if a.State == store.AlertResolved {
		v.ResolveReason = det.Resolved
	}
	if k, ok := a.Ack(view.Audience()); ok {
		v.AckedAt, v.AckedBy = k.At, k.By
	}
	own(&v, a, view)
	if a.Leader != "" {
		v.Leader = &AlertFirm{USCC: a.Leader, Name: a.LeaderName}
	} else {
		delete(v.Labels, LabelLeader)
	}
	if v.Values == nil {
		v.Values = map[string]float64{}
	}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	if a.State == store.AlertFiring {
		v.SilencedBy = sil.match(alertLabels(a))
		v.Silenced = len(v.SilencedBy) > 0
	}
	return v
}

// Ack acknowledges a firing alert in the name of by, for view's audience (staff, or
// the tenant): no more repeats to that audience's subscriptions until it resolves
// (its resolve is still notified); nobody else's notifications change. Errors:
// store.ErrNotFound (also for an alert view may not see), store.ErrAlertResolved.
func (m *Manager) Ack(ctx context.Context, id string, view *visibility.View, by string) error {
	if view == nil {
		view = staffView
	}
	if _, err := m.seen(ctx, id, view); err != nil {
		return err
	}
	return m.db.AckAlert(ctx, id, view.Audience(), by, m.clock.Now())
}
