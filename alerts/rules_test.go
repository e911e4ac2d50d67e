package alerts

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

const (
	full = monitor.ScanFull
	incr = monitor.ScanIncremental
)

// expectOutbox checks the notifications enqueued since the last call.
type outboxWatch struct {
	t    *testing.T
	st   store.Store
	seen int
}

func (o *outboxWatch) expect(what string, want ...string) []*notify.Notification {
	o.t.Helper()
	all := outbox(o.t, o.st)
	got := all[o.seen:]
	o.seen = len(all)
	if want == nil {
		want = []string{}
	}
	if b := brief(got); !slices.Equal(b, want) {
		o.t.Errorf("%s: notifications\n  %s\nwant\n  %s", what, strings.Join(b, "\n  "), strings.Join(want, "\n  "))
	}
	for _, n := range got {
		if _, err := notify.Summary(n); err != nil {
			o.t.Errorf("%s: summary of %s: %v", what, n.Fingerprint, err)
		}
	}
	return got
}

// TestBaselineThenChange: the first scan on an empty store records what fires and
// notifies nothing; the next change notifies, and only it.
func TestBaselineThenChange(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subAll("all"))
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.firm(2, tfirm{grade: risk.GradeD, score: 300, events: []risk.EventRef{w.event("dishonest_judgment_debtor", t0.AddDate(0, 0, -10))}})
		w.firm(3, tfirm{})
		w.rels = []trel{{2, 1, 0.3, 0.5, 0.5}, {3, 1, 0.3, 0.5, 0.5}}
		w.chains[1] = &risk.Exposure{ChainRisk: 0.5, SupplyAtRisk: 0.1}
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}

		s1 := w.observe(t, m, nil, full)
		ob.expect("baseline")
		firing := firingAlerts(t, st)
		for _, fp := range []string{Fingerprint(RuleSevereEvent, code(2), ""), Fingerprint(RuleChainRisk, code(1), code(1))} {
			if a, ok := firing[fp]; !ok || !a.Quiet || !a.NotifiedAt.IsZero() {
				t.Errorf("baseline alert %s: %+v (present %v)", fp, a, ok)
			}
		}
		if len(firing) != 2 {
			t.Errorf("%d alerts fire after the baseline, want 2: %v", len(firing), firing)
		}
		persist(t, st, s1)

		w.firms[3].grade, w.firms[3].score = risk.GradeC, 690
		s2 := w.observe(t, m, s1, incr)
		ob.expect("a downgrade after the baseline", "grade_downgrade firing warning "+code(3)+" all")
		// Nothing changes: nothing more.
		w.observe(t, m, s2, incr)
		ob.expect("no change")
		list, err := m.Alerts(context.Background(), AlertQuery{State: store.AlertFiring})
		if err != nil || len(list) != 3 {
			t.Fatalf("Alerts = %v, %v", list, err)
		}
		for _, a := range list {
			if a.Baseline != (a.Rule != RuleGradeDowngrade) {
				t.Errorf("alert %s baseline = %v", a.Fingerprint, a.Baseline)
			}
		}
	})
}

func TestGradeDowngrade(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subAll("all"))
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		w.firm(2, tfirm{grade: risk.GradeA, score: 880})
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		x := code(1)
		step := func(g risk.Grade, score float64, what string, want ...string) []*notify.Notification {
			t.Helper()
			w.firms[1].grade, w.firms[1].score = g, score
			s = w.observe(t, m, s, incr)
			return ob.expect(what, want...)
		}
		ns := step(risk.GradeC, 600, "B → C", "grade_downgrade firing warning "+x+" all")
		if n := ns[0]; n.Subject.PreviousGrade != "B" || n.Subject.Grade != "C" || n.Values["score"] != 600 ||
			n.Values["previous_score"] != 750 || n.URL != "https://chainrisk.example.com/api/v1/enterprises/"+x {
			t.Errorf("notification: %+v", n)
		}
		step(risk.GradeD, 450, "C → D: critical", "grade_downgrade firing critical "+x+" all")
		step(risk.GradeC, 520, "D → C: still below B, warning again", "grade_downgrade firing warning "+x+" all")
		step(risk.GradeC, 530, "C, score moves")
		a := firingAlerts(t, st)[Fingerprint(RuleGradeDowngrade, x, "")]
		if a.PreviousGrade != "B" || a.Grade != "C" || a.Severity != config.AlertWarning {
			t.Errorf("alert: %+v", a)
		}
		ns = step(risk.GradeB, 720, "back at B: resolved", "grade_downgrade resolved warning "+x+" all")
		if n := ns[0]; n.EndedAt.IsZero() || n.Subject.Grade != "B" {
			t.Errorf("resolved notification: %+v", n)
		}
		step(risk.GradeB, 720, "nothing more")
		// An upgrade or a fall to B alerts nobody; A → D does.
		w.firms[2].grade = risk.GradeB
		s = w.observe(t, m, s, incr)
		ob.expect("A → B")
		w.firms[2].grade = risk.GradeD
		s = w.observe(t, m, s, incr)
		ob.expect("B → D", "grade_downgrade firing critical "+code(2)+" all")
	})
}

func TestSevereEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		sub := subChain("chain", 1, 3, 1)
		sub.Language = "en"
		cfg := testConfig(t, sub)
		cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.firm(2, tfirm{})
		w.firm(5, tfirm{}) // outside the chain: not watched
		w.rels = []trel{{2, 1, 0.4, 0.5, 0.5}}
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		x := code(2)
		set := func(i int, evs ...risk.EventRef) { w.firms[i].events = evs }
		djd := w.event("dishonest_judgment_debtor", t0.AddDate(0, 0, -1))
		tax := w.event("tax_arrears", t0)
		medium := w.event("judgment_debtor", t0)

		set(2, djd)
		set(5, djd)
		s = w.observe(t, m, s, incr)
		ns := ob.expect("a critical event", "severe_event firing critical "+x+" chain")
		if n := ns[0]; len(n.Reasons) != 1 || !strings.HasPrefix(n.Reasons[0], "dishonest_judgment_debtor −350 (") || n.Tier != 1 {
			t.Errorf("notification: %+v", n)
		}
		s = w.observe(t, m, s, full)
		ob.expect("the same events, full scan")
		set(2, djd, tax)
		s = w.observe(t, m, s, incr)
		ns = ob.expect("a second severe event: notified again", "severe_event firing critical "+x+" chain")
		if r := ns[0].Reasons; len(r) != 2 || !strings.HasPrefix(r[0], "tax_arrears") {
			t.Errorf("the new event comes first: %q", r)
		}
		set(2, tax, medium)
		s = w.observe(t, m, s, incr)
		ob.expect("the critical one repaired: warning", "severe_event firing warning "+x+" chain")
		set(2, medium)
		s = w.observe(t, m, s, incr)
		ob.expect("no severe event left: resolved", "severe_event resolved warning "+x+" chain")
		set(2, medium, w.event("judgment_debtor", t0.Add(time.Hour)))
		w.observe(t, m, s, incr)
		ob.expect("medium events alert nobody")
	})
}

func TestChainRiskHysteresis(t *testing.T) {
	for _, tc := range []struct {
		m                float64
		held, want       string
		wantThreshold    float64
		wantDescribeNote string
	}{
		{0.21, "", "warning", 0.2, "fires at the warning threshold"},
		{0.19, "", "", 0, "below it: nothing"},
		{0.19, "warning", "warning", 0.2, "held above 90 %"},
		{0.18, "warning", "warning", 0.2, "held at exactly 90 %"},
		{0.17, "warning", "", 0, "resolves below 90 %"},
		{0.41, "warning", "critical", 0.4, "escalates"},
		{0.37, "critical", "critical", 0.4, "held critical above 0.36"},
		{0.35, "critical", "warning", 0.2, "back to warning"},
		{0.17, "critical", "", 0, "resolves from critical"},
	} {
		sev, th := chainRiskLevel(tc.m, tc.held, ruleNamed(RuleChainRisk).defaults().(*chainRiskParams))
		if sev != tc.want || th != tc.wantThreshold {
			t.Errorf("%s: chainRiskLevel(%v, %q) = %q, %v; want %q, %v", tc.wantDescribeNote, tc.m, tc.held, sev, th, tc.want, tc.wantThreshold)
		}
	}
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subChain("chain", 1, 3, 1))
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.chains[1] = &risk.Exposure{ChainRisk: 0.1}
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		l := code(1)
		for _, step := range []struct {
			chainRisk, supply float64
			want              []string
		}{
			{0.21, 0, []string{"chain_risk firing warning " + l + " chain"}},
			{0.19, 0, nil},
			{0.17, 0, []string{"chain_risk resolved warning " + l + " chain"}},
			{0.41, 0, []string{"chain_risk firing critical " + l + " chain"}},
			{0.37, 0, nil},
			{0.35, 0, []string{"chain_risk firing warning " + l + " chain"}},
			{0.19, 0, nil},
			{0.1, 0, []string{"chain_risk resolved warning " + l + " chain"}},
			{0.05, 0.25, []string{"chain_risk firing warning " + l + " chain"}}, // supply_at_risk counts too
		} {
			w.chains[1] = &risk.Exposure{ChainRisk: step.chainRisk, SupplyAtRisk: step.supply}
			s = w.observe(t, m, s, incr)
			ns := ob.expect("chain risk "+notify.FormatNumber(step.chainRisk), step.want...)
			for _, n := range ns {
				if n.Status == notify.StatusFiring && (n.Values["chain_risk"] != step.chainRisk || n.Values["threshold"] == 0 ||
					n.Tier != 0 || n.Leader == nil || n.Leader.USCC != l || n.URL != "https://chainrisk.example.com/api/v1/chains/"+l) {
					t.Errorf("notification: %+v", n)
				}
			}
		}
	})
}

