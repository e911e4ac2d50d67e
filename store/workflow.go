package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What each principal records about alerts — its feedback and its incident workflow
// (docs/alerts.md) — is kept per audience, as acknowledgements are: "" for staff, the
// tenant's USCC for a tenant (visibility.Viewer.Audience). The vocabulary (verdicts,
// statuses) and its bounds are the alerts package's; the store keeps what it is given.

// AlertFeedback is one audience's latest verdict on an alert.
type AlertFeedback struct {
	AlertID  string
	Audience string
	Verdict  string
	Comment  string
	By       string // the token's name
	At       time.Time
	// State, Severity and StartedAt are the alert's when the verdict was given (the
	// store reads them from the alert; SetFeedback ignores what it is given).
	State     string
	Severity  string
	StartedAt time.Time
	// Muted is set by the writer for a verdict that mutes the alert for the audience's
	// subscriptions. ApplyAlerts clears it, for good, when it changes the alert's state,
	// severity or episode.
	Muted bool
}

// Mutes reports whether the feedback mutes alert a as it is about to be announced:
// muted, and a still in the state, severity and episode the verdict found it in.
func (f *AlertFeedback) Mutes(a *Alert) bool {
	return f.Muted && f.State == a.State && f.Severity == a.Severity && f.StartedAt.UnixMilli() == a.StartedAt.UnixMilli()
}

// FeedbackFilter selects verdicts for the review list; zero fields select every one.
type FeedbackFilter struct {
	Verdict string
	// Rule and USCC select on the alert's rule and subject.
	Rule string
	USCC string
	// After keeps the verdicts that come after it in the list's order (nil: all).
	After *FeedbackPos
	// Limit bounds the list (0: no bound). Verdicts come newest first.
	Limit int
}

// FeedbackPos is a verdict's place in the review list's order (given_at descending,
// then alert and audience ascending).
type FeedbackPos struct {
	At                time.Time
	AlertID, Audience string
}

// FeedbackEntry is a verdict with what the review list shows of its alert.
type FeedbackEntry struct {
	AlertFeedback
	Rule       string
	USCC       string
	Name       string
	Leader     string
	LeaderName string
}

// AlertWorkflow is one audience's incident workflow of an alert.
type AlertWorkflow struct {
	Audience  string
	Status    string
	Assignee  string
	UpdatedBy string
	UpdatedAt time.Time
	// Notes come in the order they were added.
	Notes []AlertNote
}

// AlertNote is one note of an AlertWorkflow.
type AlertNote struct {
	At   time.Time
	By   string
	Text string
}

// WorkflowOpen is the status of an alert whose audience recorded none.
const WorkflowOpen = "open"

// WorkflowChange changes an audience's workflow of an alert: nil fields stay as they
// are (a new workflow starts with status WorkflowOpen and no assignee); a Note that
// is not empty is appended.
type WorkflowChange struct {
	Status   *string
	Assignee *string
	Note     string
	By       string
	At       time.Time
	// MaxNotes bounds the notes (0: no bound): a note past it is ErrTooManyNotes, and
	// nothing of the change is written.
	MaxNotes int
}

// ErrTooManyNotes is returned by UpdateWorkflow for a note past WorkflowChange.MaxNotes.
var ErrTooManyNotes = errors.New("the alert has as many notes as it may hold")

const feedbackCols = `f.alert_id, f.audience, f.verdict, f.comment, f.given_by, f.given_at, f.state, f.severity,
	f.started_at, f.muted`

func scanFeedback(r Rows, extra ...any) (AlertFeedback, error) {
	var f AlertFeedback
	var at, started, muted int64
	err := r.Scan(append([]any{&f.AlertID, &f.Audience, &f.Verdict, &f.Comment, &f.By, &at, &f.State, &f.Severity,
		&started, &muted}, extra...)...)
	f.At, f.StartedAt, f.Muted = time.UnixMilli(at).UTC(), time.UnixMilli(started).UTC(), muted != 0
	return f, err
}

