package ingest_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
)

// supplyWorld holds five firms (u(3) and u(5) with a revenue of 10,000,000, the others
// without one) and the registry's relation u(2) → u(1) with sales_share 0.3.
func supplyWorld(t *testing.T, s store.Store) {
	t.Helper()
	var b strings.Builder
	b.WriteString("uscc,name,revenue\n")
	for i := 1; i <= 5; i++ {
		rev := ""
		if i == 3 || i == 5 {
			rev = "10000000"
		}
		fmt.Fprintf(&b, "%s,企业%d,%s\n", u(i), i, rev)
	}
	if sum := importText(t, s, "firms.csv", credit.KindEnterprises, true, b.String()); !sum.OK() {
		t.Fatalf("firms: %+v", sum)
	}
	rel := fmt.Sprintf("supplier,customer,purchase_share,sales_share\n%s,%s,0.5,0.3\n", u(2), u(1))
	if sum := importText(t, s, "relations.csv", credit.KindRelations, true, rel); !sum.OK() {
		t.Fatalf("relations: %+v", sum)
	}
}

func supplyText(t *testing.T, s store.Store, leader, file string, strict bool, def float64, text string) ingest.Summary {
	t.Helper()
	f, err := ingest.FormatFor(file, "")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: file, Kind: credit.KindRelations, Format: f,
		R: strings.NewReader(text)}}, ingest.ImportOptions{Strict: strict, Validator: clock, Source: leader, DefaultSalesShare: def})
	if err != nil {
		t.Fatalf("Import %s: %v", file, err)
	}
	return sum
}

func suppliedBy(t *testing.T, s store.Store) map[string]credit.Relation {
	t.Helper()
	out := map[string]credit.Relation{}
	err := s.SuppliedRelations(context.Background(), func(r *credit.Relation) error {
		out[r.Source+">"+r.Supplier] = *r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSuppliedEstimation: a leader's CSV without customer and sales_share columns;
// each branch of the estimate, worked by hand, and the label on every estimate.
func TestSuppliedEstimation(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			supplyWorld(t, s)
			leader := u(1)
			text := fmt.Sprintf("supplier,purchase_share,amount\n%s,0.4,\n%s,0.2,2000000\n%s,0.1,3000000\n", u(2), u(3), u(4))
			sum := supplyText(t, s, leader, "own.csv", true, 0.25, text)
			if !sum.OK() || sum.Accepted != 3 || sum.Changed != 3 {
				t.Fatalf("summary %+v", sum)
			}
			for _, f := range []string{u(1), u(2), u(3), u(4)} {
				if !strings.Contains(strings.Join(sum.Applied.Touched, ","), f) {
					t.Errorf("Touched %v lacks %s", sum.Applied.Touched, f)
				}
			}
			got := suppliedBy(t, s)
			want := map[string]float64{
				u(2): 0.3,  // the registry's relation for the pair
				u(3): 0.2,  // 2,000,000 / 10,000,000
				u(4): 0.25, // u(4) has no revenue: the default given
			}
			for sup, sales := range want {
				r, ok := got[leader+">"+sup]
				if !ok || r.Customer != leader || math.Abs(r.SalesShare-sales) > 1e-12 || !r.SalesShareEstimated {
					t.Errorf("supplied %s: %+v (found %v), want sales_share %v estimated", sup, r, ok, sales)
				}
			}
			// The registry's row stays as it was.
			var reg []credit.Relation
			_ = s.Relations(context.Background(), func(r *credit.Relation) error { reg = append(reg, *r); return nil })
			if len(reg) != 1 || reg[0].PurchaseShare != 0.5 || reg[0].SalesShare != 0.3 || reg[0].Source != "" {
				t.Errorf("registry relations %+v, want u(2)→u(1) 0.5/0.3 alone", reg)
			}
			// A given sales share is kept and not labelled.
			sum = supplyText(t, s, leader, "own.ndjson", true, 0, fmt.Sprintf(
				`{"supplier":%q,"customer":%q,"purchase_share":0.1,"sales_share":0.6}`+"\n", u(5), leader))
			if r := suppliedBy(t, s)[leader+">"+u(5)]; !sum.OK() || r.SalesShare != 0.6 || r.SalesShareEstimated {
				t.Errorf("given sales share: %+v, %+v", sum, r)
			}
		})
	}
}

