package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

func testCheckReports(t *testing.T, s store.Store) {
	ctx := context.Background()
	if list, err := s.CheckReports(ctx, store.CheckReportFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("CheckReports on an empty store = %v, %v", list, err)
	}
	at := day.Add(time.Hour)
	first := &store.CheckReport{USCC: USCC(1), Verdict: "pass", ScanID: 7, CheckedAt: at, CheckedBy: "analyst",
		Report: []byte(`{"verdict":"pass","target":{"name":"甲"}}`)}
	if err := s.SaveCheckReports(ctx, []*store.CheckReport{first}); err != nil {
		t.Fatal(err)
	}
	batch := []*store.CheckReport{
		{USCC: USCC(2), Verdict: "reject", ScanID: 8, CheckedBy: "screen", Report: []byte(`{"verdict":"reject"}`)},
		{USCC: USCC(1), Verdict: "caution", ScanID: 8, CheckedBy: "screen", Report: []byte(`{"verdict":"caution"}`)},
	}
	if err := s.SaveCheckReports(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if first.ID != 1 || batch[0].ID != 2 || batch[1].ID != 3 || batch[0].CheckedAt.IsZero() {
		t.Errorf("ids %d, %d, %d; checked_at %v", first.ID, batch[0].ID, batch[1].ID, batch[0].CheckedAt)
	}

	got, err := s.CheckReport(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.USCC != USCC(1) || got.Verdict != "pass" || got.ScanID != 7 || !got.CheckedAt.Equal(at) ||
		got.CheckedBy != "analyst" || string(got.Report) != string(first.Report) {
		t.Errorf("CheckReport(1) = %+v, want %+v", got, first)
	}
	if _, err := s.CheckReport(ctx, 99); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckReport(99) err = %v, want ErrNotFound", err)
	}

	for _, tc := range []struct {
		f    store.CheckReportFilter
		want []int64
	}{
		{store.CheckReportFilter{}, []int64{3, 2, 1}},
		{store.CheckReportFilter{USCC: USCC(1)}, []int64{3, 1}},
		{store.CheckReportFilter{USCC: USCC(1), Limit: 1}, []int64{3}},
		{store.CheckReportFilter{USCC: USCC(9)}, nil},
	} {
		list, err := s.CheckReports(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Errorf("CheckReports(%+v) = %v, want %v", tc.f, ids, tc.want)
		}
	}

	// A report missing its document saves nothing of its batch.
	bad := []*store.CheckReport{{USCC: USCC(3), Verdict: "pass", Report: []byte(`{}`)}, {USCC: USCC(4), Verdict: "pass"}}
	if err := s.SaveCheckReports(ctx, bad); err == nil {
		t.Error("a report without its document was saved")
	}
	if list, _ := s.CheckReports(ctx, store.CheckReportFilter{USCC: USCC(3)}); len(list) != 0 {
		t.Errorf("half a bad batch was saved: %v", list)
	}
}

// testConcurrentCheckReports: replicas saving at once get distinct IDs.
func testConcurrentCheckReports(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make(chan int64, 40)
	for i := range 8 {
		wg.Go(func() {
			batch := make([]*store.CheckReport, 5)
			for j := range batch {
				batch[j] = &store.CheckReport{USCC: USCC(i + 1), Verdict: "pass", Report: []byte(`{}`)}
			}
			if err := s.SaveCheckReports(ctx, batch); err != nil {
				t.Error(err)
				return
			}
			for _, c := range batch {
				ids <- c.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("id %d handed out twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 40 {
		t.Errorf("%d distinct ids, want 40", len(seen))
	}
}
