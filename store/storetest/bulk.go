package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// bulkRows is more rows of a kind than a batch needs to build an empty table's
// indexes after loading it (store.bulkMinRows).
const bulkRows = 10_500

// indexNames lists the indexes of the batch tables, through the store's dialect.
func indexNames(t *testing.T, s store.Store) map[string][]string {
	t.Helper()
	sq, ok := s.(interface{ Dialect() store.Dialect })
	if !ok {
		return nil
	}
	bd, ok := sq.Dialect().(store.BulkDialect)
	if !ok {
		return nil
	}
	ctx := context.Background()
	tx, err := sq.Dialect().Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	out := map[string][]string{}
	for _, table := range []string{"enterprises", "relations", "events", "repairs", "shareholdings"} {
		names, err := bd.Indexes(ctx, tx, table)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		out[table] = names
	}
	return out
}

// testBulkFirstImport: large batches into empty tables (whose indexes are built after
// the rows are in) store every row once, leave the same indexes as the migrations
// made, and a second import of the same rows changes nothing.
func testBulkFirstImport(t *testing.T, s store.Store) {
	before := indexNames(t, s)
	n := bulkRows
	rc := &store.Chunk{Kind: credit.KindRelations}
	ec := &store.Chunk{Kind: credit.KindEvents}
	var reps []credit.Repair
	for i := 1; i <= n; i++ {
		l, rl := rel(i+1, 1+i%n, i, 0.5)
		rc.Lines, rc.Relations = append(rc.Lines, l), append(rc.Relations, rl)
		l, e := event(i+1, fmt.Sprintf("E%d", i), i, "tax_arrears", day)
		ec.Lines, ec.Events = append(ec.Lines, l), append(ec.Events, e)
		reps = append(reps, credit.Repair{EventID: fmt.Sprintf("E%d", i), RepairedAt: day.AddDate(0, 1, 0),
			DecidedBy: "信用黑龙江", Reason: "已履行"})
	}
	batch := func() []*store.Chunk { return []*store.Chunk{firms(n), rc, ec} }
	if rejected, a := apply(t, s, batch()...); len(rejected) != 0 || a.Rows != int64(3*n) {
		t.Fatalf("first import: rejected %v, applied %d rows", rejected[:min(3, len(rejected))], a.Rows)
	}
	if rejected, a := apply(t, s, repairs(reps...)); len(rejected) != 0 || a.Changed != int64(n) {
		t.Fatalf("repairs: rejected %v, changed %d", rejected[:min(3, len(rejected))], a.Changed)
	}
	want := store.Counts{Enterprises: int64(n), Relations: int64(n), Events: int64(n), Repairs: int64(n)}
	if c := counts(t, s); c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	if _, a := apply(t, s, batch()...); a.Changed != 0 {
		t.Errorf("re-import changed %d rows", a.Changed)
	}
	if c := counts(t, s); c != want {
		t.Errorf("counts after re-import = %+v, want %+v", c, want)
	}
	if after := indexNames(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("indexes after bulk imports: %v, want %v", after, before)
	}
	if e, err := s.Enterprise(context.Background(), USCC(n/2)); err != nil || e.USCC != USCC(n/2) {
		t.Errorf("Enterprise(%s) = %v, %v", USCC(n/2), e, err)
	}
}
