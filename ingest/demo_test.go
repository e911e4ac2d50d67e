package ingest_test

import (
	"context"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
)

// Importing the demo files twice, one file per batch as the CLI does, leaves identical
// row counts in both stores.
func TestDemoImportTwice(t *testing.T) {
	v := &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			var before store.Counts
			for round := range 2 {
				for _, k := range credit.Kinds {
					f, err := demo.Open(k)
					if err != nil {
						t.Fatal(err)
					}
					sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: demo.FileName(k), Kind: k,
						Format: ingest.CSV, R: f}}, ingest.ImportOptions{Strict: true, Validator: v})
					f.Close()
					if err != nil || !sum.OK() {
						t.Fatalf("round %d %s: %v %v", round, k, err, sum.Errors)
					}
					if round == 1 && sum.Changed != 0 {
						t.Errorf("re-import of %s changed %d rows", k, sum.Changed)
					}
				}
				c, err := s.Counts(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if round == 0 {
					before = c
				} else if c != before {
					t.Errorf("counts after the second import %+v, after the first %+v", c, before)
				}
			}
		})
	}
}
