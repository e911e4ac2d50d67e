package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/tokens"
)

// BenchmarkEnterpriseGetPG answers GET /api/v1/enterprises/{uscc} over the demo's
// firms, in turn, from a PostgreSQL store, one request at a time through the handler
// (no network between client and server; the store's round trips are real). Besides
// ns/op it reports the process's CPU time per request (user + system, which the load
// of other processes does not inflate as it does wall time) and the pool's
// connection acquisitions per request.
func BenchmarkEnterpriseGetPG(b *testing.B) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgtest.URL(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	tb := &testBackend{st: st, cfg: cfg, clock: demo.AnchorTime()}
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f})
	}
	if sum, err := ingest.Import(ctx, st, inputs, ingest.ImportOptions{Strict: true, Validator: tb.validator()}); err != nil || !sum.OK() {
		b.Fatalf("demo: %v %v", err, sum.Errors)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tb.eng = monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: quiet, Now: tb.Now})
	if _, err := tb.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		b.Fatal(err)
	}
	token, _, err := tokens.Create(ctx, st, "bench", tokens.RoleAdmin, "")
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	NewServer(tb, Options{Logger: quiet, Now: tb.Now}).Register(mux)
	ids := tb.State().Snap.IDs
	cpu := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	acq0, cpu0 := st.Pool().Stat().AcquireCount(), cpu()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/enterprises/"+ids[i%len(ids)], nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", ids[i%len(ids)], rec.Code, rec.Body)
		}
		i++
	}
	b.ReportMetric(float64(cpu()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
	b.ReportMetric(float64(st.Pool().Stat().AcquireCount()-acq0)/float64(b.N), "acquires/op")
}
