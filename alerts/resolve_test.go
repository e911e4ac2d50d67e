package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// bilingual is a zh and an en subscription to every alert.
func bilingual() []config.Subscription {
	zh, en := subAll("zh"), subAll("en")
	zh.Language, en.Language = "zh", "en"
	return []config.Subscription{zh, en}
}

// resolveConfig is a config with the bilingual subscriptions, score_drop off (the
// scenarios move scores).
func resolveConfig(t *testing.T) *config.Config {
	cfg := testConfig(t, bilingual()...)
	cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
	return cfg
}

// expectResolve checks the resolve notifications got (one zh, one en): their reason,
// and that each summary holds its language's lines and none of the stale ones.
func expectResolve(t *testing.T, got []*notify.Notification, why string, zh, en, stale []string) {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("%d resolve notifications, want 2 (zh, en)", len(got))
	}
	for _, n := range got {
		if n.Status != notify.StatusResolved || n.ResolveReason != why {
			t.Errorf("%s: status %s, resolve reason %q, want %q", n.Subscription, n.Status, n.ResolveReason, why)
		}
		s, err := notify.Summary(n)
		if err != nil {
			t.Fatal(err)
		}
		want := zh
		if n.Language == "en" {
			want = en
		}
		for _, line := range want {
			if !strings.Contains(s, line) {
				t.Errorf("%s summary lacks %q:\n%s", n.Language, line, s)
			}
		}
		for _, line := range stale {
			if strings.Contains(s, line) || strings.Contains(strings.Join(n.Reasons, "\n"), line) {
				t.Errorf("%s summary or reasons still hold %q:\n%s\n%q", n.Language, line, s, n.Reasons)
			}
		}
	}
}

// TestResolveGradeRecovered: a downgrade to C at 507 with a 失信被执行人 event resolves
// once the firm is back at B, 720, the event gone: the message quotes 720, not 507,
// and no event.
func TestResolveGradeRecovered(t *testing.T) {
	st := openSQLite(t)
	cfg := resolveConfig(t)
	cfg.Alerts.Rules.SetEnabled(RuleSevereEvent, false)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.firms[1].grade, w.firms[1].score = risk.GradeC, 507
	w.firms[1].events = []risk.EventRef{w.event("dishonest_judgment_debtor", t0.Add(-24*time.Hour))}
	s = w.observe(t, m, s, incr)
	ns := ob.expect("fires", "grade_downgrade firing warning "+code(1)+" zh", "grade_downgrade firing warning "+code(1)+" en")
	if len(ns) == 2 && !strings.Contains(strings.Join(ns[0].Reasons, ""), "失信被执行人") {
		t.Errorf("firing reasons %q lack the event", ns[0].Reasons)
	}
	w.firms[1].grade, w.firms[1].score, w.firms[1].events = risk.GradeB, 720, nil
	w.observe(t, m, s, incr)
	got := ob.expect("recovered", "grade_downgrade resolved warning "+code(1)+" zh", "grade_downgrade resolved warning "+code(1)+" en")
	// The world's p is 0.05 for every firm.
	expectResolve(t, got, notify.ResolveGradeRecovered,
		[]string{"当前等级 B", "恢复原因：等级恢复", "信用分：720\n", "违约概率：0.05"},
		[]string{"grade now B", "Why: grade recovered", "Score: 720\n", "Default probability: 0.05"},
		[]string{"507", "失信被执行人", "dishonest_judgment_debtor"})
	if len(got) == 2 && (got[0].Values["score"] != 720 || got[0].Values["p"] != 0.05 || len(got[0].Reasons) != 0) {
		t.Errorf("resolve figures %v, reasons %q", got[0].Values, got[0].Reasons)
	}
}

// TestResolveRiskFell: a chain at 0.25 (warning 0.2) holds at 0.19, above the
// hysteresis threshold 0.9 × 0.2 = 0.18, and resolves at 0.15, quoted.
func TestResolveRiskFell(t *testing.T) {
	st := openSQLite(t)
	cfg := resolveConfig(t)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true})
	w.chains[1] = &risk.Exposure{ChainRisk: 0.1}
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.chains[1] = &risk.Exposure{ChainRisk: 0.25, SupplyAtRisk: 0.1}
	s = w.observe(t, m, s, full)
	ob.expect("fires", "chain_risk firing warning "+code(1)+" zh", "chain_risk firing warning "+code(1)+" en")
	w.chains[1] = &risk.Exposure{ChainRisk: 0.19, SupplyAtRisk: 0.1}
	s = w.observe(t, m, s, full)
	ob.expect("held by the hysteresis")
	w.chains[1] = &risk.Exposure{ChainRisk: 0.15, SupplyAtRisk: 0.05}
	w.observe(t, m, s, full)
	got := ob.expect("fell", "chain_risk resolved warning "+code(1)+" zh", "chain_risk resolved warning "+code(1)+" en")
	expectResolve(t, got, notify.ResolveRiskFell,
		[]string{"恢复原因：风险回落", "链风险：0.15（阈值 0.2）", "供应风险：0.05"},
		[]string{"Why: risk fell back", "Chain risk: 0.15 (threshold 0.2)", "Supply at risk: 0.05"},
		[]string{"0.25", "0.19"})
}

