package alerts

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// stake is a holding of a hand-built world: firm h holds share of firm f; a person
// holds it when person is set (h is then unused).
type stake struct {
	h, f   int
	share  float64
	person string
}

// hold replaces the world's holdings with a new registry, as a scan that read changed
// holdings publishes one.
func (w *world) hold(t testing.TB, stakes ...stake) {
	t.Helper()
	var hs []ownership.Holding
	for _, s := range stakes {
		h := ownership.Holding{Holder: code(s.h), HolderKind: ownership.Firm, Investee: code(s.f), Share: s.share}
		if s.person != "" {
			h.Holder, h.HolderKind = s.person, ownership.Person
		}
		hs = append(hs, h)
	}
	reg, err := ownership.Build(hs, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.owners = reg
}

// relatedSub is a chain subscription of leader 1 (depth 3 up, 1 down) to
// related_party_distress alone, in English.
func relatedSub(name string) config.Subscription {
	sub := subChain(name, 1, 3, 1)
	sub.Rules, sub.Language = []string{RuleRelatedPartyDistress}, "en"
	return sub
}

// relatedAlert returns the stored related_party_distress alert about firm i, decoded.
func relatedAlert(t *testing.T, st store.Store, i int) *current {
	t.Helper()
	a, err := st.Alert(context.Background(), AlertID(Fingerprint(RuleRelatedPartyDistress, code(i), "")))
	if err != nil {
		t.Fatalf("alert about %d: %v", i, err)
	}
	c, err := decodeAlert(*a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRelatedPartyController: the holding company 10 controls firm 2, a supplier of
// leader 1, through the middle company 11 (65 % of 11, which holds 60 % of 2), and
// controls firm 3, outside the chain, directly. 10 falling to D alerts about 2, not
// about 3; 11's critical event adds a party and notifies again; 10's recovery leaves
// the alert firing quietly on 11; 11's repair resolves it.
func TestRelatedPartyController(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		cfg := testConfig(t, relatedSub("chain"))
		w := newWorld(cfg, t0)
		w.firm(1, tfirm{leading: true})
		w.firm(2, tfirm{})
		w.firm(3, tfirm{})
		w.firm(10, tfirm{})
		w.firm(11, tfirm{})
		w.rels = []trel{{2, 1, 0.4, 0.5, 0.5}}
		w.hold(t, stake{h: 10, f: 11, share: 0.65}, stake{person: "p-xiao", f: 11, share: 0.35},
			stake{h: 11, f: 2, share: 0.6}, stake{person: "p-xue", f: 2, share: 0.4}, stake{h: 10, f: 3, share: 0.7})
		m := newTestManager(t, st, cfg, newFakeClock())
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("baseline: nobody in distress")

		w.firms[10].grade, w.firms[10].score = risk.GradeD, 420
		s = w.observe(t, m, s, incr)
		ns := ob.expect("the controller falls to D", "related_party_distress firing warning "+code(2)+" chain")
		// 10 holds 0.65 × 0.6 = 0.39 of 2: the controller, not a majority holder.
		want := "actual controller 测试企业10有限公司 (" + code(10) + "), penetrated share 39%: grade D"
		if n := ns[0]; !slices.Equal(n.Reasons, []string{want}) || n.Tier != 1 ||
			!slices.Equal(n.Path, []string{code(2), code(1)}) || n.Subject.Grade != "B" {
			t.Errorf("notification: reasons %q tier %d path %v subject %+v", n.Reasons, n.Tier, n.Path, n.Subject)
		}
		a := relatedAlert(t, st, 2)
		if !slices.Equal(a.det.Path, []string{code(10), code(11), code(2)}) || !slices.Equal(a.det.Shares, []float64{0.65, 0.6}) ||
			!slices.Equal(a.det.Parties, []string{code(10)}) || a.Severity != config.AlertWarning || a.Leader != "" {
			t.Errorf("alert: %+v details %+v", a.Alert, a.det)
		}
		if _, ok := firingAlerts(t, st)[Fingerprint(RuleRelatedPartyDistress, code(3), "")]; ok {
			t.Error("firm 3, outside every subscription, has an alert")
		}

		w.firms[11].events = []risk.EventRef{w.event("dishonest_judgment_debtor", t0.AddDate(0, 0, -2))}
		s = w.observe(t, m, s, incr)
		ns = ob.expect("the middle company, a majority holder, gets a critical event: news",
			"related_party_distress firing warning "+code(2)+" chain")
		second := "majority holder 测试企业11有限公司 (" + code(11) + "), penetrated share 60%: grade B; dishonest_judgment_debtor"
		if !slices.Equal(ns[0].Reasons, []string{want, second}) {
			t.Errorf("reasons %q", ns[0].Reasons)
		}
		s = w.observe(t, m, s, full)
		ob.expect("the same on a full scan")

		w.firms[10].grade, w.firms[10].score = risk.GradeB, 720
		s = w.observe(t, m, s, incr)
		ob.expect("the controller recovers: still firing on the middle company, quietly")
		if a := relatedAlert(t, st, 2); a.State != store.AlertFiring || !slices.Equal(a.det.Parties, []string{code(11)}) ||
			!slices.Equal(a.det.Path, []string{code(11), code(2)}) || !slices.Equal(a.det.Shares, []float64{0.6}) {
			t.Errorf("alert: %+v details %+v", a.Alert, a.det)
		}

		w.firms[11].events = nil
		w.observe(t, m, s, incr)
		ob.expect("no related party in distress: resolved", "related_party_distress resolved warning "+code(2)+" chain")
	})
}

// TestRelatedPartyMajorityHolder: a holder above 1/2 through two paths with no link
// above 1/2 is related; one at exactly 1/2 (directly, or through two paths) or a
// minority holder is not.
func TestRelatedPartyMajorityHolder(t *testing.T) {
	cfg := testConfig(t, relatedSub("chain"))
	st := openSQLite(t)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true})
	for _, i := range []int{4, 5, 6} {
		w.firm(i, tfirm{})
		w.rels = append(w.rels, trel{i, 1, 0.2, 0.3, 0.5})
	}
	for _, i := range []int{21, 22, 24, 25, 26} {
		w.firm(i, tfirm{})
	}
	w.hold(t,
		// 21 holds 0.4 + 0.5 × 0.45 = 0.625 of 4; 4's holders have 0.4 and 0.45: no controller.
		stake{h: 21, f: 4, share: 0.4}, stake{h: 21, f: 22, share: 0.5}, stake{h: 22, f: 4, share: 0.45},
		// 24 holds 0.3 + 0.5 × 0.4 = 0.5 of 5, exactly; 25 0.4, a minority.
		stake{h: 24, f: 5, share: 0.3}, stake{h: 24, f: 25, share: 0.5}, stake{h: 25, f: 5, share: 0.4},
		// 26 holds exactly half of 6.
		stake{h: 26, f: 6, share: 0.5})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	ob.expect("baseline")
	for _, i := range []int{21, 24, 25, 26} {
		w.firms[i].events = []risk.EventRef{w.event("serious_dishonesty_list", t0.AddDate(0, 0, -1))}
	}
	s = w.observe(t, m, s, incr)
	ns := ob.expect("four holders get a critical event", "related_party_distress firing warning "+code(4)+" chain")
	want := "majority holder 测试企业21有限公司 (" + code(21) + "), penetrated share 62.5%: grade B; serious_dishonesty_list"
	if len(ns) == 1 && !slices.Equal(ns[0].Reasons, []string{want}) {
		t.Errorf("reasons %q", ns[0].Reasons)
	}
	// The path is the heavier one: directly 0.4, against 0.5 × 0.45 = 0.225.
	if a := relatedAlert(t, st, 4); !slices.Equal(a.det.Path, []string{code(21), code(4)}) || !slices.Equal(a.det.Shares, []float64{0.4}) {
		t.Errorf("path %v shares %v", a.det.Path, a.det.Shares)
	}
	w.observe(t, m, s, full)
	ob.expect("a full scan finds nothing more")
	if got := firingAlerts(t, st); len(got) != 1 {
		t.Errorf("firing: %v", slices.Collect(func(yield func(string) bool) {
			for fp := range got {
				yield(fp)
			}
		}))
	}
}

