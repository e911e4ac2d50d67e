package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SubscriptionRecord is a subscription made through the API. Spec is its JSON with
// channel secrets in clear (package alerts encodes and decodes it).
type SubscriptionRecord struct {
	Name      string
	Owner     string
	Spec      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ErrSubscriptionExists is returned by CreateSubscription for a taken name.
var ErrSubscriptionExists = errors.New("subscription already exists")

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

// DeleteSubscription deletes a subscription (ErrNotFound) and the record of its
// snapshot, so that a new subscription of the same name is sent one. Its pending
// notifications are still delivered: they carry their channel.
func (s *SQL) DeleteSubscription(ctx context.Context, name string) error {
	tx, err := s.d.Begin(ctx, false)
	if err != nil {
		return fmt.Errorf("delete subscription %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	n, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete subscription %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("subscription %q: %w", name, ErrNotFound)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM subscription_snapshots WHERE name = ?`, name); err != nil {
		return fmt.Errorf("delete subscription %q: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("delete subscription %q: %w", name, err)
	}
	return nil
}

// SaveSnapshot enqueues the notifications of a subscription's snapshot and records
// it sent at at, in one transaction. With once, a subscription whose snapshot was
// recorded before is left alone: nothing is written and the answer is false, so that
// two replicas (or the API and the leader) racing to send the same first snapshot
// send it once. Any replica may call it, the API sending snapshots too, so the write
// is not fenced: a follower's snapshot may take the same seq as a notification the
// leader writes at that moment, which only leaves their order to each other open.
func (s *SQL) SaveSnapshot(ctx context.Context, name string, at time.Time, notifications []OutboxEntry, once bool) (bool, error) {
	tx, err := s.d.Begin(ctx, false)
	if err != nil {
		return false, fmt.Errorf("save snapshot of %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := `INSERT INTO subscription_snapshots (name, sent_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET sent_at = excluded.sent_at`
	if once {
		q = `INSERT INTO subscription_snapshots (name, sent_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`
	}
	n, err := tx.Exec(ctx, q, name, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("save snapshot of %q: %w", name, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := insertNotifications(ctx, tx, at, notifications); err != nil {
		return false, fmt.Errorf("save snapshot of %q: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("save snapshot of %q: %w", name, err)
	}
	return true, nil
}

// SnapshotsSent returns when each recorded subscription's snapshot was last sent, by
// name.
func (s *SQL) SnapshotsSent(ctx context.Context) (map[string]time.Time, error) {
	out := make(map[string]time.Time)
	err := s.each(ctx, `SELECT name, sent_at FROM subscription_snapshots`, nil, func(r Rows) error {
		var name string
		var at int64
		err := r.Scan(&name, &at)
		out[name] = time.UnixMilli(at).UTC()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
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
