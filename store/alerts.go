package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Alert states.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Alert is an alert as the store keeps it: one row per fingerprint, whose latest
// episode it describes. Details is the alerts package's JSON (values, reasons, path).
type Alert struct {
	ID            string
	Fingerprint   string
	Rule          string
	Severity      string
	State         string
	USCC          string
	Name          string
	Leader        string
	LeaderName    string
	Grade         string
	PreviousGrade string
	Details       []byte
	// Quiet marks an alert recorded by a baseline: it is never announced (no repeat,
	// no resolve notification) unless it changes.
	Quiet      bool
	ScanID     int64
	StartedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time
	// NotifiedAt is when notifications were last enqueued for it (zero: never).
	NotifiedAt time.Time
	// Acks are the episode's acknowledgements, one per audience at most, in audience
	// order. The store fills them on reads; upserts ignore them.
	Acks []AlertAck
	// Feedback and Workflow are the own records of the audience a read named
	// (AlertFilter.Own) — its latest verdict and its incident workflow — and never
	// another audience's: nil when it has none, or when the read named no audience.
	// Upserts ignore them.
	Feedback *AlertFeedback
	Workflow *AlertWorkflow
}

// AlertAck is one audience's acknowledgement of an alert's episode.
type AlertAck struct {
	// Audience is "" for staff, else the tenant's USCC (visibility.Viewer.Audience).
	Audience string
	By       string
	At       time.Time
}

// Ack returns the acknowledgement of an audience, if it gave one.
func (a *Alert) Ack(audience string) (AlertAck, bool) {
	for _, k := range a.Acks {
		if k.Audience == audience {
			return k, true
		}
	}
	return AlertAck{}, false
}

// AlertUpsert is one alert change of AlertChanges. A new episode (a first firing, or
// a resolved alert firing again) replaces the whole row and drops its
// acknowledgements; any other change keeps them and, when NotifiedAt is zero, the
// previous NotifiedAt.
type AlertUpsert struct {
	Alert
	NewEpisode bool
}

// AlertChanges is what one evaluation (or one resend) writes, in one transaction: the
// alerts' new states and the notifications they cause.
type AlertChanges struct {
	Upserts []AlertUpsert
	// Notified are ids of alerts whose NotifiedAt becomes At.
	Notified []string
	At       time.Time
	// Notifications are appended to the outbox, in order; the store assigns Seq,
	// State pending, Attempts 0 and, when zero, NextAttemptAt = CreatedAt = At.
	Notifications []OutboxEntry
	// DigestItems are held for their digest subscriptions' next digests
	// (store/digests.go); the store assigns Seq and, when zero, CreatedAt = At.
	DigestItems []DigestItem
}

// AlertFilter selects alerts; zero fields select everything.
type AlertFilter struct {
	ID       string
	State    string
	Severity string
	Rule     string
	Leader   string
	USCC     string
	// RepeatDue keeps the firing, announced-or-pending (not quiet) alerts last
	// notified before it, or never; whose audiences acknowledged them is the
	// router's business.
	RepeatDue time.Time
	// Announced keeps alerts that were notified at least once.
	Announced bool
	// ResolvedSince keeps alerts resolved at or after it (with State resolved).
	ResolvedSince time.Time
	// Own, when set, selects on one audience's own records and, with Records, reads
	// them with each alert (Alert.Feedback, Alert.Workflow).
	Own *OwnFilter
	// After keeps the alerts that come after it in the list's order (nil: all).
	After *AlertPos
	// Limit bounds the list (0: no bound). Alerts come newest change first.
	Limit int
}

// AlertPos is an alert's place in the list's order (updated_at descending, then id).
type AlertPos struct {
	UpdatedAt time.Time
	ID        string
}

// OwnFilter names the audience whose own records an alert read selects on and fills
// in; zero Status and Assignee select everything.
type OwnFilter struct {
	Audience string
	// Records reads the audience's records with each alert listed (a reader that keeps
	// a few of many alerts reads theirs with FillOwn instead).
	Records bool
	// Status keeps the alerts the audience's workflow gives this status;
	// WorkflowOpen keeps those without a workflow too.
	Status string
	// Assignee keeps the alerts the audience's workflow assigns to exactly this.
	Assignee string
}

// AlertCount is the number of firing alerts of one rule and severity.
type AlertCount struct {
	Rule     string
	Severity string
	Count    int64
}

