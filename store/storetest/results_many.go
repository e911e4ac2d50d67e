package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// manyResults is a save of n firms' results (every firm changed, as on a first scan),
// firm i scored from i and the scan.
func manyResults(scan int64, n int) *store.Results {
	res := &store.Results{ScanID: scan, ModelVersion: fmt.Sprintf("m%d", scan), At: day.Add(time.Duration(scan) * time.Hour)}
	for i := range n {
		x := float64(i) + float64(scan)/10
		res.Firms = append(res.Firms, store.FirmResult{USCC: USCC(i), Score: 1000 - x/100, Grade: string(rune('A' + i%4)),
			P: x / 1e6, D: math.Nextafter(x/1e6, 1)})
	}
	res.History = res.Firms
	return res
}

// checkFirmResults compares every firm result held with want's, and the history of a
// sample of firms with the saves of hist (oldest first).
func checkFirmResults(t *testing.T, s store.Store, want *store.Results, hist ...*store.Results) {
	t.Helper()
	ctx := context.Background()
	held := map[string]store.FirmResult{}
	if err := s.FirmResults(ctx, func(f *store.FirmResult) error { held[f.USCC] = *f; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(held) != len(want.Firms) {
		t.Fatalf("%d firm results held, want %d", len(held), len(want.Firms))
	}
	for _, w := range want.Firms {
		w.ModelVersion, w.ScanID, w.UpdatedAt = want.ModelVersion, want.ScanID, want.At
		if got := held[w.USCC]; got.Score != w.Score || got.Grade != w.Grade || got.P != w.P || got.D != w.D ||
			got.ModelVersion != w.ModelVersion || got.ScanID != w.ScanID || !got.UpdatedAt.Equal(w.UpdatedAt) {
			t.Fatalf("result of %s: %+v, want %+v", w.USCC, got, w)
		}
	}
	for i := 0; i < len(want.Firms); i += len(want.Firms) / 25 {
		h, err := s.History(ctx, USCC(i), store.HistoryFilter{Limit: 10})
		if err != nil || len(h) != len(hist) {
			t.Fatalf("history of firm %d: %d entries (%v), want %d", i, len(h), err, len(hist))
		}
		for k, e := range h {
			w := hist[len(hist)-1-k] // newest first
			if e.ScanID != w.ScanID || e.Score != w.Firms[i].Score || e.ModelVersion != w.ModelVersion || !e.At.Equal(w.At) {
				t.Fatalf("history of firm %d, entry %d: %+v, want scan %d's", i, k, e, w.ScanID)
			}
		}
	}
}

// testResultsMany saves results of many firms at once, as a first full scan does: the
// store may copy them straight into empty tables, and must hold exactly what the
// merge would have — also when the same scan is saved again, when results are held
// already, and when a save fails.
func testResultsMany(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 12_000
	// A failing save leaves nothing: two results for one firm.
	bad := manyResults(1, n)
	bad.Firms = append(bad.Firms, bad.Firms[7])
	if err := s.SaveResults(ctx, bad); err == nil {
		t.Fatal("a save with two results for one firm succeeded")
	}
	if err := s.FirmResults(ctx, func(*store.FirmResult) error { return fmt.Errorf("a result was kept") }); err != nil {
		t.Fatalf("after the failed save: %v", err)
	}
	first := manyResults(1, n)
	if err := s.SaveResults(ctx, first); err != nil {
		t.Fatal(err)
	}
	checkFirmResults(t, s, first, first)
	// The same scan saved again (a retried save): no second history entry.
	if err := s.SaveResults(ctx, first); err != nil {
		t.Fatalf("retried save: %v", err)
	}
	checkFirmResults(t, s, first, first)
	// Every result held changes.
	second := manyResults(2, n)
	if err := s.SaveResults(ctx, second); err != nil {
		t.Fatal(err)
	}
	checkFirmResults(t, s, second, first, second)
	// History already partly written by this scan: the rest is added, once.
	third := manyResults(3, n)
	part := *third
	part.Firms, part.History = third.Firms[:10], third.History[:10]
	if err := s.SaveResults(ctx, &part); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveResults(ctx, third); err != nil {
		t.Fatal(err)
	}
	checkFirmResults(t, s, third, first, second, third)
}
