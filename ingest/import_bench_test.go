package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
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

// BenchmarkImportEvents measures a whole batch of 100,000 events — decode, stage,
// check, merge, commit — into each store; rows/s is the figure SPEC §14 targets.
func BenchmarkImportEvents(b *testing.B) {
	const n, firms = 100_000, 1000
	for name, open := range stores() {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			f, _ := ingest.FormatFor("f.csv", "")
			if _, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "f.csv", Kind: credit.KindEnterprises,
				Format: f, R: strings.NewReader(firmsCSV(firms))}}, ingest.ImportOptions{Validator: clock}); err != nil {
				b.Fatal(err)
			}
			inputs := make([]string, b.N)
			for i := range inputs {
				inputs[i] = benchEvents(n, firms, fmt.Sprintf("B%d", i))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "e.csv", Kind: credit.KindEvents,
					Format: f, R: strings.NewReader(inputs[i])}}, ingest.ImportOptions{Validator: clock})
				if err != nil || !sum.OK() || sum.Accepted != n {
					b.Fatalf("import: %v %+v", err, sum.Errors)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