// ErrAlertResolved is returned by AckAlert for an alert that is not firing.
var ErrAlertResolved = errors.New("alert is not firing")

// NewID returns a random identifier: 32 hex characters.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

const alertCols = `id, fingerprint, rule, severity, state, uscc, name, leader, leader_name, grade,
	previous_grade, details, quiet, scan_id, started_at, updated_at, resolved_at, notified_at`

var alertColList = strings.Fields(strings.NewReplacer(",", " ").Replace(alertCols))

func alertRow(a *Alert, dst []any) {
	dst[0], dst[1], dst[2], dst[3], dst[4] = a.ID, a.Fingerprint, a.Rule, a.Severity, a.State
	dst[5], dst[6], dst[7], dst[8], dst[9] = a.USCC, a.Name, a.Leader, a.LeaderName, a.Grade
	dst[10], dst[11], dst[12], dst[13] = a.PreviousGrade, string(a.Details), flag(a.Quiet), a.ScanID
	dst[14], dst[15], dst[16], dst[17] = a.StartedAt.UnixMilli(), a.UpdatedAt.UnixMilli(), ms(a.ResolvedAt), ms(a.NotifiedAt)
}

func scanAlert(r Rows) (Alert, error) {
	var a Alert
	var details string
	var quiet, started, updated int64
	var resolved, notified *int64
	err := r.Scan(&a.ID, &a.Fingerprint, &a.Rule, &a.Severity, &a.State, &a.USCC, &a.Name, &a.Leader, &a.LeaderName,
		&a.Grade, &a.PreviousGrade, &details, &quiet, &a.ScanID, &started, &updated, &resolved, &notified)
	a.Details, a.Quiet = []byte(details), quiet != 0
	a.StartedAt, a.UpdatedAt = time.UnixMilli(started).UTC(), time.UnixMilli(updated).UTC()
	a.ResolvedAt, a.NotifiedAt = fromMS(resolved), fromMS(notified)
	return a, err
}

