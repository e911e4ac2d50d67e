package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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

// Outbox (notification) states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
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
}

// OutboxEntry is one notification to one channel of one subscription.
type OutboxEntry struct {
	ID          string
	Seq         int64
	AlertID     string
	Fingerprint string
	Rule        string
	Severity    string
	Status      string // firing | resolved
	USCC        string
	// Subscription and Owner name the subscription and its tenant ('' for admin-made
	// and config subscriptions).
	Subscription string
	Owner        string
	ChannelIndex int
	ChannelType  string
	// ChannelKey groups the notifications of one destination (batching, ordering).
	ChannelKey string
	// Channel is the channel's config, secrets in clear; Payload the notification.
	// Neither may be served or logged as is.
	Channel       []byte
	Payload       []byte
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
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
	// Limit bounds the list (0: no bound). Alerts come newest change first.
	Limit int
}

// AlertCount is the number of firing alerts of one rule and severity.
type AlertCount struct {
	Rule     string
	Severity string
	Count    int64
}

// DeliveryFilter selects outbox entries for listing; zero fields select everything.
type DeliveryFilter struct {
	State        string
	Subscription string
	Owner        string
	AlertID      string
	// Limit bounds the list (0: no bound). Newest first.
	Limit int
}

// OutboxCounts counts the outbox by state.
type OutboxCounts struct {
	Pending int64
	Dead    int64
}

// SilenceMatcher is one condition of a silence on an alert label.
type SilenceMatcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"` // =, !=, =~, !~
	Value string `json:"value"`
}

// Silence mutes the notifications of the alerts its matchers all match, between
// StartsAt and EndsAt.
type Silence struct {
	ID        string           `json:"id"`
	Matchers  []SilenceMatcher `json:"matchers"`
	StartsAt  time.Time        `json:"starts_at"`
	EndsAt    time.Time        `json:"ends_at"`
	CreatedBy string           `json:"created_by"`
	Comment   string           `json:"comment"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// SubscriptionRecord is a subscription made through the API. Spec is its JSON with
// channel secrets in clear (package alerts encodes and decodes it).
type SubscriptionRecord struct {
	Name      string
	Owner     string
	Spec      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RepairedEvent is a repair with the event it repaired.
type RepairedEvent struct {
	EventID    string
	USCC       string
	Type       string
	RepairedAt time.Time
	DecidedBy  string
	Reason     string
	// RecordedAt is when the repair was stored (or last changed).
	RecordedAt time.Time
}

// ErrSubscriptionExists is returned by CreateSubscription for a taken name.
var ErrSubscriptionExists = errors.New("subscription already exists")

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

const outboxCols = `id, seq, alert_id, fingerprint, rule, severity, status, uscc, subscription, owner,
	channel_index, channel_type, channel_key, channel, payload, state, attempts, next_attempt_at, last_error,
	created_at, delivered_at, updated_at`

var outboxColList = strings.Fields(strings.NewReplacer(",", " ").Replace(outboxCols))

func scanOutbox(r Rows) (OutboxEntry, error) {
	var o OutboxEntry
	var channel, payload string
	var idx, attempts, next, created, updated int64
	var delivered *int64
	err := r.Scan(&o.ID, &o.Seq, &o.AlertID, &o.Fingerprint, &o.Rule, &o.Severity, &o.Status, &o.USCC,
		&o.Subscription, &o.Owner, &idx, &o.ChannelType, &o.ChannelKey, &channel, &payload, &o.State, &attempts,
		&next, &o.LastError, &created, &delivered, &updated)
	o.ChannelIndex, o.Attempts = int(idx), int(attempts)
	o.Channel, o.Payload = []byte(channel), []byte(payload)
	o.NextAttemptAt, o.CreatedAt = time.UnixMilli(next).UTC(), time.UnixMilli(created).UTC()
	o.DeliveredAt = fromMS(delivered)
	return o, err
}

// ApplyAlerts writes alert changes and their notifications in one transaction:
// either every alert row and every outbox row is written, or none is.
func (s *SQL) ApplyAlerts(ctx context.Context, ch *AlertChanges) error {
	if len(ch.Upserts)+len(ch.Notified)+len(ch.Notifications) == 0 {
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
	if len(ch.Notifications) == 0 {
		return nil
	}
	var seq int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(seq), 0) FROM alert_notifications`, nil, func(r Rows) error {
		return r.Scan(&seq)
	}); err != nil {
		return err
	}
	for i := range ch.Notifications {
		o := &ch.Notifications[i]
		seq++
		o.Seq, o.State, o.Attempts = seq, DeliveryPending, 0
		if o.CreatedAt.IsZero() {
			o.CreatedAt = ch.At
		}
		if o.NextAttemptAt.IsZero() {
			o.NextAttemptAt = o.CreatedAt
		}
	}
	return tx.Stage(ctx, "alert_notifications", outboxColList, len(ch.Notifications), func(i int, dst []any) {
		o := &ch.Notifications[i]
		dst[0], dst[1], dst[2], dst[3], dst[4] = o.ID, o.Seq, o.AlertID, o.Fingerprint, o.Rule
		dst[5], dst[6], dst[7], dst[8], dst[9] = o.Severity, o.Status, o.USCC, o.Subscription, o.Owner
		dst[10], dst[11], dst[12], dst[13], dst[14] = int64(o.ChannelIndex), o.ChannelType, o.ChannelKey, string(o.Channel), string(o.Payload)
		dst[15], dst[16], dst[17], dst[18] = o.State, int64(o.Attempts), o.NextAttemptAt.UnixMilli(), o.LastError
		dst[19], dst[20], dst[21] = o.CreatedAt.UnixMilli(), ms(o.DeliveredAt), at
	})
}

