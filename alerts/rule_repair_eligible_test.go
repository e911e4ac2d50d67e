package alerts

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// eligibleNotices is "status key subscription" of every repair_eligible notification
// to the SME's own subscription, the key being the event id of its fingerprint, in
// order.
func eligibleNotices(t *testing.T, st store.Store) []string {
	t.Helper()
	var out []string
	for _, msg := range outbox(t, st) {
		for _, n := range msg.Alerts() {
			if n.Rule != RuleRepairEligible || n.Subscription != "own" {
				continue
			}
			_, key, _ := strings.Cut(strings.TrimSuffix(n.Fingerprint, ":"), "/")
			out = append(out, n.Status+" "+key+" "+n.Subscription)
		}
	}
	return out
}

// firingEligible lists the event ids of the firing repair_eligible alerts, sorted.
func firingEligible(t *testing.T, st store.Store) []string {
	t.Helper()
	var out []string
	for fp, a := range firingAlerts(t, st) {
		if a.Rule == RuleRepairEligible {
			_, key, _ := strings.Cut(strings.TrimSuffix(fp, ":"), "/")
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// eligibleWorld is the walkthrough's store, alert manager and engine, made inside
// a synctest bubble: firm 1, an SME on its own watch-list ("own"), and firm 2, only
// in the scope of a scope-all subscription taking every rule ("office").
type eligibleWorld struct {
	t         *testing.T
	st        store.Store
	cfg       *config.Config
	m         *Manager
	engine    *monitor.Engine
	validator *credit.Validator
}

func newEligibleWorld(t *testing.T) *eligibleWorld {
	st, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil) // inside the bubble: its pool's timers are the bubble's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	own := config.Subscription{Name: "own", Subscriber: code(1), Scope: config.Scope{Kind: config.ScopeWatchlist,
		USCCs: []string{code(1)}}, Channels: logChannel()}
	w := &eligibleWorld{t: t, st: st, cfg: testConfig(t, own, subAll("office"))}
	w.validator = &credit.Validator{Catalogue: w.cfg.Catalogue(), Now: time.Now}
	w.imp(credit.KindEnterprises, "uscc,name,region,industry,tags,status\n"+
		code(1)+",黑河北疆精工机械有限公司,231100,C3411,specialized,active\n"+code(2)+",黑河北疆物流有限公司,231100,G5431,,active\n")
	w.m = newTestManager(t, st, w.cfg, nil)
	w.engine = monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(w.cfg), Logger: discardLogger()})
	w.engine.Observe(w.m.Observe)
	w.scan(monitor.ScanFull, nil) // the baseline: two firms without events
	return w
}

// imp ingests one CSV input.
func (w *eligibleWorld) imp(kind credit.Kind, csv string) store.Applied {
	w.t.Helper()
	sum, err := ingest.Import(context.Background(), w.st, []ingest.Input{{File: string(kind) + ".csv", Kind: kind,
		Format: ingest.CSV, R: strings.NewReader(csv)}}, ingest.ImportOptions{Strict: true, Validator: w.validator})
	if err != nil || !sum.OK() {
		w.t.Fatalf("import: %v %v", err, sum.Errors)
	}
	return sum.Applied
}

func (w *eligibleWorld) scan(kind string, touched []string) {
	w.t.Helper()
	if _, err := w.engine.Run(context.Background(), monitor.Request{Kind: kind, Trigger: "test", Touched: touched}); err != nil {
		w.t.Fatal(err)
	}
}

// schedule starts the daily repair_eligible job as configured and an expire_events
// job daily at 03:00; the scheduler stops with the test.
func (w *eligibleWorld) schedule() {
	sched := monitor.NewScheduler(monitor.SchedulerOptions{Logger: discardLogger()})
	if err := sched.Set([]monitor.CronJob{
		{Name: config.JobRepairEligible, Spec: w.cfg.Schedule.RepairEligible, Run: func(ctx context.Context) error {
			return w.m.RepairEligible(ctx, w.engine.State())
		}},
		{Name: config.JobExpireEvents, Spec: "0 3 * * *", Run: func(ctx context.Context) error {
			_, err := w.engine.ExpireEvents(ctx, "cron:expire_events")
			return err
		}},
	}); err != nil {
		w.t.Fatal(err)
	}
	sched.Start()
	w.t.Cleanup(func() {
		if err := sched.Stop(context.Background()); err != nil {
			w.t.Error(err)
		}
	})
}

