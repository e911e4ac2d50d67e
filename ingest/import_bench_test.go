package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
)

// benchEvents builds n events over firms firms as CSV.
func benchEvents(n, firms int, prefix string) string {
	var b strings.Builder
	b.WriteString("event_id,uscc,type,occurred_at,source,amount,description\n")
	types := []string{"tax_arrears", "penalty_general", "overdue_payment", "honor", "judgment_debtor"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s-%d,%s,%s,2026-%02d-%02d,信用黑龙江,%d,测试事件\n",
			prefix, i, u(1+i%firms), types[i%len(types)], 1+i%10, 1+i%28, 1000+i)
	}
	return b.String()
}

// benchImport imports one CSV text of kind as one batch, outside the timed part.
func benchImport(b *testing.B, s store.Store, kind credit.Kind, text string) {
	b.Helper()
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "f.csv", Kind: kind, Format: ingest.CSV,
		R: strings.NewReader(text)}}, ingest.ImportOptions{Validator: clock})
	if err != nil || !sum.OK() {
		b.Fatalf("import %s: %v %v", kind, err, sum.Errors[:min(3, len(sum.Errors))])
	}
}

// timeImports resets the timer, imports inputs[i] (n rows of kind each) in turn and
// reports rows/s, the figure docs/performance.md targets.
func timeImports(b *testing.B, s store.Store, kind credit.Kind, inputs []string, n int) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "f.csv", Kind: kind, Format: ingest.CSV,
			R: strings.NewReader(inputs[i])}}, ingest.ImportOptions{Validator: clock})
		if err != nil || !sum.OK() || sum.Accepted != n {
			b.Fatalf("import %s: %v, %d accepted, %v", kind, err, sum.Accepted, sum.Errors[:min(3, len(sum.Errors))])
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkImportEvents measures a whole batch of 100,000 events — decode, stage,
// check, merge, commit — into each store.
func BenchmarkImportEvents(b *testing.B) {
	const n, firms = 100_000, 1000
	for name, open := range stores() {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			benchImport(b, s, credit.KindEnterprises, firmsCSV(firms))
			inputs := make([]string, b.N)
			for i := range inputs {
				inputs[i] = benchEvents(n, firms, fmt.Sprintf("B%d", i))
			}
			timeImports(b, s, credit.KindEvents, inputs, n)
		})
	}
}

// BenchmarkImportRelations measures a batch of 100,000 relations among 20,000 held
// firms (five suppliers per customer, Σ purchase_share 0.75), the batch whose checks
// (firms exist, running share sums) cost most.
func BenchmarkImportRelations(b *testing.B) {
	const firms, perCustomer = 20_000, 5
	const n = firms * perCustomer
	for name, open := range stores() {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			inputs := make([]string, b.N)
			for i := range inputs {
				base := i * firms
				var fb strings.Builder
				fb.WriteString("uscc,name,region,industry,tags,status,revenue\n")
				for j := 1; j <= firms; j++ {
					fmt.Fprintf(&fb, "%s,企业%d,230100,C1331,,active,1000000\n", u(base+j), base+j)
				}
				benchImport(b, s, credit.KindEnterprises, fb.String())
				var rb strings.Builder
				rb.WriteString("supplier,customer,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n")
				for c := 1; c <= firms; c++ {
					for k := 1; k <= perCustomer; k++ {
						sup := 1 + (c+k-1)%firms
						fmt.Fprintf(&rb, "%s,%s,0.15,0.05,0.5,1000000,零件,2024-01-01,\n", u(base+sup), u(base+c))
					}
				}
				inputs[i] = rb.String()
			}
			timeImports(b, s, credit.KindRelations, inputs, n)
		})
	}
}

// BenchmarkImportRepairs measures a batch of 100,000 repairs of held events (each
// repair also moves its event to repaired).
func BenchmarkImportRepairs(b *testing.B) {
	const n, firms = 100_000, 1000
	for name, open := range stores() {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			benchImport(b, s, credit.KindEnterprises, firmsCSV(firms))
			inputs := make([]string, b.N)
			for i := range inputs {
				prefix := fmt.Sprintf("R%d", i)
				benchImport(b, s, credit.KindEvents, benchEvents(n, firms, prefix))
				var rb strings.Builder
				rb.WriteString("event_id,repaired_at,decided_by,reason\n")
				for j := 0; j < n; j++ {
					fmt.Fprintf(&rb, "%s-%d,2026-11-01,信用黑龙江,已履行\n", prefix, j)
				}
				inputs[i] = rb.String()
			}
			timeImports(b, s, credit.KindRepairs, inputs, n)
		})
	}
}
