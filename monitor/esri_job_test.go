package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/testmetrics"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// The network of TestESRIChainByHand, through the store: L leads, S and S2 supply
// it, T supplies S, F supplies T, L sells to K. S→L and L→K carry no amount: W is
// derived from the sales share and the supplier's revenue (0.5·400 = 200 and
// 0.3·1000 = 300, the amounts of the hand test). With chain depths up 1, down 0 the
// hand-derived results hold: L 0.8125 / 0.375 / 0.8125, S 0.5625 / 0.4375 / 0.375,
// S2 0.4375 / 0.4375 / 0.25, 3 steps each.
var esriHandFirms = map[string]int{"L": 1, "S": 2, "S2": 3, "T": 4, "K": 5, "F": 6}

type esriWant struct {
	esri, d, u float64
	tier       int
}

var esriHandWant = map[string]esriWant{
	"L":  {0.8125, 0.375, 0.8125, 0},
	"S":  {0.5625, 0.4375, 0.375, 1},
	"S2": {0.4375, 0.4375, 0.25, 1},
}

func esriUSCC(name string) string { return storetest.USCC(esriHandFirms[name]) }

// loadESRIHand ingests the network; leaders lists the firms tagged leading.
func loadESRIHand(t *testing.T, s store.Store, leaders ...string) {
	t.Helper()
	var ent, rel strings.Builder
	ent.WriteString("uscc,name,region,industry,tags,status,revenue\n")
	revenue := map[string]string{"L": "1000", "S": "400", "K": "600"}
	for _, name := range []string{"L", "S", "S2", "T", "K", "F"} {
		tags := "specialized"
		for _, l := range leaders {
			if l == name {
				tags = "leading"
			}
		}
		fmt.Fprintf(&ent, "%s,%s有限公司,230100,C1331,%s,active,%s\n", esriUSCC(name), name, tags, revenue[name])
	}
	rel.WriteString("supplier,customer,purchase_share,sales_share,substitutability,amount\n")
	for _, r := range []struct {
		from, to, ps, ss, amount string
	}{{"T", "S", "0.4", "0.3", "100"}, {"S", "L", "0.4", "0.5", ""}, {"S2", "L", "0.4", "0.9", "200"},
		{"L", "K", "0.5", "0.3", ""}, {"F", "T", "0.5", "0.5", "50"}} {
		fmt.Fprintf(&rel, "%s,%s,%s,%s,0.5,%s\n", esriUSCC(r.from), esriUSCC(r.to), r.ps, r.ss, r.amount)
	}
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{
		{File: "enterprises.csv", Kind: credit.KindEnterprises, Format: ingest.CSV, R: strings.NewReader(ent.String())},
		{File: "relations.csv", Kind: credit.KindRelations, Format: ingest.CSV, R: strings.NewReader(rel.String())},
	}, ingest.ImportOptions{Strict: true, Validator: &credit.Validator{Catalogue: credit.NewCatalogue()}})
	if err != nil || !sum.OK() {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
}

// esriHandConfig is the default config with the hand test's chain depths.
func esriHandConfig() *config.Config {
	cfg := config.Default()
	cfg.Chain.DepthUp, cfg.Chain.DepthDown = 1, 0
	return cfg
}

// checkStoredESRI checks L's stored result against the hand-derived values.
func checkStoredESRI(t *testing.T, s store.Store, at time.Time, scanID int64) {
	t.Helper()
	rec, err := s.ESRI(context.Background(), esriUSCC("L"))
	if err != nil {
		t.Fatalf("stored ESRI of L: %v", err)
	}
	if !rec.ComputedAt.Equal(at) || rec.ScanID != scanID || rec.Members != 3 || rec.ESRIMax != 0.8125 || rec.NotConverged != 0 {
		t.Errorf("stored row %+v, want computed at %v on scan %d, 3 members, max 0.8125", rec, at, scanID)
	}
	doc, err := risk.DecodeChainESRI(rec.Detail)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Firms != 5 || doc.Relations != 4 || doc.DerivedAmounts != 2 || len(doc.Members) != 3 {
		t.Fatalf("document %+v", doc)
	}
	for _, m := range doc.Members {
		var w esriWant
		var name string
		for n := range esriHandWant {
			if esriUSCC(n) == m.Firm {
				w, name = esriHandWant[n], n
			}
		}
		if name == "" || m.Tier != w.tier || math.Abs(m.ESRI-w.esri) > 1e-12 || math.Abs(m.ESRId-w.d) > 1e-12 ||
			math.Abs(m.ESRIu-w.u) > 1e-12 || m.Iterations != 3 || !m.Converged {
			t.Errorf("member %s (%s) = %+v, want %+v after 3 steps", m.Firm, name, m, w)
		}
	}
}