// TestRepairEligibleWalkthrough is the repair_eligible alert walked through in
// simulated time (the bubble's clock starts on 2000-01-01, 08:00 in Shanghai): an
// SME on its own watch-list has a serious penalty (eligible a year after) and two
// minor ones (eligible at once, public three months), all of 2000-01-01.
//   - The ingest's scan fires one alert per minor penalty (announced once each);
//     another firm with an eligible event, seen only by a scope-all subscription
//     that does not name the rule, gets none (that subscription hears of the
//     SME's alerts, as its scope holds the SME).
//   - The daily job and the resend job announce nothing more.
//   - 2000-04-01: the minor penalties' publicity ends; the expire_events job's scan
//     resolves their alerts.
//   - 2001-01-01 (2000 is a leap year: 366 days): the 08:00 job fires the serious
//     penalty's alert — not the job of the day before.
//   - Its repair resolves it, and score and grade recover: at 2001-01-04 08:00:01
//     the penalty is 369 d 8 h 1 s old, 800 − 200·2^(−369.33334/730) = 659.159338 (C);
//     repaired, 800 (B).
func TestRepairEligibleWalkthrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, sh := context.Background(), credit.Shanghai
		w := newEligibleWorld(t)
		st, m, engine, sme := w.st, w.m, w.engine, code(1)
		applied := w.imp(credit.KindEvents, "event_id,uscc,type,occurred_at,source\n"+
			"SERIOUS,"+sme+",penalty_serious,2000-01-01,黑河市市场监督管理局\n"+
			"MINOR-1,"+sme+",penalty_minor,2000-01-01,黑河市市场监督管理局\n"+
			"MINOR-2,"+sme+",penalty_minor,2000-01-01,黑河市税务局\n"+
			"ELSEWHERE,"+code(2)+",penalty_minor,2000-01-01,黑河市市场监督管理局\n")
		w.scan(monitor.ScanIncremental, applied.Touched)
		want := []string{"firing MINOR-1 own", "firing MINOR-2 own"}
		if got := eligibleNotices(t, st); !slices.Equal(got, want) {
			t.Fatalf("after the ingest: %v, want %v", got, want)
		}
		w.schedule()
		sleepUntil := func(at time.Time) {
			time.Sleep(time.Until(at))
			synctest.Wait()
		}

		sleepUntil(time.Date(2000, 1, 3, 9, 0, 0, 0, sh)) // two daily jobs
		if err := m.Resend(ctx, engine.State()); err != nil {
			t.Fatal(err)
		}
		if got := eligibleNotices(t, st); !slices.Equal(got, want) {
			t.Errorf("after two days and a resend: %v, want %v (announced once)", got, want)
		}
		if got := firingEligible(t, st); !slices.Equal(got, []string{"MINOR-1", "MINOR-2"}) {
			t.Errorf("firing: %v", got)
		}

		sleepUntil(time.Date(2000, 4, 1, 4, 0, 0, 0, sh)) // past the 03:00 expiry of 1 April
		want = append(want, "resolved MINOR-1 own", "resolved MINOR-2 own")
		if got := eligibleNotices(t, st); !slices.Equal(got, want) || len(firingEligible(t, st)) != 0 {
			t.Errorf("after the minor penalties' publicity: %v (firing %v), want %v", got, firingEligible(t, st), want)
		}

		sleepUntil(time.Date(2000, 12, 31, 9, 0, 0, 0, sh))
		if got := firingEligible(t, st); len(got) != 0 {
			t.Errorf("the day before: firing %v", got)
		}
		sleepUntil(time.Date(2001, 1, 1, 8, 0, 1, 0, sh))
		want = append(want, "firing SERIOUS own")
		if got := eligibleNotices(t, st); !slices.Equal(got, want) {
			t.Errorf("on the day: %v, want %v", got, want)
		}
		ns := outbox(t, st)
		if n := ns[len(ns)-1]; n.Title != "可申请信用修复" || len(n.Reasons) != 1 ||
			n.Reasons[0] != "行政处罚(严重) −200（2000-01-01）：自 2001-01-01 起可申请信用修复，由作出行政处罚决定的行政机关决定" {
			t.Errorf("the notification: %q %q", n.Title, n.Reasons)
		}
		sleepUntil(time.Date(2001, 1, 4, 8, 0, 1, 0, sh))
		w.scan(monitor.ScanFull, nil)
		if err := m.Resend(ctx, engine.State()); err != nil {
			t.Fatal(err)
		}
		if got := eligibleNotices(t, st); !slices.Equal(got, want) {
			t.Errorf("three days, a full scan and a resend later: %v, want %v", got, want)
		}
		s := engine.State()
		v, _ := s.Index(sme)
		if math.Abs(s.Score[v]-659.159338235) > 1e-6 || s.Grade[v] != risk.GradeC {
			t.Errorf("before the repair: %.9f %s, want 659.159338235 C", s.Score[v], s.Grade[v])
		}

		applied = w.imp(credit.KindRepairs, "event_id,repaired_at,decided_by,reason\nSERIOUS,2001-01-04,黑龙江省发展和改革委员会,已整改\n")
		w.scan(monitor.ScanIncremental, applied.Touched)
		want = append(want, "resolved SERIOUS own")
		if got := eligibleNotices(t, st); !slices.Equal(got, want) || len(firingEligible(t, st)) != 0 {
			t.Errorf("after the repair: %v (firing %v), want %v", got, firingEligible(t, st), want)
		}
		s = engine.State()
		if s.Score[v] != 800 || s.Grade[v] != risk.GradeB {
			t.Errorf("after the repair: %v %s, want 800 B", s.Score[v], s.Grade[v])
		}
	})
}

// TestRepairEligibleWording: the reason in both languages, with the event's points,
// its date, the day it became eligible and who decides.
func TestRepairEligibleWording(t *testing.T) {
	cat := credit.NewCatalogue()
	r := reason{Kind: reasonEligible, Type: "penalty_general", Points: -80,
		At:   time.Date(2026, 8, 29, 0, 0, 0, 0, credit.Shanghai).UTC(),
		From: time.Date(2026, 11, 29, 0, 0, 0, 0, credit.Shanghai).UTC(), By: "作出行政处罚决定的行政机关"}
	for lang, want := range map[string]string{
		"zh": "行政处罚(一般) −80（2026-08-29）：自 2026-11-29 起可申请信用修复，由作出行政处罚决定的行政机关决定",
		"en": "penalty_general −80 (2026-08-29): eligible for credit repair since 2026-11-29, decided by 作出行政处罚决定的行政机关",
	} {
		if got := r.text(lang, cat); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if ruleTitle(RuleRepairEligible, "en") != "Eligible for credit repair" || ruleTitle(RuleRepairEligible, "zh") != "可申请信用修复" {
		t.Error("titles")
	}
}