func TestScoreDrop(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subAll("all"))
		w := newWorld(cfg, t0.AddDate(0, 0, -20))
		w.firm(1, tfirm{score: 800})
		w.firm(2, tfirm{score: 800})
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		persist(t, st, s)
		w.at = t0.AddDate(0, 0, -1)
		w.firms[1].score = 780
		s = w.observe(t, m, s, full)
		persist(t, st, s)
		ob.expect("−20")
		w.at = t0
		w.firms[1].score, w.firms[2].score = 690, 710
		s = w.observe(t, m, s, full)
		ns := ob.expect("−90 now, −110 within 30 days", "score_drop firing warning "+code(1)+" all")
		if n := ns[0]; n.Values["score"] != 690 || n.Values["previous_score"] != 800 {
			t.Errorf("values %v", n.Values)
		}
		persist(t, st, s)
		w.firms[1].score = 760
		w.observe(t, m, s, full)
		ob.expect("recovered to −40", "score_drop resolved warning "+code(1)+" all")
	})
}

func TestSingleSource(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subChain("chain", 1, 3, 1))
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.firm(2, tfirm{}) // sole source of the leader
		w.firm(3, tfirm{}) // tier 1
		w.firm(4, tfirm{}) // sole source of 3
		w.rels = []trel{{2, 1, 0.6, 0.5, 0.1}, {3, 1, 0.3, 0.5, 0.5}, {4, 3, 0.7, 0.4, 0.1}}
		w.chains[1] = &risk.Exposure{Concentration: []risk.Concentration{
			{USCC: code(1), SingleSource: []risk.SingleSource{{Supplier: code(2), PurchaseShare: 0.6, Substitutability: 0.1}}},
			{USCC: code(3), Tier: 1, SingleSource: []risk.SingleSource{{Supplier: code(4), PurchaseShare: 0.7, Substitutability: 0.1}}},
		}}
		cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		w.firms[2].grade = risk.GradeC
		w.firms[4].grade = risk.GradeD
		s = w.observe(t, m, s, incr)
		ns := ob.expect("sole sources at C and D",
			"single_source firing warning "+code(2)+" chain", "single_source firing critical "+code(4)+" chain")
		if n := ns[0]; !slices.Equal(n.Path, []string{code(2), code(1)}) || !slices.Equal(n.PathShares, []float64{0.6}) || n.Tier != 1 {
			t.Errorf("leader's sole source: %+v", n)
		}
		if n := ns[1]; !slices.Equal(n.Path, []string{code(4), code(3), code(1)}) || !slices.Equal(n.PathShares, []float64{0.7, 0.3}) ||
			n.Tier != 2 || n.PathNames[1] != "测试企业3有限公司" || !strings.Contains(n.Reasons[0], "测试企业3有限公司") {
			t.Errorf("tier-1's sole source: %+v", n)
		}
		if s, _ := notify.Summary(ns[1]); !strings.Contains(s, "测试企业3有限公司") {
			t.Errorf("summary does not name the firm solely supplied:\n%s", s)
		}
		w.firms[2].grade = risk.GradeA
		w.observe(t, m, s, incr)
		ob.expect("upgraded", "single_source resolved warning "+code(2)+" chain")
	})
}

