package alerts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// Snapshot on subscribe (docs/alerts.md). A new subscription is sent one message
// (notify.KindSnapshot) listing the alerts already firing in its scope, each worded
// for it as routing words an alert (router.notification: its rules, min_severity,
// scope, and its owner's view), most severe first, then by firm. Quiet alerts (a
// baseline's) and acknowledged ones are listed: they are open. Silenced alerts and
// those the owner's audience muted are not: a silence and an irrelevant verdict say
// not to tell these subscribers. An empty list is still sent, saying that nothing is
// open. One outbox entry goes to each channel of the subscription but Alertmanager's:
// the resend job re-posts the announced alerts to Alertmanager itself.
//
// A subscription made through the API is sent its snapshot on creation; one of the
// config file (at start or after a reload) on the leader after the next scan, and by
// the resend job; either only when the store records none for its name, and the
// snapshot is recorded with its notifications in one transaction, so that it is sent
// once across restarts and replicas. POST /api/v1/subscriptions/{name}/snapshot sends
// one again on demand.

// ErrNoState is returned for a snapshot asked before the first scan: there is no
// state to place alerts in yet.
var ErrNoState = errors.New("no scan has finished yet: the alerts cannot be placed in the subscription's scope")

// ErrSubscriptionUnusable is returned for a snapshot of a stored subscription that
// the config in force refuses (its host left the allow-list, say): it is sent
// nothing, snapshots included.
var ErrSubscriptionUnusable = errors.New("the config in force refuses the subscription: it is sent nothing")

// SnapshotResult is what sending a snapshot gave.
type SnapshotResult struct {
	Subscription string `json:"subscription"`
	// Alerts is the number of alerts the snapshot lists.
	Alerts int `json:"alerts"`
	// Notifications are the ids of its outbox entries, one per channel (Alertmanager's
	// excepted): GET /api/v1/deliveries lists them.
	Notifications []string `json:"notifications"`
}

// Snapshot sends the snapshot of subscription name now, placed in state: on demand,
// whether or not one was sent before. The caller (tenant as, or "" for staff) must
// see the subscription (else store.ErrNotFound); what the snapshot lists is what the
// subscription's owner may see, whoever asks.
func (m *Manager) Snapshot(ctx context.Context, as, name string, state *monitor.State) (*SnapshotResult, error) {
	if _, err := m.Subscription(ctx, as, name); err != nil {
		return nil, err
	}
	res, _, err := m.sendSnapshot(ctx, name, state, false)
	return res, err
}

// FirstSnapshot sends the snapshot of a subscription just made, unless one was
// recorded for its name; sent says whether it was. Before the first scan
// (ErrNoState) the leader sends it after that scan (SnapshotsDue).
func (m *Manager) FirstSnapshot(ctx context.Context, name string, state *monitor.State) (res *SnapshotResult, sent bool, err error) {
	return m.sendSnapshot(ctx, name, state, true)
}

