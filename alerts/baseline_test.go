package alerts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// daemon is an engine and its alert manager on a store, driven as chainriskd drives
// them: imports, each followed by the incremental scan of what it touched.
type daemon struct {
	t      *testing.T
	st     store.Store
	cfg    *config.Config
	now    *time.Time // the engine's and the validator's clock
	engine *monitor.Engine
	m      *Manager
}

// startDaemon starts an engine and a manager on st and runs the startup scan.
func startDaemon(t *testing.T, st store.Store, cfg *config.Config, now *time.Time) *daemon {
	t.Helper()
	d := &daemon{t: t, st: st, cfg: cfg, now: now, m: newTestManager(t, st, cfg, newFakeClock())}
	d.engine = monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg),
		Logger: discardLogger(), Now: func() time.Time { return *d.now }})
	d.engine.Observe(d.m.Observe)
	if _, err := d.engine.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: monitor.TriggerStartup}); err != nil {
		t.Fatal(err)
	}
	return d
}

// ingest imports CSV files (kind → body) in one batch and runs the incremental scan
// it triggers; the clock moves on a minute first.
func (d *daemon) ingest(files map[credit.Kind]string) {
	d.t.Helper()
	*d.now = d.now.Add(time.Minute)
	applied := importFiles(d.t, d.st, d.cfg, *d.now, files)
	req := monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: applied.Touched,
		TouchedAll: applied.TouchedAll}
	if _, err := d.engine.Run(context.Background(), req); err != nil {
		d.t.Fatal(err)
	}
}

// importFiles imports CSV files (kind → body) in one batch, validated as of now.
func importFiles(t *testing.T, st store.Store, cfg *config.Config, now time.Time, files map[credit.Kind]string) store.Applied {
	t.Helper()
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		if body, ok := files[k]; ok {
			inputs = append(inputs, ingest.Input{File: string(k) + ".csv", Kind: k, Format: ingest.CSV, R: strings.NewReader(body)})
		}
	}
	validator := &credit.Validator{Catalogue: cfg.Catalogue(), Now: func() time.Time { return now }}
	sum, err := ingest.Import(context.Background(), st, inputs, ingest.ImportOptions{Strict: true, Validator: validator})
	if err != nil || !sum.OK() {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	return sum.Applied
}

// grade is a firm's grade in the engine's state.
func (d *daemon) grade(uscc string) risk.Grade {
	d.t.Helper()
	s := d.engine.State()
	v, ok := s.Index(uscc)
	if !ok {
		d.t.Fatalf("%s is not in the state", uscc)
	}
	return s.Grade[v]
}

const enterpriseHeader = "uscc,name,region,industry,tags,status\n"
const eventHeader = "event_id,uscc,type,occurred_at,source\n"

// loadFirms is the enterprises file of firms [from, to).
func loadFirms(from, to int) string {
	var b strings.Builder
	b.WriteString(enterpriseHeader)
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s,测试企业%d有限公司,230109,C1331,,active\n", code(i), i)
	}
	return b.String()
}

// loadHistory is the events file of firms [from, to): their records from before the
// load, by i%10 — 0 and 1 a dishonest judgment debtor (D), 2 tax arrears and an
// enforcement (C), 3 a general penalty (still B), 4 an honour; none for the others.
func loadHistory(from, to int) string {
	var b strings.Builder
	b.WriteString(eventHeader)
	ev := func(i int, n int, typ, at string) {
		fmt.Fprintf(&b, "L%d-%d,%s,%s,%s,测试来源\n", i, n, code(i), typ, at)
	}
	for i := from; i < to; i++ {
		switch i % 10 {
		case 0, 1:
			ev(i, 1, "dishonest_judgment_debtor", "2026-03-15")
		case 2:
			ev(i, 1, "tax_arrears", "2026-06-01")
			ev(i, 2, "judgment_debtor", "2026-08-10")
		case 3:
			ev(i, 1, "penalty_general", "2026-09-01")
		case 4:
			ev(i, 1, "honor", "2026-05-20")
		}
	}
	return b.String()
}

