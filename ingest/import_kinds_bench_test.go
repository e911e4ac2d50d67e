package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

// BenchmarkImportEnterprises measures a batch of 100,000 firms into each store: into
// an empty table (first, whose indexes the batch builds after loading it, as a first
// import of a province does) and into a table that already holds 100,000 others.
func BenchmarkImportEnterprises(b *testing.B) {
	const n = 100_000
	firms := func(base int) string {
		var fb strings.Builder
		fb.WriteString("uscc,name,region,industry,tags,status,revenue\n")
		for j := 1; j <= n; j++ {
			fmt.Fprintf(&fb, "%s,企业%d,230100,C1331,specialized,active,1000000\n", u(base+j), base+j)
		}
		return fb.String()
	}
	for name, open := range stores() {
		b.Run(name+"/first", func(b *testing.B) {
			text := firms(0)
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := open(b) // an empty store per import, outside the timed part
				b.StartTimer()
				sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "f.csv", Kind: credit.KindEnterprises,
					Format: ingest.CSV, R: strings.NewReader(text)}}, ingest.ImportOptions{Validator: clock})
				b.StopTimer()
				if err != nil || !sum.OK() || sum.Accepted != n {
					b.Fatalf("import: %v, %d accepted", err, sum.Accepted)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(name+"/held", func(b *testing.B) {
			s := open(b)
			benchImport(b, s, credit.KindEnterprises, firms(0))
			inputs := make([]string, b.N)
			for i := range inputs {
				inputs[i] = firms((i + 1) * n)
			}
			timeImports(b, s, credit.KindEnterprises, inputs, n)
		})
	}
}

// BenchmarkImportShareholdings measures a batch of 100,000 holdings (two firm holders
// and one person of 0.3 each per investee) among 33,334 held firms.
func BenchmarkImportShareholdings(b *testing.B) {
	const investees = 33_334
	const n = investees * 3
	for name, open := range stores() {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			inputs := make([]string, b.N)
			for i := range inputs {
				base := i * investees
				var fb strings.Builder
				fb.WriteString("uscc,name,region,industry,tags,status,revenue\n")
				for j := 1; j <= investees; j++ {
					fmt.Fprintf(&fb, "%s,企业%d,230100,C1331,,active,1000000\n", u(base+j), base+j)
				}
				benchImport(b, s, credit.KindEnterprises, fb.String())
				var hb strings.Builder
				hb.WriteString("holder,holder_kind,investee,share\n")
				for j := 1; j <= investees; j++ {
					fmt.Fprintf(&hb, "%s,firm,%s,0.3\n", u(base+1+j%investees), u(base+j))
					fmt.Fprintf(&hb, "%s,firm,%s,0.3\n", u(base+1+(j+1)%investees), u(base+j))
					fmt.Fprintf(&hb, "p-%d,person,%s,0.3\n", base+j, u(base+j))
				}
				inputs[i] = hb.String()
			}
			timeImports(b, s, credit.KindShareholdings, inputs, n)
		})
	}
}