// TestESRIJobOnSchedule runs the esri job on its default schedule (Sundays at 03:00,
// Asia/Shanghai) in simulated time: nothing before, the hand-derived results of
// the leader's chain members in the store and the chain's maximum as a metric after,
// and again a week later.
func TestESRIJobOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		shanghai, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		// The bubble's clock starts on Saturday 2000-01-01, 08:00 in Shanghai.
		due := time.Date(2000, 1, 2, 3, 0, 0, 0, shanghai)
		s, err := sqlite.OpenDir(ctx, t.TempDir(), nil) // inside the bubble: its pool's timers are the bubble's
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		loadESRIHand(t, s, "L")
		cfg := esriHandConfig()
		reg := prometheus.NewPedanticRegistry()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(cfg), Logger: log,
			Metrics: monitor.NewMetrics(reg, cfg.Metrics.MaxLeaderSeries, nil)})
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
		if err != nil {
			t.Fatal(err)
		}
		sched := monitor.NewScheduler(monitor.SchedulerOptions{Registerer: reg, Logger: log})
		if err := sched.Set([]monitor.CronJob{{Name: config.JobESRI, Spec: cfg.Schedule.ESRI, Timeout: cfg.Schedule.Timeouts.ESRI,
			Run: func(ctx context.Context) error {
				_, err := e.RunESRI(ctx, cfg.ESRI.Params())
				return err
			}}}); err != nil {
			t.Fatal(err)
		}
		sched.Start()
		defer func() {
			if err := sched.Stop(ctx); err != nil {
				t.Error(err)
			}
		}()
		leader := esriUSCC("L")
		metric := func(name string, labels ...string) (float64, bool) {
			t.Helper()
			return testmetrics.Value(t, reg, name, labels...)
		}

		time.Sleep(time.Until(due) - time.Second)
		synctest.Wait()
		if _, err := s.ESRI(ctx, leader); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a second before the schedule: %v, want no result yet", err)
		}
		if v, ok := metric("chainrisk_leader_esri_max", "leader", leader); ok {
			t.Errorf("chainrisk_leader_esri_max = %v before any run", v)
		}
		if v, _ := metric("chainrisk_esri_last_computed_timestamp_seconds"); v != 0 {
			t.Errorf("last computed %v before any run, want 0", v)
		}

		time.Sleep(2 * time.Second)
		synctest.Wait()
		checkStoredESRI(t, s, due, sc.ID)
		if v, ok := metric("chainrisk_leader_esri_max", "leader", leader); !ok || v != 0.8125 {
			t.Errorf("chainrisk_leader_esri_max{leader=L} = %v (present %v), want 0.8125", v, ok)
		}
		if v, _ := metric("chainrisk_esri_last_computed_timestamp_seconds"); v != float64(due.Unix()) {
			t.Errorf("last computed %v, want %d", v, due.Unix())
		}
		if v, ok := metric("chainrisk_esri_members_not_converged"); !ok || v != 0 {
			t.Errorf("not converged %v (present %v), want 0", v, ok)
		}
		if n, _ := metric("chainrisk_cron_job_runs_total", "job", config.JobESRI, "result", "success"); n != 1 {
			t.Errorf("esri runs %v, want 1", n)
		}

		// Next Sunday, the same results, computed again.
		time.Sleep(7 * 24 * time.Hour)
		synctest.Wait()
		checkStoredESRI(t, s, due.AddDate(0, 0, 7), sc.ID)
		if n, _ := metric("chainrisk_cron_job_runs_total", "job", config.JobESRI, "result", "success"); n != 2 {
			t.Errorf("esri runs %v, want 2", n)
		}
		if v, _ := metric("chainrisk_esri_last_computed_timestamp_seconds"); v != float64(due.AddDate(0, 0, 7).Unix()) {
			t.Errorf("last computed %v, want a week later", v)
		}
		if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
			t.Errorf("lint: %v %+v", err, problems)
		}
	})
}