// SnapshotsDue sends their first snapshot to the subscriptions (the config file's
// and stored ones) that have none recorded. The leader runs it after every scan
// (ObserveSnapshots) and with the resend job, so that a subscription added to the
// config file is sent its snapshot after a reload too.
func (m *Manager) SnapshotsDue(ctx context.Context, state *monitor.State) error {
	if state == nil {
		return nil
	}
	all, err := m.allSubscriptions(ctx, m.cfg())
	if err != nil {
		return err
	}
	// Once every subscription is known to have had its snapshot, as after the first
	// scans, a scan reads no more than the evaluation read already.
	if !slices.ContainsFunc(all, func(s Subscription) bool { _, ok := m.snapshotted.Load(s.Name); return !ok }) {
		return nil
	}
	sent, err := m.db.SnapshotsSent(ctx)
	if err != nil {
		return fmt.Errorf("alerts: snapshots: %w", err)
	}
	var errs []error
	for _, s := range all {
		if _, ok := sent[s.Name]; ok {
			m.snapshotted.Store(s.Name, true)
			continue
		}
		_, _, err := m.sendSnapshot(ctx, s.Name, state, true)
		switch {
		case err == nil:
			m.snapshotted.Store(s.Name, true) // sent now, or by another replica meanwhile
		case !errors.Is(err, ErrSubscriptionUnusable):
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ObserveSnapshots is an engine observer, registered after Observe so that the
// snapshots list what the scan fired (a first scan's baseline included): it sends the
// snapshots due (SnapshotsDue). A failure is logged, not returned: the scan stands,
// and the next scan or resend job tries again.
func (m *Manager) ObserveSnapshots(ctx context.Context, _, next *monitor.State, _ *store.Scan) error {
	if err := m.SnapshotsDue(ctx, next); err != nil {
		m.log.Warn("snapshots not sent; the next scan or resend job tries again", "err", err)
	}
	return nil
}

// sendSnapshot builds the snapshot of subscription name in state and saves it with
// its notifications (with once, only if none was recorded: sent false otherwise).
func (m *Manager) sendSnapshot(ctx context.Context, name string, state *monitor.State, once bool) (*SnapshotResult, bool, error) {
	if state == nil {
		return nil, false, ErrNoState
	}
	m.mu.Lock() // the router's caches are the evaluations'
	defer m.mu.Unlock()
	cfg := m.cfg()
	now := m.clock.Now()
	subs, err := m.subscribers(ctx, cfg)
	if err != nil {
		return nil, false, err
	}
	i := slices.IndexFunc(subs, func(s *subscriber) bool { return s.Name == name })
	if i < 0 {
		return nil, false, fmt.Errorf("alerts: snapshot of %q: %w", name, ErrSubscriptionUnusable)
	}
	sub := subs[i]
	msg, err := m.snapshotMessage(ctx, cfg, sub, state, now)
	if err != nil {
		return nil, false, fmt.Errorf("alerts: snapshot of %q: %w", name, err)
	}
	res := &SnapshotResult{Subscription: name, Alerts: len(msg.Group), Notifications: []string{}}
	var entries []store.OutboxEntry
	for i, ch := range sub.Channels {
		if refreshed(ch.Type) {
			continue
		}
		one := *msg
		one.ID = store.NewID()
		e, err := outboxEntry(&one, &store.Alert{}, sub.Owner, i, ch)
		if err != nil {
			return nil, false, fmt.Errorf("alerts: snapshot of %q: %w", name, err)
		}
		e.Status = notify.StatusFiring
		if len(msg.Group) > 0 {
			e.Severity = msg.Group[0].Severity
		}
		for _, g := range msg.Group {
			e.AlertIDs = append(e.AlertIDs, AlertID(g.Fingerprint))
		}
		entries = append(entries, e)
		res.Notifications = append(res.Notifications, e.ID)
	}
	sent, err := m.db.SaveSnapshot(ctx, name, now, entries, once)
	if err != nil {
		return nil, false, fmt.Errorf("alerts: %w", err)
	}
	if !sent {
		return nil, false, nil
	}
	if len(entries) > 0 && m.worker != nil {
		m.worker.Wake()
	}
	m.log.Info("snapshot sent", "subscription", name, "alerts", res.Alerts, "notifications", len(entries))
	return res, true, nil
}

// snapshotMessage is the snapshot of sub in state, taken at now (ID unset).
func (m *Manager) snapshotMessage(ctx context.Context, cfg *config.Config, sub *subscriber, state *monitor.State,
	now time.Time) (*notify.Notification, error) {
	sil, err := m.activeSilences(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	ms, err := m.loadMutes(ctx)
	if err != nil {
		return nil, err
	}
	firing, err := m.db.Alerts(ctx, store.AlertFilter{State: store.AlertFiring})
	if err != nil {
		return nil, err
	}
	r := &router{m: m, cfg: cfg, subs: []*subscriber{sub}, sil: sil, mutes: ms, states: []*monitor.State{state}}
	audience := viewerOf(sub.Owner).Audience()
	msg := &notify.Notification{Kind: notify.KindSnapshot, Subscription: sub.Name, Language: sub.Language,
		PeriodEnd: now.In(cfg.Schedule.Location()), Group: []*notify.Notification{}}
	for i := range firing {
		a := &firing[i]
		if ms.hold(a, audience) {
			continue
		}
		c, err := decodeAlert(*a)
		if err != nil {
			return nil, err
		}
		n, _ := r.notification(sub, a, &c.det, notify.StatusFiring, false)
		if n == nil {
			continue
		}
		msg.Group = append(msg.Group, n)
	}
	slices.SortFunc(msg.Group, bySeverityThenFirm)
	return msg, nil
}

// bySeverityThenFirm orders a snapshot's alerts: the most severe first, then by the
// subject's USCC, rule and leader.
func bySeverityThenFirm(a, b *notify.Notification) int {
	leader := func(n *notify.Notification) string {
		if n.Leader == nil {
			return ""
		}
		return n.Leader.USCC
	}
	return cmp.Or(severityRank(b.Severity)-severityRank(a.Severity), cmp.Compare(a.Subject.USCC, b.Subject.USCC),
		cmp.Compare(a.Rule, b.Rule), cmp.Compare(leader(a), leader(b)))
}