// TestRelatedPartyHoldingsChange: a new registry re-judges every firm its distressed
// firms may relate to, although no firm changed: a grade-D firm buying a majority of
// a watched firm alerts; selling down to a minority resolves. A subscription to
// everything is not told the ownership path as the firm's place in a chain.
func TestRelatedPartyHoldingsChange(t *testing.T) {
	ops := subAll("ops")
	ops.Rules = []string{RuleRelatedPartyDistress}
	cfg := testConfig(t, relatedSub("chain"), ops)
	st := openSQLite(t)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true})
	w.firm(2, tfirm{})
	w.firm(10, tfirm{grade: risk.GradeD, score: 380})
	w.rels = []trel{{2, 1, 0.4, 0.5, 0.5}}
	w.hold(t, stake{person: "p-xue", f: 2, share: 1})
	m := newTestManager(t, st, cfg, newFakeClock())
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	ob.expect("baseline")

	w.hold(t, stake{person: "p-xue", f: 2, share: 0.2}, stake{h: 10, f: 2, share: 0.8})
	s = w.observe(t, m, s, incr)
	ns := ob.expect("10 buys 80 % of 2", "related_party_distress firing warning "+code(2)+" chain",
		"related_party_distress firing warning "+code(2)+" ops")
	want := "actual controller and majority holder 测试企业10有限公司 (" + code(10) + "), penetrated share 80%: grade D"
	if len(ns) == 2 && (!slices.Equal(ns[0].Reasons, []string{want}) || ns[1].Path != nil || ns[1].Tier != 0 || ns[1].Leader != nil) {
		t.Errorf("reasons %q; to everything: path %v tier %d leader %v", ns[0].Reasons, ns[1].Path, ns[1].Tier, ns[1].Leader)
	}
	s = w.observe(t, m, s, incr)
	ob.expect("the same registry: nothing")
	w.hold(t, stake{person: "p-xue", f: 2, share: 0.7}, stake{h: 10, f: 2, share: 0.3})
	w.observe(t, m, s, incr)
	ob.expect("10 sells down to 30 %", "related_party_distress resolved warning "+code(2)+" chain",
		"related_party_distress resolved warning "+code(2)+" ops")
}

