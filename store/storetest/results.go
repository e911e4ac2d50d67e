package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

func testScans(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []int64
	for i, trig := range []string{"startup", "api:ops", "cron:full_scan"} {
		sc := &store.Scan{Kind: "full", Scope: "all", Trigger: trig, Status: store.ScanQueued}
		if err := s.CreateScan(ctx, sc); err != nil {
			t.Fatal(err)
		}
		if sc.ID != int64(i+1) {
			t.Errorf("scan %d got id %d", i+1, sc.ID)
		}
		ids = append(ids, sc.ID)
	}
	sc, err := s.Scan(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	started := day.Add(time.Minute)
	sc.Status, sc.StartedAt, sc.Done, sc.Total = store.ScanRunning, started, 10, 200
	sc.Stats = []byte(`{"firms":200}`)
	if err := s.UpdateScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Scan(ctx, ids[0])
	if got.Status != store.ScanRunning || !got.StartedAt.Equal(started) || got.Done != 10 || got.Total != 200 ||
		got.Trigger != "startup" || string(got.Stats) != `{"firms":200}` || !got.FinishedAt.IsZero() {
		t.Errorf("round trip: %+v", got)
	}
	list, err := s.Scans(ctx, 2)
	if err != nil || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Errorf("Scans(2) = %+v, %v", list, err)
	}
	if q, err := s.QueuedScans(ctx); err != nil || len(q) != 2 || q[0].ID != ids[1] || q[1].ID != ids[2] {
		t.Errorf("QueuedScans = %+v, %v; want scans 2 and 3", q, err)
	}
	// A dead process left scan 1 running and 2, 3 queued: only 1 fails; the queued
	// ones wait for the next leader.
	interrupted, err := s.InterruptScans(ctx, "interrupted by a restart")
	if err != nil || len(interrupted) != 1 || interrupted[0].ID != ids[0] {
		t.Fatalf("InterruptScans = %+v, %v", interrupted, err)
	}
	if q, _ := s.QueuedScans(ctx); len(q) != 2 {
		t.Errorf("%d scans still queued, want 2", len(q))
	}
	got, _ = s.Scan(ctx, ids[0])
	if got.Status != store.ScanFailed || got.Error != "interrupted by a restart" || got.FinishedAt.IsZero() {
		t.Errorf("after interrupt: %+v", got)
	}
	if again, _ := s.InterruptScans(ctx, "x"); len(again) != 0 {
		t.Errorf("second InterruptScans found %d", len(again))
	}
	if _, err := s.Scan(ctx, 99); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Scan(99) err = %v", err)
	}
	if err := s.UpdateScan(ctx, &store.Scan{ID: 99}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateScan(99) err = %v", err)
	}
}

