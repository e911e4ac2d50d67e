package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// What a principal records about an alert (docs/alerts.md) is its own, kept per
// audience as acknowledgements are (visibility.Viewer.Audience: staff, or one tenant):
// its verdict (feedback) and its incident workflow (status, assignee, notes). Another
// principal's never shows in an answer nor changes a notification; the review list of
// verdicts is staff's (FeedbackList).

// Verdicts of feedback.
const (
	VerdictUseful     = "useful"
	VerdictIrrelevant = "irrelevant" // mutes the alert for the principal until it changes
	// VerdictWrongEntity puts the alert's firm and rule on the data-review list.
	VerdictWrongEntity = "wrong_entity"
)

// Verdicts lists the verdicts, in the order the API documents them.
var Verdicts = []string{VerdictUseful, VerdictIrrelevant, VerdictWrongEntity}

// Statuses of the incident workflow; an alert is open until its principal says
// otherwise.
const (
	WorkflowOpen          = store.WorkflowOpen
	WorkflowInvestigating = "investigating"
	WorkflowNoImpact      = "no_impact"
	WorkflowConfirmed     = "confirmed"
	WorkflowClosed        = "closed"
)

// WorkflowStatuses lists the statuses, in the order the API documents them.
var WorkflowStatuses = []string{WorkflowOpen, WorkflowInvestigating, WorkflowNoImpact, WorkflowConfirmed, WorkflowClosed}

// Bounds of what a principal writes.
const (
	MaxFeedbackComment = 4096 // bytes
	MaxAssignee        = 200  // characters
	MaxNoteText        = 4096 // bytes
	MaxNotes           = 100  // per alert and principal
)

// ErrTooManyNotes is returned for a note past MaxNotes.
var ErrTooManyNotes = store.ErrTooManyNotes

