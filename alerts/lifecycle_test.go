package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// TestSilencesAndAck: a silenced alert is kept, shows as firing and silenced, and
// notifies nobody; once the silence ends the resend job announces it. Repeats come
// every repeat_interval until the alert is acknowledged; its resolve is still sent.
func TestSilencesAndAck(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t, subAll("a"), subAll("b"))
		cfg.Alerts.RepeatInterval = time.Hour
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		clock := newFakeClock()
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		w.firm(2, tfirm{})
		m := newTestManager(t, st, cfg, clock)
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)

		for _, bad := range []SilenceInput{
			{Matchers: nil, EndsAt: t0.Add(time.Hour), CreatedBy: "x"},
			{Matchers: []store.SilenceMatcher{{Name: "team", Op: "=", Value: "x"}}, EndsAt: t0.Add(time.Hour), CreatedBy: "x"},
			{Matchers: []store.SilenceMatcher{{Name: "rule", Op: "~", Value: "x"}}, EndsAt: t0.Add(time.Hour), CreatedBy: "x"},
			{Matchers: []store.SilenceMatcher{{Name: "uscc", Op: "=~", Value: "("}}, EndsAt: t0.Add(time.Hour), CreatedBy: "x"},
			{Matchers: []store.SilenceMatcher{{Name: "rule", Op: "=", Value: "x"}}, EndsAt: t0.Add(-time.Hour), CreatedBy: "x"},
			{Matchers: []store.SilenceMatcher{{Name: "rule", Op: "=", Value: "x"}}, EndsAt: t0.Add(time.Hour)},
		} {
			var ie *InputError
			if _, err := m.CreateSilence(ctx, bad); !errors.As(err, &ie) {
				t.Errorf("CreateSilence(%+v) = %v, want an *InputError", bad, err)
			}
		}
		all, err := m.CreateSilence(ctx, SilenceInput{CreatedBy: "analyst", Comment: "known issue", EndsAt: t0.Add(2 * time.Hour),
			Matchers: []store.SilenceMatcher{{Name: LabelRule, Op: OpEqual, Value: RuleGradeDowngrade},
				{Name: LabelUSCC, Op: OpRegexp, Value: "9123.*1M"}}}) // code(1)
		if err != nil {
			t.Fatal(err)
		}
		onlyB, err := m.CreateSilence(ctx, SilenceInput{CreatedBy: "analyst", EndsAt: t0.Add(2 * time.Hour),
			Matchers: []store.SilenceMatcher{{Name: LabelSubscription, Op: OpEqual, Value: "b"}, {Name: LabelUSCC, Op: OpEqual, Value: code(2)}}})
		if err != nil {
			t.Fatal(err)
		}

		// Firm 1 falls: silenced for everybody. Firm 2 falls: silenced for b only.
		w.firms[1].grade, w.firms[2].grade = risk.GradeC, risk.GradeC
		s = w.observe(t, m, s, incr)
		ob.expect("silenced", "grade_downgrade firing warning "+code(2)+" a")
		list, err := m.Alerts(ctx, AlertQuery{State: store.AlertFiring})
		if err != nil || len(list) != 2 {
			t.Fatalf("Alerts = %+v, %v", list, err)
		}
		for _, a := range list {
			wantSilenced := a.Subject.USCC == code(1)
			if a.Silenced != wantSilenced || wantSilenced && !slices.Equal(a.SilencedBy, []string{all.ID}) {
				t.Errorf("alert on %s: silenced %v by %v", a.Subject.USCC, a.Silenced, a.SilencedBy)
			}
			if wantSilenced != a.NotifiedAt.IsZero() {
				t.Errorf("alert on %s notified at %v", a.Subject.USCC, a.NotifiedAt)
			}
		}
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("still silenced")

		// The silences end: the resend job announces firm 1's alert to both.
		clock.Advance(10 * time.Minute)
		for _, id := range []string{all.ID, onlyB.ID} {
			if err := m.ExpireSilence(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if sl, _ := m.Silence(ctx, all.ID); sl.Status != SilenceExpired {
			t.Errorf("expired silence status %q", sl.Status)
		}
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("silence over", "grade_downgrade firing warning "+code(1)+" a", "grade_downgrade firing warning "+code(1)+" b")
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("nothing due yet")

		// An hour after firm 2's first notification: its repeat (firm 1's is due ten
		// minutes later); then an ack stops them for firm 1.
		clock.Advance(55 * time.Minute)
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("repeat", "grade_downgrade firing warning "+code(2)+" a", "grade_downgrade firing warning "+code(2)+" b")
		id1 := AlertID(Fingerprint(RuleGradeDowngrade, code(1), ""))
		if err := m.Ack(ctx, id1, nil, "analyst"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(20 * time.Minute)
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("acknowledged: no repeat")
		a, err := m.GetAlert(ctx, id1, "en", nil)
		if err != nil || a.AckedBy != "analyst" || a.AckedAt.IsZero() || a.State != store.AlertFiring {
			t.Errorf("acked alert: %+v, %v", a, err)
		}
		w.firms[1].grade = risk.GradeB
		w.observe(t, m, s, incr)
		ob.expect("an acknowledged alert still resolves", "grade_downgrade resolved warning "+code(1)+" a",
			"grade_downgrade resolved warning "+code(1)+" b")
		if err := m.Ack(ctx, id1, nil, "x"); !errors.Is(err, store.ErrAlertResolved) {
			t.Errorf("ack of a resolved alert: %v", err)
		}
		if err := m.Ack(ctx, "nope", nil, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ack of an unknown alert: %v", err)
		}
	})
}