// TestResolveRelationEnded: the leader's sole source at grade C stops being its sole
// source while still at C.
func TestResolveRelationEnded(t *testing.T) {
	st := openSQLite(t)
	cfg := resolveConfig(t)
	cfg.Alerts.Rules.SetEnabled(RuleGradeDowngrade, false)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true})
	w.firm(2, tfirm{})
	w.rels = []trel{{2, 1, 0.6, 0.5, 0.1}}
	w.chains[1] = &risk.Exposure{Concentration: []risk.Concentration{
		{USCC: code(1), SingleSource: []risk.SingleSource{{Supplier: code(2), PurchaseShare: 0.6, Substitutability: 0.1}}}}}
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.firms[2].grade, w.firms[2].score = risk.GradeC, 600
	s = w.observe(t, m, s, incr)
	ob.expect("fires", "single_source firing warning "+code(2)+" zh", "single_source firing warning "+code(2)+" en")
	w.chains[1] = &risk.Exposure{}
	w.firms[2].score = 610
	w.observe(t, m, s, full)
	got := ob.expect("ended", "single_source resolved warning "+code(2)+" zh", "single_source resolved warning "+code(2)+" en")
	expectResolve(t, got, notify.ResolveRelationEnded,
		[]string{"恢复原因：供应关系结束", "信用分：610\n"},
		[]string{"Why: relation ended", "Score: 610\n"},
		[]string{"600"})
}

// TestResolveRepairedOrExpired: two firms' severe events end, one repaired in the
// store (repaired), the other without a repair (publicity_expired).
func TestResolveRepairedOrExpired(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := resolveConfig(t)
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
			code(1)+",一号企业,230100,C1331,,active\n"+code(2)+",二号企业,230100,C1331,,active\n")
		imp(credit.KindEvents, "event_id,uscc,type,occurred_at\nE1,"+code(1)+",tax_arrears,2026-10-01\nE2,"+code(2)+",tax_arrears,2026-10-01\n")
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{})
		w.firm(2, tfirm{})
		m := newTestManager(t, st, cfg, clock)
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		at := time.Date(2026, 10, 1, 0, 0, 0, 0, credit.Shanghai)
		for i := 1; i <= 2; i++ {
			w.firms[i].events, w.firms[i].score = []risk.EventRef{w.event("tax_arrears", at)}, 600
		}
		s = w.observe(t, m, s, incr)
		ob.expect("fire", "severe_event firing warning "+code(1)+" zh", "severe_event firing warning "+code(1)+" en",
			"severe_event firing warning "+code(2)+" zh", "severe_event firing warning "+code(2)+" en")
		imp(credit.KindRepairs, "event_id,repaired_at,decided_by,reason\nE1,2026-11-01,省发改委,已整改\n")
		w.firms[1].events, w.firms[1].score = nil, 740
		w.firms[2].events, w.firms[2].score = nil, 745
		w.observe(t, m, s, incr)
		got := ob.expect("ended", "severe_event resolved warning "+code(1)+" zh", "severe_event resolved warning "+code(1)+" en",
			"severe_event resolved warning "+code(2)+" zh", "severe_event resolved warning "+code(2)+" en")
		if len(got) != 4 {
			return
		}
		stale := []string{"600", "欠税公告", "tax_arrears"}
		expectResolve(t, got[:2], notify.ResolveRepaired, []string{"恢复原因：信用修复", "信用分：740\n"},
			[]string{"Why: credit repaired", "Score: 740\n"}, stale)
		expectResolve(t, got[2:], notify.ResolvePublicityExpired, []string{"恢复原因：公示期满", "信用分：745\n"},
			[]string{"Why: publicity period ended", "Score: 745\n"}, stale)
		a, err := st.Alert(ctx, AlertID(Fingerprint(RuleSevereEvent, code(1), "")))
		if err != nil || a.State != store.AlertResolved || !strings.Contains(string(a.Details), `"resolved":"repaired"`) {
			t.Errorf("stored alert: %s %s, %v", a.State, a.Details, err)
		}
		for i, want := range []string{notify.ResolveRepaired, notify.ResolvePublicityExpired} {
			v, err := m.GetAlert(ctx, AlertID(Fingerprint(RuleSevereEvent, code(i+1), "")), "en", nil)
			if err != nil || v.ResolveReason != want || v.Values["score"] != float64(740+5*i) || len(v.Reasons) != 0 {
				t.Errorf("listed alert of firm %d: %+v, %v; want %s at %d", i+1, v, err, want, 740+5*i)
			}
		}
	})
}

// TestResolveDataUpdated: a record 200 days old (max_age 180 days) is updated two days
// before the scan: the resolve quotes 2 days, not 200.
func TestResolveDataUpdated(t *testing.T) {
	st := openSQLite(t)
	cfg := resolveConfig(t)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	w.firms[1].updated = t0.AddDate(0, 0, -200)
	s = w.observe(t, m, s, full)
	ob.expect("stale", "stale_data firing warning "+code(1)+" zh", "stale_data firing warning "+code(1)+" en")
	w.firms[1].updated = t0.AddDate(0, 0, -2)
	w.observe(t, m, s, full)
	got := ob.expect("updated", "stale_data resolved warning "+code(1)+" zh", "stale_data resolved warning "+code(1)+" en")
	expectResolve(t, got, notify.ResolveDataUpdated, []string{"恢复原因：数据已更新", "已 2 天未更新"},
		[]string{"Why: record updated", "Last updated 2 days ago"}, []string{"200"})
}
