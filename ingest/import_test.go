package ingest_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// stores opens each store kind for a test or benchmark.
func stores() map[string]func(t testing.TB) store.Store {
	return map[string]func(t testing.TB) store.Store{
		"sqlite": func(t testing.TB) store.Store {
			s, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(t testing.TB) store.Store {
			s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
}

var u = storetest.USCC

var clock = &credit.Validator{Catalogue: credit.NewCatalogue(),
	Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, credit.Shanghai) }}

func importText(t *testing.T, s store.Store, file string, kind credit.Kind, strict bool, text string) ingest.Summary {
	t.Helper()
	f, err := ingest.FormatFor(file, "")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: file, Kind: kind, Format: f, R: strings.NewReader(text)}},
		ingest.ImportOptions{Strict: strict, Validator: clock})
	if err != nil {
		t.Fatalf("Import %s: %v", file, err)
	}
	return sum
}

func firmsCSV(n int) string {
	var b strings.Builder
	b.WriteString("uscc,name,region,industry,tags,status,revenue\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s,企业%d,230100,C1331,specialized,active,1000000\n", u(i), i)
	}
	return b.String()
}

// badRelations holds one row of each mistake a relations file can hold, between good rows.
func badRelations() string {
	badCheck := u(1)[:17] + string(map[bool]byte{true: '0', false: '1'}[u(1)[17] != '0'])
	rows := []string{
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.2,"sales_share":0.1}`, u(1), u(2)),                              // 1 good
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.2,"sales_share":0.1}`, badCheck, u(3)),                          // 2 bad check character
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":1.5,"sales_share":0.1}`, u(2), u(3)),                              // 3 share 1.5
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.1,"sales_share":0.1,"colour":"red"}`, u(2), u(4)),               // 4 unknown field
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.1,"sales_share":0.1}`, u(4), u(4)),                              // 5 self-loop
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.1,"sales_share":0.1}`, u(4), u(99)),                             // 6 unknown firm
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.1,"sales_share":0.1,"valid_from":"2026-02-30"}`, u(3), u(1)),    // 7 impossible date
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.3,"sales_share":0.1}`, u(3), u(2)),                              // 8 good
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.3,"sales_share":0.1}`, u(3), u(2)),                              // 9 same key twice
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.1,"sales_share":0.1,"product":"大豆`, u(4), u(1)) + "\xff" + `"}`, // 10 non-UTF-8
		fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.`, u(4), u(3)),                                                  // 11 truncated
	}
	return strings.Join(rows, "\n")
}

func TestBadRowsOneErrorEach(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			if sum := importText(t, s, "firms.csv", credit.KindEnterprises, false, firmsCSV(4)); !sum.OK() || sum.Accepted != 4 {
				t.Fatalf("firms: %+v", sum)
			}
			// Strict: nothing at all is committed.
			sum := importText(t, s, "relations.ndjson", credit.KindRelations, true, badRelations())
			if sum.Committed || sum.Accepted != 0 || sum.Rejected != 9 {
				t.Errorf("strict summary: accepted %d rejected %d committed %v", sum.Accepted, sum.Rejected, sum.Committed)
			}
			if c, _ := s.Counts(context.Background()); c.Relations != 0 {
				t.Fatalf("strict batch committed %d relations", c.Relations)
			}
			sum = importText(t, s, "relations.ndjson", credit.KindRelations, false, badRelations())
			if !sum.Committed || sum.Accepted != 2 || sum.Rejected != 9 || len(sum.Errors) != 9 {
				t.Errorf("summary: accepted %d rejected %d committed %v, %d errors", sum.Accepted, sum.Rejected, sum.Committed, len(sum.Errors))
			}
			for i, e := range sum.Errors {
				t.Logf("error %d: %s", i, e)
			}
			wantPrefixes := []string{
				"relations.ndjson:2: supplier: invalid USCC",
				"relations.ndjson:3: purchase_share: 1.5 is outside (0,1]",
				"relations.ndjson:4: colour: unknown field",
				"relations.ndjson:5: customer: self-loop",
				"relations.ndjson:6: customer: unknown firm " + u(99),
				"relations.ndjson:7: valid_from:",
				"relations.ndjson:9: supplier→customer: duplicate key",
				"relations.ndjson:10: product: not valid UTF-8",
				"relations.ndjson:11:",
			}
			for i, want := range wantPrefixes {
				if i >= len(sum.Errors) || !strings.HasPrefix(sum.Errors[i], want) {
					t.Errorf("error %d: want prefix %q", i, want)
				}
			}
			var got []string
			_ = s.Relations(context.Background(), func(r *credit.Relation) error {
				got = append(got, r.Supplier[14:]+"→"+r.Customer[14:])
				return nil
			})
			want := []string{u(1)[14:] + "→" + u(2)[14:], u(3)[14:] + "→" + u(2)[14:]}
			if !slices.Equal(got, want) {
				t.Errorf("held relations %v, want %v", got, want)
			}
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	s := stores()["sqlite"](t)
	tests := []struct {
		file, text, want string
	}{
		{"e.csv", "uscc,name,colour\n" + u(1) + ",x,red\n", `e.csv:1: header: unknown column "colour"`},
		{"e.csv", "", "e.csv:1: header: missing"},
		{"e.csv", "name\nx\n", `e.csv:1: header: missing required column "uscc"`},
	}
	for _, tc := range tests {
		sum := importText(t, s, tc.file, credit.KindEnterprises, false, tc.text)
		if sum.Committed || sum.Rejected != 1 || len(sum.Errors) != 1 || !strings.HasPrefix(sum.Errors[0], tc.want) {
			t.Errorf("%q: summary %+v, want error %q", tc.text, sum, tc.want)
		}
	}
	// A header alone is an empty, successful batch.
	if sum := importText(t, s, "e.csv", credit.KindEnterprises, false, "uscc,name\n"); !sum.OK() || sum.Accepted != 0 {
		t.Errorf("header-only: %+v", sum)
	}
	if sum := importText(t, s, "e.ndjson", credit.KindEnterprises, false, ""); !sum.OK() || sum.Accepted != 0 {
		t.Errorf("empty NDJSON: %+v", sum)
	}
}