// TestRelatedPartyOverBudget: with a budget of one path step neither the holders of
// firm 2 nor the investees of 10 can be searched (two links each way): the majority
// chain down from 10 still reaches 2, whose controller alone — with no share — is
// judged; the evaluation says so in the log.
func TestRelatedPartyOverBudget(t *testing.T) {
	cfg := testConfig(t, relatedSub("chain"))
	cfg.Checks.MaxSteps = 1
	st := openSQLite(t)
	w := newWorld(cfg, t0)
	w.firm(1, tfirm{leading: true})
	w.firm(2, tfirm{})
	w.firm(10, tfirm{})
	w.firm(11, tfirm{})
	w.rels = []trel{{2, 1, 0.4, 0.5, 0.5}}
	w.hold(t, stake{h: 10, f: 11, share: 0.65}, stake{h: 11, f: 2, share: 0.6})
	logger, logs := testlog.Text(slog.LevelWarn)
	m := NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Clock: newFakeClock(), Logger: logger})
	ob := &outboxWatch{t: t, st: st}
	s := w.observe(t, m, nil, full)
	ob.expect("baseline")
	w.firms[10].grade = risk.GradeD
	w.observe(t, m, s, incr)
	ns := ob.expect("the controller falls", "related_party_distress firing warning "+code(2)+" chain")
	want := "actual controller 测试企业10有限公司 (" + code(10) + "): grade D"
	if len(ns) == 1 && !slices.Equal(ns[0].Reasons, []string{want}) {
		t.Errorf("reasons %q", ns[0].Reasons)
	}
	if logs.Count("ownership searches exceeded checks.max_steps", "holder_searches=1", "investee_searches=1") != 1 {
		t.Errorf("log:\n%s", logs)
	}
}