// TestRouting: each subscriber hears of the firms in its scope, with its own
// context; min_severity and the rule list filter.
func TestRouting(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		chain := subChain("chain", 1, 3, 1)
		watch := config.Subscription{Name: "watch", Subscriber: "sme", Scope: config.Scope{Kind: config.ScopeWatchlist,
			USCCs: []string{code(3)}}, MinSeverity: config.AlertCritical, Language: "en", Channels: logChannel()}
		events := subAll("events")
		events.Rules = []string{RuleSevereEvent}
		cfg := testConfig(t, chain, watch, events)
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true, name: "龙头集团"})
		w.firm(2, tfirm{name: "一级供应商"})
		w.firm(3, tfirm{name: "二级供应商"})
		w.firm(4, tfirm{name: "下游客户"})
		w.firm(9, tfirm{name: "链外企业"})
		w.rels = []trel{{2, 1, 0.4, 0.6, 0.5}, {3, 2, 0.5, 0.2, 0.5}, {1, 4, 0.1, 0.3, 0.5}}
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)

		w.firms[3].grade, w.firms[4].grade, w.firms[9].grade = risk.GradeC, risk.GradeD, risk.GradeC
		s = w.observe(t, m, s, incr)
		ns := ob.expect("downgrades", "grade_downgrade firing warning "+code(3)+" chain", "grade_downgrade firing critical "+code(4)+" chain")
		if n := ns[0]; n.Tier != 2 || !slices.Equal(n.Path, []string{code(3), code(2), code(1)}) ||
			!slices.Equal(n.PathNames, []string{"二级供应商", "一级供应商", "龙头集团"}) || !slices.Equal(n.PathShares, []float64{0.5, 0.4}) ||
			n.Leader == nil || n.Leader.USCC != code(1) || n.Leader.Name != "龙头集团" || n.Language != "zh" {
			t.Errorf("tier-2 supplier: %+v", n)
		}
		if n := ns[1]; n.Tier != -1 || !slices.Equal(n.Path, []string{code(4), code(1)}) || !slices.Equal(n.PathShares, []float64{0.3}) {
			t.Errorf("customer: %+v", n)
		}
		summary, _ := notify.Summary(ns[0])
		for _, want := range []string{"二级供应商", "一级供应商", "龙头集团", "50%", "40%"} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary lacks %q:\n%s", want, summary)
			}
		}

		w.firms[3].grade = risk.GradeD
		w.firms[3].events = []risk.EventRef{w.event("bankruptcy", t0)}
		w.observe(t, m, s, incr)
		ns = ob.expect("bankruptcy of the tier-2 supplier",
			"grade_downgrade firing critical "+code(3)+" chain + severe_event firing critical",
			"grade_downgrade firing critical "+code(3)+" watch + severe_event firing critical",
			"severe_event firing critical "+code(3)+" events")
		if n := ns[1]; n.Leader != nil || n.Path != nil || n.Language != "en" || !strings.HasPrefix(n.Reasons[0], "bankruptcy −500") {
			t.Errorf("watch-list notification: %+v", n)
		}
		// The event's alert rides in the downgrade's messages to chain and watch, and
		// has its own to events: its deliveries are those three messages.
		sev, err := m.Deliveries(context.Background(), DeliveryQuery{AlertID: AlertID(Fingerprint(RuleSevereEvent, code(3), ""))})
		if err != nil {
			t.Fatal(err)
		}
		var subsOf []string
		for _, d := range sev {
			subsOf = append(subsOf, d.Rule+" "+d.Subscription)
		}
		slices.Sort(subsOf)
		if want := []string{"grade_downgrade chain", "grade_downgrade watch", "severe_event events"}; !slices.Equal(subsOf, want) {
			t.Errorf("the severe_event alert's deliveries: %v, want %v", subsOf, want)
		}

		// The API's queries: a tenant's scope, a rule, a state; reasons in English.
		list, err := m.Alerts(context.Background(), AlertQuery{View: tenantView(cfg, s, code(1)), Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Rule+" "+a.Subject.USCC)
			if a.Rule == RuleSevereEvent && (len(a.Reasons) == 0 || !strings.HasPrefix(a.Reasons[0], "bankruptcy")) {
				t.Errorf("reasons %q", a.Reasons)
			}
		}
		slices.Sort(got)
		// The leader's chain: its suppliers 2 and 3, and its customer 4.
		if want := []string{"grade_downgrade " + code(3), "grade_downgrade " + code(4), "severe_event " + code(3)}; !slices.Equal(got, want) {
			t.Errorf("alerts in scope %v, want %v", got, want)
		}
		if list, _ := m.Alerts(context.Background(), AlertQuery{Severity: config.AlertCritical, Rule: RuleGradeDowngrade}); len(list) != 2 {
			t.Errorf("critical downgrades: %d", len(list))
		}
		if _, err := m.Alerts(context.Background(), AlertQuery{State: "open"}); err == nil {
			t.Error("an unknown state was accepted")
		}
	})
}

