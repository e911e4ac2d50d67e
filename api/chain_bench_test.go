package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/tokens"
)

// The chain benchmarks run over a province imported into a store (docs/performance.md,
// "A leader's chain through the API"):
//
//	chainriskctl gen --firms 200000 --edges-per-firm 5 --events-per-firm 3 --leaders 200 --seed 1 --out DIR
//	for k in enterprises relations events; do
//	  chainriskctl import --store "$DSN" --create $k DIR/$k.csv; done
//	CHAINRISK_BENCH_CHAIN_STORE="$DSN" go test -run '^$' -bench 'Chain(Summary|Full|Page|Export|CTE)' -benchtime 200x ./api/
//
// A full scan of the store builds the state; the leader is CHAINRISK_BENCH_CHAIN_LEADER,
// or else the leader with the largest chain. BenchmarkChainCTE needs a PostgreSQL DSN.

type chainBench struct {
	dsn    string
	st     io.Closer
	s      *Server
	mux    *http.ServeMux
	token  string
	leader string
	size   int
	at     time.Time
}

// scanBackend serves one scanned state over its store.
type scanBackend struct {
	importBackend
	eng *monitor.Engine
}

func (b scanBackend) State() *monitor.State { return b.eng.State() }

var (
	chainBenchOnce sync.Once
	chainBenchData *chainBench
	chainBenchErr  error
)

func chainBenchSetup(b *testing.B) *chainBench {
	dsn := os.Getenv("CHAINRISK_BENCH_CHAIN_STORE")
	if dsn == "" {
		b.Skip("CHAINRISK_BENCH_CHAIN_STORE names no store holding an imported province (see chain_bench_test.go)")
	}
	chainBenchOnce.Do(func() { chainBenchData, chainBenchErr = newChainBench(dsn) })
	if chainBenchErr != nil {
		b.Fatal(chainBenchErr)
	}
	return chainBenchData
}

// closeChainBench closes the benchmarks' store, if they opened one.
func closeChainBench() {
	if chainBenchData != nil {
		_ = chainBenchData.st.Close()
	}
}

func newChainBench(dsn string) (*chainBench, error) {
	ctx := context.Background()
	st, err := backend.Open(ctx, dsn, backend.Options{MaxConns: 8})
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.HTTP.MaxChainMembers = 10_000_000 // BenchmarkChainFull measures the full answer
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	at := time.Now()
	eng := monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: quiet,
		Now: func() time.Time { return at }})
	if _, err := eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "benchmark"}); err != nil {
		return nil, err
	}
	cb := &chainBench{dsn: dsn, st: st, mux: http.NewServeMux(), at: at}
	cb.s = NewServer(scanBackend{importBackend: importBackend{st: st, cfg: cfg}, eng: eng}, Options{Logger: quiet})
	cb.s.Register(cb.mux)
	name := "chain-bench-" + time.Now().Format("20060102150405.000")
	if cb.token, _, err = tokens.Create(ctx, st, name, tokens.RoleAnalyst, ""); err != nil {
		return nil, err
	}
	s := eng.State()
	want := os.Getenv("CHAINRISK_BENCH_CHAIN_LEADER")
	for _, v := range s.Leaders {
		x := s.Chains[v]
		if x != nil && (want == "" && x.Size > cb.size || x.Leader == want) {
			cb.leader, cb.size = x.Leader, x.Size
		}
	}
	if cb.leader == "" {
		return nil, fmt.Errorf("no leader %q among the scan's chains", want)
	}
	return cb, nil
}

// call serves one GET in-process and returns its recorder.
func (cb *chainBench) call(b *testing.B, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", "Bearer "+cb.token)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	cb.mux.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %.300s", path, w.Code, w.Body.String())
	}
	return w
}

// timeCalls calls path b.N times and reports the latency quantiles and answer size:
// the server's part, its answer written to a writer that counts and drops it.
func (cb *chainBench) timeCalls(b *testing.B, path string) {
	cb.call(b, path) // warm: the chain index, the token cache
	lat := make([]time.Duration, 0, b.N)
	var bytes int
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+cb.token)
		w := &discardWriter{h: http.Header{}}
		cb.mux.ServeHTTP(w, r)
		lat = append(lat, time.Since(t0))
		if w.status != http.StatusOK {
			b.Fatalf("GET %s: %d", path, w.status)
		}
		bytes = w.n
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(bytes), "bytes/answer")
	b.ReportMetric(float64(cb.size), "members")
}

