package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// onlyRules enables the named rules and disables every other.
func onlyRules(cfg *config.Config, names ...string) {
	for _, r := range RuleNames() {
		cfg.Alerts.Rules.SetEnabled(r, slices.Contains(names, r))
	}
}

// snapshotConfig is a config for the twoLeaders world with grade_downgrade and
// chain_risk on, loopback receivers allowed, fast retries, and subs.
func snapshotConfig(t *testing.T, subs ...config.Subscription) *config.Config {
	t.Helper()
	cfg := testConfig(t, subs...)
	onlyRules(cfg, RuleGradeDowngrade, RuleChainRisk)
	cfg.Alerts.AllowPrivateTargets = []string{"127.0.0.0/8"}
	cfg.Alerts.Backoff = config.BackoffConfig{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	return cfg
}

// riskyB is leader B's chain at warning level (0.2 ≤ 0.3 < 0.5) through firm 5.
func riskyB() *risk.Exposure {
	return &risk.Exposure{ChainRisk: 0.3, SupplyAtRisk: 0.1, TopContributors: []risk.Contributor{
		{USCC: code(5), Tier: 2, P: 0.6, Contribution: 0.2, Path: []string{code(5), code(4), code(2)}}}}
}

// openAlerts brings a twoLeaders world to four firing alerts: B's chain_risk
// (warning), recorded quiet by the first scan's baseline, then the downgrades of the
// shared supplier 3 to D (critical), of 4 to C (warning; tier 2 of A, tier 1 of B) and
// of 5 to C (warning; B's chain only). It returns the latest state.
func openAlerts(t *testing.T, m *Manager, w *world) *monitor.State {
	t.Helper()
	w.chains[2] = riskyB()
	s := w.observe(t, m, nil, full)
	w.firms[3].grade, w.firms[4].grade, w.firms[5].grade = risk.GradeD, risk.GradeC, risk.GradeC
	return w.observe(t, m, s, incr)
}

// What each principal's snapshot lists of openAlerts, "rule severity uscc", most
// severe first, then by firm.
var (
	snapA = []string{"grade_downgrade critical " + code(3), "grade_downgrade warning " + code(4)}
	snapB = []string{"grade_downgrade critical " + code(3), "chain_risk warning " + code(2),
		"grade_downgrade warning " + code(4), "grade_downgrade warning " + code(5)}
)

func tenantSub(name string, leader int, chs ...config.Channel) config.Subscription {
	s := subChain(name, leader, 2, 1)
	s.MinSeverity = config.AlertInfo
	s.Channels = chs
	return s
}

// snapshotsIn returns the snapshots in the outbox for a subscription, oldest first.
func snapshotsIn(t *testing.T, st store.Store, sub string) []*notify.Notification {
	t.Helper()
	var out []*notify.Notification
	for _, n := range outbox(t, st) {
		if n.Subscription == sub && n.Kind == notify.KindSnapshot {
			out = append(out, n)
		}
	}
	return out
}

// listed is "rule severity uscc" of each alert a snapshot lists.
func listed(n *notify.Notification) []string {
	out := []string{}
	for _, a := range n.Group {
		out = append(out, strings.Join([]string{a.Rule, a.Severity, a.Subject.USCC}, " "))
	}
	return out
}

// TestSnapshotOnSubscribe: subscriptions made after alerts fired are each sent one
// snapshot per channel — over a real loopback webhook, exactly once — listing the open
// alerts of their scope as their owner may see them (the baseline's quiet one
// included), most severe first; Alertmanager channels get none, a scope with nothing
// open gets an empty list, and a second first snapshot sends nothing.
func TestSnapshotOnSubscribe(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := snapshotConfig(t)
		w := twoLeaders(t, cfg)
		worker := newTestWorker(t, st, workerSetup{cfg: cfg})
		m := NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Logger: discardLogger(),
			Worker: worker})
		state := openAlerts(t, m, w)
		if ns := outbox(t, st); len(ns) != 0 {
			t.Fatalf("with no subscription the outbox holds %v", brief(ns))
		}
		rvA, rvB, rvS := newHookReceiver(t, hookSecret, nil), newHookReceiver(t, hookSecret, nil), newHookReceiver(t, hookSecret, nil)
		start(t, worker)

		watch := config.Subscription{Name: "ops-watch", Subscriber: "ops", MinSeverity: config.AlertInfo,
			Scope:    config.Scope{Kind: config.ScopeWatchlist, USCCs: []string{code(1)}},
			Channels: []config.Channel{hookChannel(rvS.URL), {Type: notify.TypeAlertmanager, URLs: []config.Secret{config.Secret(rvS.URL)}}}}
		subs := []struct {
			owner    string
			sub      config.Subscription
			rv       *hookReceiver
			want     []string
			channels int // outbox entries
		}{
			{code(1), tenantSub("tenant-a", 1, hookChannel(rvA.URL), config.Channel{Type: notify.TypeLog}), rvA, snapA, 2},
			{code(2), tenantSub("tenant-b", 2, hookChannel(rvB.URL)), rvB, snapB, 1},
			{"", watch, rvS, []string{}, 1},
		}
		for _, s := range subs {
			if _, err := m.CreateSubscription(ctx, s.owner, s.sub); err != nil {
				t.Fatalf("%s: %v", s.sub.Name, err)
			}
			res, sent, err := m.FirstSnapshot(ctx, s.sub.Name, state)
			if err != nil || !sent {
				t.Fatalf("%s: first snapshot: sent %v, %v", s.sub.Name, sent, err)
			}
			if res.Alerts != len(s.want) || len(res.Notifications) != s.channels {
				t.Errorf("%s: snapshot of %d alerts in %d notifications, want %d in %d", s.sub.Name, res.Alerts,
					len(res.Notifications), len(s.want), s.channels)
			}
			if again, sent, err := m.FirstSnapshot(ctx, s.sub.Name, state); err != nil || sent || again != nil {
				t.Errorf("%s: a second first snapshot: %+v, sent %v, %v", s.sub.Name, again, sent, err)
			}
			eventually(t, 10*time.Second, s.sub.Name+"'s webhook", func() bool { return len(s.rv.unique()) == 1 })
			if got := s.rv.unique(); got[0] != res.Notifications[0] {
				t.Errorf("%s: the webhook got %v, want the snapshot %s", s.sub.Name, got, res.Notifications[0])
			}
			ns := snapshotsIn(t, st, s.sub.Name)
			if len(ns) != s.channels {
				t.Fatalf("%s: %d snapshots in the outbox, want %d", s.sub.Name, len(ns), s.channels)
			}
			for _, n := range ns {
				if got := listed(n); !slices.Equal(got, s.want) {
					t.Errorf("%s: the snapshot lists %v, want %v", s.sub.Name, got, s.want)
				}
				if n.Fingerprint != "" || n.Rule != "" || n.Subject.USCC != "" || n.PeriodEnd.IsZero() {
					t.Errorf("%s: the snapshot's own fields: %q %q %q at %v", s.sub.Name, n.Fingerprint, n.Rule, n.Subject.USCC, n.PeriodEnd)
				}
			}
		}
		// Tenant A's messages name nothing of B's alone: firm 5, B's chain risk.
		for _, n := range snapshotsIn(t, st, "tenant-a") {
			b, _ := encodeNotification(n)
			if strings.Contains(string(b), code(5)) {
				t.Errorf("tenant A's snapshot names firm 5, outside its chain: %s", b)
			}
			if n.Group[0].Leader == nil || n.Group[0].Leader.USCC != code(1) || n.Group[0].Tier != 1 {
				t.Errorf("tenant A's snapshot places firm 3 at %+v tier %d, want A's chain at tier 1", n.Group[0].Leader, n.Group[0].Tier)
			}
		}
		if b := rvA.body(rvA.unique()[0]); strings.Contains(string(b), code(5)) {
			t.Errorf("tenant A's webhook names firm 5: %s", b)
		}
		// The webhook body lists what the outbox row lists, and an alert's deliveries
		// include the snapshots that list it.
		var body notify.WebhookBody
		if err := json.Unmarshal(rvA.body(rvA.unique()[0]), &body); err != nil {
			t.Fatal(err)
		}
		listedA := snapshotsIn(t, st, "tenant-a")[0].Group
		if body.Kind != notify.KindSnapshot || len(body.Alerts) != len(listedA) || body.Alerts[0].Fingerprint != listedA[0].Fingerprint {
			t.Errorf("tenant A's webhook body: kind %q, %d alerts; want a snapshot of %d", body.Kind, len(body.Alerts), len(listedA))
		}
		ds, err := m.Deliveries(ctx, DeliveryQuery{AlertID: AlertID(listedA[0].Fingerprint), Subscription: "tenant-a"})
		if err != nil || len(ds) != 2 || ds[0].Kind != notify.KindSnapshot || ds[1].Kind != notify.KindSnapshot {
			t.Errorf("the deliveries of an alert tenant A's snapshot lists: %+v, %v; want its two snapshot messages", ds, err)
		}
		// Every message was delivered once: nothing pending, no repeat.
		eventually(t, 10*time.Second, "the outbox to drain", func() bool {
			ds, err := m.Deliveries(ctx, DeliveryQuery{State: store.DeliveryPending})
			return err == nil && len(ds) == 0
		})
		for _, rv := range []*hookReceiver{rvA, rvB, rvS} {
			if k := rv.unique()[0]; rv.rawCount(k) != 1 || len(rv.unique()) != 1 || rv.bad() != 0 {
				t.Errorf("a webhook got %d requests of %s, %d keys, %d bad signatures; want exactly one", rv.rawCount(k),
					k, len(rv.unique()), rv.bad())
			}
		}
		// A tenant lists the deliveries of its snapshots, marked so.
		ds, err = m.Deliveries(ctx, DeliveryQuery{View: tenantView(cfg, state, code(2))})
		if err != nil || len(ds) != 1 || ds[0].Kind != notify.KindSnapshot || ds[0].Subscription != "tenant-b" ||
			ds[0].Severity != config.AlertCritical || ds[0].AlertID != "" {
			t.Errorf("tenant B's deliveries: %+v, %v", ds, err)
		}
	})
}