// SetFeedback records an audience's verdict on an alert, replacing the audience's
// previous one, with the alert's state, severity and episode as they are now. It
// returns ErrNotFound for an unknown alert.
func (s *SQL) SetFeedback(ctx context.Context, f *AlertFeedback) error {
	n, err := s.d.Exec(ctx, `INSERT INTO alert_feedback (alert_id, audience, verdict, comment, given_by, given_at,
			state, severity, started_at, muted)
		SELECT id, ?, ?, ?, ?, ?, state, severity, started_at, ? FROM alerts WHERE id = ?
		ON CONFLICT (alert_id, audience) DO UPDATE SET verdict = excluded.verdict, comment = excluded.comment,
			given_by = excluded.given_by, given_at = excluded.given_at, state = excluded.state,
			severity = excluded.severity, started_at = excluded.started_at, muted = excluded.muted`,
		f.Audience, f.Verdict, f.Comment, f.By, f.At.UnixMilli(), flag(f.Muted), f.AlertID)
	if err != nil {
		return fmt.Errorf("feedback on alert %s: %w", f.AlertID, err)
	}
	if n == 0 {
		return fmt.Errorf("alert %s: %w", f.AlertID, ErrNotFound)
	}
	return nil
}

// Feedback lists verdicts with their alerts, newest first: the review list.
func (s *SQL) Feedback(ctx context.Context, f FeedbackFilter) ([]FeedbackEntry, error) {
	q := `SELECT ` + feedbackCols + `, a.rule, a.uscc, a.name, a.leader, a.leader_name
		FROM alert_feedback f JOIN alerts a ON a.id = f.alert_id WHERE 1=1`
	var args []any
	if f.Verdict != "" {
		q += ` AND f.verdict = ?`
		args = append(args, f.Verdict)
	}
	if f.Rule != "" {
		q += ` AND a.rule = ?`
		args = append(args, f.Rule)
	}
	if f.USCC != "" {
		q += ` AND a.uscc = ?`
		args = append(args, f.USCC)
	}
	if p := f.After; p != nil {
		at := p.At.UnixMilli()
		q += ` AND (f.given_at < ? OR f.given_at = ? AND (f.alert_id > ? OR f.alert_id = ? AND f.audience > ?))`
		args = append(args, at, at, p.AlertID, p.AlertID, p.Audience)
	}
	q += ` ORDER BY f.given_at DESC, f.alert_id, f.audience`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []FeedbackEntry
	err := s.each(ctx, q, args, func(r Rows) error {
		var e FeedbackEntry
		var err error
		e.AlertFeedback, err = scanFeedback(r, &e.Rule, &e.USCC, &e.Name, &e.Leader, &e.LeaderName)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	return out, nil
}

// AlertMutes lists the verdicts that mute an alert for their audience (Muted), for
// the router to hold against the alerts it announces (AlertFeedback.Mutes).
func (s *SQL) AlertMutes(ctx context.Context) ([]AlertFeedback, error) {
	var out []AlertFeedback
	err := s.each(ctx, `SELECT `+feedbackCols+` FROM alert_feedback f WHERE f.muted = 1 ORDER BY f.alert_id, f.audience`, nil,
		func(r Rows) error {
			f, err := scanFeedback(r)
			out = append(out, f)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("alert mutes: %w", err)
	}
	return out, nil
}

// liftMutes clears, inside ApplyAlerts' transaction, the mutes of the staged alerts
// whose state, severity or episode is no longer what the verdict found: once lifted,
// a mute stays lifted whatever the alert does next.
const liftMutes = `UPDATE alert_feedback SET muted = 0 WHERE muted = 1 AND EXISTS (
	SELECT 1 FROM alerts a JOIN stage_alerts s ON s.id = a.id
	WHERE a.id = alert_feedback.alert_id AND (a.state <> alert_feedback.state
		OR a.severity <> alert_feedback.severity OR a.started_at <> alert_feedback.started_at))`

// UpdateWorkflow changes an audience's workflow of an alert in one transaction
// (ErrNotFound for an unknown alert, ErrTooManyNotes). Concurrent changes of the
// same workflow are serialised by its row, so none is lost and the bound holds.
func (s *SQL) UpdateWorkflow(ctx context.Context, id, audience string, ch WorkflowChange) error {
	tx, err := s.d.Begin(ctx, false)
	if err != nil {
		return fmt.Errorf("workflow of alert %s: %w", id, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	at := ch.At.UnixMilli()
	n, err := tx.Exec(ctx, `INSERT INTO alert_workflow (alert_id, audience, status, assignee, updated_by, updated_at)
		SELECT id, ?, COALESCE(?, ?), COALESCE(?, ''), ?, ? FROM alerts WHERE id = ?
		ON CONFLICT (alert_id, audience) DO UPDATE SET status = COALESCE(?, alert_workflow.status),
			assignee = COALESCE(?, alert_workflow.assignee), updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		audience, ch.Status, WorkflowOpen, ch.Assignee, ch.By, at, id, ch.Status, ch.Assignee)
	if err != nil {
		return fmt.Errorf("workflow of alert %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("alert %s: %w", id, ErrNotFound)
	}
	if ch.Note != "" {
		var count int64
		if err := eachRow(ctx, tx, `SELECT COUNT(*) FROM alert_notes WHERE alert_id = ? AND audience = ?`,
			[]any{id, audience}, func(r Rows) error { return r.Scan(&count) }); err != nil {
			return fmt.Errorf("workflow of alert %s: %w", id, err)
		}
		if ch.MaxNotes > 0 && count >= int64(ch.MaxNotes) {
			return fmt.Errorf("workflow of alert %s: %w", id, ErrTooManyNotes)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alert_notes (alert_id, audience, seq, noted_by, noted_at, text)
			VALUES (?, ?, ?, ?, ?, ?)`, id, audience, count+1, ch.By, at, ch.Note); err != nil {
			return fmt.Errorf("workflow of alert %s: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("workflow of alert %s: %w", id, err)
	}
	return nil
}

// FillOwn reads one audience's feedback and workflow of the listed alerts into them,
// and nobody else's.
func (s *SQL) FillOwn(ctx context.Context, list []Alert, audience string) error {
	at := make(map[string]int, len(list))
	for i := range list {
		at[list[i].ID] = i
	}
	args := make([]any, 0, subsetChunk+1)
	for start := 0; start < len(list); start += subsetChunk {
		args = append(args[:0], audience)
		for _, a := range list[start:min(start+subsetChunk, len(list))] {
			args = append(args, a.ID)
		}
		in := placeholders(len(args) - 1)
		err := s.each(ctx, `SELECT `+feedbackCols+` FROM alert_feedback f WHERE f.audience = ? AND f.alert_id IN (`+in+`)`,
			args, func(r Rows) error {
				f, err := scanFeedback(r)
				list[at[f.AlertID]].Feedback = &f
				return err
			})
		if err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		err = s.each(ctx, `SELECT alert_id, status, assignee, updated_by, updated_at FROM alert_workflow
			WHERE audience = ? AND alert_id IN (`+in+`)`, args, func(r Rows) error {
			var id string
			var ms int64
			w := &AlertWorkflow{Audience: audience}
			err := r.Scan(&id, &w.Status, &w.Assignee, &w.UpdatedBy, &ms)
			w.UpdatedAt = time.UnixMilli(ms).UTC()
			list[at[id]].Workflow = w
			return err
		})
		if err != nil {
			return fmt.Errorf("workflow: %w", err)
		}
		err = s.each(ctx, `SELECT alert_id, noted_by, noted_at, text FROM alert_notes
			WHERE audience = ? AND alert_id IN (`+in+`) ORDER BY alert_id, seq`, args, func(r Rows) error {
			var id string
			var ms int64
			var n AlertNote
			err := r.Scan(&id, &n.By, &ms, &n.Text)
			n.At = time.UnixMilli(ms).UTC()
			if a := &list[at[id]]; a.Workflow != nil {
				a.Workflow.Notes = append(a.Workflow.Notes, n)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("notes: %w", err)
		}
	}
	return nil
}