// TestRepairDone needs the store's repairs: the firms and events are ingested.
func TestRepairDone(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t, subAll("all"))
		clock := notifytest.NewClock(time.Now().Add(-time.Second)) // the store stamps repairs with the system clock
		imp := func(kind credit.Kind, text string) {
			t.Helper()
			sum, err := ingest.Import(ctx, st, []ingest.Input{{File: string(kind), Kind: kind, Format: ingest.CSV, R: strings.NewReader(text)}},
				ingest.ImportOptions{Strict: true, Validator: &credit.Validator{Catalogue: cfg.Catalogue()}})
			if err != nil || !sum.OK() {
				t.Fatalf("import %s: %v %v", kind, err, sum.Errors)
			}
		}
		imp(credit.KindEnterprises, "uscc,name,region,industry,tags,status\n"+
			code(1)+",专精特新企业,230100,C1331,specialized,active\n"+code(2)+",普通企业,230100,C1331,,active\n")
		imp(credit.KindEvents, "event_id,uscc,type,occurred_at\nE1,"+code(1)+",tax_arrears,2026-10-01\nE2,"+code(2)+",tax_arrears,2026-10-01\n")
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{specialized: true})
		w.firm(2, tfirm{})
		m := newTestManager(t, st, cfg, clock)
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		imp(credit.KindRepairs, "event_id,repaired_at,decided_by,reason\nE1,2026-11-01,省发改委,已整改\nE2,2026-11-01,省发改委,已整改\n")
		s = w.observe(t, m, s, incr)
		ns := ob.expect("repairs", "repair_done firing info "+code(1)+" all")
		if r := ns[0].Reasons; len(r) != 1 || !strings.Contains(r[0], "欠税公告") || !strings.Contains(r[0], "省发改委") {
			t.Errorf("reasons %q", r)
		}
		s = w.observe(t, m, s, incr)
		ob.expect("no new repair")
		w.observe(t, m, s, full)
		ob.expect("a full scan resolves it without a word")
		if a, err := st.Alert(ctx, AlertID(Fingerprint(RuleRepairDone, code(1), ""))); err != nil || a.State != store.AlertResolved {
			t.Errorf("repair_done after a full scan: %+v, %v", a, err)
		}
	})
}

func TestStaleData(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subAll("all"))
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		w.firm(2, tfirm{})
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		w.firms[1].updated = t0.AddDate(0, 0, -200)
		s = w.observe(t, m, s, incr)
		ob.expect("judged on full scans only")
		s = w.observe(t, m, s, full)
		ns := ob.expect("200 days old", "stale_data firing warning "+code(1)+" all")
		if ns[0].Values["age_days"] != 200 {
			t.Errorf("values %v", ns[0].Values)
		}
		s = w.observe(t, m, s, full)
		ob.expect("still stale: nothing new")
		w.firms[1].updated = t0
		w.observe(t, m, s, incr)
		ob.expect("updated", "stale_data resolved warning "+code(1)+" all")
	})
}

// TestRestartComparesWithTheStore: a new process (prev nil) compares with the stored
// results and alerts: a grade changed meanwhile fires, old events do not.
func TestRestartComparesWithTheStore(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, subAll("all"))
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := newWorld(cfg, t0)
		old := w.event("dishonest_judgment_debtor", t0.AddDate(0, -2, 0))
		w.firm(1, tfirm{})
		w.firm(2, tfirm{grade: risk.GradeD, score: 400, events: []risk.EventRef{old}})
		w.firm(3, tfirm{})
		// Results held but no alert at all: a store that predates alerts.
		persist(t, st, w.state())
		w.firms[1].grade, w.firms[1].score = risk.GradeC, 600
		w.firms[3].grade, w.firms[3].score = risk.GradeD, 400
		w.firms[3].events = []risk.EventRef{w.event("bankruptcy", t0.AddDate(0, 0, -1))}
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("restart", "grade_downgrade firing warning "+code(1)+" all",
			"grade_downgrade firing critical "+code(3)+" all + severe_event firing critical")
		persist(t, st, s)
		// Another restart: the alerts in the store are the state; nothing is repeated.
		m2 := newTestManager(t, st, cfg, newFakeClock())
		w.observe(t, m2, nil, full)
		ob.expect("second restart")
	})
}