// TestSnapshotOnDemand: a snapshot is sent again each time it is asked for, listing
// what the subscription's owner may see whoever asks; acknowledged alerts stay
// listed, silenced and muted ones do not; a tenant asking for another's subscription,
// or the config file's, is answered as for a missing one and sends nothing.
func TestSnapshotOnDemand(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		ops := subAll("ops")
		ops.MinSeverity = config.AlertCritical
		cfg := snapshotConfig(t, ops)
		w := twoLeaders(t, cfg)
		m := newTestManager(t, st, cfg, nil)
		state := openAlerts(t, m, w)
		for i, owner := range []string{code(1), code(2)} {
			if _, err := m.CreateSubscription(ctx, owner, tenantSub("tenant-"+"ab"[i:i+1], i+1, logChannel()...)); err != nil {
				t.Fatal(err)
			}
		}
		before := len(outbox(t, st))
		for _, c := range []struct{ as, name string }{{code(2), "tenant-a"}, {code(1), "ops"}, {code(1), "nope"}} {
			if res, err := m.Snapshot(ctx, c.as, c.name, state); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s's snapshot of %s: %+v, %v; want not found", c.as, c.name, res, err)
			}
		}
		if _, err := m.Snapshot(ctx, "", "tenant-a", nil); !errors.Is(err, ErrNoState) {
			t.Errorf("a snapshot before the first scan: %v", err)
		}
		if after := len(outbox(t, st)); after != before {
			t.Errorf("refused snapshots enqueued %d notifications", after-before)
		}

		ask := func(as, name string, want []string) string {
			t.Helper()
			res, err := m.Snapshot(ctx, as, name, state)
			if err != nil {
				t.Fatalf("%s's snapshot of %s: %v", as, name, err)
			}
			ns := snapshotsIn(t, st, name)
			if len(res.Notifications) != 1 || len(ns) == 0 || res.Alerts != len(want) {
				t.Fatalf("%s: %+v, %d in the outbox", name, res, len(ns))
			}
			if got := listed(ns[len(ns)-1]); !slices.Equal(got, want) {
				t.Errorf("%s's snapshot of %s lists %v, want %v", as, name, got, want)
			}
			return res.Notifications[0]
		}
		// An admin asking for A's subscription gets A's view, not staff's.
		first := ask("", "tenant-a", snapA)
		if again := ask(code(1), "tenant-a", snapA); again == first {
			t.Error("two snapshots on demand share an id")
		}
		if n := len(snapshotsIn(t, st, "tenant-a")); n != 2 {
			t.Errorf("two snapshots on demand left %d in the outbox", n)
		}
		ask("", "ops", []string{"grade_downgrade critical " + code(3)})

		// A acknowledges firm 4's alert: still open, still listed. A silence on firm 4
		// for A's subscription leaves it out; B muting firm 5's leaves that out of B's.
		viewA, viewB := tenantView(cfg, state, code(1)), tenantView(cfg, state, code(2))
		id4, id5 := AlertID(Fingerprint(RuleGradeDowngrade, code(4), "")), AlertID(Fingerprint(RuleGradeDowngrade, code(5), ""))
		if err := m.Ack(ctx, id4, viewA, "tenant-a"); err != nil {
			t.Fatal(err)
		}
		ask(code(1), "tenant-a", snapA)
		if _, err := m.CreateSilence(ctx, SilenceInput{EndsAt: time.Now().Add(time.Hour), CreatedBy: "ops",
			Matchers: []store.SilenceMatcher{{Name: LabelUSCC, Op: "=", Value: code(4)}, {Name: LabelSubscription, Op: "=", Value: "tenant-a"}}}); err != nil {
			t.Fatal(err)
		}
		ask(code(1), "tenant-a", snapA[:1])
		ask(code(2), "tenant-b", snapB) // the silence is A's subscription's only
		if err := m.GiveFeedback(ctx, id5, viewB, "tenant-b", FeedbackInput{Verdict: "irrelevant"}); err != nil {
			t.Fatal(err)
		}
		ask(code(2), "tenant-b", snapB[:3])
	})
}

