package alerts

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// twoLeaders is a world of two leaders whose chains overlap: leader B (2) supplies
// leader A (1), so B is a tier-1 firm of A's chain; firm 3 supplies both; firm 4
// supplies B (tier 1 of B, tier 2 of A); firm 5 supplies 4 (tier 2 of B, tier 3 of
// A). The chains are cut at depth_up 2, so firm 5 is in B's chain and not in A's.
func twoLeaders(t *testing.T, cfg *config.Config) *world {
	t.Helper()
	cfg.Chain.DepthUp, cfg.Chain.DepthDown = 2, 1
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true, name: "甲龙头"})
	w.firm(2, tfirm{leading: true, name: "乙龙头"})
	w.firm(3, tfirm{name: "共享供应商"})
	w.firm(4, tfirm{name: "乙的供应商"})
	w.firm(5, tfirm{name: "乙的二级供应商"})
	w.rels = []trel{{2, 1, 0.1, 0.1, 0.5}, {3, 1, 0.3, 0.4, 0.5}, {3, 2, 0.3, 0.4, 0.5}, {4, 2, 0.3, 0.5, 0.5},
		{5, 4, 0.5, 0.5, 0.5}}
	return w
}

// TestTenantNotificationsStayInTheirChain: a tenant's chain subscription gets the
// alerts about its chain's firms — with the place of the firm in its own chain — and
// never another leader's chain-level alert, even when that leader sits in its chain;
// what it is sent names no firm outside its chain. A staff subscription to a chain
// takes that chain's chain-level alerts only, too.
func TestTenantNotificationsStayInTheirChain(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		up, down := 2, 1
		cfg := testConfig(t, subChain("ops-a", 1, up, down))
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := twoLeaders(t, cfg)
		m := newTestManager(t, st, cfg, newFakeClock())
		for _, leader := range []int{1, 2} {
			sub := subChain("tenant-"+code(leader), leader, up, down)
			if _, err := m.CreateSubscription(ctx, code(leader), sub); err != nil {
				t.Fatal(err)
			}
		}
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("baseline")

		// The shared supplier falls to D, and B's chain risk turns critical through
		// firm 5, which only B's tenant may see.
		w.firms[3].grade = risk.GradeD
		w.chains[2] = &risk.Exposure{ChainRisk: 0.6, SupplyAtRisk: 0.5, TopContributors: []risk.Contributor{
			{USCC: code(5), Tier: 2, P: 0.9, Contribution: 0.3, Path: []string{code(5), code(4), code(2)}},
			{USCC: code(3), Tier: 1, P: 0.9, Contribution: 0.2, Path: []string{code(3), code(2)}}}}
		w.observe(t, m, s, incr)
		ns := ob.expect("a shared firm falls and B's chain is at risk",
			"grade_downgrade firing critical "+code(3)+" ops-a",
			"grade_downgrade firing critical "+code(3)+" tenant-"+code(1),
			"grade_downgrade firing critical "+code(3)+" tenant-"+code(2),
			"chain_risk firing critical "+code(2)+" tenant-"+code(2))
		for _, n := range ns {
			if n.Subscription == "tenant-"+code(1) || n.Subscription == "ops-a" {
				if n.Leader == nil || n.Leader.USCC != code(1) || n.Tier != 1 {
					t.Errorf("%s: leader %+v tier %d, want A's chain at tier 1", n.Subscription, n.Leader, n.Tier)
				}
			}
			if n.Rule == RuleChainRisk {
				b, _ := encodeNotification(n)
				if !strings.Contains(string(b), code(5)) {
					t.Errorf("B's own chain_risk notification lost its contributor: %s", b)
				}
			}
		}

		// The API answers the same: A's tenant cannot read B's chain alert, and sees
		// the shared firm's alert with no firm outside its chain.
		viewA := tenantView(cfg, w.state(), code(1))
		list, err := m.Alerts(ctx, AlertQuery{View: viewA})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Rule+" "+a.Subject.USCC)
		}
		if want := []string{"grade_downgrade " + code(3)}; !slices.Equal(got, want) {
			t.Errorf("A's tenant lists %v, want %v", got, want)
		}
		if _, err := m.GetAlert(ctx, AlertID(Fingerprint(RuleChainRisk, code(2), code(2))), "", viewA); err == nil {
			t.Error("A's tenant reads B's chain_risk alert")
		}
		ds, err := m.Deliveries(ctx, DeliveryQuery{View: viewA})
		if err != nil || len(ds) != 1 || ds[0].USCC != code(3) {
			t.Errorf("A's deliveries: %+v, %v", ds, err)
		}
	})
}

// TestAcksArePerAudience: an acknowledgement stops the repeats of its own audience
// only — a tenant's those of its subscriptions, staff's those of the config file's —
// and each audience reads its own acknowledgement, never another's.
func TestAcksArePerAudience(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		up, down := 2, 1
		cfg := testConfig(t, subAll("ops"))
		cfg.Alerts.RepeatInterval = time.Hour
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := twoLeaders(t, cfg)
		clock := newFakeClock()
		m := newTestManager(t, st, cfg, clock)
		for _, leader := range []int{1, 2} {
			if _, err := m.CreateSubscription(ctx, code(leader), subChain("tenant-"+code(leader), leader, up, down)); err != nil {
				t.Fatal(err)
			}
		}
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("baseline")
		w.firms[3].grade = risk.GradeC
		s = w.observe(t, m, s, incr)
		ob.expect("the shared firm falls",
			"grade_downgrade firing warning "+code(3)+" ops",
			"grade_downgrade firing warning "+code(3)+" tenant-"+code(1),
			"grade_downgrade firing warning "+code(3)+" tenant-"+code(2))

		id := AlertID(Fingerprint(RuleGradeDowngrade, code(3), ""))
		viewA, viewB := tenantView(cfg, s, code(1)), tenantView(cfg, s, code(2))
		if err := m.Ack(ctx, id, viewA, "token-of-a"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(61 * time.Minute)
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("A acknowledged: staff and B still get the repeat",
			"grade_downgrade firing warning "+code(3)+" ops",
			"grade_downgrade firing warning "+code(3)+" tenant-"+code(2))
		for _, tc := range []struct {
			who  string
			view *visibility.View
			by   string
		}{{"A", viewA, "token-of-a"}, {"B", viewB, ""}, {"staff", nil, ""}} {
			a, err := m.GetAlert(ctx, id, "", tc.view)
			if err != nil || a.AckedBy != tc.by || a.AckedAt.IsZero() != (tc.by == "") {
				t.Errorf("%s reads acked_by %q at %v (%v), want %q", tc.who, a.AckedBy, a.AckedAt, err, tc.by)
			}
			list, err := m.Alerts(ctx, AlertQuery{View: tc.view})
			if err != nil || len(list) != 1 || list[0].AckedBy != tc.by {
				t.Errorf("%s lists %+v (%v), want acked_by %q", tc.who, list, err, tc.by)
			}
		}

		if err := m.Ack(ctx, id, nil, "analyst"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(61 * time.Minute)
		if err := m.Resend(ctx, s); err != nil {
			t.Fatal(err)
		}
		ob.expect("staff acknowledged too: B alone", "grade_downgrade firing warning "+code(3)+" tenant-"+code(2))
	})
}
