package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// saveFirm saves one firm's result as a scan that changed its grade would.
func saveFirm(t *testing.T, s store.Store, scan int64, at time.Time, uscc string, score float64, grade string) {
	t.Helper()
	f := store.FirmResult{USCC: uscc, Score: score, Grade: grade, P: 1 / (1 + math.Exp((score-500)/80)), D: 0.5}
	res := &store.Results{ScanID: scan, ModelVersion: "m1", At: at, Firms: []store.FirmResult{f}, History: []store.FirmResult{f}}
	if err := s.SaveResults(context.Background(), res); err != nil {
		t.Fatal(err)
	}
}

func recordScans(t *testing.T, s store.Store, triggers ...string) {
	t.Helper()
	for _, trig := range triggers {
		if err := s.CreateScan(context.Background(), &store.Scan{Kind: "incremental", Scope: "all", Trigger: trig,
			Status: store.ScanSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
}

func historyScans(h []store.HistoryEntry) string {
	out := ""
	for _, e := range h {
		out += fmt.Sprintf("%d@%s/%s/%s ", e.ScanID, e.At.In(day.Location()).Format("15:04:05.000"), e.Trigger, e.Grade)
	}
	return out
}

// Every scan that changed a firm has its entry, even when two scans carry the same
// time; a save run again for the same scan adds nothing; entries are read newest
// first within [from, to], with the trigger of their scan.
func testHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	recordScans(t, s, "startup", "ingest", "cron:full_scan") // scans 1..3; scan 4 has no record
	saveFirm(t, s, 1, day, USCC(1), 880, "A")
	saveFirm(t, s, 1, day, USCC(2), 700, "B")
	saveFirm(t, s, 2, day, USCC(1), 680, "C") // the same millisecond as scan 1
	saveFirm(t, s, 3, day.Add(time.Hour), USCC(1), 330, "D")
	saveFirm(t, s, 3, day.Add(time.Hour), USCC(1), 330, "D") // a retried save
	saveFirm(t, s, 4, day.Add(2*time.Hour), USCC(1), 340, "D")

	all, err := s.History(ctx, USCC(1), store.HistoryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := "4@02:00:00.000//D 3@01:00:00.000/cron:full_scan/D 2@00:00:00.000/ingest/C 1@00:00:00.000/startup/A "
	if got := historyScans(all); got != want {
		t.Fatalf("history\n%s\nwant\n%s", got, want)
	}
	if e := all[2]; e.USCC != USCC(1) || e.Score != 680 || e.ModelVersion != "m1" || e.D != 0.5 ||
		math.Abs(e.P-1/(1+math.Exp(180.0/80))) > 1e-15 {
		t.Errorf("entry of scan 2: %+v", e)
	}
	for _, tc := range []struct {
		name string
		f    store.HistoryFilter
		want string
	}{
		{"limit", store.HistoryFilter{Limit: 2}, "4 3"},
		{"from, inclusive", store.HistoryFilter{From: day.Add(time.Hour), Limit: 10}, "4 3"},
		{"from, a millisecond later", store.HistoryFilter{From: day.Add(time.Millisecond), Limit: 10}, "4 3"},
		{"to, inclusive", store.HistoryFilter{To: day.Add(time.Hour), Limit: 10}, "3 2 1"},
		{"one instant", store.HistoryFilter{From: day, To: day, Limit: 10}, "2 1"},
		{"between", store.HistoryFilter{From: day.Add(time.Minute), To: day.Add(90 * time.Minute), Limit: 10}, "3"},
		{"empty span", store.HistoryFilter{From: day.Add(3 * time.Hour), Limit: 10}, ""},
	} {
		h, err := s.History(ctx, USCC(1), tc.f)
		got := ""
		for i, e := range h {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprint(e.ScanID)
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: scans %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
	if h, err := s.History(ctx, USCC(2), store.HistoryFilter{Limit: 10}); err != nil || historyScans(h) != "1@00:00:00.000/startup/B " {
		t.Errorf("history of firm 2: %s (%v)", historyScans(h), err)
	}
	if h, err := s.History(ctx, USCC(9), store.HistoryFilter{Limit: 10}); err != nil || len(h) != 0 {
		t.Errorf("history of an unknown firm: %+v, %v", h, err)
	}
	// The result carries the stamp of the scan that wrote it last.
	if f, err := s.FirmResult(ctx, USCC(1)); err != nil || f.ScanID != 4 || !f.UpdatedAt.Equal(day.Add(2*time.Hour)) {
		t.Errorf("FirmResult = %+v, %v", f, err)
	}
}

// A chain's figures enter its history when one of them moves by 1e-6 or more from
// the result held, once per scan.
func testChainHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	recordScans(t, s, "startup", "ingest", "ingest", "cron:full_scan", "ingest")
	l1, l2 := USCC(1), USCC(2)
	chain := func(leader string, risk, supply, demand float64, members int64) store.ChainResult {
		return store.ChainResult{Leader: leader, ChainRisk: risk, SupplyAtRisk: supply, DemandAtRisk: demand, Members: members,
			Detail: fmt.Appendf(nil, `{"risk":%g,"supply":%g,"demand":%g}`, risk, supply, demand)}
	}
	save := func(scan int64, at time.Time, chains ...store.ChainResult) {
		t.Helper()
		if err := s.SaveResults(ctx, &store.Results{ScanID: scan, ModelVersion: "m1", At: at, Chains: chains}); err != nil {
			t.Fatal(err)
		}
	}
	save(1, day, chain(l1, 0.1, 0.2, 0.05, 3))                                              // new: entry
	save(2, day.Add(time.Hour), chain(l1, 0.1+5e-7, 0.2, 0.05, 3), chain(l2, 0.3, 0, 0, 1)) // l1 below 1e-6; l2 new
	save(3, day.Add(2*time.Hour), chain(l1, 0.1+5e-7, 0.2+2e-6, 0.05, 4))                   // supply moved
	save(3, day.Add(2*time.Hour), chain(l1, 0.1+5e-7, 0.2+2e-6, 0.05, 4))                   // retried
	save(4, day.Add(3*time.Hour), chain(l1, 0.1+5e-7, 0.2+2e-6, 0.05-3e-6, 4))              // demand moved
	if c, err := s.ChainResult(ctx, l1); err != nil || c.ScanID != 4 || !c.UpdatedAt.Equal(day.Add(3*time.Hour)) {
		t.Errorf("ChainResult = %+v, %v", c, err)
	}
	if err := s.SaveResults(ctx, &store.Results{ScanID: 5, ModelVersion: "m1", At: day.Add(4 * time.Hour),
		DropChains: []string{l1}}); err != nil {
		t.Fatal(err)
	}
	// The history outlives the chain result.
	h, err := s.ChainHistory(ctx, l1, store.HistoryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		scan                 int64
		at                   time.Time
		trigger              string
		risk, supply, demand float64
		members              int64
	}
	want := []entry{
		{4, day.Add(3 * time.Hour), "cron:full_scan", 0.1 + 5e-7, 0.2 + 2e-6, 0.05 - 3e-6, 4},
		{3, day.Add(2 * time.Hour), "ingest", 0.1 + 5e-7, 0.2 + 2e-6, 0.05, 4},
		{1, day, "startup", 0.1, 0.2, 0.05, 3},
	}
	if len(h) != len(want) {
		t.Fatalf("chain history %+v, want scans 4, 3, 1", h)
	}
	for i, w := range want {
		e := h[i]
		if e.Leader != l1 || e.ScanID != w.scan || !e.At.Equal(w.at) || e.Trigger != w.trigger || e.ChainRisk != w.risk ||
			e.SupplyAtRisk != w.supply || e.DemandAtRisk != w.demand || e.Members != w.members || e.ModelVersion != "m1" {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	if h, err := s.ChainHistory(ctx, l1, store.HistoryFilter{From: day.Add(time.Minute), To: day.Add(2 * time.Hour), Limit: 10}); err != nil ||
		len(h) != 1 || h[0].ScanID != 3 {
		t.Errorf("chain history within [day+1m, day+2h]: %+v, %v; want scan 3", h, err)
	}
	if h, err := s.ChainHistory(ctx, l1, store.HistoryFilter{Limit: 1}); err != nil || len(h) != 1 || h[0].ScanID != 4 {
		t.Errorf("chain history, limit 1: %+v, %v; want scan 4", h, err)
	}
	if h, err := s.ChainHistory(ctx, l2, store.HistoryFilter{Limit: 10}); err != nil || len(h) != 1 || h[0].ScanID != 2 ||
		h[0].ChainRisk != 0.3 {
		t.Errorf("chain history of l2: %+v, %v; want scan 2", h, err)
	}
}

// The migration that keys the history by scan keeps the entries an older version
// wrote (keyed by time), and starts the chain history from the results held.
func testHistoryMigration(t *testing.T, s store.Store) {
	ctx := context.Background()
	ds, ok := s.(interface{ Dialect() store.Dialect })
	if !ok {
		t.Fatal("the store does not expose its dialect: the migration cannot be replayed")
	}
	d := ds.Dialect()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Back to the schema before the migration, as 0002 made it.
	exec(`DROP TABLE chain_history`)
	exec(`DROP TABLE score_history`)
	exec(`CREATE TABLE score_history (uscc TEXT NOT NULL, at BIGINT NOT NULL, score DOUBLE PRECISION NOT NULL,
		grade TEXT NOT NULL, p DOUBLE PRECISION NOT NULL, d DOUBLE PRECISION NOT NULL, model_version TEXT NOT NULL,
		scan_id BIGINT NOT NULL, PRIMARY KEY (uscc, at))`)
	exec(`DELETE FROM schema_migrations WHERE version = 5`)
	recordScans(t, s, "startup", "ingest")
	ms := func(d time.Duration) int64 { return day.Add(d).UnixMilli() }
	old := func(uscc string, at int64, score float64, grade string, scan int64) {
		exec(`INSERT INTO score_history (uscc, at, score, grade, p, d, model_version, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			uscc, at, score, grade, 0.01, 0.02, "m0", scan)
	}
	old(USCC(1), ms(0), 880, "A", 1)
	old(USCC(1), ms(time.Hour), 690, "C", 2)
	old(USCC(1), ms(2*time.Hour), 680, "C", 2) // scan 2 run again with a later clock
	old(USCC(2), ms(0), 700, "B", 1)
	exec(`INSERT INTO chain_results (leader, chain_risk, supply_at_risk, demand_at_risk, members, detail, model_version,
		scan_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, USCC(3), 0.25, 0.5, 0.125, 7, `{}`, "m0", 2, ms(time.Hour))
	applied, err := store.Migrate(ctx, d)
	if err != nil || len(applied) != 1 || applied[0] != 5 {
		t.Fatalf("Migrate applied %v, %v; want [5]", applied, err)
	}
	h, err := s.History(ctx, USCC(1), store.HistoryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := historyScans(h); got != "2@02:00:00.000/ingest/C 1@00:00:00.000/startup/A " ||
		h[0].Score != 680 || h[1].Score != 880 || h[1].P != 0.01 || h[1].D != 0.02 || h[1].ModelVersion != "m0" {
		t.Errorf("history of firm 1 after the migration: %s %+v", got, h)
	}
	if h, err := s.History(ctx, USCC(2), store.HistoryFilter{Limit: 10}); err != nil || historyScans(h) != "1@00:00:00.000/startup/B " {
		t.Errorf("history of firm 2 after the migration: %s (%v)", historyScans(h), err)
	}
	ch, err := s.ChainHistory(ctx, USCC(3), store.HistoryFilter{Limit: 10})
	if err != nil || len(ch) != 1 || ch[0].ScanID != 2 || !ch[0].At.Equal(day.Add(time.Hour)) || ch[0].ChainRisk != 0.25 ||
		ch[0].SupplyAtRisk != 0.5 || ch[0].DemandAtRisk != 0.125 || ch[0].Members != 7 || ch[0].Trigger != "ingest" {
		t.Errorf("chain history after the migration: %+v, %v", ch, err)
	}
	// The new key holds: the next scan adds its entry beside the old ones.
	saveFirm(t, s, 3, day.Add(3*time.Hour), USCC(1), 330, "D")
	saveFirm(t, s, 3, day.Add(3*time.Hour), USCC(1), 330, "D")
	if h, _ := s.History(ctx, USCC(1), store.HistoryFilter{Limit: 10}); len(h) != 3 || h[0].ScanID != 3 {
		t.Errorf("history after a new scan: %s", historyScans(h))
	}
}
