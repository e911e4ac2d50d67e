package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DigestItem is one alert change held for a digest subscription's next digest
// (docs/alerts.md, "Digests"): ApplyAlerts writes it with the change, ApplyDigest
// consumes it.
type DigestItem struct {
	// Seq orders the items; the store assigns it.
	Seq          int64
	Subscription string
	// Owner is the subscription's tenant ('' for admin-made and config subscriptions).
	Owner       string
	AlertID     string
	Fingerprint string
	Rule        string
	Severity    string
	Status      string // firing | resolved
	USCC        string
	// Payload is the notification of the change, worded for the subscription (package
	// alerts encodes it as the outbox does).
	Payload   []byte
	CreatedAt time.Time
}

// DigestMark is where a subscription's digests stand: when its last digest was due
// (zero: never) and what is held for the next one.
type DigestMark struct {
	Subscription string
	LastAt       time.Time
	// Pending counts the items held; FirstAt is the oldest one's time (zero when none).
	Pending int64
	FirstAt time.Time
}

// Digest is one digest of one subscription, written by ApplyDigest in one
// transaction: its messages go to the outbox, the items it lists are consumed, and
// At becomes the subscription's last digest time.
type Digest struct {
	Subscription string
	At           time.Time
	// Through consumes the subscription's items with Seq <= Through (0: none).
	Through int64
	// Notifications are appended to the outbox as AlertChanges.Notifications are.
	Notifications []OutboxEntry
	// Drop forgets the subscription instead of recording At (it was deleted, or gets
	// no more digests): all its items and its last digest time go; Notifications, if
	// any, are still appended.
	Drop bool
}

const digestItemCols = `seq, subscription, owner, alert_id, fingerprint, rule, severity, status, uscc, payload, created_at`

var digestItemColList = strings.Fields(strings.NewReplacer(",", " ").Replace(digestItemCols))

// DigestMarks lists every subscription that has a last digest time or held items, by
// name.
func (s *SQL) DigestMarks(ctx context.Context) ([]DigestMark, error) {
	var out []DigestMark
	err := s.each(ctx, `SELECT subscription, MAX(last_at), CAST(SUM(pending) AS BIGINT), MIN(first_at) FROM (
			SELECT subscription, last_at, 0 AS pending, NULL AS first_at FROM alert_digests
			UNION ALL
			SELECT subscription, NULL, COUNT(*), MIN(created_at) FROM alert_digest_items GROUP BY subscription
		) marks GROUP BY subscription ORDER BY subscription`, nil, func(r Rows) error {
		var m DigestMark
		var last, first *int64
		if err := r.Scan(&m.Subscription, &last, &m.Pending, &first); err != nil {
			return err
		}
		m.LastAt, m.FirstAt = fromMS(last), fromMS(first)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest marks: %w", err)
	}
	return out, nil
}

// DigestItems lists the items held for a subscription, in order.
func (s *SQL) DigestItems(ctx context.Context, subscription string) ([]DigestItem, error) {
	var out []DigestItem
	err := s.each(ctx, `SELECT `+digestItemCols+` FROM alert_digest_items WHERE subscription = ? ORDER BY seq`,
		[]any{subscription}, func(r Rows) error {
			var it DigestItem
			var payload string
			var created int64
			err := r.Scan(&it.Seq, &it.Subscription, &it.Owner, &it.AlertID, &it.Fingerprint, &it.Rule, &it.Severity,
				&it.Status, &it.USCC, &payload, &created)
			it.Payload, it.CreatedAt = []byte(payload), time.UnixMilli(created).UTC()
			out = append(out, it)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("digest items of %q: %w", subscription, err)
	}
	return out, nil
}

// ApplyDigest writes a digest in one transaction (fenced, as alert changes are):
// its notifications, the consumption of its items and its time, or with Drop the
// subscription's forgetting. The drop of a subscription that holds nothing is a
// no-op.
func (s *SQL) ApplyDigest(ctx context.Context, d *Digest) error {
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return fmt.Errorf("apply digest of %q: %w", d.Subscription, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := s.applyDigest(ctx, tx, d); err != nil {
		return fmt.Errorf("apply digest of %q: %w", d.Subscription, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("apply digest of %q: %w", d.Subscription, err)
	}
	return nil
}

func (s *SQL) applyDigest(ctx context.Context, tx Tx, d *Digest) error {
	if d.Drop {
		for _, q := range []string{`DELETE FROM alert_digest_items WHERE subscription = ?`,
			`DELETE FROM alert_digests WHERE subscription = ?`} {
			if _, err := tx.Exec(ctx, q, d.Subscription); err != nil {
				return err
			}
		}
		return insertNotifications(ctx, tx, d.At, d.Notifications)
	}
	if d.Through > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM alert_digest_items WHERE subscription = ? AND seq <= ?`,
			d.Subscription, d.Through); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_digests (subscription, last_at) VALUES (?, ?)
		ON CONFLICT (subscription) DO UPDATE SET last_at = excluded.last_at`, d.Subscription, d.At.UnixMilli()); err != nil {
		return err
	}
	return insertNotifications(ctx, tx, d.At, d.Notifications)
}

// appendDigestItems holds items for their subscriptions' next digests, assigning
// their Seq (and CreatedAt = at when zero).
func appendDigestItems(ctx context.Context, tx Tx, items []DigestItem, at time.Time) error {
	if len(items) == 0 {
		return nil
	}
	var seq int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(seq), 0) FROM alert_digest_items`, nil, func(r Rows) error {
		return r.Scan(&seq)
	}); err != nil {
		return err
	}
	for i := range items {
		seq++
		items[i].Seq = seq
		if items[i].CreatedAt.IsZero() {
			items[i].CreatedAt = at
		}
	}
	return tx.Stage(ctx, "alert_digest_items", digestItemColList, len(items), func(i int, dst []any) {
		it := &items[i]
		dst[0], dst[1], dst[2], dst[3], dst[4] = it.Seq, it.Subscription, it.Owner, it.AlertID, it.Fingerprint
		dst[5], dst[6], dst[7], dst[8] = it.Rule, it.Severity, it.Status, it.USCC
		dst[9], dst[10] = string(it.Payload), it.CreatedAt.UnixMilli()
	})
}