// TestRelatedPartyTenants: the alert about a firm goes to the tenants whose chain holds
// the firm, naming its related party although that party lies outside their chain;
// a tenant whose chain does not hold the firm neither receives nor reads it.
func TestRelatedPartyTenants(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t)
		w := twoLeaders(t, cfg)
		w.firm(8, tfirm{name: "共享供应商的控股公司"})
		w.firm(9, tfirm{name: "乙的二级供应商的控股公司"})
		// 8 holds 90 % of the shared supplier 3; 9 holds 70 % of 5, in B's chain only.
		w.hold(t, stake{h: 8, f: 3, share: 0.9}, stake{h: 9, f: 5, share: 0.7})
		m := newTestManager(t, st, cfg, newFakeClock())
		for _, leader := range []int{1, 2} {
			sub := subChain("tenant-"+code(leader), leader, 2, 1)
			sub.Rules = []string{RuleRelatedPartyDistress}
			if _, err := m.CreateSubscription(ctx, code(leader), sub); err != nil {
				t.Fatal(err)
			}
		}
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("baseline")
		w.firms[8].grade, w.firms[9].grade = risk.GradeD, risk.GradeD
		s = w.observe(t, m, s, incr)
		ns := ob.expect("both holding companies fall",
			"related_party_distress firing warning "+code(3)+" tenant-"+code(1),
			"related_party_distress firing warning "+code(3)+" tenant-"+code(2),
			"related_party_distress firing warning "+code(5)+" tenant-"+code(2))
		for _, n := range ns {
			party := map[string]string{code(3): code(8), code(5): code(9)}[n.Subject.USCC]
			if len(n.Reasons) != 1 || !strings.Contains(n.Reasons[0], party) {
				t.Errorf("%s about %s: reasons %q do not name the related party %s", n.Subscription, n.Subject.USCC, n.Reasons, party)
			}
		}

		// The API answers the same: A reads the alert about 3 with its party, not the
		// one about 5; B reads both, with the ownership path.
		viewA, viewB := tenantView(cfg, s, code(1)), tenantView(cfg, s, code(2))
		listA, err := m.Alerts(ctx, AlertQuery{View: viewA, Language: "en"})
		if err != nil || len(listA) != 1 || listA[0].Subject.USCC != code(3) || len(listA[0].Reasons) != 1 ||
			!strings.Contains(listA[0].Reasons[0], code(8)) || !slices.Equal(listA[0].Path, []string{code(8), code(3)}) {
			t.Errorf("A lists %+v, %v", listA, err)
		}
		id5 := AlertID(Fingerprint(RuleRelatedPartyDistress, code(5), ""))
		if _, err := m.GetAlert(ctx, id5, "", viewA); err == nil {
			t.Error("A reads the alert about 5, outside its chain")
		}
		a5, err := m.GetAlert(ctx, id5, "zh", viewB)
		if err != nil || !slices.Equal(a5.Path, []string{code(9), code(5)}) || len(a5.Reasons) != 1 ||
			a5.Reasons[0] != "实际控制人、控股股东 乙的二级供应商的控股公司 ("+code(9)+")，穿透持股 70%：信用等级 D" {
			t.Errorf("B reads %+v, %v", a5, err)
		}
	})
}

// TestRelatedReasonText words each relation, with and without a share and an event.
func TestRelatedReasonText(t *testing.T) {
	cat := config.Default().Catalogue()
	holding := "黑龙江恒信实业集团有限公司"
	for _, tc := range []struct {
		r      reason
		zh, en string
	}{
		{reason{Kind: reasonRelated, USCC: "91230102MAHTL3M900", Name: holding, Grade: "D", Value: 0.39, Controller: true, Type: "dishonest_judgment_debtor"},
			"实际控制人 黑龙江恒信实业集团有限公司 (91230102MAHTL3M900)，穿透持股 39%：信用等级 D；失信被执行人",
			"actual controller 黑龙江恒信实业集团有限公司 (91230102MAHTL3M900), penetrated share 39%: grade D; dishonest_judgment_debtor"},
		{reason{Kind: reasonRelated, USCC: "91230103MA0LW33J30", Grade: "C", Value: 0.6, Majority: true},
			"控股股东 91230103MA0LW33J30，穿透持股 60%：信用等级 C",
			"majority holder 91230103MA0LW33J30, penetrated share 60%: grade C"},
		{reason{Kind: reasonRelated, USCC: "91230102MAHTL3M900", Name: holding, Grade: "B", Controller: true, Majority: true, Type: "bankruptcy"},
			"实际控制人、控股股东 黑龙江恒信实业集团有限公司 (91230102MAHTL3M900)：信用等级 B；" + meaningOf(t, cat, "bankruptcy"),
			"actual controller and majority holder 黑龙江恒信实业集团有限公司 (91230102MAHTL3M900): grade B; bankruptcy"},
	} {
		if got := tc.r.text("zh", cat); got != tc.zh {
			t.Errorf("zh: %q, want %q", got, tc.zh)
		}
		if got := tc.r.text("en", cat); got != tc.en {
			t.Errorf("en: %q, want %q", got, tc.en)
		}
		b, _ := json.Marshal(tc.r)
		var back reason
		if err := json.Unmarshal(b, &back); err != nil || back != tc.r {
			t.Errorf("round trip: %s → %+v (%v)", b, back, err)
		}
	}
}