// TestSevereEventAfterRestart: a severe event taken in by a process that stopped
// before announcing it (killed between the ingest and its scan) is announced by the
// first evaluation of the next process, though the firm's alert fires already; the
// events announced before are not announced again.
func TestSevereEventAfterRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		sub := subAll("all")
		sub.Language = "en"
		cfg := testConfig(t, sub)
		cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		w.firm(2, tfirm{})
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		djd := w.event("dishonest_judgment_debtor", t0.AddDate(0, 0, -1))
		w.firms[2].events = []risk.EventRef{djd}
		s = w.observe(t, m, s, incr)
		ob.expect("a critical event", "severe_event firing critical "+code(2)+" all")
		persist(t, st, s)

		// The process stops; the next one finds a new event the old one never announced.
		tax := w.event("tax_arrears", t0)
		w.firms[2].events = []risk.EventRef{djd, tax}
		m2 := newTestManager(t, st, cfg, newFakeClock())
		s = w.observe(t, m2, nil, full)
		ns := ob.expect("restart with an unannounced event", "severe_event firing critical "+code(2)+" all")
		if len(ns) == 1 && (len(ns[0].Reasons) == 0 || !strings.HasPrefix(ns[0].Reasons[0], "tax_arrears")) {
			t.Errorf("the unannounced event comes first: %q", ns[0].Reasons)
		}
		persist(t, st, s)
		m3 := newTestManager(t, st, cfg, newFakeClock())
		w.observe(t, m3, nil, full)
		ob.expect("another restart: nothing new")
	})
}

// TestSevereEventCatalogueReload: a reload that adds an event type shifts the type
// indexes; the same events are not new, a new one is.
func TestSevereEventCatalogueReload(t *testing.T) {
	st := openSQLite(t)
	cfg := testConfig(t, subAll("all"))
	cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
	cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{})
	w.firm(2, tfirm{})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.firms[1].events = []risk.EventRef{w.event("tax_arrears", t0)}
	s = w.observe(t, m, s, incr)
	ob.expect("before the reload", "severe_event firing warning "+code(1)+" all")

	points := -300.0
	cfg2 := *cfg
	cfg2.Model.EventTypes = []config.EventTypeConfig{{Name: "aaa_local_blacklist", Points: &points,
		Severity: credit.SeverityCritical, Publicity: &credit.Period{Years: 1}}}
	w.model = risk.NewModel(cfg2.ScoreParams(), cfg2.Catalogue())
	if w.model.TypeIndex("tax_arrears") == s.Params.Model.TypeIndex("tax_arrears") {
		t.Fatal("the new type did not shift the indexes")
	}
	w.firms[1].events = []risk.EventRef{w.event("tax_arrears", t0)}
	s = w.observe(t, m, s, full)
	ob.expect("the same events under the new catalogue")
	w.firms[2].events = []risk.EventRef{w.event("aaa_local_blacklist", t0)}
	w.observe(t, m, s, incr)
	ob.expect("an event of the new type", "severe_event firing critical "+code(2)+" all")
}

// TestDisabledRuleResolves: disabling a rule (a reload) resolves its alerts, and
// says so (rule_disabled).
func TestDisabledRuleResolves(t *testing.T) {
	st := openSQLite(t)
	cfg := testConfig(t, subAll("all"))
	cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.firms[1].grade = risk.GradeC
	s = w.observe(t, m, s, incr)
	ob.expect("fires", "grade_downgrade firing warning "+code(1)+" all")
	cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
	w.observe(t, m, s, incr)
	got := ob.expect("rule disabled", "grade_downgrade resolved warning "+code(1)+" all")
	if len(got) == 1 && got[0].ResolveReason != notify.ResolveRuleDisabled {
		t.Errorf("resolve reason %q, want rule_disabled", got[0].ResolveReason)
	}
	if a := firingAlerts(t, st); len(a) != 0 {
		t.Errorf("alerts of a disabled rule still fire: %v", a)
	}
}
