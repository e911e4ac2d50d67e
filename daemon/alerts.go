package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
)

// The alert pipeline (docs/alerts.md): the manager evaluates the rules after every scan (as
// the engine's observer, on the leader only, since only the leader scans) and writes
// alert changes with their notifications to the outbox; the worker delivers the
// outbox on the leader; the resend_alerts job repeats and refreshes, and the
// send_digests job sends the digests due. Subscriptions are sent their snapshot after
// the scans and by the resend job, once each.

// newAlerts builds the pipeline and hooks the rules into the engine. New calls it
// once the engine and the election exist.
func (d *Daemon) newAlerts() {
	cfg := d.cfg.Load()
	if d.opts.Demo {
		cfg = withDemoSubscription(cfg)
		d.cfg.Store(cfg)
	}
	clock := daemonClock{now: d.opts.Now}
	log := d.log.With("component", "alerts")
	d.outbox = alerts.NewWorker(alerts.WorkerOptions{
		Store:          d.store,
		Config:         d.cfg.Load,
		Active:         d.elect.IsLeader,
		Logger:         log,
		Clock:          clock,
		ResendInterval: resendInterval(cfg),
		Metrics:        alerts.NewMetrics(d.reg, d.store),
	})
	d.alerts = alerts.NewManager(alerts.ManagerOptions{Store: d.store, Config: d.cfg.Load, Logger: log,
		Clock: clock, Worker: d.outbox, AnnounceFirst: d.opts.Demo})
	// The rules but the chain rules as soon as an incremental scan has rescored its
	// firms, the chain rules after the propagation (alerts/rescored.go).
	d.engine.ObserveRescored(d.alerts.ObserveRescored)
	d.engine.Observe(d.alerts.Observe)
	d.engine.Observe(d.alerts.ObserveSnapshots) // after the alerts: a snapshot lists what the scan fired
}

// Alerts is the alert pipeline: the API lists and acknowledges alerts, manages
// silences and subscriptions, and lists deliveries through it.
func (d *Daemon) Alerts() *alerts.Manager { return d.alerts }

// resendAlerts is the resend_alerts cron job; it also sends the snapshots due
// (alerts.Manager.SnapshotsDue), so that a subscription a reload added to the config
// file is sent its snapshot without waiting for a scan.
func (d *Daemon) resendAlerts(ctx context.Context) error {
	state := d.engine.State()
	return errors.Join(d.alerts.Resend(ctx, state), d.alerts.SnapshotsDue(ctx, state))
}

// repairEligible is the repair_eligible cron job: the alert rules that follow the
// clock, on the latest state (alerts.Manager.RepairEligible).
func (d *Daemon) repairEligible(ctx context.Context) error {
	return d.alerts.RepairEligible(ctx, d.engine.State())
}

// sendDigests is the send_digests cron job (alerts.Manager.SendDigests).
func (d *Daemon) sendDigests(ctx context.Context) error {
	return d.alerts.SendDigests(ctx)
}

// resendInterval is the period of the resend_alerts job: the gap between its next
// two runs (1 m when it is not scheduled).
func resendInterval(cfg *config.Config) time.Duration {
	sched, err := config.ParseSchedule(cfg.Schedule.ResendAlerts, cfg.Schedule.Location())
	if cfg.Schedule.ResendAlerts == "" || err != nil {
		return time.Minute
	}
	first := sched.Next(time.Now())
	if gap := sched.Next(first).Sub(first); gap > 0 {
		return gap
	}
	return time.Minute
}

// daemonClock is the daemon's clock (Options.Now) as the alerts package wants it: it
// sleeps as the system clock does.
type daemonClock struct {
	notify.SystemClock
	now func() time.Time
}

func (c daemonClock) Now() time.Time { return c.now() }

// withDemoSubscription gives -demo a subscriber when the config names none: every
// alert, to the log channel, so the demo's warnings show in the daemon's output.
func withDemoSubscription(cfg *config.Config) *config.Config {
	if len(cfg.Alerts.Subscriptions) > 0 {
		return cfg
	}
	c := *cfg
	sub := config.Subscription{Name: "demo", Subscriber: "demo", Scope: config.Scope{Kind: config.ScopeAll},
		MinSeverity: "info", Channels: []config.Channel{{Type: notify.TypeLog}}}
	if err := c.NormalizeSubscription(&sub); err != nil {
		return cfg
	}
	c.Alerts.Subscriptions = []config.Subscription{sub}
	return &c
}