// failingStore makes ApplyAlerts fail after the alert rows are written: it adds a
// copy of the first notification, whose id is taken.
type failingStore struct {
	store.Store
	fail bool
}

func (f *failingStore) ApplyAlerts(ctx context.Context, ch *store.AlertChanges) error {
	if f.fail && len(ch.Notifications) > 0 {
		cp := *ch
		cp.Notifications = append(slices.Clone(ch.Notifications), ch.Notifications[0])
		return f.Store.ApplyAlerts(ctx, &cp)
	}
	return f.Store.ApplyAlerts(ctx, ch)
}

// TestNotificationInTheAlertTransaction: when writing the notifications fails, the
// alert change is not written either, and the next scan makes both.
func TestNotificationInTheAlertTransaction(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		fs := &failingStore{Store: st}
		cfg := testConfig(t, subAll("all"))
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		m := newTestManager(t, fs, cfg, newFakeClock())
		s := w.observe(t, m, nil, full)
		w.firms[1].grade = risk.GradeD
		fs.fail = true
		next := w.state()
		if err := m.Observe(context.Background(), s, next, &store.Scan{ID: next.ScanID, Kind: incr}); err == nil {
			t.Fatal("Observe succeeded although the outbox write failed")
		}
		if a := firingAlerts(t, st); len(a) != 0 {
			t.Errorf("alerts written without their notification: %v", a)
		}
		if ns := outbox(t, st); len(ns) != 0 {
			t.Errorf("notifications written: %v", brief(ns))
		}
		// The scan failed, so the engine keeps s as the previous state.
		fs.fail = false
		w.observe(t, m, s, incr)
		if a := firingAlerts(t, st); len(a) != 1 {
			t.Errorf("alerts after the retry: %v", a)
		}
		if ns := outbox(t, st); len(ns) != 1 {
			t.Errorf("notifications after the retry: %v", brief(ns))
		}
	})
}

