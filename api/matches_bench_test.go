package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

// BenchmarkMatchesAPI posts 10,000 names (one request at the row limit) to POST
// /api/v1/matches over the demo's firms: the API's own cost of a list — reading the
// CSV, checking the rows, encoding the answer — beside matching, which the match
// package's benchmark measures at a million firms. The names are the demo's, as
// registered, with the province in front, by their former names, and names of no firm.
func BenchmarkMatchesAPI(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f})
	}
	v := &credit.Validator{Catalogue: cfg.Catalogue(), Now: demo.AnchorTime}
	if sum, err := ingest.Import(ctx, st, inputs, ingest.ImportOptions{Strict: true, Validator: v}); err != nil || !sum.OK() {
		b.Fatalf("demo: %v %v", err, sum.Errors)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: quiet, Now: demo.AnchorTime})
	if _, err := eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		b.Fatal(err)
	}
	token, _, err := tokens.Create(ctx, st, "bench", tokens.RoleAnalyst, "")
	if err != nil {
		b.Fatal(err)
	}
	s := NewServer(&testBackend{st: st, eng: eng, cfg: cfg, clock: demo.AnchorTime()}, Options{Logger: quiet})
	mux := http.NewServeMux()
	s.Register(mux)

	state := eng.State()
	var body strings.Builder
	body.WriteString("name,region\n")
	for i := range maxMatchRows {
		f := &state.Firms[i%state.Len()]
		switch i % 4 {
		case 0:
			fmt.Fprintf(&body, "%s,%s\n", f.Name, f.Region)
		case 1:
			fmt.Fprintf(&body, "黑龙江省%s,\n", f.Name)
		case 2:
			if len(f.FormerNames) > 0 {
				fmt.Fprintf(&body, "%s,\n", f.FormerNames[0])
			} else {
				fmt.Fprintf(&body, "%s,\n", strings.Replace(f.Name, "有限公司", "股份有限公司", 1))
			}
		default:
			fmt.Fprintf(&body, "龙江新创%d智能科技有限公司,\n", i)
		}
	}
	b.SetBytes(int64(body.Len()))
	var sum matchSummaryJSON
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/matches", strings.NewReader(body.String()))
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Content-Type", "text/csv")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %.300s", w.Code, w.Body)
		}
		var a matchesJSON
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		sum = a.Summary
	}
	b.ReportMetric(float64(maxMatchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	for name, n := range map[string]int{"exact": sum.Exact, "unique": sum.Unique, "ambiguous": sum.Ambiguous, "none": sum.None, "errors": sum.Errors} {
		b.ReportMetric(float64(n), name+"/10k")
	}
}
