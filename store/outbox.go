package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Outbox (notification) states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// OutboxEntry is one notification to one channel of one subscription.
type OutboxEntry struct {
	ID      string
	Seq     int64
	AlertID string
	// AlertIDs are the ids of every alert the message carries, AlertID's first when it
	// has one (a snapshot or a digest has none).
	AlertIDs    []string
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

// DeliveryFilter selects outbox entries for listing; zero fields select everything.
type DeliveryFilter struct {
	State        string
	Subscription string
	Owner        string
	AlertID      string
	// BeforeSeq keeps the entries whose seq is below it (0: all): the next page.
	BeforeSeq int64
	// Limit bounds the list (0: no bound). Newest first.
	Limit int
}

// OutboxCounts counts the outbox by state.
type OutboxCounts struct {
	Pending int64
	Dead    int64
}

const outboxCols = `id, seq, alert_id, fingerprint, rule, severity, status, uscc, subscription, owner,
	channel_index, channel_type, channel_key, channel, payload, state, attempts, next_attempt_at, last_error,
	created_at, delivered_at, updated_at, alert_ids`

var outboxColList = strings.Fields(strings.NewReplacer(",", " ").Replace(outboxCols))

func scanOutbox(r Rows) (OutboxEntry, error) {
	var o OutboxEntry
	var channel, payload, ids string
	var idx, attempts, next, created, updated int64
	var delivered *int64
	err := r.Scan(&o.ID, &o.Seq, &o.AlertID, &o.Fingerprint, &o.Rule, &o.Severity, &o.Status, &o.USCC,
		&o.Subscription, &o.Owner, &idx, &o.ChannelType, &o.ChannelKey, &channel, &payload, &o.State, &attempts,
		&next, &o.LastError, &created, &delivered, &updated, &ids)
	o.AlertIDs = strings.Fields(ids)
	o.ChannelIndex, o.Attempts = int(idx), int(attempts)
	o.Channel, o.Payload = []byte(channel), []byte(payload)
	o.NextAttemptAt, o.CreatedAt = time.UnixMilli(next).UTC(), time.UnixMilli(created).UTC()
	o.DeliveredAt = fromMS(delivered)
	return o, err
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
		{"owner", f.Owner}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.AlertID != "" {
		// Rows written before messages carried several alerts have no alert_ids.
		q += ` AND (alert_id = ? OR alert_ids LIKE ?)`
		args = append(args, f.AlertID, "% "+f.AlertID+" %")
	}
	if f.BeforeSeq > 0 {
		q += ` AND seq < ?`
		args = append(args, f.BeforeSeq)
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
