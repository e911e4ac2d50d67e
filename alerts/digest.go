package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Digests (docs/alerts.md, "Digests"). A digest subscription's message whose alerts
// are all below its realtime_min_severity is not sent: routing holds its alerts as
// digest items, written in the transaction of the alert change as notifications are;
// a message with one alert at or above it goes out at once, whole. Repeats below it
// are dropped: a digest subscriber hears of an alert in the digest of the period it
// changed in, not again every repeat_interval. The send_digests job writes each
// subscription's digest when its digest_at has come since its last one: one message
// per channel listing the items in order, written with the items' consumption and
// the digest's time in one transaction, so that a restart neither loses nor repeats a
// period.

// held says whether a message waits for its subscription's digest: a digest
// subscription's, all of whose alerts are below its realtime_min_severity.
func (msg *message) held() bool {
	if msg.sub.digest == nil {
		return false
	}
	for _, it := range msg.items {
		if severityRank(it.n.Severity) >= msg.sub.realtimeRank {
			return false
		}
	}
	return true
}

// digestItems are the digest items of a held message: its alerts but the repeats.
func digestItems(msg *message) ([]store.DigestItem, error) {
	var out []store.DigestItem
	for _, it := range msg.items {
		if it.repeat {
			continue
		}
		payload, err := encodeNotification(it.n)
		if err != nil {
			return nil, fmt.Errorf("alerts: digest item of %s: %w", it.a.Fingerprint, err)
		}
		out = append(out, store.DigestItem{Subscription: msg.sub.Name, Owner: msg.sub.Owner, AlertID: it.a.ID,
			Fingerprint: it.a.Fingerprint, Rule: it.a.Rule, Severity: it.n.Severity, Status: it.n.Status,
			USCC: it.a.USCC, Payload: payload})
	}
	return out, nil
}

// SendDigests is the send_digests job (every minute by default), run on the leader:
// every digest subscription whose digest_at came since its last digest (or, before its
// first, since its oldest item) gets its digest — nothing when the period held
// nothing, but the period ends all the same. A subscription that became realtime gets
// what it still holds at once, in a last digest; the items of a deleted subscription
// are dropped. One subscription's failure does not keep the others' digests back.
func (m *Manager) SendDigests(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg := m.cfg()
	now := m.clock.Now()
	all, err := m.allSubscriptions(ctx, cfg)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(all))
	for _, s := range all {
		known[s.Name] = true
	}
	subs := make(map[string]*subscriber)
	for _, s := range m.prepare(cfg, all) {
		subs[s.Name] = s
	}
	marks, err := m.db.DigestMarks(ctx)
	if err != nil {
		return fmt.Errorf("alerts: digests: %w", err)
	}
	var errs []error
	var sent, digests int
	for _, mk := range marks {
		n, err := m.sendDigest(ctx, mk, subs[mk.Subscription], known[mk.Subscription], now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 {
			sent += n
			digests++
		}
	}
	if sent > 0 {
		m.log.Info("digests sent", "subscriptions", digests, "notifications", sent)
		if m.worker != nil {
			m.worker.Wake()
		}
	}
	return errors.Join(errs...)
}

// sendDigest writes one subscription's digest when it is due, and returns how many
// messages it wrote. sub is nil for a subscription that does not exist (known false)
// or that the config in force refuses (its items wait).
func (m *Manager) sendDigest(ctx context.Context, mk store.DigestMark, sub *subscriber, known bool, now time.Time) (int, error) {
	switch {
	case !known:
		if err := m.db.ApplyDigest(ctx, &store.Digest{Subscription: mk.Subscription, At: now, Drop: true}); err != nil {
			return 0, fmt.Errorf("alerts: %w", err)
		}
		if mk.Pending > 0 {
			m.log.Info("digest items dropped: the subscription was deleted", "subscription", mk.Subscription, "items", mk.Pending)
		}
		return 0, nil
	case sub == nil:
		return 0, nil
	}
	last := sub.digest == nil // realtime now: what it holds goes out at once
	if !last {
		base := mk.LastAt
		if base.IsZero() {
			base = mk.FirstAt
		}
		if next := sub.digest.Next(base); next.IsZero() || next.After(now) {
			return 0, nil
		}
	}
	d := &store.Digest{Subscription: sub.Name, At: now, Drop: last}
	if mk.Pending > 0 {
		items, err := m.db.DigestItems(ctx, sub.Name)
		if err != nil {
			return 0, fmt.Errorf("alerts: %w", err)
		}
		if len(items) > 0 {
			start := mk.LastAt
			if start.IsZero() {
				start = firstPeriodStart(sub.Digest, items[0].CreatedAt, now)
			}
			d.Through = items[len(items)-1].Seq
			if d.Notifications, err = digestMessages(sub, items, start, now); err != nil {
				return 0, err
			}
		}
	}
	if err := m.db.ApplyDigest(ctx, d); err != nil {
		return 0, fmt.Errorf("alerts: %w", err)
	}
	return len(d.Notifications), nil
}

// firstPeriodStart is where a subscription's first digest starts: a whole period
// (an hour, a day, a week) before it, so that a first daily digest is the day's like
// every other, or earlier when the oldest change it lists is older.
func firstPeriodStart(kind string, oldest, now time.Time) time.Time {
	var p time.Duration
	switch kind {
	case config.DigestHourly:
		p = time.Hour
	case config.DigestDaily:
		p = 24 * time.Hour
	case config.DigestWeekly:
		p = 7 * 24 * time.Hour
	}
	if p > 0 && now.Add(-p).Before(oldest) {
		return now.Add(-p)
	}
	return oldest
}

// digestMessages are a digest's outbox entries: one per channel of sub (Alertmanager
// channels excepted: the resend job keeps them up to date with every alert), listing
// the items in order. An entry's severity is the most severe item's, and its status
// firing when an item fired.
func digestMessages(sub *subscriber, items []store.DigestItem, start, end time.Time) ([]store.OutboxEntry, error) {
	group := make([]*notify.Notification, len(items))
	severity, status := config.AlertInfo, notify.StatusResolved
	for i, it := range items {
		n, err := decodeNotification(it.Payload)
		if err != nil {
			return nil, fmt.Errorf("alerts: digest of %s: item %d: %w", sub.Name, it.Seq, err)
		}
		group[i] = n
		if severityRank(n.Severity) > severityRank(severity) {
			severity = n.Severity
		}
		if n.Status == notify.StatusFiring {
			status = notify.StatusFiring
		}
	}
	var out []store.OutboxEntry
	for i, ch := range sub.Channels {
		if refreshed(ch.Type) {
			continue
		}
		n := &notify.Notification{ID: store.NewID(), Kind: notify.KindDigest, Subscription: sub.Name,
			Language: sub.Language, Group: group, PeriodStart: start, PeriodEnd: end}
		e, err := outboxEntry(n, &store.Alert{}, sub.Owner, i, ch)
		if err != nil {
			return nil, fmt.Errorf("alerts: digest of %s: %w", sub.Name, err)
		}
		e.Severity, e.Status = severity, status
		for _, it := range items {
			if !slices.Contains(e.AlertIDs, it.AlertID) {
				e.AlertIDs = append(e.AlertIDs, it.AlertID)
			}
		}
		out = append(out, e)
	}
	return out, nil
}