// TestSuppliedRules: another customer, an explicit 0, a missing purchase_share and a
// Σ purchase_share over 1 are refused, each saying its rule; strict commits nothing.
func TestSuppliedRules(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			supplyWorld(t, s)
			leader := u(1)
			rows := []string{
				fmt.Sprintf(`{"supplier":%q,"purchase_share":0.3}`, u(3)),                              // 1 good
				fmt.Sprintf(`{"supplier":%q,"customer":%q,"purchase_share":0.1}`, u(3), u(2)),          // 2 another customer
				fmt.Sprintf(`{"supplier":%q,"purchase_share":0.1,"sales_share":0}`, u(4)),              // 3 explicit 0
				fmt.Sprintf(`{"supplier":%q,"sales_share":0.2}`, u(4)),                                 // 4 no purchase_share
				fmt.Sprintf(`{"supplier":%q,"purchase_share":0.3}`, u(5)),                              // 5 0.3 + 0.5 + 0.3 = 1.1
				fmt.Sprintf(`{"supplier":%q,"customer":%q,"purchase_share":0.1}`, u(1), u(1)),          // 6 self-loop
				fmt.Sprintf(`{"supplier":%q,"customer":"","purchase_share":0.1,"amount":1000}`, u(99)), // 7 unknown firm
			}
			text := strings.Join(rows, "\n") + "\n"
			sum := supplyText(t, s, leader, "own.ndjson", true, 0, text)
			if sum.Committed || sum.Accepted != 0 || sum.Rejected != 6 || len(suppliedBy(t, s)) != 0 {
				t.Fatalf("strict: %+v, supplied %v; want nothing committed, 6 rejected", sum, suppliedBy(t, s))
			}
			want := []string{
				"own.ndjson:2: customer: a tenant supplies only its own leader's purchases: customer " + u(2) + " is not " + u(1),
				"own.ndjson:3: sales_share: 0 is outside (0,1]",
				"own.ndjson:4: purchase_share: required",
				"own.ndjson:5: purchase_share: Σ purchase_share over the suppliers of " + u(1),
				"own.ndjson:6: customer: self-loop",
				"own.ndjson:7: supplier: unknown firm " + u(99),
			}
			if len(sum.Errors) != len(want) {
				t.Fatalf("errors %q", sum.Errors)
			}
			for i, w := range want {
				if !strings.HasPrefix(sum.Errors[i], w) {
					t.Errorf("error %d = %q, want it to start %q", i, sum.Errors[i], w)
				}
			}
			if !strings.Contains(sum.Errors[3], "would reach 1.1 (> 1)") {
				t.Errorf("Σ error %q does not say the sum", sum.Errors[3])
			}
			// Not strict: the good row alone is committed.
			sum = supplyText(t, s, leader, "own.ndjson", false, 0, text)
			if !sum.Committed || sum.Accepted != 1 || sum.Rejected != 6 {
				t.Errorf("not strict: %+v", sum)
			}
			if got := suppliedBy(t, s); len(got) != 1 || got[leader+">"+u(3)].SalesShare != 0.1 {
				t.Errorf("supplied %+v, want u(3) with the default 0.1 (no amount)", got)
			}
		})
	}
}

// TestSuppliedHeader: a leader's CSV still needs supplier and purchase_share; the
// registry's still needs customer and sales_share.
func TestSuppliedHeader(t *testing.T) {
	s := stores()["sqlite"](t)
	supplyWorld(t, s)
	sum := supplyText(t, s, u(1), "own.csv", false, 0, "supplier,sales_share\n"+u(3)+",0.2\n")
	if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], `missing required column "purchase_share"`) {
		t.Errorf("leader without purchase_share: %q", sum.Errors)
	}
	sum = importText(t, s, "reg.csv", credit.KindRelations, false, "supplier,purchase_share\n"+u(3)+",0.2\n")
	if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], `missing required columns "customer", "sales_share"`) {
		t.Errorf("registry without customer and sales_share: %q", sum.Errors)
	}
}
