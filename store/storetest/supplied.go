package storetest

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// supply runs one batch of a leader's own rows: stage, check, commit.
func supply(t *testing.T, s store.Store, source string, chunks ...*store.Chunk) ([]store.RowError, store.Applied) {
	t.Helper()
	ctx := context.Background()
	b, err := s.BeginSupplyBatch(ctx, store.SupplyOptions{Source: source, DefaultSalesShare: 0.1})
	if err != nil {
		t.Fatalf("BeginSupplyBatch: %v", err)
	}
	defer func() { _ = b.Rollback(ctx) }()
	for _, c := range chunks {
		if err := b.Stage(ctx, c); err != nil {
			t.Fatalf("Stage %s: %v", c.Kind, err)
		}
	}
	rejected, err := b.Check(ctx)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	a, err := b.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return rejected, a
}

// leaderRow is a leader's row without a sales share (to be estimated) unless sales > 0.
func leaderRow(line, sup, cust int, purchase, sales float64, amount *float64) func() (int, credit.Relation) {
	return func() (int, credit.Relation) {
		return line, credit.Relation{Supplier: USCC(sup), Customer: USCC(cust), PurchaseShare: purchase,
			SalesShare: sales, SalesShareEstimated: sales == 0, Substitutability: 0.5, Amount: amount, Product: "大豆"}
	}
}

func allSupplied(t *testing.T, s store.Store) []credit.Relation {
	t.Helper()
	var out []credit.Relation
	if err := s.SuppliedRelations(context.Background(), func(r *credit.Relation) error {
		out = append(out, *r)
		return nil
	}); err != nil {
		t.Fatalf("SuppliedRelations: %v", err)
	}
	slices.SortFunc(out, func(a, b credit.Relation) int {
		return strings.Compare(a.Source+a.Supplier+a.Customer, b.Source+b.Supplier+b.Customer)
	})
	return out
}

// testSuppliedEstimates: a leader's rows land beside the registry's, which stay as
// they were; each branch of the sales-share estimate gives its hand-worked value.
func testSuppliedEstimates(t *testing.T, s store.Store) {
	ctx := context.Background()
	ents := firms(7)
	ents.Enterprises[4].Revenue = ptr(10_000_000) // firm 5
	ents.Enterprises[6].Revenue = ptr(10_000_000) // firm 7
	apply(t, s, ents, rels(r(2, 2, 1, 0.5)))
	before := allRelations(t, s)

	leader := USCC(1)
	rejected, a := supply(t, s, leader, rels(
		leaderRow(2, 2, 1, 0.4, 0, ptr(5e6)),         // the registry's pair: its sales share, 0.3
		leaderRow(3, 5, 1, 0.2, 0, ptr(2_000_000)),   // 2,000,000 / 10,000,000 = 0.2
		leaderRow(4, 4, 1, 0.1, 0, nil),              // no amount: the default, 0.1
		leaderRow(5, 6, 1, 0.1, 0.7, nil),            // given: 0.7, not estimated
		leaderRow(6, 7, 1, 0.1, 0, ptr(50_000_000)))) // 5 > 1: capped at 1
	if len(rejected) != 0 {
		t.Fatalf("rejected %+v", rejected)
	}
	if a.Rows != 5 || a.Changed != 5 {
		t.Errorf("applied %+v, want 5 rows, 5 changed", a)
	}
	for _, f := range []int{1, 2, 4, 5, 6, 7} {
		if !slices.Contains(a.Touched, USCC(f)) {
			t.Errorf("Touched %v lacks firm %d", a.Touched, f)
		}
	}
	if after := allRelations(t, s); !slices.EqualFunc(before, after, equalRelation) {
		t.Errorf("registry relations changed:\n%+v\nwant\n%+v", after, before)
	}
	want := map[string]struct {
		sales     float64
		estimated bool
	}{USCC(2): {0.3, true}, USCC(5): {0.2, true}, USCC(4): {0.1, true}, USCC(6): {0.7, false}, USCC(7): {1, true}}
	got := allSupplied(t, s)
	if len(got) != len(want) {
		t.Fatalf("supplied %d relations, want %d: %+v", len(got), len(want), got)
	}
	for _, r := range got {
		w := want[r.Supplier]
		if r.Source != leader || r.Customer != leader || math.Abs(r.SalesShare-w.sales) > 1e-12 || r.SalesShareEstimated != w.estimated {
			t.Errorf("supplied %s→%s: source %s sales %v estimated %v, want source %s sales %v estimated %v",
				r.Supplier, r.Customer, r.Source, r.SalesShare, r.SalesShareEstimated, leader, w.sales, w.estimated)
		}
	}
	sub, err := s.Subset(ctx, []string{leader}, day)
	if err != nil || len(sub.Supplied) != 5 || sub.Supplied[0].Source != leader {
		t.Errorf("Subset(leader).Supplied = %+v, %v; want the 5 rows", sub.Supplied, err)
	}
	if sub, err := s.Subset(ctx, []string{USCC(2)}, day); err != nil || len(sub.Supplied) != 0 {
		t.Errorf("Subset(a supplier).Supplied = %+v, %v; want none (customers only)", sub.Supplied, err)
	}
	// Re-sending the same rows changes nothing.
	if _, a := supply(t, s, leader, rels(leaderRow(2, 2, 1, 0.4, 0, ptr(5e6)))); a.Changed != 0 || len(a.Touched) != 0 {
		t.Errorf("re-sent row: applied %+v, want no change", a)
	}
}

