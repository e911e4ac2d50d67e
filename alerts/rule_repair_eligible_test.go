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
	for _, n := range outbox(t, st) {
		if n.Rule == RuleRepairEligible && n.Subscription == "own" {
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

// TestRepairEligibleWalkthrough is the "done when" for the alert, in
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
		ctx := context.Background()
		sh := credit.Shanghai
		st, err := sqlite.OpenDir(ctx, t.TempDir(), nil) // inside the bubble: its pool's timers are the bubble's
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sme, other := code(1), code(2)
		own := config.Subscription{Name: "own", Subscriber: sme, Scope: config.Scope{Kind: config.ScopeWatchlist,
			USCCs: []string{sme}}, Channels: logChannel()}
		cfg := testConfig(t, own, subAll("office"))
		validator := &credit.Validator{Catalogue: cfg.Catalogue(), Now: time.Now}
		imp := func(kind credit.Kind, csv string) store.Applied {
			t.Helper()
			sum, err := ingest.Import(ctx, st, []ingest.Input{{File: string(kind) + ".csv", Kind: kind, Format: ingest.CSV,
				R: strings.NewReader(csv)}}, ingest.ImportOptions{Strict: true, Validator: validator})
			if err != nil || !sum.OK() {
				t.Fatalf("import: %v %v", err, sum.Errors)
			}
			return sum.Applied
		}
		imp(credit.KindEnterprises, "uscc,name,region,industry,tags,status\n"+
			sme+",黑河北疆精工机械有限公司,231100,C3411,specialized,active\n"+other+",黑河北疆物流有限公司,231100,G5431,,active\n")
		m := newTestManager(t, st, cfg, nil)
		engine := monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: discardLogger()})
		engine.Observe(m.Observe)
		scan := func(kind string, touched []string) {
			t.Helper()
			if _, err := engine.Run(ctx, monitor.Request{Kind: kind, Trigger: "test", Touched: touched}); err != nil {
				t.Fatal(err)
			}
		}
		scan(monitor.ScanFull, nil) // the baseline: two firms without events
		applied := imp(credit.KindEvents, "event_id,uscc,type,occurred_at,source\n"+
			"SERIOUS,"+sme+",penalty_serious,2000-01-01,黑河市市场监督管理局\n"+
			"MINOR-1,"+sme+",penalty_minor,2000-01-01,黑河市市场监督管理局\n"+
			"MINOR-2,"+sme+",penalty_minor,2000-01-01,黑河市税务局\n"+
			"ELSEWHERE,"+other+",penalty_minor,2000-01-01,黑河市市场监督管理局\n")
		scan(monitor.ScanIncremental, applied.Touched)
		want := []string{"firing MINOR-1 own", "firing MINOR-2 own"}
		if got := eligibleNotices(t, st); !slices.Equal(got, want) {
			t.Fatalf("after the ingest: %v, want %v", got, want)
		}

		sched := monitor.NewScheduler(monitor.SchedulerOptions{Logger: discardLogger()})
		if err := sched.Set([]monitor.CronJob{
			{Name: config.JobRepairEligible, Spec: cfg.Schedule.RepairEligible, Run: func(ctx context.Context) error {
				return m.RepairEligible(ctx, engine.State())
			}},
			{Name: config.JobExpireEvents, Spec: "0 3 * * *", Run: func(ctx context.Context) error {
				_, err := engine.ExpireEvents(ctx, "cron:expire_events")
				return err
			}},
		}); err != nil {
			t.Fatal(err)
		}
		sched.Start()
		defer func() {
			if err := sched.Stop(ctx); err != nil {
				t.Error(err)
			}
		}()
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
		scan(monitor.ScanFull, nil)
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

		applied = imp(credit.KindRepairs, "event_id,repaired_at,decided_by,reason\nSERIOUS,2001-01-04,黑龙江省发展和改革委员会,已整改\n")
		scan(monitor.ScanIncremental, applied.Touched)
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
