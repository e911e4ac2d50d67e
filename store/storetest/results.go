package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

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
	// A dead process left scan 1 running and 2, 3 queued.
	interrupted, err := s.InterruptScans(ctx, "interrupted by a restart")
	if err != nil || len(interrupted) != 3 {
		t.Fatalf("InterruptScans = %d, %v", len(interrupted), err)
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
	h, err := s.History(ctx, USCC(1), 10)
	if err != nil || len(h) != 2 || h[0].Grade != "C" || h[1].Grade != "B" || !h[0].UpdatedAt.Equal(day.Add(time.Hour)) {
		t.Errorf("History(1) = %+v, %v", h, err)
	}
	if h, _ := s.History(ctx, USCC(2), 10); len(h) != 1 {
		t.Errorf("History(2) has %d entries, want 1", len(h))
	}
	var all []string
	if err := s.FirmResults(ctx, func(f *store.FirmResult) error { all = append(all, f.Grade); return nil }); err != nil {
		t.Fatal(err)
	}
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