// BenchmarkChainSummary times GET /api/v1/chains/{leader} (the summary).
func BenchmarkChainSummary(b *testing.B) {
	cb := chainBenchSetup(b)
	cb.timeCalls(b, "/api/v1/chains/"+cb.leader)
}

// BenchmarkChainFull times the full answer (members=all), what GET
// /api/v1/chains/{leader} answered before the summary.
func BenchmarkChainFull(b *testing.B) {
	cb := chainBenchSetup(b)
	cb.timeCalls(b, "/api/v1/chains/"+cb.leader+"?members=all")
}

// BenchmarkChainPage times one page of members from the middle of the chain.
func BenchmarkChainPage(b *testing.B) {
	cb := chainBenchSetup(b)
	for _, limit := range []string{"100", "1000"} {
		b.Run("limit="+limit, func(b *testing.B) {
			var page membersPageJSON
			w := cb.call(b, "/api/v1/chains/"+cb.leader+"/members?limit=1000&tier=2")
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.NextCursor == nil {
				b.Fatalf("no second page: %v", err)
			}
			cb.timeCalls(b, "/api/v1/chains/"+cb.leader+"/members?limit="+limit+"&cursor="+*page.NextCursor)
		})
	}
}

// discardWriter is a ResponseWriter that counts what it is sent and copies it, as
// a connection's write copies it to the socket, into a scratch buffer it then drops.
type discardWriter struct {
	h       http.Header
	n       int
	status  int
	scratch [64 << 10]byte
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	for q := p; len(q) > 0; {
		q = q[copy(w.scratch[:], q):]
	}
	return len(p), nil
}

// BenchmarkChainExport streams every member (NDJSON, CSV) and reports members/s:
// warm, the state's chain index and encoded lines made by an export before; cold,
// the first export of a state (the chain extracted, sorted and encoded).
func BenchmarkChainExport(b *testing.B) {
	cb := chainBenchSetup(b)
	for _, run := range []string{"ndjson", "csv", "ndjson-cold"} {
		b.Run(run, func(b *testing.B) {
			format, cold := strings.CutSuffix(run, "-cold")
			path := "/api/v1/chains/" + cb.leader + "/members?format=" + format
			cb.call(b, path)
			var n int
			b.ResetTimer()
			for range b.N {
				if cold {
					cb.s.chains.mu.Lock()
					cb.s.chains.entries = nil
					cb.s.chains.mu.Unlock()
				}
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+cb.token)
				w := &discardWriter{h: http.Header{}}
				cb.mux.ServeHTTP(w, r)
				n = w.n
			}
			b.StopTimer()
			b.ReportMetric(float64(cb.size)*float64(b.N)/b.Elapsed().Seconds(), "members/s")
			b.ReportMetric(float64(n), "bytes/answer")
		})
	}
}

// BenchmarkChainCTE runs scripts/chain_cte.sql for the same leader on the store's
// relations (PostgreSQL) and reports members/s: the yardstick of the export.
func BenchmarkChainCTE(b *testing.B) {
	cb := chainBenchSetup(b)
	if !backend.IsPostgres(cb.dsn) {
		b.Skip("the CTE runs on PostgreSQL")
	}
	src, err := os.ReadFile("../scripts/chain_cte.sql")
	if err != nil {
		b.Fatal(err)
	}
	sql := strings.NewReplacer(":'leader'", "$1", ":depth_up", "$2", ":depth_down", "$3", ":now_ms", "$4").Replace(string(src))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, cb.dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	c := config.Default().Chain
	var n int
	b.ResetTimer()
	for range b.N {
		rows, err := conn.Query(ctx, sql, cb.leader, c.DepthUp, c.DepthDown, cb.at.UnixMilli())
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for rows.Next() {
			var firm string
			var tier int
			if err := rows.Scan(&firm, &tier); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n != cb.size {
		b.Errorf("the CTE returns %d members, the chain has %d", n, cb.size)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "members/s")
	b.ReportMetric(float64(n), "members")
}