func equalRelation(a, b credit.Relation) bool {
	return a.Supplier == b.Supplier && a.Customer == b.Customer && a.PurchaseShare == b.PurchaseShare &&
		a.SalesShare == b.SalesShare && a.Substitutability == b.Substitutability && a.Product == b.Product &&
		(a.Amount == nil) == (b.Amount == nil) && (a.Amount == nil || *a.Amount == *b.Amount) &&
		a.ValidFrom.Equal(b.ValidFrom) && a.ValidTo.Equal(b.ValidTo) && a.Source == b.Source
}

// testSuppliedShareSum: Σ purchase_share counts the leader's own rows and the
// registry's for the suppliers it has not listed; a row past 1 is refused, saying
// the sum.
func testSuppliedShareSum(t *testing.T, s store.Store) {
	apply(t, s, firms(5), rels(r(2, 2, 1, 0.5), r(3, 3, 1, 0.3)))
	leader := USCC(1)
	// 0.6 (own, replacing the registry's 0.5) + 0.3 (registry) = 0.9; + 0.2 = 1.1.
	rejected, a := supply(t, s, leader, rels(leaderRow(2, 2, 1, 0.6, 0.3, nil), leaderRow(3, 4, 1, 0.2, 0.3, nil)))
	if len(rejected) != 1 || rejected[0].Line != 3 || rejected[0].Field != "purchase_share" ||
		!strings.Contains(rejected[0].Reason, "would reach 1.1 (> 1)") || !strings.Contains(rejected[0].Reason, leader) {
		t.Fatalf("rejected %+v, want line 3 purchase_share reaching 1.1", rejected)
	}
	if a.Rows != 1 {
		t.Errorf("applied %+v, want the first row", a)
	}
	// Listing supplier 3 replaces the registry's 0.3 for this leader: 0.6 + 0.1 + 0.2 = 0.9.
	if rejected, _ := supply(t, s, leader, rels(leaderRow(2, 3, 1, 0.1, 0.3, nil), leaderRow(3, 4, 1, 0.2, 0.3, nil))); len(rejected) != 0 {
		t.Errorf("rejected %+v, want none (Σ 0.9)", rejected)
	}
	// Another leader's rows count for that leader only: the registry's 0.8 for firm 1
	// does not concern firm 5's purchases.
	if rejected, _ := supply(t, s, USCC(5), rels(leaderRow(2, 2, 5, 0.9, 0.3, nil))); len(rejected) != 0 {
		t.Errorf("rejected %+v for another leader, want none", rejected)
	}
	if got := len(allSupplied(t, s)); got != 4 {
		t.Errorf("%d supplied relations, want 4", got)
	}
}

