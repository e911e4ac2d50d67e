package ingest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

func TestMetricsCountBadChecksums(t *testing.T) {
	s := stores()["sqlite"](t)
	reg := prometheus.NewRegistry()
	m := ingest.NewMetrics(reg)
	bad := u(2)[:17] + "0"
	if bad == u(2) {
		bad = u(2)[:17] + "1"
	}
	text := "uscc,name\n" + u(1) + ",a\n" + bad + ",b\nNOPE,c\n"
	f, _ := ingest.FormatFor("e.csv", "")
	v := &credit.Validator{Catalogue: credit.NewCatalogue(), AcceptBadChecksums: true}
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "e.csv", Kind: credit.KindEnterprises, Format: f,
		R: strings.NewReader(text)}}, ingest.ImportOptions{Validator: v})
	m.Observe(sum, err)
	if sum.Accepted != 2 || sum.Rejected != 1 || len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], "e.csv:3: uscc:") {
		t.Fatalf("summary %+v", sum)
	}
	want := `
# HELP chainrisk_ingest_bad_checksums_total Rows accepted although a USCC had a wrong check character (ingest.accept_bad_checksums).
# TYPE chainrisk_ingest_bad_checksums_total counter
chainrisk_ingest_bad_checksums_total{kind="enterprises"} 1
chainrisk_ingest_bad_checksums_total{kind="events"} 0
chainrisk_ingest_bad_checksums_total{kind="relations"} 0
chainrisk_ingest_bad_checksums_total{kind="repairs"} 0
chainrisk_ingest_bad_checksums_total{kind="shareholdings"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "chainrisk_ingest_bad_checksums_total"); err != nil {
		t.Error(err)
	}
	rows := `
# HELP chainrisk_ingest_rows_total Ingested rows by kind and result (accepted, rejected); rows of a strict batch refused whole count as rejected only when bad.
# TYPE chainrisk_ingest_rows_total counter
chainrisk_ingest_rows_total{kind="enterprises",result="accepted"} 2
chainrisk_ingest_rows_total{kind="enterprises",result="rejected"} 1
chainrisk_ingest_rows_total{kind="events",result="accepted"} 0
chainrisk_ingest_rows_total{kind="events",result="rejected"} 0
chainrisk_ingest_rows_total{kind="relations",result="accepted"} 0
chainrisk_ingest_rows_total{kind="relations",result="rejected"} 0
chainrisk_ingest_rows_total{kind="repairs",result="accepted"} 0
chainrisk_ingest_rows_total{kind="repairs",result="rejected"} 0
chainrisk_ingest_rows_total{kind="shareholdings",result="accepted"} 0
chainrisk_ingest_rows_total{kind="shareholdings",result="rejected"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(rows), "chainrisk_ingest_rows_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