// TestConfigSnapshotOnce: at the very first start the config file's subscription is
// sent its snapshot after the first scan, listing the baseline it recorded (so is an
// API subscription made before that scan); a restart sends none again; a subscription
// a reload adds is sent its own, once.
func TestConfigSnapshotOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := snapshotConfig(t, subAll("ops"))
		var cur sync.Mutex
		current := func() *config.Config { cur.Lock(); defer cur.Unlock(); return cfg }
		w := twoLeaders(t, cfg)
		w.chains[2] = riskyB()
		m := NewManager(ManagerOptions{Store: st, Config: current, Logger: discardLogger()})
		if _, err := m.CreateSubscription(ctx, code(2), tenantSub("tenant-b", 2, logChannel()...)); err != nil {
			t.Fatal(err)
		}
		if _, sent, err := m.FirstSnapshot(ctx, "tenant-b", nil); !errors.Is(err, ErrNoState) || sent {
			t.Fatalf("tenant B's snapshot before the first scan: sent %v, %v", sent, err)
		}
		s := w.observe(t, m, nil, full)
		if ns := outbox(t, st); len(ns) != 0 {
			t.Fatalf("the baseline sent %v", brief(ns))
		}
		if err := m.ObserveSnapshots(ctx, nil, s, &store.Scan{ID: s.ScanID, Kind: full}); err != nil {
			t.Fatal(err)
		}
		persist(t, st, s)
		baseline := []string{"chain_risk warning " + code(2)}
		for _, name := range []string{"ops", "tenant-b"} {
			ns := snapshotsIn(t, st, name)
			if len(ns) != 1 || !slices.Equal(listed(ns[0]), baseline) {
				t.Errorf("%s after the first scan: %d snapshots, the first listing %v; want one listing %v", name, len(ns),
					func() []string {
						if len(ns) == 0 {
							return nil
						}
						return listed(ns[0])
					}(), baseline)
			}
		}

		// A restart: a new manager, the first scan of its process.
		m2 := NewManager(ManagerOptions{Store: st, Config: current, Logger: discardLogger()})
		s2 := w.observe(t, m2, nil, full)
		if err := m2.ObserveSnapshots(ctx, nil, s2, &store.Scan{ID: s2.ScanID, Kind: full}); err != nil {
			t.Fatal(err)
		}
		if err := m2.SnapshotsDue(ctx, s2); err != nil {
			t.Fatal(err)
		}
		if ns := outbox(t, st); len(ns) != 2 {
			t.Errorf("after the restart the outbox holds %d notifications, want the 2 snapshots: %v", len(ns), brief(ns))
		}

		// A reload adds a subscription: the next run sends it one snapshot, and only it.
		next := *cfg
		added := subAll("ops-2")
		if err := next.NormalizeSubscription(&added); err != nil {
			t.Fatal(err)
		}
		next.Alerts.Subscriptions = append(slices.Clone(cfg.Alerts.Subscriptions), added)
		cur.Lock()
		cfg = &next
		cur.Unlock()
		for range 2 {
			if err := m2.SnapshotsDue(ctx, s2); err != nil {
				t.Fatal(err)
			}
		}
		if ns := snapshotsIn(t, st, "ops-2"); len(ns) != 1 || !slices.Equal(listed(ns[0]), baseline) {
			t.Errorf("the added subscription has %d snapshots, want one listing %v", len(ns), baseline)
		}
		if n := len(outbox(t, st)); n != 3 {
			t.Errorf("after the reload the outbox holds %d notifications, want 3", n)
		}
	})
}

// TestFirstSnapshotRacesOnce: two replicas sending the same new subscription's first
// snapshot at once send it once.
func TestFirstSnapshotRacesOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := snapshotConfig(t, subAll("ops"))
		w := twoLeaders(t, cfg)
		w.chains[2] = riskyB()
		m1, m2 := newTestManager(t, st, cfg, nil), newTestManager(t, st, cfg, nil)
		s := w.observe(t, m1, nil, full)
		var wg sync.WaitGroup
		sent := make([]bool, 8)
		for i := range sent {
			m := []*Manager{m1, m2}[i%2]
			wg.Go(func() {
				_, ok, err := m.FirstSnapshot(ctx, "ops", s)
				if err != nil {
					t.Error(err)
				}
				sent[i] = ok
			})
		}
		wg.Wait()
		if n := len(slices.DeleteFunc(sent, func(ok bool) bool { return !ok })); n != 1 {
			t.Errorf("%d of 8 racing first snapshots were sent, want 1", n)
		}
		if ns := snapshotsIn(t, st, "ops"); len(ns) != 1 {
			t.Errorf("the outbox holds %d snapshots, want 1", len(ns))
		}
	})
}