// TestSubscriptionsCRUD: stored subscriptions keep their secrets, list redacted,
// belong to an owner, and never shadow the config's.
func TestSubscriptionsCRUD(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t, subAll("from-config"))
		m := newTestManager(t, st, cfg, newFakeClock())
		const secret = "whsec-CRUD-SECRET-1"
		hook := "https://hooks.example.com/chainrisk?token=CRUD-TOKEN-2"
		tenant := code(1)
		mk := func(name string) config.Subscription {
			up := 2
			return config.Subscription{Name: name, Subscriber: tenant,
				Scope:    config.Scope{Kind: config.ScopeChain, Leader: tenant, DepthUp: &up},
				Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret(hook), Secret: secret}}}
		}
		created, err := m.CreateSubscription(ctx, tenant, mk("acme"))
		if err != nil {
			t.Fatal(err)
		}
		if d := *created.Scope.DepthDown; d != cfg.Chain.DepthDown || created.Language != "zh" || created.MinSeverity != "info" {
			t.Errorf("defaults not filled in: %+v", created)
		}
		if _, err := m.CreateSubscription(ctx, "", mk("admin-made")); err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateSubscription(ctx, tenant, mk("from-config")); !errors.Is(err, store.ErrSubscriptionExists) {
			t.Errorf("a config subscription's name: %v", err)
		}
		if _, err := m.CreateSubscription(ctx, tenant, mk("acme")); !errors.Is(err, store.ErrSubscriptionExists) {
			t.Errorf("a taken name: %v", err)
		}
		bad := mk("bad")
		bad.Channels[0].Secret = ""
		var ce *config.Error
		if _, err := m.CreateSubscription(ctx, tenant, bad); !errors.As(err, &ce) || !strings.Contains(err.Error(), "secret") {
			t.Errorf("a webhook without a secret: %v", err)
		}
		names := func(as string) []string {
			list, err := m.Subscriptions(ctx, as)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range list {
				out = append(out, s.Name+"/"+s.Source)
			}
			return out
		}
		if got := names(""); !slices.Equal(got, []string{"acme/api", "admin-made/api", "from-config/config"}) {
			t.Errorf("admin sees %v", got)
		}
		if got := names(tenant); !slices.Equal(got, []string{"acme/api"}) {
			t.Errorf("tenant sees %v", got)
		}
		if _, err := m.Subscription(ctx, tenant, "admin-made"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a tenant reads another's subscription: %v", err)
		}
		// The secret is kept (the routing reads it) but never printed.
		got, err := m.Subscription(ctx, tenant, "acme")
		if err != nil || got.Channels[0].Secret.Reveal() != secret || got.Channels[0].URL.Reveal() != hook || got.Owner != tenant {
			t.Fatalf("stored subscription: %+v, %v", got, err)
		}
		b, _ := json.Marshal(got)
		if strings.Contains(string(b), secret) || strings.Contains(string(b), "CRUD-TOKEN-2") {
			t.Errorf("JSON of a subscription shows a secret: %s", b)
		}
		upd := mk("acme")
		upd.MinSeverity = config.AlertCritical
		if _, err := m.UpdateSubscription(ctx, code(2), upd); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another tenant updates: %v", err)
		}
		if u, err := m.UpdateSubscription(ctx, tenant, upd); err != nil || u.MinSeverity != config.AlertCritical || u.Owner != tenant {
			t.Errorf("update: %+v, %v", u, err)
		}
		if _, err := m.UpdateSubscription(ctx, "", subAll("from-config")); !errors.Is(err, ErrReadOnly) {
			t.Errorf("update of a config subscription: %v", err)
		}
		if err := m.DeleteSubscription(ctx, code(2), "acme"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another tenant deletes: %v", err)
		}
		if err := m.DeleteSubscription(ctx, tenant, "acme"); err != nil {
			t.Fatal(err)
		}
		if got := names(""); !slices.Equal(got, []string{"admin-made/api", "from-config/config"}) {
			t.Errorf("after delete: %v", got)
		}
	})
}