// testSuppliedChecks: an unknown supplier and a repeated pair are refused; a supply
// batch takes relations only; nothing of a rolled-back batch stays.
func testSuppliedChecks(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(3))
	leader := USCC(1)
	rejected, _ := supply(t, s, leader, rels(leaderRow(2, 9, 1, 0.1, 0.3, nil), leaderRow(3, 2, 1, 0.1, 0.3, nil),
		leaderRow(4, 2, 1, 0.1, 0.3, nil)))
	if len(rejected) != 2 || rejected[0].Field != "supplier" || !strings.Contains(rejected[0].Reason, "unknown firm") ||
		rejected[1].Line != 4 || !strings.Contains(rejected[1].Reason, "duplicate") {
		t.Errorf("rejected %+v, want the unknown supplier and the repeated pair", rejected)
	}
	b, err := s.BeginSupplyBatch(ctx, store.SupplyOptions{Source: leader, DefaultSalesShare: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Stage(ctx, firms(1)); err == nil {
		t.Error("a supply batch staged enterprises")
	}
	if err := b.Stage(ctx, rels(leaderRow(2, 3, 1, 0.1, 0, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := allSupplied(t, s); len(got) != 1 || got[0].Supplier != USCC(2) {
		t.Errorf("supplied %+v after a rolled-back batch, want the one row committed before", got)
	}
	for _, o := range []store.SupplyOptions{{DefaultSalesShare: 0.1}, {Source: leader}, {Source: leader, DefaultSalesShare: 1.5}} {
		if b, err := s.BeginSupplyBatch(ctx, o); err == nil {
			_ = b.Rollback(ctx)
			t.Errorf("BeginSupplyBatch(%+v) opened", o)
		}
	}
}

func listed(t *testing.T, s store.Store, f store.RelationFilter) []string {
	t.Helper()
	var out []string
	err := s.ListRelations(context.Background(), f, func(r *credit.Relation) error {
		src := r.Source
		if src == "" {
			src = "registry"
		}
		out = append(out, r.Supplier[len(r.Supplier)-3:]+">"+r.Customer[len(r.Customer)-3:]+"@"+src[len(src)-3:])
		return nil
	})
	if err != nil {
		t.Fatalf("ListRelations(%+v): %v", f, err)
	}
	return out
}

// testSuppliedListAndWithdraw: the list gives the registry's rows, then the supplied
// ones, by the filter; a withdrawal deletes one leader's row and nothing else.
func testSuppliedListAndWithdraw(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(4), rels(r(2, 2, 1, 0.5), r(3, 3, 4, 0.5)))
	supply(t, s, USCC(1), rels(leaderRow(2, 2, 1, 0.4, 0.3, nil), leaderRow(3, 3, 1, 0.4, 0.3, nil)))
	supply(t, s, USCC(4), rels(leaderRow(2, 2, 4, 0.4, 0.3, nil)))
	n := func(i int) string { u := USCC(i); return u[len(u)-3:] }
	reg := "try" // the last three letters of "registry"
	cases := []struct {
		f    store.RelationFilter
		want []string
	}{
		{store.RelationFilter{}, []string{n(2) + ">" + n(1) + "@" + reg, n(3) + ">" + n(4) + "@" + reg,
			n(2) + ">" + n(1) + "@" + n(1), n(3) + ">" + n(1) + "@" + n(1), n(2) + ">" + n(4) + "@" + n(4)}},
		{store.RelationFilter{Source: credit.SourceRegistry}, []string{n(2) + ">" + n(1) + "@" + reg, n(3) + ">" + n(4) + "@" + reg}},
		{store.RelationFilter{Source: USCC(4)}, []string{n(2) + ">" + n(4) + "@" + n(4)}},
		{store.RelationFilter{Supplier: USCC(2), SuppliedBy: USCC(1)},
			[]string{n(2) + ">" + n(1) + "@" + reg, n(2) + ">" + n(1) + "@" + n(1)}},
		{store.RelationFilter{Customer: USCC(4), SuppliedBy: USCC(1)}, []string{n(3) + ">" + n(4) + "@" + reg}},
		{store.RelationFilter{Source: USCC(4), SuppliedBy: USCC(1)}, nil},
	}
	for _, c := range cases {
		if got := listed(t, s, c.f); !slices.Equal(got, c.want) {
			t.Errorf("ListRelations(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	before := allRelations(t, s)
	if err := s.WithdrawSupplied(ctx, USCC(1), USCC(2)); err != nil {
		t.Fatalf("WithdrawSupplied: %v", err)
	}
	for _, x := range [][2]int{{1, 2}, {1, 4}, {4, 3}} { // withdrawn, never supplied, the registry's only
		if err := s.WithdrawSupplied(ctx, USCC(x[0]), USCC(x[1])); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("WithdrawSupplied(%d, %d) = %v, want ErrNotFound", x[0], x[1], err)
		}
	}
	if after := allRelations(t, s); !slices.EqualFunc(before, after, equalRelation) {
		t.Errorf("a withdrawal changed the registry: %+v", after)
	}
	if got := allSupplied(t, s); len(got) != 2 || got[0].Supplier != USCC(3) || got[1].Source != USCC(4) {
		t.Errorf("supplied after the withdrawal: %+v", got)
	}
}