// meaningOf is the catalogue's Chinese meaning of an event type.
func meaningOf(t *testing.T, cat credit.Catalogue, typ string) string {
	t.Helper()
	ty, ok := cat.Lookup(typ)
	if !ok {
		t.Fatalf("no event type %s", typ)
	}
	return ty.Meaning
}

// loadDemoData imports the demo data set into st.
func loadDemoData(t *testing.T, st store.Store) {
	t.Helper()
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f})
	}
	sum, err := ingest.Import(context.Background(), st, inputs, ingest.ImportOptions{Strict: true,
		Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("demo: %v %v", err, sum.Errors)
	}
}

// TestDemoRelatedPartyDistress: in the demo, the carton maker 哈尔滨松花江恒信包装制品有限公司,
// a tier-1 supplier of the soybean leader, is controlled through 哈尔滨恒信企业管理有限公司
// (60 % of it) by the grade-D 黑龙江恒信实业集团有限公司 (65 % of the middle company), a
// 失信被执行人. chainriskd -demo (everything watched, its first scan announced) tells
// it at once, and so does a subscription to the soybean chain.
func TestDemoRelatedPartyDistress(t *testing.T) {
	const soy, supplier, middle, holding = "912301099436075960", "912301113528741157", "91230103MA0LW33J30", "91230102MAHTL3M900"
	st := openSQLite(t)
	loadDemoData(t, st)
	chain := config.Subscription{Name: "soybean-chain", Subscriber: soy, Channels: logChannel(),
		Scope: config.Scope{Kind: config.ScopeChain, Leader: soy}}
	cfg := testConfig(t, subAll("demo"), chain)
	m := NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Clock: newFakeClock(),
		Logger: discardLogger(), AnnounceFirst: true})
	anchor := demo.AnchorTime()
	engine := monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg),
		Logger: discardLogger(), Now: func() time.Time { return anchor }})
	engine.Observe(m.Observe)
	if _, err := engine.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}

	a, err := st.Alert(context.Background(), AlertID(Fingerprint(RuleRelatedPartyDistress, supplier, "")))
	if err != nil {
		t.Fatalf("no related_party_distress alert about the carton maker: %v", err)
	}
	c, err := decodeAlert(*a)
	if err != nil {
		t.Fatal(err)
	}
	// The holding company holds 0.65 × 0.6 = 0.39 of the carton maker: its controller,
	// not a majority holder; its worst critical event is the 失信被执行人 listing (its
	// other events are high or medium).
	want := reason{Kind: reasonRelated, USCC: holding, Name: "黑龙江恒信实业集团有限公司", Grade: "D", Value: 0.39,
		Controller: true, Type: "dishonest_judgment_debtor"}
	if a.State != store.AlertFiring || a.Quiet || a.Severity != config.AlertWarning || len(c.det.Reasons) == 0 || c.det.Reasons[0] != want ||
		!slices.Equal(c.det.Path, []string{holding, middle, supplier}) || !slices.Equal(c.det.Shares, []float64{0.65, 0.6}) {
		t.Errorf("alert %+v details %+v", a, c.det)
	}
	var got []string
	for _, n := range outbox(t, st) {
		if n.Rule == RuleRelatedPartyDistress {
			got = append(got, n.Subject.USCC+" "+n.Subscription)
			if n.Subject.USCC == supplier && (len(n.Reasons) == 0 ||
				n.Reasons[0] != "实际控制人 黑龙江恒信实业集团有限公司 ("+holding+")，穿透持股 39%：信用等级 D；失信被执行人") {
				t.Errorf("%s: reasons %q", n.Subscription, n.Reasons)
			}
		}
	}
	for _, sub := range []string{"demo", "soybean-chain"} {
		if !slices.Contains(got, supplier+" "+sub) {
			t.Errorf("the first scan did not announce the alert to %s: %v", sub, got)
		}
	}
	t.Logf("related_party_distress notifications of the demo's first scan: %v", got)
}
