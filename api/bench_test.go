package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
	"github.com/chainrisk/chainrisk/tokens"
)

// importBackend imports and does nothing else (no scan), so that a benchmark of
// the ingest endpoint measures the body's way into the store.
type importBackend struct {
	st  store.Store
	cfg *config.Config
}

func (b importBackend) State() *monitor.State   { return nil }
func (b importBackend) Store() Store            { return b.st }
func (b importBackend) Config() *config.Config  { return b.cfg }
func (b importBackend) Alerts() *alerts.Manager { return nil }
func (b importBackend) Rescan(context.Context, string, string) (*store.Scan, error) {
	return nil, fmt.Errorf("no rescans here")
}
func (b importBackend) Ingest(ctx context.Context, kind credit.Kind, format ingest.Format, body io.Reader, strict bool,
	_ string) (ingest.Summary, error) {
	return ingest.Import(ctx, b.st, []ingest.Input{{Kind: kind, Format: format, R: body}}, ingest.ImportOptions{Strict: strict})
}

func (b importBackend) Supply(ctx context.Context, leader string, format ingest.Format, body io.Reader, strict bool,
	_ string) (ingest.Summary, error) {
	return ingest.Import(ctx, b.st, []ingest.Input{{Kind: credit.KindRelations, Format: format, R: body}},
		ingest.ImportOptions{Strict: strict, Source: leader})
}
func (b importBackend) Withdraw(ctx context.Context, leader, supplier, _ string) error {
	return b.st.WithdrawSupplied(ctx, leader, supplier)
}

// BenchmarkIngestAPI posts batches of 100,000 events (about 8 MiB of CSV) to POST
// /api/v1/events over loopback HTTP: the body is read in full (to a temporary file
// past ingest.SpoolMemory), then imported. It reports rows/s and the peak of the Go
// heap while doing so.
func BenchmarkIngestAPI(b *testing.B) {
	const n, firms = 100_000, 1000
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			var st store.Store
			var err error
			if kind == "postgres" {
				st, err = postgres.Open(ctx, pgtest.URL(b), postgres.Options{})
			} else {
				st, err = sqlite.OpenDir(ctx, b.TempDir(), nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var fb strings.Builder
			fb.WriteString("uscc,name\n")
			for i := 1; i <= firms; i++ {
				fmt.Fprintf(&fb, "%s,企业%d\n", storetest.USCC(i), i)
			}
			if sum, err := ingest.Import(ctx, st, []ingest.Input{{Kind: credit.KindEnterprises, Format: ingest.CSV,
				R: strings.NewReader(fb.String())}}, ingest.ImportOptions{}); err != nil || !sum.OK() {
				b.Fatalf("firms: %v %v", err, sum.Errors)
			}
			token, _, err := tokens.Create(ctx, st, "bench", tokens.RoleIngest, "")
			if err != nil {
				b.Fatal(err)
			}
			s := NewServer(importBackend{st, config.Default()}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			mux := http.NewServeMux()
			s.Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			bodies := make([]string, b.N)
			types := []string{"tax_arrears", "penalty_general", "overdue_payment", "honor", "judgment_debtor"}
			for i := range bodies {
				var eb strings.Builder
				eb.WriteString("event_id,uscc,type,occurred_at,source,amount,description\n")
				for j := 0; j < n; j++ {
					fmt.Fprintf(&eb, "B%d-%d,%s,%s,2026-%02d-%02d,信用黑龙江,%d,测试事件\n",
						i, j, storetest.USCC(1+j%firms), types[j%len(types)], 1+j%10, 1+j%28, 1000+j)
				}
				bodies[i] = eb.String()
			}
			b.SetBytes(int64(len(bodies[0])))
			var peak uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/events", strings.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "text/csv")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%d %s", resp.StatusCode, out)
				}
			}
			b.StopTimer()
			close(stop)
			<-sampled
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
