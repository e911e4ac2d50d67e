package ingest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// TestShareholdingsImport: a shareholdings file goes through both stores with its rows
// reported as file:line; strict, one bad row commits nothing; an enterprise file
// with the ownership columns and one without both import.
func TestShareholdingsImport(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			importText(t, s, "f.csv", credit.KindEnterprises, true, firmsCSV(3))
			reps := "uscc,name,legal_rep_id,legal_rep_name,registered_capital,established_at\n" +
				u(1) + ",企业1,p-7c1e,王五,80000000,2009-04-01\n"
			if sum := importText(t, s, "reps.csv", credit.KindEnterprises, true, reps); !sum.OK() || sum.Changed != 1 {
				t.Fatalf("legal representatives: %+v", sum)
			}
			text := "holder,holder_kind,holder_name,investee,share,subscribed_capital,since,until\n" +
				u(1) + ",firm,," + u(2) + ",0.6,,2018-05-01,\n" + // 2
				"p-7c1e,person,王五," + u(2) + ",0.3,,,\n" + // 3
				"110105194912310021,person,,/" + u(3) + ",0.3,,,\n" + // 4 an investee that is no USCC
				"11010519491231002X,person,赵六," + u(3) + ",0.5,,,\n" + // 5 an identity number
				u(9) + ",firm,," + u(3) + ",0.5,,,\n" + // 6 an unknown holder
				"p-8d2f,person,," + u(2) + ",0.2,,,\n" // 7 Σ 1.1 in firm 2
			sum := importText(t, s, "h.csv", credit.KindShareholdings, true, text)
			want := []string{
				`h.csv:4: investee: invalid USCC "/` + u(3) + `": must be 18 characters, got 19`,
				"h.csv:5: holder: is a resident identity number; send an opaque person_id (e.g. a salted hash) instead",
				"h.csv:6: holder: unknown firm " + u(9) + " (neither in the store nor in this batch)",
				"h.csv:2: share: Σ current share of the holders of " + u(2) + " would reach 1.1 (> 1): every row of this batch for it is refused",
				"h.csv:3: share: Σ current share of the holders of " + u(2) + " would reach 1.1 (> 1): every row of this batch for it is refused",
				"h.csv:7: share: Σ current share of the holders of " + u(2) + " would reach 1.1 (> 1): every row of this batch for it is refused",
			}
			slices.Sort(want)
			got := slices.Sorted(slices.Values(sum.Errors))
			if sum.Committed || sum.Accepted != 0 || sum.Rejected != 6 || !slices.Equal(got, want) {
				t.Errorf("strict: committed %v accepted %d rejected %d errors %q\nwant %q", sum.Committed, sum.Accepted,
					sum.Rejected, got, want)
			}
			if c, _ := s.Counts(context.Background()); c.Shareholdings != 0 {
				t.Errorf("a refused strict batch left %d holdings", c.Shareholdings)
			}
			good := "holder,holder_kind,investee,share\n" + u(1) + ",firm," + u(2) + ",0.6\np-7c1e,person," + u(2) + ",0.4\n"
			if sum := importText(t, s, "h.csv", credit.KindShareholdings, true, good); !sum.OK() || sum.Accepted != 2 ||
				!slices.Equal(sum.Applied.Touched, []string{u(1), u(2)}) {
				t.Errorf("good holdings: %+v", sum)
			}
			// The ownership columns stay optional.
			if sum := importText(t, s, "f.csv", credit.KindEnterprises, true, firmsCSV(3)); !sum.OK() {
				t.Errorf("enterprises without ownership columns: %+v", sum)
			}
		})
	}
}