// ApplyAlerts writes alert changes and their notifications in one transaction:
// either every alert row, every outbox row and every digest item is written, or none
// is.
func (s *SQL) ApplyAlerts(ctx context.Context, ch *AlertChanges) error {
	if len(ch.Upserts)+len(ch.Notified)+len(ch.Notifications)+len(ch.DigestItems) == 0 {
		return nil
	}
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return fmt.Errorf("apply alerts: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := s.applyAlerts(ctx, tx, ch); err != nil {
		return fmt.Errorf("apply alerts: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("apply alerts: %w", err)
	}
	return nil
}

func (s *SQL) applyAlerts(ctx context.Context, tx Tx, ch *AlertChanges) error {
	if len(ch.Upserts) > 0 {
		defs := make([]string, len(alertColList))
		for i, c := range alertColList {
			switch c {
			case "quiet", "scan_id", "started_at", "updated_at":
				defs[i] = c + " BIGINT NOT NULL"
			case "resolved_at", "notified_at":
				defs[i] = c + " BIGINT"
			default:
				defs[i] = c + " TEXT NOT NULL"
			}
		}
		defs = append(defs, "episode BIGINT NOT NULL")
		for _, q := range s.d.TempTable("stage_alerts", strings.Join(defs, ", ")) {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		cols := append(append([]string{}, alertColList...), "episode")
		err := tx.Stage(ctx, "stage_alerts", cols, len(ch.Upserts), func(i int, dst []any) {
			u := &ch.Upserts[i]
			alertRow(&u.Alert, dst)
			dst[len(alertColList)] = flag(u.NewEpisode)
		})
		if err != nil {
			return fmt.Errorf("stage: %w", err)
		}
		// A new episode replaces the row (or inserts it) and drops the previous
		// episode's acknowledgements; other changes update it, keeping them and the last
		// notification time unless a new one is given.
		var set, upd []string
		for _, c := range alertColList[1:] {
			set = append(set, c+" = excluded."+c)
			switch c {
			case "started_at":
			case "notified_at":
				upd = append(upd, "notified_at = COALESCE(s.notified_at, alerts.notified_at)")
			default:
				upd = append(upd, c+" = s."+c)
			}
		}
		stmts := []string{
			`DELETE FROM alert_acks WHERE alert_id IN (SELECT id FROM stage_alerts WHERE episode = 1)`,
			`INSERT INTO alerts (` + alertCols + `) SELECT ` + alertCols + ` FROM stage_alerts WHERE episode = 1
				ON CONFLICT (fingerprint) DO UPDATE SET ` + strings.Join(set, ", "),
			`UPDATE alerts SET ` + strings.Join(upd, ", ") + ` FROM stage_alerts s
				WHERE alerts.fingerprint = s.fingerprint AND s.episode = 0`,
			liftMutes,
			`DROP TABLE stage_alerts`,
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
	}
	at := ch.At.UnixMilli()
	for start := 0; start < len(ch.Notified); start += subsetChunk {
		part := ch.Notified[start:min(start+subsetChunk, len(ch.Notified))]
		args := []any{at}
		for _, id := range part {
			args = append(args, id)
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET notified_at = ? WHERE id IN (`+placeholders(len(part))+`)`,
			args...); err != nil {
			return err
		}
	}
	if err := appendDigestItems(ctx, tx, ch.DigestItems, ch.At); err != nil {
		return err
	}
	return insertNotifications(ctx, tx, ch.At, ch.Notifications)
}

// insertNotifications appends notifications to the outbox, pending, in their order,
// created at now unless they say otherwise.
func insertNotifications(ctx context.Context, tx Tx, now time.Time, list []OutboxEntry) error {
	if len(list) == 0 {
		return nil
	}
	at := now.UnixMilli()
	var seq int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(seq), 0) FROM alert_notifications`, nil, func(r Rows) error {
		return r.Scan(&seq)
	}); err != nil {
		return err
	}
	for i := range list {
		o := &list[i]
		seq++
		o.Seq, o.State, o.Attempts = seq, DeliveryPending, 0
		if o.CreatedAt.IsZero() {
			o.CreatedAt = now
		}
		if o.NextAttemptAt.IsZero() {
			o.NextAttemptAt = o.CreatedAt
		}
	}
	return tx.Stage(ctx, "alert_notifications", outboxColList, len(list), func(i int, dst []any) {
		o := &list[i]
		dst[0], dst[1], dst[2], dst[3], dst[4] = o.ID, o.Seq, o.AlertID, o.Fingerprint, o.Rule
		dst[5], dst[6], dst[7], dst[8], dst[9] = o.Severity, o.Status, o.USCC, o.Subscription, o.Owner
		dst[10], dst[11], dst[12], dst[13], dst[14] = int64(o.ChannelIndex), o.ChannelType, o.ChannelKey, string(o.Channel), string(o.Payload)
		dst[15], dst[16], dst[17], dst[18] = o.State, int64(o.Attempts), o.NextAttemptAt.UnixMilli(), o.LastError
		dst[19], dst[20], dst[21] = o.CreatedAt.UnixMilli(), ms(o.DeliveredAt), at
		dst[22] = spaced(o.AlertIDs)
	})
}

// Alerts lists alerts, the most recently changed first.
func (s *SQL) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	q := `SELECT ` + alertCols + ` FROM alerts WHERE 1=1`
	var args []any
	add := func(cond string, v ...any) {
		q += ` AND ` + cond
		args = append(args, v...)
	}
	if f.ID != "" {
		add(`id = ?`, f.ID)
	}
	if f.State != "" {
		add(`state = ?`, f.State)
	}
	if f.Severity != "" {
		add(`severity = ?`, f.Severity)
	}
	if f.Rule != "" {
		add(`rule = ?`, f.Rule)
	}
	if f.Leader != "" {
		add(`leader = ?`, f.Leader)
	}
	if f.USCC != "" {
		add(`uscc = ?`, f.USCC)
	}
	if !f.RepeatDue.IsZero() {
		add(`state = 'firing' AND quiet = 0 AND (notified_at IS NULL OR notified_at < ?)`,
			f.RepeatDue.UnixMilli())
	}
	if f.Announced {
		q += ` AND notified_at IS NOT NULL`
	}
	if !f.ResolvedSince.IsZero() {
		add(`state = 'resolved' AND resolved_at >= ?`, f.ResolvedSince.UnixMilli())
	}
	// The audience's workflow: WorkflowOpen also matches alerts without one.
	if o := f.Own; o != nil && o.Status == WorkflowOpen {
		add(`NOT EXISTS (SELECT 1 FROM alert_workflow w WHERE w.alert_id = alerts.id AND w.audience = ? AND w.status <> ?)`,
			o.Audience, o.Status)
	} else if o != nil && o.Status != "" {
		add(`EXISTS (SELECT 1 FROM alert_workflow w WHERE w.alert_id = alerts.id AND w.audience = ? AND w.status = ?)`,
			o.Audience, o.Status)
	}
	if o := f.Own; o != nil && o.Assignee != "" {
		add(`EXISTS (SELECT 1 FROM alert_workflow w WHERE w.alert_id = alerts.id AND w.audience = ? AND w.assignee = ?)`,
			o.Audience, o.Assignee)
	}
	if p := f.After; p != nil {
		at := p.UpdatedAt.UnixMilli()
		add(`(updated_at < ? OR updated_at = ? AND id > ?)`, at, at, p.ID)
	}
	q += ` ORDER BY updated_at DESC, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []Alert
	err := s.each(ctx, q, args, func(r Rows) error {
		a, err := scanAlert(r)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	if err := s.fillAcks(ctx, out); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	if f.Own != nil && f.Own.Records {
		if err := s.FillOwn(ctx, out, f.Own.Audience); err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
	}
	return out, nil
}

// fillAcks reads the acknowledgements of the listed alerts.
func (s *SQL) fillAcks(ctx context.Context, list []Alert) error {
	at := make(map[string]int, len(list))
	for i := range list {
		at[list[i].ID] = i
	}
	ids := make([]any, 0, subsetChunk)
	for start := 0; start < len(list); start += subsetChunk {
		ids = ids[:0]
		for _, a := range list[start:min(start+subsetChunk, len(list))] {
			ids = append(ids, a.ID)
		}
		err := s.each(ctx, `SELECT alert_id, audience, acked_by, acked_at FROM alert_acks
			WHERE alert_id IN (`+placeholders(len(ids))+`) ORDER BY alert_id, audience`, ids, func(r Rows) error {
			var id string
			var k AlertAck
			var ms int64
			if err := r.Scan(&id, &k.Audience, &k.By, &ms); err != nil {
				return err
			}
			k.At = time.UnixMilli(ms).UTC()
			a := &list[at[id]]
			a.Acks = append(a.Acks, k)
			return nil
		})
		if err != nil {
			return fmt.Errorf("acknowledgements: %w", err)
		}
	}
	return nil
}

// Alert returns one alert, or ErrNotFound.
func (s *SQL) Alert(ctx context.Context, id string) (*Alert, error) {
	list, err := s.Alerts(ctx, AlertFilter{ID: id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("alert %s: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// AckAlert acknowledges a firing alert for one audience: no more repeats to that
// audience until it resolves. It returns ErrNotFound for an unknown id and
// ErrAlertResolved for a resolved alert; acking again keeps the audience's first
// acknowledgement.
func (s *SQL) AckAlert(ctx context.Context, id, audience, by string, at time.Time) error {
	n, err := s.d.Exec(ctx, `INSERT INTO alert_acks (alert_id, audience, acked_by, acked_at)
		SELECT id, ?, ?, ? FROM alerts WHERE id = ? AND state = 'firing'
		ON CONFLICT (alert_id, audience) DO NOTHING`, audience, by, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("ack alert %s: %w", id, err)
	}
	if n > 0 {
		return nil
	}
	a, err := s.Alert(ctx, id)
	if err != nil {
		return err
	}
	if a.State != AlertFiring {
		return fmt.Errorf("ack alert %s: %w", id, ErrAlertResolved)
	}
	return nil
}

// AlertCounts counts the firing alerts by rule and severity.
func (s *SQL) AlertCounts(ctx context.Context) ([]AlertCount, error) {
	var out []AlertCount
	err := s.each(ctx, `SELECT rule, severity, COUNT(*) FROM alerts WHERE state = 'firing'
		GROUP BY rule, severity ORDER BY rule, severity`, nil, func(r Rows) error {
		var c AlertCount
		err := r.Scan(&c.Rule, &c.Severity, &c.Count)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	return out, nil
}

// spaced joins ids between spaces, " a b ", so that LIKE '% a %' finds each; "" for none.
func spaced(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " " + strings.Join(ids, " ") + " "
}
