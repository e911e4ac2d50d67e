package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// changedSince returns the sorted firms changed after t.
func changedSince(t *testing.T, s store.Store, since time.Time, limit int) ([]string, bool) {
	t.Helper()
	got, ok, err := s.ChangedFirms(context.Background(), since, limit)
	if err != nil {
		t.Fatalf("ChangedFirms: %v", err)
	}
	slices.Sort(got)
	return got, ok
}

// mark returns the store's data mark and waits until the store's clock is past it,
// so that the next batch's rows are stamped after it (the stamps are milliseconds).
func mark(t *testing.T, s store.Store) time.Time {
	t.Helper()
	m, err := s.DataMark(context.Background())
	if err != nil {
		t.Fatalf("DataMark: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	return m
}

func testChangedFirms(t *testing.T, s store.Store) {
	apply(t, s, firms(6), rels(r(2, 1, 2, 0.1)), events(ev(2, "E1", 3, "tax_arrears", day), ev(3, "E2", 4, "tax_arrears", day)))
	m0 := mark(t, s)
	if m0.IsZero() || m0.After(time.Now()) {
		t.Fatalf("mark after a batch = %v", m0)
	}
	if got, ok := changedSince(t, s, m0.Add(-time.Hour), 100); !ok || len(got) != 6 {
		t.Errorf("from before the batch: %d firms (%v), want 6", len(got), ok)
	}
	if got, ok := changedSince(t, s, m0, 100); !ok || len(got) != 0 {
		t.Errorf("nothing changed since the mark, got %v %v", got, ok)
	}
	// A relation re-weighted, a repair, a renamed firm, a holding.
	renamed := firms(5).Enterprises[4]
	renamed.Name = "改名企业有限公司"
	apply(t, s, rels(r(2, 1, 2, 0.2)), repairs(credit.Repair{EventID: "E2", RepairedAt: day.AddDate(0, 1, 0), DecidedBy: "x", Reason: "y"}),
		&store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{renamed}},
		&store.Chunk{Kind: credit.KindShareholdings, Lines: []int{2}, Shareholdings: []credit.Shareholding{
			{HolderKind: credit.HolderFirm, Holder: USCC(6), Investee: USCC(3), Share: 0.2}}})
	want := []string{USCC(1), USCC(2), USCC(3), USCC(4), USCC(5), USCC(6)}
	slices.Sort(want)
	if got, ok := changedSince(t, s, m0, 100); !ok || !slices.Equal(got, want) {
		t.Errorf("changed since the mark: %v %v, want %v", got, ok, want)
	}
	if got, ok := changedSince(t, s, m0, 5); ok || got != nil {
		t.Errorf("over the limit: %v %v, want nil false", got, ok)
	}
	m1 := mark(t, s)
	if !m1.After(m0) {
		t.Errorf("mark did not move: %v then %v", m0, m1)
	}
	// A leader's own supplier and its withdrawal: the supplied row is seen, the
	// withdrawal (a deletion) is not, which is why the engine reads that table whole.
	supply(t, s, USCC(2), rels(r(2, 4, 2, 0.1)))
	if got, _ := changedSince(t, s, m1, 100); !slices.Equal(got, sorted(USCC(2), USCC(4))) {
		t.Errorf("after a supplied relation: %v", got)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
