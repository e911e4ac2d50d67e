// Package storetest is the conformance suite every store.Store implementation passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Opener returns a fresh, empty store for one test; the opener arranges its cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"IngestAndRead", testIngestAndRead},
		{"ReimportChangesNothing", testReimport},
		{"BulkFirstImport", testBulkFirstImport},
		{"UpdateChangesOnlyWhatDiffers", testUpdate},
		{"RowChecks", testRowChecks},
		{"PurchaseShareSum", testShareSum},
		{"RollbackLeavesNothing", testRollback},
		{"RepairMovesEventToRepaired", testRepair},
		{"EventFilters", testEventFilters},
		{"RecentEvents", testRecentEvents},
		{"NotFound", testNotFound},
		{"ConcurrentBatchesSerialise", testConcurrentBatches},
		{"MixedBatchOrder", testMixedBatch},
		{"Scans", testScans},
		{"Results", testResults},
		{"ResultsMany", testResultsMany},
		{"History", testHistory},
		{"ChainHistory", testChainHistory},
		{"HistoryMigration", testHistoryMigration},
		{"ESRI", testESRI},
		{"Subset", testSubset},
		{"Expire", testExpire},
		{"CheckReports", testCheckReports},
		{"ConcurrentCheckReports", testConcurrentCheckReports},
		{"Tokens", testTokens},
		{"ConcurrentTokens", testConcurrentTokens},
		{"UISessions", testUISessions},
		{"Alerts", testAlerts},
		{"AlertsAtomic", testAlertsAtomic},
		{"Feedback", testFeedback},
		{"Workflow", testWorkflow},
		{"Outbox", testOutbox},
		{"OutboxOwnersTakeTurns", testOutboxOwnersTakeTurns},
		{"Digests", testDigests},
		{"Silences", testSilences},
		{"Subscriptions", testSubscriptions},
		{"Snapshots", testSnapshots},
		{"SnapshotsMigration", testSnapshotsMigration},
		{"RepairsSince", testRepairsSince},
		{"OwnershipRoundTrip", testOwnershipRoundTrip},
		{"ShareholdingChecks", testShareholdingChecks},
		{"ShareholdingShareSum", testShareholdingShareSum},
		{"ShareholdingReimport", testShareholdingReimport},
		{"ShareholdingRefusedBatch", testShareholdingRefusedBatch},
		{"ShareholdingSubset", testShareholdingSubset},
		{"MigrationsRecordedOnce", testMigrationsRecordedOnce},
		{"SuppliedEstimates", testSuppliedEstimates},
		{"SuppliedShareSum", testSuppliedShareSum},
		{"SuppliedChecks", testSuppliedChecks},
		{"SuppliedListAndWithdraw", testSuppliedListAndWithdraw},
		{"ChangedFirms", testChangedFirms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// testMigrationsRecordedOnce: migrating a migrated store applies nothing, and every
// migration of the store's dialect is recorded once.
func testMigrationsRecordedOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := s.(interface{ Dialect() store.Dialect }).Dialect()
	applied, err := store.Migrate(ctx, d)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate on a migrated store applied %v, %v", applied, err)
	}
	var n int
	rows, err := d.Query(ctx, `SELECT COUNT(*) FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	want, err := store.Migrations(d.Name())
	if err != nil || n != len(want) || n == 0 {
		t.Errorf("schema_migrations has %d rows, want %d (%v)", n, len(want), err)
	}
}

// USCC makes the n-th valid test code (region 230100, Harbin).
func USCC(n int) string {
	c, err := credit.MakeUSCC(fmt.Sprintf("91230100%09d", n))
	if err != nil {
		panic(err)
	}
	return c
}

var day = time.Date(2026, 3, 1, 0, 0, 0, 0, credit.Shanghai)

func ptr(f float64) *float64 { return &f }

func firms(n int) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindEnterprises}
	for i := 1; i <= n; i++ {
		c.Lines = append(c.Lines, i+1)
		c.Enterprises = append(c.Enterprises, credit.Enterprise{
			USCC: USCC(i), Name: fmt.Sprintf("测试企业%d有限公司", i), Region: "230100",
			Industry: "C1331", Tags: []string{"specialized"}, Status: credit.StatusActive, Revenue: ptr(1e8 * float64(i)),
		})
	}
	return c
}

func rel(line, s, c int, purchase float64) (int, credit.Relation) {
	return line, credit.Relation{Supplier: USCC(s), Customer: USCC(c), PurchaseShare: purchase,
		SalesShare: 0.3, Substitutability: 0.5, Amount: ptr(1e6), Product: "大豆"}
}

func rels(rs ...func() (int, credit.Relation)) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindRelations}
	for _, f := range rs {
		l, r := f()
		c.Lines = append(c.Lines, l)
		c.Relations = append(c.Relations, r)
	}
	return c
}

func r(line, s, c int, purchase float64) func() (int, credit.Relation) {
	return func() (int, credit.Relation) { return rel(line, s, c, purchase) }
}

func event(line int, id string, firm int, typ string, occurred time.Time) (int, credit.Event) {
	return line, credit.Event{ID: id, USCC: USCC(firm), Type: typ, OccurredAt: occurred,
		PublishUntil: occurred.AddDate(1, 0, 0), Source: "信用黑龙江", Description: "测试", State: credit.EventActive}
}

func events(es ...func() (int, credit.Event)) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindEvents}
	for _, f := range es {
		l, e := f()
		c.Lines = append(c.Lines, l)
		c.Events = append(c.Events, e)
	}
	return c
}

func ev(line int, id string, firm int, typ string, occurred time.Time) func() (int, credit.Event) {
	return func() (int, credit.Event) { return event(line, id, firm, typ, occurred) }
}

func repairs(rs ...credit.Repair) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindRepairs, Repairs: rs}
	for i := range rs {
		c.Lines = append(c.Lines, i+2)
	}
	return c
}

// apply runs one batch of chunks: stage, check, commit.
func apply(t *testing.T, s store.Store, chunks ...*store.Chunk) ([]store.RowError, store.Applied) {
	t.Helper()
	ctx := context.Background()
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatalf("BeginBatch: %v", err)
	}
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

func counts(t *testing.T, s store.Store) store.Counts {
	t.Helper()
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	return c
}

func allEnterprises(t *testing.T, s store.Store) []credit.Enterprise {
	t.Helper()
	var out []credit.Enterprise
	if err := s.Enterprises(context.Background(), func(e *credit.Enterprise) error {
		out = append(out, *e)
		return nil
	}); err != nil {
		t.Fatalf("Enterprises: %v", err)
	}
	slices.SortFunc(out, func(a, b credit.Enterprise) int { return strings.Compare(a.USCC, b.USCC) })
	return out
}

func allRelations(t *testing.T, s store.Store) []credit.Relation {
	t.Helper()
	var out []credit.Relation
	if err := s.Relations(context.Background(), func(r *credit.Relation) error {
		out = append(out, *r)
		return nil
	}); err != nil {
		t.Fatalf("Relations: %v", err)
	}
	slices.SortFunc(out, func(a, b credit.Relation) int {
		return strings.Compare(a.Supplier+a.Customer, b.Supplier+b.Customer)
	})
	return out
}

func allEvents(t *testing.T, s store.Store, f store.EventFilter) []credit.Event {
	t.Helper()
	var out []credit.Event
	if err := s.Events(context.Background(), f, func(e *credit.Event) error {
		out = append(out, *e)
		return nil
	}); err != nil {
		t.Fatalf("Events: %v", err)
	}
	slices.SortFunc(out, func(a, b credit.Event) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func testIngestAndRead(t *testing.T, s store.Store) {
	_, a := apply(t, s, firms(3))
	if a.Rows != 3 || a.Changed != 3 {
		t.Fatalf("applied = %+v, want 3 rows, 3 changed", a)
	}
	if want := []string{USCC(1), USCC(2), USCC(3)}; !slices.Equal(a.Touched, want) {
		t.Errorf("touched = %v, want %v", a.Touched, want)
	}
	got := allEnterprises(t, s)
	if len(got) != 3 {
		t.Fatalf("got %d enterprises, want 3", len(got))
	}
	e := got[1]
	if e.USCC != USCC(2) || e.Name != "测试企业2有限公司" || e.Region != "230100" || e.Industry != "C1331" ||
		!slices.Equal(e.Tags, []string{"specialized"}) || e.Status != credit.StatusActive ||
		e.Revenue == nil || *e.Revenue != 2e8 || e.UpdatedAt.IsZero() {
		t.Errorf("round trip lost data: %+v", e)
	}
	rejected, _ := apply(t, s, rels(r(2, 1, 3, 0.4), r(3, 2, 3, 0.35)))
	if len(rejected) != 0 {
		t.Fatalf("rejected %v", rejected)
	}
	rs := allRelations(t, s)
	if len(rs) != 2 || rs[0].Supplier != USCC(1) || rs[0].Customer != USCC(3) || rs[0].PurchaseShare != 0.4 ||
		rs[0].SalesShare != 0.3 || rs[0].Substitutability != 0.5 || *rs[0].Amount != 1e6 || rs[0].Product != "大豆" ||
		!rs[0].ValidFrom.IsZero() {
		t.Errorf("relations round trip: %+v", rs)
	}
	occurred := day.Add(90 * time.Minute)
	apply(t, s, events(ev(2, "E1", 1, "tax_arrears", occurred)))
	es := allEvents(t, s, store.EventFilter{})
	if len(es) != 1 || !es[0].OccurredAt.Equal(occurred) || !es[0].PublishUntil.Equal(occurred.AddDate(1, 0, 0)) ||
		es[0].State != credit.EventActive || es[0].Amount != nil || es[0].Source != "信用黑龙江" {
		t.Errorf("events round trip: %+v", es)
	}
	c := counts(t, s)
	if c != (store.Counts{Enterprises: 3, Relations: 2, Events: 1, ActiveEvents: 1}) {
		t.Errorf("counts = %+v", c)
	}
}

func testReimport(t *testing.T, s store.Store) {
	batch := func() []*store.Chunk {
		return []*store.Chunk{firms(4), rels(r(2, 1, 4, 0.5), r(3, 2, 4, 0.5), r(4, 3, 1, 0.2)),
			events(ev(2, "E1", 1, "tax_arrears", day), ev(3, "E2", 2, "honor", day))}
	}
	_, first := apply(t, s, batch()...)
	before := counts(t, s)
	stamps := allEnterprises(t, s)
	_, second := apply(t, s, batch()...)
	if second.Changed != 0 || len(second.Touched) != 0 || second.Rows != first.Rows {
		t.Errorf("re-import changed %d rows, touched %v (first: %+v)", second.Changed, second.Touched, first)
	}
	if after := counts(t, s); after != before {
		t.Errorf("counts changed on re-import: %+v → %+v", before, after)
	}
	if again := allEnterprises(t, s); !slices.EqualFunc(stamps, again, func(a, b credit.Enterprise) bool {
		return a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Error("re-import rewrote updated_at")
	}
}

func testUpdate(t *testing.T, s store.Store) {
	apply(t, s, firms(3), rels(r(2, 1, 3, 0.5)))
	c := firms(3)
	c.Enterprises[1].Status = credit.StatusAbnormal
	_, a := apply(t, s, c, rels(r(2, 1, 3, 0.6)))
	if a.Changed != 2 || !slices.Equal(a.Touched, []string{USCC(1), USCC(2), USCC(3)}) {
		t.Errorf("applied = %+v, want 2 changed touching firms 1,2,3", a)
	}
	if got := allEnterprises(t, s)[1].Status; got != credit.StatusAbnormal {
		t.Errorf("status = %s", got)
	}
	if got := allRelations(t, s)[0].PurchaseShare; got != 0.6 {
		t.Errorf("purchase_share = %v", got)
	}
}

func errorsText(es []store.RowError) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s:%d: %s: %s", e.Kind, e.Line, e.Field, e.Reason))
	}
	return out
}

func testRowChecks(t *testing.T, s store.Store) {
	apply(t, s, firms(3))
	dupFirm := firms(1)
	dupFirm.Lines = append(dupFirm.Lines, 9)
	dupFirm.Enterprises = append(dupFirm.Enterprises, dupFirm.Enterprises[0])
	rejected, a := apply(t, s,
		dupFirm,
		rels(r(2, 1, 2, 0.2), r(3, 1, 2, 0.3), r(4, 1, 77, 0.1), r(5, 78, 2, 0.1)),
		events(ev(2, "E1", 1, "tax_arrears", day), ev(3, "E1", 2, "honor", day), ev(4, "E2", 79, "honor", day)),
		repairs(
			credit.Repair{EventID: "E1", RepairedAt: day.AddDate(0, 1, 0), DecidedBy: "发改委", Reason: "已整改"},
			credit.Repair{EventID: "NOPE", RepairedAt: day, DecidedBy: "x", Reason: "y"},
			credit.Repair{EventID: "E1", RepairedAt: day.AddDate(0, 2, 0), DecidedBy: "x", Reason: "dup"},
		),
	)
	want := []string{
		"enterprises:9: uscc: duplicate key uscc " + USCC(1) + ": already given on line 2",
		"relations:3: supplier→customer: duplicate key supplier→customer " + USCC(1) + "→" + USCC(2) + ": already given on line 2",
		"relations:4: customer: unknown firm " + USCC(77) + " (neither in the store nor in this batch)",
		"relations:5: supplier: unknown firm " + USCC(78) + " (neither in the store nor in this batch)",
		"events:3: event_id: duplicate key event_id E1: already given on line 2",
		"events:4: uscc: unknown firm " + USCC(79) + " (neither in the store nor in this batch)",
		"repairs:3: event_id: unknown event NOPE (neither in the store nor in this batch)",
		"repairs:4: event_id: duplicate key event_id E1: already given on line 2",
	}
	if got := errorsText(rejected); !slices.Equal(got, want) {
		t.Errorf("rejections:\n got %q\nwant %q", got, want)
	}
	// good rows: firm 1 (unchanged), relation line 2, event E1, repair of E1
	if a.Rows != 4 {
		t.Errorf("rows merged = %d, want 4", a.Rows)
	}
	c := counts(t, s)
	if c.Enterprises != 3 || c.Relations != 1 || c.Events != 1 || c.Repairs != 1 {
		t.Errorf("counts = %+v", c)
	}
	// A repair dated before its event is refused.
	rejected, _ = apply(t, s, events(ev(2, "E5", 1, "tax_arrears", day)),
		repairs(credit.Repair{EventID: "E5", RepairedAt: day.AddDate(0, 0, -1), DecidedBy: "x", Reason: "y"}))
	if got := errorsText(rejected); len(got) != 1 || !strings.HasPrefix(got[0], "repairs:2: repaired_at: before event E5 occurred (2026-03-01T00:00:00+08:00)") {
		t.Errorf("predating repair: %q", got)
	}
}

func testShareSum(t *testing.T, s store.Store) {
	apply(t, s, firms(6), rels(r(2, 1, 6, 0.5), r(3, 2, 6, 0.3)))
	// Held: 0.5 (1→6) + 0.3 (2→6). The batch replaces 1→6 with 0.2, adds 3→6 0.4 (sum
	// 0.2+0.3+0.4 = 0.9), then 4→6 0.2 (1.1: refused) and 5→6 0.05 (1.15 counting the
	// refused row in the running sum: refused too, every later row is).
	rejected, a := apply(t, s, rels(r(2, 1, 6, 0.2), r(3, 3, 6, 0.4), r(4, 4, 6, 0.2), r(5, 5, 6, 0.05)))
	got := errorsText(rejected)
	want := []string{
		"relations:4: purchase_share: Σ purchase_share over the suppliers of customer " + USCC(6) + " would reach 1.1 (> 1)",
		"relations:5: purchase_share: Σ purchase_share over the suppliers of customer " + USCC(6) + " would reach 1.15 (> 1)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("share sum rejections:\n got %q\nwant %q", got, want)
	}
	if a.Rows != 2 {
		t.Errorf("merged %d rows, want 2", a.Rows)
	}
	sum := 0.0
	for _, rel := range allRelations(t, s) {
		sum += rel.PurchaseShare
	}
	if sum < 0.9-1e-12 || sum > 0.9+1e-12 {
		t.Errorf("Σ purchase_share held = %v, want 0.9", sum)
	}
	// Exactly 1 (within the tolerance) is accepted.
	if rejected, _ := apply(t, s, rels(r(2, 4, 6, 0.1+5e-7))); len(rejected) != 0 {
		t.Errorf("sum 1+5e-7 refused: %v", errorsText(rejected))
	}
}

func testRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(2))
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := firms(5)
	f.Enterprises[0].Name = "改名"
	if err := b.Stage(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got := allEnterprises(t, s)
	if len(got) != 2 || got[0].Name != "测试企业1有限公司" {
		t.Errorf("rollback leaked rows: %+v", got)
	}
	// The store still takes batches after a rollback (locks released, staging gone).
	if _, a := apply(t, s, firms(3)); a.Changed != 1 {
		t.Errorf("batch after rollback changed %d, want 1", a.Changed)
	}
	if _, err := b.Commit(ctx); err == nil {
		t.Error("Commit after Rollback succeeded")
	}
}

func testRepair(t *testing.T, s store.Store) {
	apply(t, s, firms(2), events(ev(2, "E1", 1, "abnormal_operation", day), ev(3, "E2", 2, "tax_arrears", day)))
	repaired := day.AddDate(0, 2, 0)
	_, a := apply(t, s, repairs(credit.Repair{EventID: "E1", RepairedAt: repaired, DecidedBy: "省发改委", Reason: "已整改"}))
	if !slices.Equal(a.Touched, []string{USCC(1)}) {
		t.Errorf("repair touched %v", a.Touched)
	}
	es := allEvents(t, s, store.EventFilter{USCC: USCC(1)})
	if len(es) != 1 || es[0].State != credit.EventRepaired || !es[0].RepairedAt.Equal(repaired) {
		t.Fatalf("after repair: %+v", es)
	}
	// Re-sending the event must not bring it back.
	apply(t, s, events(ev(2, "E1", 1, "abnormal_operation", day)))
	if es := allEvents(t, s, store.EventFilter{USCC: USCC(1)}); es[0].State != credit.EventRepaired {
		t.Errorf("re-sent event reverted to %s", es[0].State)
	}
	// Re-sending the same repair changes nothing.
	if _, a := apply(t, s, repairs(credit.Repair{EventID: "E1", RepairedAt: repaired, DecidedBy: "省发改委", Reason: "已整改"})); a.Changed != 0 {
		t.Errorf("re-sent repair changed %d", a.Changed)
	}
	if c := counts(t, s); c.Repairs != 1 || c.ActiveEvents != 1 {
		t.Errorf("counts = %+v", c)
	}
}

func testEventFilters(t *testing.T, s store.Store) {
	apply(t, s, firms(2), events(
		ev(2, "E1", 1, "tax_arrears", day),
		ev(3, "E2", 1, "penalty_minor", day.AddDate(-2, 0, 0)),
		ev(4, "E3", 2, "honor", day),
	))
	var ids []string
	for _, e := range allEvents(t, s, store.EventFilter{USCC: USCC(1), ActiveAt: day.AddDate(0, 1, 0)}) {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"E1"}) {
		t.Errorf("active events of firm 1 = %v, want [E1] (E2's publicity ended)", ids)
	}
	n := 0
	stop := errors.New("stop")
	err := s.Events(context.Background(), store.EventFilter{}, func(*credit.Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: got %v after %d calls", err, n)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	apply(t, s, firms(1))
	if e, err := s.Enterprise(context.Background(), USCC(1)); err != nil || e.USCC != USCC(1) {
		t.Errorf("Enterprise(1) = %v, %v", e, err)
	}
	if _, err := s.Enterprise(context.Background(), USCC(2)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Enterprise(2) error = %v, want ErrNotFound", err)
	}
}

func testConcurrentBatches(t *testing.T, s store.Store) {
	apply(t, s, firms(4))
	// Two batches each add 0.6 of customer 4's purchases: together 1.2. Serialised
	// batches let exactly one through.
	var wg sync.WaitGroup
	results := make([][]store.RowError, 2)
	for i := range 2 {
		wg.Go(func() {
			results[i], _ = apply(t, s, rels(r(2, i+1, 4, 0.6)))
		})
	}
	wg.Wait()
	if n := len(results[0]) + len(results[1]); n != 1 {
		t.Errorf("%d of the two batches were refused, want exactly 1: %v %v", n, results[0], results[1])
	}
	if got := len(allRelations(t, s)); got != 1 {
		t.Errorf("%d relations held, want 1", got)
	}
}

func testMixedBatch(t *testing.T, s store.Store) {
	// One batch carries firms, a relation between them, an event and its repair.
	rejected, a := apply(t, s, firms(2), rels(r(2, 1, 2, 0.5)),
		events(ev(2, "E1", 2, "overdue_payment", day)),
		repairs(credit.Repair{EventID: "E1", RepairedAt: day.AddDate(0, 0, 10), DecidedBy: "x", Reason: "paid"}))
	if len(rejected) != 0 {
		t.Fatalf("rejected %v", errorsText(rejected))
	}
	if a.Rows != 5 {
		t.Errorf("merged %d rows, want 5", a.Rows)
	}
	if c := counts(t, s); c != (store.Counts{Enterprises: 2, Relations: 1, Events: 1, ActiveEvents: 0, Repairs: 1}) {
		t.Errorf("counts = %+v", c)
	}
}