// Alerts lists alerts, the most recently changed first.
func (s *SQL) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	q := `SELECT ` + alertCols + ` FROM alerts WHERE 1=1`
	var args []any
	add := func(cond string, v any) {
		q += ` AND ` + cond
		args = append(args, v)
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

// DueNotifications returns pending notifications due at now, at most perChannel of
// each channel and limit in all. A channel whose oldest pending notification waits for
// a retry gives none: its notifications go out in order. The list takes turns between
// lanes, an owner's notifications of one channel type each — every lane's oldest
// channel head, then every lane's next one, and so on, oldest first within a turn — so
// that one owner's backlog (a tenant's hundred dead webhooks) cannot keep another's
// notifications, nor its own on other channel types, out of a read bounded by limit.
func (s *SQL) DueNotifications(ctx context.Context, now time.Time, perChannel, limit int) ([]OutboxEntry, error) {
	t := now.UnixMilli()
	var out []OutboxEntry
	// Each channel's first waiting notification is looked up once, not once per due row:
	// a correlated NOT EXISTS made a poll quadratic in the backlog on SQLite (seconds per
	// poll with a few thousand queued behind a receiver that was down). The windows sort
	// ids, keys and lanes only, and the rows picked are read afterwards: carrying
	// payloads through the sorts made a poll of 2,000 due rows 3 to 6 times slower.
	err := s.each(ctx, `SELECT `+outboxCols+` FROM (
			SELECT id AS pick, seq AS pseq, turn FROM (
				SELECT id, seq, ROW_NUMBER() OVER (PARTITION BY owner, channel_type ORDER BY rn, seq) AS turn FROM (
					SELECT n.id, n.seq, n.owner, n.channel_type, ROW_NUMBER() OVER (PARTITION BY n.channel_key ORDER BY n.seq) AS rn
					FROM alert_notifications n
					LEFT JOIN (SELECT channel_key, MIN(seq) AS seq FROM alert_notifications
						WHERE state = 'pending' AND next_attempt_at > ? GROUP BY channel_key) w ON w.channel_key = n.channel_key
					WHERE n.state = 'pending' AND n.next_attempt_at <= ? AND (w.seq IS NULL OR n.seq < w.seq)
				) due WHERE rn <= ?
			) fair ORDER BY turn, seq LIMIT ?
		) picked JOIN alert_notifications ON id = pick ORDER BY turn, pseq`, []any{t, t, perChannel, limit}, func(r Rows) error {
		o, err := scanOutbox(r)
		out = append(out, o)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	return out, nil
}

// NotificationDelivered marks a pending notification delivered (ErrNotFound when it
// is not pending).
func (s *SQL) NotificationDelivered(ctx context.Context, id string, attempts int, at time.Time) error {
	n, err := s.d.Exec(ctx, `UPDATE alert_notifications SET state = 'delivered', attempts = ?, delivered_at = ?,
		last_error = '', updated_at = ? WHERE id = ? AND state = 'pending'`, int64(attempts), at.UnixMilli(), at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("mark notification %s delivered: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("notification %s: %w", id, ErrNotFound)
	}
	return nil
}

// NotificationFailed records a failed attempt: the notification waits until next, or
// is dead (ErrNotFound when it is not pending).
func (s *SQL) NotificationFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool, at time.Time) error {
	state := DeliveryPending
	if dead {
		state = DeliveryDead
	}
	n, err := s.d.Exec(ctx, `UPDATE alert_notifications SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
		updated_at = ? WHERE id = ? AND state = 'pending'`, state, int64(attempts), next.UnixMilli(), lastError, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("record failed notification %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("notification %s: %w", id, ErrNotFound)
	}
	return nil
}

// Deliveries lists outbox entries, newest first.
func (s *SQL) Deliveries(ctx context.Context, f DeliveryFilter) ([]OutboxEntry, error) {
	q := `SELECT ` + outboxCols + ` FROM alert_notifications WHERE 1=1`
	var args []any
	for _, c := range []struct{ col, v string }{{"state", f.State}, {"subscription", f.Subscription},
		{"owner", f.Owner}, {"alert_id", f.AlertID}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	q += ` ORDER BY seq DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []OutboxEntry
	err := s.each(ctx, q, args, func(r Rows) error {
		o, err := scanOutbox(r)
		out = append(out, o)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// OutboxCounts counts pending and dead notifications.
func (s *SQL) OutboxCounts(ctx context.Context) (OutboxCounts, error) {
	var c OutboxCounts
	err := s.each(ctx, `SELECT
		(SELECT COUNT(*) FROM alert_notifications WHERE state = 'pending'),
		(SELECT COUNT(*) FROM alert_notifications WHERE state = 'dead')`, nil, func(r Rows) error {
		return r.Scan(&c.Pending, &c.Dead)
	})
	if err != nil {
		return c, fmt.Errorf("count outbox: %w", err)
	}
	return c, nil
}

// PruneNotifications deletes delivered notifications created before delivered, and
// dead ones created before dead; it returns how many went.
func (s *SQL) PruneNotifications(ctx context.Context, delivered, dead time.Time) (int64, error) {
	n, err := s.d.Exec(ctx, `DELETE FROM alert_notifications WHERE (state = 'delivered' AND created_at < ?)
		OR (state = 'dead' AND created_at < ?)`, delivered.UnixMilli(), dead.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", err)
	}
	return n, nil
}

const silenceCols = `id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at`

func scanSilence(r Rows) (Silence, error) {
	var sl Silence
	var matchers string
	var starts, ends, created, updated int64
	if err := r.Scan(&sl.ID, &matchers, &starts, &ends, &sl.CreatedBy, &sl.Comment, &created, &updated); err != nil {
		return sl, err
	}
	sl.StartsAt, sl.EndsAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC()
	sl.CreatedAt, sl.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if err := json.Unmarshal([]byte(matchers), &sl.Matchers); err != nil {
		return sl, fmt.Errorf("silence %s: matchers: %w", sl.ID, err)
	}
	return sl, nil
}

// CreateSilence records a silence, assigning its ID (when empty) and times.
func (s *SQL) CreateSilence(ctx context.Context, sl *Silence) error {
	if sl.ID == "" {
		sl.ID = NewID()
	}
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = s.now()
	}
	sl.UpdatedAt = sl.CreatedAt
	if sl.Matchers == nil {
		sl.Matchers = []SilenceMatcher{}
	}
	m, err := json.Marshal(sl.Matchers)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if _, err := s.d.Exec(ctx, `INSERT INTO silences (`+silenceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sl.ID, string(m), sl.StartsAt.UnixMilli(), sl.EndsAt.UnixMilli(), sl.CreatedBy, sl.Comment,
		sl.CreatedAt.UnixMilli(), sl.UpdatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

// Silences lists every silence, expired ones included, latest end first.
func (s *SQL) Silences(ctx context.Context) ([]Silence, error) {
	return s.silences(ctx, ``, nil)
}

func (s *SQL) silences(ctx context.Context, where string, args []any) ([]Silence, error) {
	var out []Silence
	err := s.each(ctx, `SELECT `+silenceCols+` FROM silences `+where+` ORDER BY ends_at DESC, id`, args,
		func(r Rows) error {
			sl, err := scanSilence(r)
			out = append(out, sl)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return out, nil
}

// Silence returns one silence, or ErrNotFound.
func (s *SQL) Silence(ctx context.Context, id string) (*Silence, error) {
	list, err := s.silences(ctx, `WHERE id = ?`, []any{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("silence %s: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// ExpireSilence ends a silence at at (or keeps its earlier end), or returns ErrNotFound.
func (s *SQL) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	if _, err := s.d.Exec(ctx, `UPDATE silences SET ends_at = ?, updated_at = ? WHERE id = ? AND ends_at > ?`,
		at.UnixMilli(), at.UnixMilli(), id, at.UnixMilli()); err != nil {
		return fmt.Errorf("expire silence %s: %w", id, err)
	}
	_, err := s.Silence(ctx, id)
	return err
}

const subscriptionCols = `name, owner, spec, created_at, updated_at`

// CreateSubscription records a subscription (ErrSubscriptionExists for a taken
// name), stamping its times when zero.
func (s *SQL) CreateSubscription(ctx context.Context, sub *SubscriptionRecord) error {
	if sub.Name == "" {
		return errors.New("create subscription: name is required")
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = s.now()
	}
	sub.UpdatedAt = sub.CreatedAt
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var taken int64
	if err := eachRow(ctx, tx, `SELECT COUNT(*) FROM subscriptions WHERE name = ?`, []any{sub.Name},
		func(r Rows) error { return r.Scan(&taken) }); err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	if taken > 0 {
		return fmt.Errorf("create subscription %q: %w", sub.Name, ErrSubscriptionExists)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO subscriptions (`+subscriptionCols+`) VALUES (?, ?, ?, ?, ?)`,
		sub.Name, sub.Owner, string(sub.Spec), sub.CreatedAt.UnixMilli(), sub.UpdatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	return nil
}

// UpdateSubscription replaces a subscription's owner and spec (ErrNotFound).
func (s *SQL) UpdateSubscription(ctx context.Context, sub *SubscriptionRecord) error {
	sub.UpdatedAt = s.now()
	n, err := s.d.Exec(ctx, `UPDATE subscriptions SET owner = ?, spec = ?, updated_at = ? WHERE name = ?`,
		sub.Owner, string(sub.Spec), sub.UpdatedAt.UnixMilli(), sub.Name)
	if err != nil {
		return fmt.Errorf("update subscription %q: %w", sub.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("subscription %q: %w", sub.Name, ErrNotFound)
	}
	got, err := s.Subscription(ctx, sub.Name)
	if err != nil {
		return err
	}
	sub.CreatedAt = got.CreatedAt
	return nil
}

// DeleteSubscription deletes a subscription (ErrNotFound). Its pending notifications
// are still delivered: they carry their channel.
func (s *SQL) DeleteSubscription(ctx context.Context, name string) error {
	n, err := s.d.Exec(ctx, `DELETE FROM subscriptions WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete subscription %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("subscription %q: %w", name, ErrNotFound)
	}
	return nil
}

func (s *SQL) subscriptions(ctx context.Context, where string, args []any) ([]SubscriptionRecord, error) {
	var out []SubscriptionRecord
	err := s.each(ctx, `SELECT `+subscriptionCols+` FROM subscriptions `+where+` ORDER BY name`, args,
		func(r Rows) error {
			var sub SubscriptionRecord
			var spec string
			var created, updated int64
			err := r.Scan(&sub.Name, &sub.Owner, &spec, &created, &updated)
			sub.Spec = []byte(spec)
			sub.CreatedAt, sub.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
			out = append(out, sub)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// Subscriptions lists the stored subscriptions by name.
func (s *SQL) Subscriptions(ctx context.Context) ([]SubscriptionRecord, error) {
	return s.subscriptions(ctx, ``, nil)
}

// Subscription returns one stored subscription, or ErrNotFound.
func (s *SQL) Subscription(ctx context.Context, name string) (*SubscriptionRecord, error) {
	list, err := s.subscriptions(ctx, `WHERE name = ?`, []any{name})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("subscription %q: %w", name, ErrNotFound)
	}
	return &list[0], nil
}

// RepairsSince returns the repairs stored (or changed) after t, oldest first, with
// the firm and type of the event each repaired.
func (s *SQL) RepairsSince(ctx context.Context, t time.Time) ([]RepairedEvent, error) {
	var out []RepairedEvent
	err := s.each(ctx, `SELECT r.event_id, e.uscc, e.type, r.repaired_at, r.decided_by, r.reason, r.updated_at
		FROM repairs r JOIN events e ON e.event_id = r.event_id WHERE r.updated_at > ?
		ORDER BY r.updated_at, r.event_id`, []any{t.UnixMilli()}, func(r Rows) error {
		var re RepairedEvent
		var repaired, recorded int64
		err := r.Scan(&re.EventID, &re.USCC, &re.Type, &repaired, &re.DecidedBy, &re.Reason, &recorded)
		re.RepairedAt, re.RecordedAt = time.UnixMilli(repaired).UTC(), time.UnixMilli(recorded).UTC()
		out = append(out, re)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("repairs since %s: %w", t.Format(time.RFC3339), err)
	}
	return out, nil
}