// TestSharesRequired: a relation row without purchase_share or sales_share — left
// out, empty or null, in CSV or NDJSON — is a rejected row, and re-sending a held
// relation without them leaves its stored shares as they were.
func TestSharesRequired(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			importText(t, s, "f.csv", credit.KindEnterprises, true, firmsCSV(4))
			held := "supplier,customer,purchase_share,sales_share\n" + u(1) + "," + u(2) + ",0.5,0.25\n" + u(3) + "," + u(2) + ",0.125,0.75\n"
			if sum := importText(t, s, "held.csv", credit.KindRelations, true, held); !sum.OK() || sum.Accepted != 2 {
				t.Fatalf("held relations: %+v", sum)
			}
			resend := []string{
				fmt.Sprintf(`{"supplier":"%s","customer":"%s"}`, u(1), u(2)),                                         // 1 both left out
				fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":null,"sales_share":0.5}`, u(3), u(2)), // 2 null
				fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.5,"sales_share":""}`, u(1), u(4)),   // 3 empty
				fmt.Sprintf(`{"supplier":"%s","customer":"%s","purchase_share":0.25,"sales_share":0.5}`, u(4), u(3)), // 4 good
			}
			sum := importText(t, s, "r.ndjson", credit.KindRelations, false, strings.Join(resend, "\n"))
			want := []string{
				"r.ndjson:1: purchase_share: required; sales_share: required",
				"r.ndjson:2: purchase_share: required",
				"r.ndjson:3: sales_share: required",
			}
			if !sum.Committed || sum.Accepted != 1 || sum.Rejected != 3 || !slices.Equal(sum.Errors, want) {
				t.Errorf("NDJSON: accepted %d rejected %d committed %v errors %q, want 1, 3, true, %q",
					sum.Accepted, sum.Rejected, sum.Committed, sum.Errors, want)
			}
			csvText := "supplier,customer,purchase_share,sales_share\n" + u(3) + "," + u(2) + ",,\n" + u(1) + "," + u(2) + ",0.5,\n"
			sum = importText(t, s, "r.csv", credit.KindRelations, false, csvText)
			want = []string{"r.csv:2: purchase_share: required; sales_share: required", "r.csv:3: sales_share: required"}
			if sum.Accepted != 0 || sum.Rejected != 2 || !slices.Equal(sum.Errors, want) {
				t.Errorf("CSV: accepted %d rejected %d errors %q, want 0, 2, %q", sum.Accepted, sum.Rejected, sum.Errors, want)
			}
			// A CSV without a share column cannot give any row its shares.
			sum = importText(t, s, "r.csv", credit.KindRelations, false, "supplier,customer,purchase_share\n"+u(3)+","+u(2)+",0.5\n")
			if sum.Committed || len(sum.Errors) != 1 || sum.Errors[0] != `r.csv:1: header: missing required column "sales_share"` {
				t.Errorf("CSV without sales_share: %+v", sum)
			}
			got := map[string][2]float64{}
			_ = s.Relations(context.Background(), func(r *credit.Relation) error {
				got[r.Supplier[16:]+"→"+r.Customer[16:]] = [2]float64{r.PurchaseShare, r.SalesShare}
				return nil
			})
			wantHeld := map[string][2]float64{
				u(1)[16:] + "→" + u(2)[16:]: {0.5, 0.25}, u(3)[16:] + "→" + u(2)[16:]: {0.125, 0.75},
				u(4)[16:] + "→" + u(3)[16:]: {0.25, 0.5},
			}
			if !maps.Equal(got, wantHeld) {
				t.Errorf("held shares %v, want %v", got, wantHeld)
			}
		})
	}
}

func TestReimportIdempotent(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			events := "event_id,uscc,type,occurred_at\nE1," + u(1) + ",tax_arrears,2026-05-01\nE2," + u(2) + ",honor,2026-06-01T10:00:00+08:00\n"
			for round := range 2 {
				importText(t, s, "f.csv", credit.KindEnterprises, true, firmsCSV(3))
				sum := importText(t, s, "e.csv", credit.KindEvents, true, events)
				if !sum.OK() || sum.Accepted != 2 {
					t.Fatalf("round %d: %+v", round, sum)
				}
				if round == 1 && sum.Changed != 0 {
					t.Errorf("re-import changed %d rows", sum.Changed)
				}
			}
			if c, _ := s.Counts(context.Background()); c.Enterprises != 3 || c.Events != 2 {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestErrorListBounded(t *testing.T) {
	s := stores()["sqlite"](t)
	var b strings.Builder
	b.WriteString("uscc,name\n")
	for i := 0; i < 30; i++ {
		b.WriteString("BAD,x\n")
	}
	f, _ := ingest.FormatFor("e.csv", "")
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "e.csv", Kind: credit.KindEnterprises, Format: f,
		R: strings.NewReader(b.String())}}, ingest.ImportOptions{MaxErrors: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected != 30 || len(sum.Errors) != 6 || sum.Errors[5] != "... and 25 more rejected rows" {
		t.Errorf("rejected %d, errors %q", sum.Rejected, sum.Errors)
	}
}