func testResults(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := &store.Results{ScanID: 1, ModelVersion: "m1", At: day,
		Firms: []store.FirmResult{
			{USCC: USCC(1), Score: 800, Grade: "B", P: 0.023, D: 0.03},
			{USCC: USCC(2), Score: 450, Grade: "D", P: 0.65, D: 0.7},
		},
		Chains: []store.ChainResult{{Leader: USCC(1), ChainRisk: 0.03, SupplyAtRisk: 0.35, DemandAtRisk: 0.01, Members: 2,
			Detail: []byte(`{"leader":"x"}`)}},
	}
	first.History = first.Firms
	if err := s.SaveResults(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Second scan: firm 2's d moves (no history), firm 1's grade changes (history).
	second := &store.Results{ScanID: 2, ModelVersion: "m1", At: day.Add(time.Hour),
		Firms: []store.FirmResult{
			{USCC: USCC(1), Score: 690, Grade: "C", P: 0.09, D: 0.1},
			{USCC: USCC(2), Score: 450, Grade: "D", P: 0.65, D: 0.72},
		},
		Chains: []store.ChainResult{{Leader: USCC(1), ChainRisk: 0.1, SupplyAtRisk: 0.36, DemandAtRisk: 0.01, Members: 2,
			Detail: []byte(`{"leader":"y"}`)}},
	}
	second.History = second.Firms[:1]
	if err := s.SaveResults(ctx, second); err != nil {
		t.Fatal(err)
	}
	f, err := s.FirmResult(ctx, USCC(2))
	if err != nil || f.D != 0.72 || f.ScanID != 2 || f.ModelVersion != "m1" || !f.UpdatedAt.Equal(day.Add(time.Hour)) {
		t.Errorf("FirmResult(2) = %+v, %v", f, err)
	}
	h, err := s.History(ctx, USCC(1), store.HistoryFilter{Limit: 10})
	if err != nil || len(h) != 2 || h[0].Grade != "C" || h[1].Grade != "B" || !h[0].At.Equal(day.Add(time.Hour)) {
		t.Errorf("History(1) = %+v, %v", h, err)
	}
	if h, _ := s.History(ctx, USCC(2), store.HistoryFilter{Limit: 10}); len(h) != 1 {
		t.Errorf("History(2) has %d entries, want 1", len(h))
	}
	var all []string
	if err := s.FirmResults(ctx, func(f *store.FirmResult) error { all = append(all, f.Grade); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	if !slices.Equal(all, []string{"C", "D"}) {
		t.Errorf("FirmResults grades %v", all)
	}
	c, err := s.ChainResult(ctx, USCC(1))
	if err != nil || c.ChainRisk != 0.1 || string(c.Detail) != `{"leader":"y"}` || c.Members != 2 {
		t.Errorf("ChainResult = %+v, %v", c, err)
	}
	// Saving the same history point twice (a retried save) is harmless.
	if err := s.SaveResults(ctx, second); err != nil {
		t.Fatalf("retried save: %v", err)
	}
	if err := s.SaveResults(ctx, &store.Results{ScanID: 3, ModelVersion: "m1", At: day.Add(2 * time.Hour),
		DropChains: []string{USCC(1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChainResult(ctx, USCC(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dropped chain still held: %v", err)
	}
	n := 0
	_ = s.ChainResults(ctx, func(*store.ChainResult) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d chain results after drop", n)
	}
}

func testSubset(t *testing.T, s store.Store) {
	apply(t, s, firms(5), rels(r(2, 1, 2, 0.2), r(3, 2, 3, 0.2), r(4, 4, 5, 0.2)),
		events(ev(2, "E1", 2, "tax_arrears", day), ev(3, "E2", 4, "honor", day), ev(4, "E3", 2, "penalty_minor", day.AddDate(-1, 0, 0))))
	sub, err := s.Subset(context.Background(), []string{USCC(2), USCC(9)}, day.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Enterprises) != 1 || sub.Enterprises[0].USCC != USCC(2) {
		t.Errorf("enterprises %+v", sub.Enterprises)
	}
	if len(sub.Relations) != 2 || sub.Relations[0].Supplier != USCC(1) || sub.Relations[1].Customer != USCC(3) {
		t.Errorf("relations %+v", sub.Relations)
	}
	if len(sub.Events) != 1 || sub.Events[0].ID != "E1" {
		t.Errorf("active events %+v (E3's publicity ended)", sub.Events)
	}
	// A relation between two firms of the subset is listed once.
	sub, _ = s.Subset(context.Background(), []string{USCC(1), USCC(2), USCC(3)}, day)
	if len(sub.Relations) != 2 {
		t.Errorf("relations among 1,2,3: %d, want 2", len(sub.Relations))
	}
}

func testExpire(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(3), events(
		ev(2, "E1", 1, "tax_arrears", day),                     // publicity ends day+1y
		ev(3, "E2", 2, "penalty_minor", day.AddDate(-2, 0, 0)), // ended long ago
		ev(4, "E3", 2, "tax_arrears", day.AddDate(0, -6, 0)),   // ends day+6mo
	))
	got, err := s.ExpireEvents(ctx, day.AddDate(0, 7, 0))
	if err != nil || !slices.Equal(got, []string{USCC(2)}) {
		t.Fatalf("ExpireEvents = %v, %v; want firm 2", got, err)
	}
	var states []string
	_ = s.Events(ctx, store.EventFilter{}, func(e *credit.Event) error {
		states = append(states, e.ID+"="+string(e.State))
		return nil
	})
	slices.Sort(states)
	if !slices.Equal(states, []string{"E1=active", "E2=expired", "E3=expired"}) {
		t.Errorf("states %v", states)
	}
	if again, _ := s.ExpireEvents(ctx, day.AddDate(0, 7, 0)); len(again) != 0 {
		t.Errorf("second expiry touched %v", again)
	}
	// Expired events are history: not active at any time, not counted.
	if n := len(allEvents(t, s, store.EventFilter{ActiveAt: day})); n != 1 {
		t.Errorf("%d events active at day, want 1 (E1)", n)
	}
	// A re-sent expired event stays expired; its audit row is kept.
	apply(t, s, events(ev(2, "E2", 2, "penalty_minor", day.AddDate(-2, 0, 0))))
	if c := counts(t, s); c.Events != 3 || c.ActiveEvents != 1 {
		t.Errorf("counts %+v", c)
	}
}
