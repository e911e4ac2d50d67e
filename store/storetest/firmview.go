package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// FirmViewer is a store that reads the enterprise answer's rows in one go.
type FirmViewer interface {
	FirmView(ctx context.Context, uscc string, activeAt time.Time, historyLimit int) (*store.FirmView, error)
}

// CheckFirmView checks that FirmView answers what Enterprise, Events (active at the
// time asked), FirmResult and History answer one by one: for a firm with events (one
// no longer active), results and more history than the limit, for a firm with none,
// and for a firm the store does not hold.
func CheckFirmView(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	fv, ok := s.(FirmViewer)
	if !ok {
		t.Fatalf("%T has no FirmView", s)
	}
	apply(t, s, firms(2), events(
		ev(2, "E1", 1, "tax_arrears", day),
		ev(3, "E2", 1, "penalty_minor", day.AddDate(-2, 0, 0)),
		ev(4, "E3", 1, "honor", day.Add(time.Hour)),
	))
	recordScans(t, s, "startup", "ingest", "cron:full_scan")
	saveFirm(t, s, 1, day, USCC(1), 880, "A")
	saveFirm(t, s, 2, day.Add(time.Hour), USCC(1), 680, "C")
	saveFirm(t, s, 3, day.Add(2*time.Hour), USCC(1), 330, "D")
	at := day.AddDate(0, 1, 0)
	for _, firm := range []int{1, 2} {
		got, err := fv.FirmView(ctx, USCC(firm), at, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := &store.FirmView{}
		if want.Enterprise, err = s.Enterprise(ctx, USCC(firm)); err != nil {
			t.Fatal(err)
		}
		err = s.Events(ctx, store.EventFilter{USCC: USCC(firm), ActiveAt: at}, func(e *credit.Event) error {
			want.Events = append(want.Events, *e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want.Result, err = s.FirmResult(ctx, USCC(firm)); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if want.History, err = s.History(ctx, USCC(firm), store.HistoryFilter{Limit: 2}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("firm %d: FirmView\n%+v\nwant\n%+v", firm, got, want)
		}
		if firm == 1 && (len(got.Events) != 2 || len(got.History) != 2 || got.Result == nil || got.Result.Grade != "D") {
			t.Errorf("firm 1: %d events, %d history entries, result %+v; want 2, 2 and grade D",
				len(got.Events), len(got.History), got.Result)
		}
	}
	got, err := fv.FirmView(ctx, USCC(9), at, 2)
	if err != nil || got.Enterprise != nil || len(got.Events) != 0 || got.Result != nil || len(got.History) != 0 {
		t.Errorf("a firm not held: %+v, %v; want an empty view", got, err)
	}
}