// TestStoredSubscriptionRoutesAndDeliveriesHideSecrets: a subscription made through
// the API is routed to like the config's, and listing its deliveries shows neither
// its URL nor its secret.
func TestStoredSubscriptionRoutesAndDeliveriesHideSecrets(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t)
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		m := newTestManager(t, st, cfg, newFakeClock())
		sub := subChain("tenant-chain", 1, 3, 1)
		sub.Channels = []config.Channel{{Type: notify.TypeWeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey}}
		if _, err := m.CreateSubscription(ctx, code(1), sub); err != nil {
			t.Fatal(err)
		}
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.firm(2, tfirm{})
		w.rels = []trel{{2, 1, 0.4, 0.6, 0.5}}
		s := w.observe(t, m, nil, full)
		w.firms[2].grade = risk.GradeC
		w.observe(t, m, s, incr)
		list, err := m.Deliveries(ctx, DeliveryQuery{View: tenantView(cfg, s, code(1))})
		if err != nil || len(list) != 1 {
			t.Fatalf("Deliveries = %+v, %v", list, err)
		}
		d := list[0]
		if d.State != store.DeliveryPending || d.Channel.Type != notify.TypeWeCom || d.Subscription != "tenant-chain" ||
			d.USCC != code(2) || d.Rule != RuleGradeDowngrade || d.Channel.Key == "" {
			t.Errorf("delivery: %+v", d)
		}
		b, _ := json.Marshal(list)
		if strings.Contains(string(b), wecomKey) || strings.Contains(string(b), "qyapi") {
			t.Errorf("deliveries show the robot URL: %s", b)
		}
		if _, err := m.Deliveries(ctx, DeliveryQuery{State: "lost"}); err == nil {
			t.Error("an unknown state was accepted")
		}
		if list, _ := m.Deliveries(ctx, DeliveryQuery{View: tenantView(cfg, s, code(2))}); len(list) != 0 {
			t.Errorf("another tenant's deliveries: %+v", list)
		}
	})
}

func TestMetrics(t *testing.T) {
	st := openSQLite(t)
	reg := prometheus.NewPedanticRegistry()
	mt := NewMetrics(reg, st)
	cfg := testConfig(t, subAll("all"))
	cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{})
	w.firm(2, tfirm{})
	m := newTestManager(t, st, cfg, newFakeClock())
	s := w.observe(t, m, nil, full)
	w.firms[1].grade, w.firms[2].grade = risk.GradeC, risk.GradeD
	w.observe(t, m, s, incr)
	mt.count(notify.TypeWebhook, resultDead)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	const want = `
# HELP chainrisk_outbox_dead Notifications dead-lettered after max_attempts or a permanent refusal.
# TYPE chainrisk_outbox_dead gauge
chainrisk_outbox_dead 0
# HELP chainrisk_outbox_pending Notifications waiting in the outbox for delivery.
# TYPE chainrisk_outbox_pending gauge
chainrisk_outbox_pending 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "chainrisk_outbox_pending", "chainrisk_outbox_dead"); err != nil {
		t.Error(err)
	}
	got, err := testutil.GatherAndCount(reg, "chainrisk_alerts_firing")
	if err != nil || got != len(RuleNames())*len(config.AlertSeverities) {
		t.Errorf("alerts_firing series: %d, %v", got, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "chainrisk_alerts_firing" {
			continue
		}
		for _, mm := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mm.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			want := 0.0
			if labels["rule"] == RuleGradeDowngrade && labels["severity"] != config.AlertInfo {
				want = 1
			}
			if mm.GetGauge().GetValue() != want {
				t.Errorf("alerts_firing%v = %v, want %v", labels, mm.GetGauge().GetValue(), want)
			}
		}
	}
	if v := testutil.ToFloat64(mt.notifications.WithLabelValues(notify.TypeWebhook, resultDead)); v != 1 {
		t.Errorf("notifications_total{webhook,dead} = %v", v)
	}
}