// countRule counts the alerts of a rule in the store (any state) and how many times
// the outbox's messages list them.
func countRule(t *testing.T, st store.Store, rule string) (alerts, notes int) {
	t.Helper()
	list, err := st.Alerts(context.Background(), store.AlertFilter{Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range outbox(t, st) {
		for _, n := range msg.Alerts() {
			if n.Rule == rule {
				notes++
			}
		}
	}
	return len(list), notes
}

// TestNoAlertsOnFirstSight: 10,000 firms loaded into a running daemon in batches —
// the enterprises first, their records (a fifth of them dishonest judgment debtors,
// a tenth in tax arrears) in the batches after — raise no grade_downgrade and no
// score_drop, although most of those firms fell from the grade their registration
// alone gave them. A record dated after a firm was first seen still downgrades it,
// before and after a restart; a record from before its first sight does not, but for
// a firm the daemon found in the store when it started.
func TestNoAlertsOnFirstSight(t *testing.T) {
	const first, firms, chunk = 1000, 10_000, 2500
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t, subAll("everything"))
		loadAt := time.Date(2026, 11, 20, 10, 0, 0, 0, credit.Shanghai)
		now := loadAt.Add(-time.Hour)
		// A running daemon: a few firms, scanned once (the quiet baseline of an empty
		// store is behind it).
		importFiles(t, st, cfg, now, map[credit.Kind]string{credit.KindEnterprises: loadFirms(1, 101)})
		d := startDaemon(t, st, cfg, &now)
		now = loadAt

		began := time.Now()
		last := first + firms
		for k := first; k < last; k += chunk {
			d.ingest(map[credit.Kind]string{credit.KindEnterprises: loadFirms(k, k+chunk)})
			if k > first {
				d.ingest(map[credit.Kind]string{credit.KindEvents: loadHistory(k-chunk, k)})
			}
		}
		d.ingest(map[credit.Kind]string{credit.KindEvents: loadHistory(last-chunk, last)})
		// Firms that come with their records in one batch: new in the scan.
		d.ingest(map[credit.Kind]string{credit.KindEnterprises: loadFirms(last, last+100),
			credit.KindEvents: loadHistory(last, last+100)})
		t.Logf("%d firms loaded in %d batches with their scans and evaluations in %s", firms+100,
			2*firms/chunk+1, time.Since(began).Round(time.Millisecond))

		// The load did bring the falls: the firms with records fell from B.
		for i := first; i < last+100; i++ {
			want := map[int]risk.Grade{0: risk.GradeD, 1: risk.GradeD, 2: risk.GradeC}[i%10]
			if want != 0 && d.grade(code(i)) != want {
				t.Fatalf("firm %d: grade %s after the load, want %s", i, d.grade(code(i)), want)
			}
		}
		for _, i := range []int{first, first + 1, first + 2, first + chunk + 12} {
			h, err := st.History(ctx, code(i), store.HistoryFilter{Limit: 10})
			if err != nil || len(h) != 2 || h[1].Grade != "B" || h[0].Grade == "B" {
				t.Fatalf("firm %d: history %+v, %v; want B then worse", i, h, err)
			}
		}
		for _, rule := range []string{RuleGradeDowngrade, RuleScoreDrop} {
			if a, n := countRule(t, st, rule); a != 0 || n != 0 {
				t.Errorf("the load raised %d %s alerts and %d notifications, want none", a, rule, n)
			}
		}
		if a, n := countRule(t, st, RuleSevereEvent); a > 0 {
			t.Logf("severe_event (not a subject of this rule): %d alerts, %d notifications", a, n)
		}

		// Two days on, records dated after the load. The firm in tax arrears since
		// before its first sight gets a minor penalty: its score falls 20 points from
		// its record, not the 170 from the score its registration alone gave it. A firm
		// the daemon found in the store at its start has no history to hold back: its
		// record from before the load is news.
		now = loadAt.Add(48 * time.Hour)
		after := loadAt.Add(24 * time.Hour).Format("2006-01-02")
		before := loadAt.Add(-30 * 24 * time.Hour).Format("2006-01-02")
		fresh, arrears, fell, found := code(first+5), code(first+12), code(first+6), code(50)
		d.ingest(map[credit.Kind]string{credit.KindEvents: eventHeader +
			"N-1," + fresh + ",dishonest_judgment_debtor," + after + ",测试来源\n" +
			"N-2," + arrears + ",penalty_minor," + after + ",测试来源\n" +
			"N-3," + fell + ",tax_arrears," + after + ",测试来源\n" +
			"N-4," + found + ",dishonest_judgment_debtor," + before + ",测试来源\n"})
		want := map[string]string{}
		for _, u := range []string{fresh, found} {
			want[Fingerprint(RuleGradeDowngrade, u, "")] = "B→D critical"
			want[Fingerprint(RuleScoreDrop, u, "")] = "B→D warning" // 800 → 450
		}
		want[Fingerprint(RuleGradeDowngrade, fell, "")] = "B→C warning"
		want[Fingerprint(RuleScoreDrop, fell, "")] = "B→C warning" // 800 → 650
		checkFiring(t, st, want)

		// A restart: the first sights are read back from the store. A record dated
		// after the load and before the restart is news; one from before is history.
		now = loadAt.Add(72 * time.Hour)
		d = startDaemon(t, st, cfg, &now)
		late, old := code(first+7), code(first+8)
		d.ingest(map[credit.Kind]string{credit.KindEvents: eventHeader +
			"R-1," + late + ",dishonest_judgment_debtor," + loadAt.Add(36*time.Hour).Format("2006-01-02") + ",测试来源\n" +
			"R-2," + old + ",dishonest_judgment_debtor," + before + ",测试来源\n"})
		if d.grade(old) != risk.GradeD {
			t.Fatalf("%s: grade %s, want D", old, d.grade(old))
		}
		want[Fingerprint(RuleGradeDowngrade, late, "")] = "B→D critical"
		want[Fingerprint(RuleScoreDrop, late, "")] = "B→D warning"
		checkFiring(t, st, want)
		notes := map[string]int{}
		for _, msg := range outbox(t, st) {
			for _, n := range msg.Alerts() {
				if n.Rule == RuleGradeDowngrade || n.Rule == RuleScoreDrop {
					notes[n.Rule+" "+n.Subject.USCC]++
				}
			}
		}
		wantNotes := map[string]int{}
		for _, u := range []string{fresh, fell, found, late} {
			wantNotes[RuleGradeDowngrade+" "+u], wantNotes[RuleScoreDrop+" "+u] = 1, 1
		}
		if fmt.Sprint(notes) != fmt.Sprint(wantNotes) {
			t.Errorf("notifications %v, want %v", notes, wantNotes)
		}
	})
}

// checkFiring compares the firing grade_downgrade and score_drop alerts with want:
// fingerprint → "previous→grade severity".
func checkFiring(t *testing.T, st store.Store, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for fp, a := range firingAlerts(t, st) {
		if a.Rule == RuleGradeDowngrade || a.Rule == RuleScoreDrop {
			got[fp] = a.PreviousGrade + "→" + a.Grade + " " + a.Severity
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("firing %v, want %v", got, want)
	}
}