// TestESRIJobDropsFormerLeaders: a firm that no longer leads loses its stored
// result at the next run; a run before any scan is an error.
func TestESRIJobDropsFormerLeaders(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadESRIHand(t, s, "L", "K")
	cfg := esriHandConfig()
	at := time.Date(2026, 3, 1, 3, 0, 0, 0, credit.Shanghai)
	e := newEngineWith(s, at, cfg)
	if _, err := e.RunESRI(ctx, cfg.ESRI.Params()); err == nil {
		t.Fatal("RunESRI before any scan succeeded")
	}
	sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.RunESRI(ctx, cfg.ESRI.Params())
	if err != nil || run.Leaders != 2 || run.Members != 5 || run.Dropped != 0 || run.ScanID != sc.ID {
		t.Fatalf("first run %+v, %v; want 2 leaders, 3 + 2 members", run, err)
	}
	checkStoredESRI(t, s, at, sc.ID)
	// K's chain (depth up 1): K and L. L's failure costs K everything.
	if rec, err := s.ESRI(ctx, esriUSCC("K")); err != nil || rec.Members != 2 {
		t.Fatalf("K: %+v, %v", rec, err)
	}

	loadESRIHand(t, s, "L") // K loses its tag
	sc, err = e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"})
	if err != nil {
		t.Fatal(err)
	}
	run, err = e.RunESRI(ctx, cfg.ESRI.Params())
	if err != nil || run.Leaders != 1 || run.Dropped != 1 {
		t.Fatalf("second run %+v, %v; want 1 leader, 1 dropped", run, err)
	}
	if _, err := s.ESRI(ctx, esriUSCC("K")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("K's result after it stopped leading: %v, want ErrNotFound", err)
	}
	checkStoredESRI(t, s, at, sc.ID)
}

// TestESRIJobStalestFirst: a run cut short leaves the leaders it did not reach with
// their older results, and the next run starts with them (here: one worker, and the
// job's context cancelled once the first leader's result is written).
func TestESRIJobStalestFirst(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadESRIHand(t, s, "L", "K")
	cfg := esriHandConfig()
	first := time.Date(2026, 3, 1, 3, 0, 0, 0, credit.Shanghai)
	clock := first
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(cfg),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }})
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunESRI(ctx, cfg.ESRI.Params()); err != nil {
		t.Fatal(err)
	}
	// USCC order is L (firm 1), then K (firm 5). A week later the run is cut short
	// after one leader: with one worker that is L, the first of two equally old.
	at := func(name string) time.Time {
		rec, err := s.ESRI(ctx, esriUSCC(name))
		if err != nil {
			t.Fatal(err)
		}
		return rec.ComputedAt
	}
	clock = first.AddDate(0, 0, 7)
	short, cancel := context.WithCancel(ctx)
	cut := &cancelAfterSave{Store: s, cancel: cancel}
	e2 := monitor.NewEngine(monitor.EngineOptions{Store: cut, Params: monitor.ParamsFromConfig(cfg),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }})
	if _, err := e2.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // one worker: leaders run one by one
	if _, err := e2.RunESRI(short, cfg.ESRI.Params()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut run: %v, want context.Canceled", err)
	}
	if !at("L").Equal(clock) || !at("K").Equal(first) {
		t.Fatalf("after the cut run: L %v, K %v; want L refreshed, K not", at("L"), at("K"))
	}
	// The next run does K, now the stalest, first; cut after it, L keeps last week's.
	clock = first.AddDate(0, 0, 14)
	short, cancel = context.WithCancel(ctx)
	cut.cancel = cancel
	if _, err := e2.RunESRI(short, cfg.ESRI.Params()); !errors.Is(err, context.Canceled) {
		t.Fatalf("second cut run: %v", err)
	}
	if !at("K").Equal(clock) || !at("L").Equal(first.AddDate(0, 0, 7)) {
		t.Errorf("after the second cut run: L %v, K %v; want K refreshed first", at("L"), at("K"))
	}
}

// cancelAfterSave cancels a run once a leader's result is written.
type cancelAfterSave struct {
	store.Store
	cancel context.CancelFunc
}

func (c *cancelAfterSave) SaveESRI(ctx context.Context, results []store.ESRIResult, drop []string) error {
	err := c.Store.SaveESRI(ctx, results, drop)
	if len(results) > 0 {
		c.cancel()
	}
	return err
}

// TestESRIMetricsFollowLeaderCap: the per-leader ESRI series obey
// metrics.max_leader_series like the other per-leader series: the same leaders keep
// theirs.
func TestESRIMetricsFollowLeaderCap(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadESRIHand(t, s, "L", "K")
	cfg := esriHandConfig()
	reg := prometheus.NewPedanticRegistry()
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(cfg),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: monitor.NewMetrics(reg, 1, nil)})
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunESRI(ctx, cfg.ESRI.Params()); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	leadersOf := func(name string) []string {
		var out []string
		for _, mf := range mfs {
			if mf.GetName() == name {
				for _, m := range mf.GetMetric() {
					out = append(out, m.GetLabel()[0].GetValue())
				}
			}
		}
		return out
	}
	esri, risk := leadersOf("chainrisk_leader_esri_max"), leadersOf("chainrisk_leader_chain_risk")
	if len(esri) != 1 || len(risk) != 1 || esri[0] != risk[0] {
		t.Errorf("with a cap of 1: ESRI series for %v, chain risk series for %v; want the same single leader", esri, risk)
	}
}
