package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// testRecentEvents: EventFilter's Recent and USCCs, alone and with ActiveAt. Every
// event is public for a year (event), so at day:
//
//	E1 firm 1 tax_arrears (high)                day        active, recent
//	E2 firm 1 penalty_serious (high)            day − 2y   expired, recent
//	E3 firm 2 consumption_restriction (high)    day − 6mo  active, recent
//	E4 firm 2 bankruptcy (critical)             day − 4y   expired, older than 3y
//	E5 firm 3 honor (info)                      day        active, not of a recent type
//	E6 firm 3 equity_freeze (high), repaired    day − 1mo  repaired, recent
func testRecentEvents(t *testing.T, s store.Store) {
	apply(t, s, firms(3), events(
		ev(2, "E1", 1, "tax_arrears", day),
		ev(3, "E2", 1, "penalty_serious", day.AddDate(-2, 0, 0)),
		ev(4, "E3", 2, "consumption_restriction", day.AddDate(0, -6, 0)),
		ev(5, "E4", 2, "bankruptcy", day.AddDate(-4, 0, 0)),
		ev(6, "E5", 3, "honor", day),
		ev(7, "E6", 3, "equity_freeze", day.AddDate(0, -1, 0)),
	))
	apply(t, s, repairs(credit.Repair{EventID: "E6", RepairedAt: day.AddDate(0, 0, -10), DecidedBy: "人民法院", Reason: "已解除冻结"}))
	serious := store.RecentFilter{Types: []string{"bankruptcy", "consumption_restriction", "equity_freeze", "penalty_serious", "tax_arrears"},
		Since: day.AddDate(-3, 0, 0)}
	// ids lists the events f selects in the order the store streams them.
	ids := func(f store.EventFilter) []string {
		var out []string
		if err := s.Events(context.Background(), f, func(e *credit.Event) error {
			out = append(out, e.ID)
			return nil
		}); err != nil {
			t.Fatalf("Events(%+v): %v", f, err)
		}
		return out
	}
	sorted := func(f store.EventFilter) []string { return slices.Sorted(slices.Values(ids(f))) }
	at := day.Add(time.Hour)
	many := make([]string, 600) // two chunks: firm 1 in the first, firm 3 in the second
	for i := range many {
		many[i] = USCC(1000 + i)
	}
	many[0], many[550] = USCC(1), USCC(3)
	for _, tc := range []struct {
		name    string
		got     []string
		want    []string
		ordered bool
	}{
		{"active", sorted(store.EventFilter{ActiveAt: at}), []string{"E1", "E3", "E5"}, false},
		{"recent", sorted(store.EventFilter{Recent: serious}), []string{"E1", "E2", "E3", "E6"}, false},
		{"active or recent", sorted(store.EventFilter{ActiveAt: at, Recent: serious}), []string{"E1", "E2", "E3", "E5", "E6"}, false},
		// By firm, then by time: firm 2's E3; firm 3's E6 (day − 1mo), E5 (day).
		{"of firms 2 and 3", ids(store.EventFilter{USCCs: []string{USCC(3), USCC(2)}, ActiveAt: at, Recent: serious}),
			[]string{"E3", "E6", "E5"}, true},
		{"of firm 2, recent", ids(store.EventFilter{USCCs: []string{USCC(2)}, Recent: serious}), []string{"E3"}, true},
		{"over two chunks", ids(store.EventFilter{USCCs: many, Recent: serious}), []string{"E2", "E1", "E6"}, true},
		{"since, inclusive", ids(store.EventFilter{Recent: store.RecentFilter{Types: []string{"consumption_restriction"},
			Since: day.AddDate(0, -6, 0)}}), []string{"E3"}, true},
		{"since, a millisecond later", ids(store.EventFilter{Recent: store.RecentFilter{Types: []string{"consumption_restriction"},
			Since: day.AddDate(0, -6, 0).Add(time.Millisecond)}}), nil, true},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