// AlertNote is a note of a workflow as the API shows it.
type AlertNote struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// AlertFeedback is the reader's own verdict on an alert, as the API shows it.
type AlertFeedback struct {
	Verdict string    `json:"verdict"`
	Comment string    `json:"comment,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	// Muted: the verdict keeps the alert's notifications from the reader's
	// subscriptions now (irrelevant, and the alert unchanged since).
	Muted bool `json:"muted"`
}

// FeedbackInput is a verdict given through the API.
type FeedbackInput struct {
	Verdict string
	Comment string
}

// WorkflowInput changes a workflow with merge semantics: nil fields stay as they are;
// a Note that is not empty is appended.
type WorkflowInput struct {
	Status   *string
	Assignee *string
	Note     *string
}

// checkFeedback refuses a verdict the API does not take.
func checkFeedback(in FeedbackInput) error {
	switch {
	case !slices.Contains(Verdicts, in.Verdict):
		return inputErrorf("verdict", "%q is not one of %s", in.Verdict, strings.Join(Verdicts, ", "))
	case len(in.Comment) > MaxFeedbackComment:
		return inputErrorf("comment", "longer than %d bytes", MaxFeedbackComment)
	}
	return nil
}

// checkWorkflow refuses a workflow change the API does not take; it trims the
// assignee.
func checkWorkflow(in *WorkflowInput) error {
	if in.Status != nil && !slices.Contains(WorkflowStatuses, *in.Status) {
		return inputErrorf("status", "%q is not one of %s", *in.Status, strings.Join(WorkflowStatuses, ", "))
	}
	if in.Assignee != nil {
		a := strings.TrimSpace(*in.Assignee)
		switch {
		case utf8.RuneCountInString(a) > MaxAssignee:
			return inputErrorf("assignee", "longer than %d characters", MaxAssignee)
		case strings.ContainsFunc(a, unicode.IsControl):
			return inputErrorf("assignee", "holds a control character")
		}
		in.Assignee = &a
	}
	if in.Note != nil {
		switch {
		case strings.TrimSpace(*in.Note) == "":
			return inputErrorf("note", "empty; leave the field out to add no note")
		case len(*in.Note) > MaxNoteText:
			return inputErrorf("note", "longer than %d bytes", MaxNoteText)
		}
	}
	return nil
}

// seen returns the alert id as view may see it: store.ErrNotFound also for one it
// may not, exactly as for a missing one.
func (m *Manager) seen(ctx context.Context, id string, view *visibility.View) (*store.Alert, error) {
	a, err := m.db.Alert(ctx, id)
	if err != nil {
		return nil, err
	}
	if !view.SeesAlert(a.USCC, a.Leader) {
		return nil, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	return a, nil
}

// GiveFeedback records view's verdict on an alert in the name of by, replacing its
// audience's previous one: irrelevant mutes the alert for the audience's
// subscriptions until its state, severity or episode changes; wrong_entity puts it on
// the review list. Errors: *InputError (checked before the alert is looked up),
// store.ErrNotFound (also for an alert view may not see).
func (m *Manager) GiveFeedback(ctx context.Context, id string, view *visibility.View, by string, in FeedbackInput) error {
	if view == nil {
		view = staffView
	}
	if err := checkFeedback(in); err != nil {
		return err
	}
	a, err := m.seen(ctx, id, view)
	if err != nil {
		return err
	}
	f := &store.AlertFeedback{AlertID: id, Audience: view.Audience(), Verdict: in.Verdict, Comment: in.Comment, By: by,
		At: m.clock.Now(), Muted: in.Verdict == VerdictIrrelevant}
	if err := m.db.SetFeedback(ctx, f); err != nil {
		return err
	}
	if m.worker != nil {
		m.worker.o.Metrics.feedbackGiven(a.Rule, in.Verdict)
	}
	return nil
}

// UpdateWorkflow changes view's workflow of an alert in the name of by. Errors:
// *InputError (checked before the alert is looked up), store.ErrNotFound (also for
// an alert view may not see), ErrTooManyNotes.
func (m *Manager) UpdateWorkflow(ctx context.Context, id string, view *visibility.View, by string, in WorkflowInput) error {
	if view == nil {
		view = staffView
	}
	if err := checkWorkflow(&in); err != nil {
		return err
	}
	if _, err := m.seen(ctx, id, view); err != nil {
		return err
	}
	if in.Status == nil && in.Assignee == nil && in.Note == nil {
		return nil // an empty patch changes nothing
	}
	ch := store.WorkflowChange{Status: in.Status, Assignee: in.Assignee, By: by, At: m.clock.Now(), MaxNotes: MaxNotes}
	if in.Note != nil {
		ch.Note = *in.Note
	}
	return m.db.UpdateWorkflow(ctx, id, view.Audience(), ch)
}

// own fills an answer with view's own verdict and workflow of a, and nobody else's.
func own(v *Alert, a *store.Alert, view *visibility.View) {
	v.Status = WorkflowOpen
	if w := a.Workflow; w != nil && w.Audience == view.Audience() {
		v.Status, v.Assignee = w.Status, w.Assignee
		for _, n := range w.Notes {
			v.Notes = append(v.Notes, AlertNote(n))
		}
	}
	if f := a.Feedback; f != nil && f.Audience == view.Audience() {
		v.Feedback = &AlertFeedback{Verdict: f.Verdict, Comment: f.Comment, By: f.By, At: f.At, Muted: f.Mutes(a)}
	}
}

// FeedbackEntry is a verdict on the review list.
type FeedbackEntry struct {
	AlertID string     `json:"alert_id"`
	Rule    string     `json:"rule"`
	Subject AlertFirm  `json:"subject"`
	Leader  *AlertFirm `json:"leader,omitempty"`
	Verdict string     `json:"verdict"`
	Comment string     `json:"comment,omitempty"`
	By      string     `json:"by"`
	// Tenant is the USCC of the tenant whose token gave the verdict; absent for
	// staff's.
	Tenant string    `json:"tenant,omitempty"`
	At     time.Time `json:"at"`
}

// FeedbackQuery selects the review list; zero fields select every verdict.
type FeedbackQuery struct {
	Verdict string
	Rule    string
	USCC    string
	// After keeps the verdicts after it in the list's order: the next page.
	After *store.FeedbackPos
	// Limit bounds the list (0 means 100).
	Limit int
}

// FeedbackList is the review list, newest verdict first: staff's, for the data and
// the rules — every principal's latest verdicts, a tenant's naming the tenant.
func (m *Manager) FeedbackList(ctx context.Context, q FeedbackQuery) ([]FeedbackEntry, error) {
	switch {
	case q.Verdict != "" && !slices.Contains(Verdicts, q.Verdict):
		return nil, inputErrorf("verdict", "%q is not one of %s", q.Verdict, strings.Join(Verdicts, ", "))
	case q.Rule != "" && ruleNamed(q.Rule) == nil:
		return nil, inputErrorf("rule", "unknown rule %q", q.Rule)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	list, err := m.db.Feedback(ctx, store.FeedbackFilter{Verdict: q.Verdict, Rule: q.Rule, USCC: q.USCC, After: q.After, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	out := make([]FeedbackEntry, len(list))
	for i, e := range list {
		out[i] = FeedbackEntry{AlertID: e.AlertID, Rule: e.Rule, Subject: AlertFirm{USCC: e.USCC, Name: e.Name},
			Verdict: e.Verdict, Comment: e.Comment, By: e.By, Tenant: e.Audience, At: e.At}
		if e.Leader != "" {
			out[i].Leader = &AlertFirm{USCC: e.Leader, Name: e.LeaderName}
		}
	}
	return out, nil
}

// mutes are the verdicts muting alerts, by alert and audience, as the router holds
// them against the alerts it announces.
type mutes map[[2]string]store.AlertFeedback

// loadMutes reads the mutes in force.
func (m *Manager) loadMutes(ctx context.Context) (mutes, error) {
	list, err := m.db.AlertMutes(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts: mutes: %w", err)
	}
	out := make(mutes, len(list))
	for _, f := range list {
		out[[2]string{f.AlertID, f.Audience}] = f
	}
	return out, nil
}

// hold reports whether an audience muted alert a as it is about to be announced.
func (ms mutes) hold(a *store.Alert, audience string) bool {
	f, ok := ms[[2]string{a.ID, audience}]
	return ok && f.Mutes(a)
}
