package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

const (
	// resolvedRefresh is how long resolved alerts keep being re-posted to
	// Alertmanager, as Prometheus does.
	resolvedRefresh = 15 * time.Minute
	// refreshBatch bounds the alerts of one POST to Alertmanager.
	refreshBatch = 500
	// Outbox retention: delivered notifications are pruned after a week, dead ones
	// after a month.
	keepDelivered = 7 * 24 * time.Hour
	keepDead      = 30 * 24 * time.Hour
	pruneEvery    = time.Hour
)

// Resend is the resend_alerts job (every minute by default), run on the leader with
// the latest state:
//   - repeats: firing alerts neither acknowledged nor quiet whose last notification
//     is older than alerts.repeat_interval are notified again (through the outbox;
//     Alertmanager channels excepted, see below); alerts not yet announced because
//     every subscriber was silenced are announced once a silence no longer holds them;
//   - Alertmanager: every announced firing alert is re-posted to the Alertmanager
//     channels that take it, with endsAt = now + 4 × the resend interval, and
//     resolved ones for 15 minutes, as Prometheus does — directly, not through the
//     outbox: a lost refresh is made good by the next one;
//   - the outbox's old delivered and dead notifications are pruned.
func (m *Manager) Resend(ctx context.Context, state *monitor.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if state == nil {
		return nil // no scan yet: nothing to place alerts in
	}
	cfg := m.cfg()
	now := m.clock.Now()
	subs, err := m.subscribers(ctx, cfg)
	if err != nil {
		return err
	}
	sil, err := m.activeSilences(ctx, now)
	if err != nil {
		return fmt.Errorf("alerts: silences: %w", err)
	}
	ms, err := m.loadMutes(ctx)
	if err != nil {
		return err
	}
	r := &router{m: m, cfg: cfg, subs: subs, sil: sil, mutes: ms, states: []*monitor.State{state}}
	if err := m.repeat(ctx, cfg, r, now); err != nil {
		return err
	}
	refreshErr := m.refreshAlertmanagers(ctx, r, now)
	if now.Sub(m.pruned) >= pruneEvery {
		if n, err := m.db.PruneNotifications(ctx, now.Add(-keepDelivered), now.Add(-keepDead)); err != nil {
			m.log.Warn("outbox: pruning failed", "err", err)
		} else {
			m.pruned = now
			if n > 0 {
				m.log.Info("outbox pruned", "notifications", n)
			}
		}
	}
	return refreshErr
}

// repeat enqueues the repeats due.
func (m *Manager) repeat(ctx context.Context, cfg *config.Config, r *router, now time.Time) error {
	every := cfg.Alerts.RepeatInterval
	if every <= 0 {
		return nil
	}
	due, err := m.db.Alerts(ctx, store.AlertFilter{RepeatDue: now.Add(-every)})
	if err != nil {
		return fmt.Errorf("alerts: repeats: %w", err)
	}
	ch := &store.AlertChanges{At: now}
	var notified []*store.Alert
	for i := range due {
		a := &due[i]
		if r := ruleNamed(a.Rule); r != nil && (r.oneOff || (r.noRepeat && !a.NotifiedAt.IsZero())) {
			continue // announced once (one held back by a silence is announced still)
		}
		c, err := decodeAlert(*a)
		if err != nil {
			return err
		}
		res, err := r.route(notice{a: a, det: c.det, status: notify.StatusFiring, repeat: !a.NotifiedAt.IsZero(), skipAcked: true})
		if err != nil {
			return err
		}
		if res.channels > 0 || res.silenced == 0 {
			ch.Notified = append(ch.Notified, a.ID)
			notified = append(notified, a)
		}
	}
	if ch.Notifications, ch.DigestItems, err = r.flush(); err != nil {
		return err
	}
	if err := m.db.ApplyAlerts(ctx, ch); err != nil {
		return fmt.Errorf("alerts: repeats: %w", err)
	}
	for _, a := range notified {
		if cur := m.firing.get(a.Rule, a.Fingerprint); cur != nil {
			cp := *cur
			cp.NotifiedAt = now
			m.firing.put(&cp)
		}
	}
	if len(ch.Notifications) > 0 {
		m.log.Info("alerts repeated", "alerts", len(notified), "notifications", len(ch.Notifications))
		if m.worker != nil {
			m.worker.Wake()
		}
	}
	return nil
}

// refreshed says whether a channel type has the announced alerts re-posted by the
// resend job (Alertmanager's model), so that repeats leave it out.
func refreshed(typ string) bool {
	k, _ := notify.Lookup(typ)
	return k.Refreshed
}

// refreshAlertmanagers re-posts the announced alerts to the Alertmanager channels.
func (m *Manager) refreshAlertmanagers(ctx context.Context, r *router, now time.Time) error {
	if m.worker == nil {
		return nil
	}
	var subs []*subscriber
	for _, s := range r.subs {
		for _, ch := range s.Channels {
			if refreshed(ch.Type) {
				subs = append(subs, s)
				break
			}
		}
	}
	if len(subs) == 0 {
		return nil
	}
	firing, err := m.db.Alerts(ctx, store.AlertFilter{State: store.AlertFiring, Announced: true})
	if err != nil {
		return fmt.Errorf("alerts: refresh: %w", err)
	}
	resolved, err := m.db.Alerts(ctx, store.AlertFilter{ResolvedSince: now.Add(-resolvedRefresh), Announced: true})
	if err != nil {
		return fmt.Errorf("alerts: refresh: %w", err)
	}
	type batch struct {
		ch    config.Channel
		owner string // a tenant's batch goes through the guarded client
		ns    []*notify.Notification
	}
	batches := make(map[string]*batch)
	var keys []string
	for _, a := range append(firing, resolved...) {
		c, err := decodeAlert(a)
		if err != nil {
			return err
		}
		status := notify.StatusFiring
		if a.State == store.AlertResolved {
			status = notify.StatusResolved
		}
		for _, s := range subs {
			n, _ := r.notification(s, &c.Alert, &c.det, status, false)
			if n == nil {
				continue
			}
			n.ID = "refresh-" + a.ID
			for _, ch := range s.Channels {
				if !refreshed(ch.Type) {
					continue
				}
				k := specOf(ch).key()
				if s.Owner != "" {
					k += "\x00" + s.Owner
				}
				if batches[k] == nil {
					batches[k] = &batch{ch: ch, owner: s.Owner}
					keys = append(keys, k)
				}
				batches[k].ns = append(batches[k].ns, n)
			}
		}
	}
	var failed int
	for _, k := range keys {
		b := batches[k]
		nt, err := m.worker.notifier(k, b.ch, b.owner)
		if err != nil {
			failed += len(b.ns)
			m.log.Warn("alertmanager refresh: channel refused", "err", err)
			continue
		}
		for start := 0; start < len(b.ns); start += refreshBatch {
			part := b.ns[start:min(start+refreshBatch, len(b.ns))]
			ok := true
			for _, res := range nt.Send(ctx, part) {
				if !res.OK() {
					ok = false
					m.log.Warn("alertmanager refresh failed", "err", res.Err)
					break
				}
			}
			m.worker.o.Metrics.refreshed(ok, len(part))
			if !ok {
				failed += len(part)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("alerts: %d alerts not re-posted to Alertmanager", failed)
	}
	return nil
}
