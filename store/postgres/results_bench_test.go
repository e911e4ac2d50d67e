package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// BenchmarkSaveFirstResults saves what a first full scan writes on a store that holds
// no results: every firm's result and history entry (CHAINRISK_BENCH_FIRMS firms,
// default 100,000, in random USCC order as a province's node order is) and 1,000
// chains with 50 KB documents.
func BenchmarkSaveFirstResults(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CHAINRISK_BENCH_FIRMS")); err == nil && v > 0 {
		n = v
	}
	r := rand.New(rand.NewPCG(3, 4))
	res := &store.Results{ModelVersion: "m1", At: time.Now()}
	for range n {
		res.Firms = append(res.Firms, store.FirmResult{USCC: fmt.Sprintf("9123%014X", r.Uint64()&(1<<56-1)),
			Score: 300 + 600*r.Float64(), Grade: "B", P: r.Float64(), D: r.Float64()})
	}
	res.History = res.Firms
	detail := []byte(`{"members":[` + strings.Repeat(`{"uscc":"91230100MA00000000","tier":2,"d":0.0123},`, 1000) + `{}]}`)
	for i := range 1000 {
		res.Chains = append(res.Chains, store.ChainResult{Leader: res.Firms[i].USCC, ChainRisk: 0.1, Members: 500,
			Detail: detail})
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, pgtest.URL(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		res.ScanID = 1
		b.StartTimer()
		if err := s.SaveResults(ctx, res); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/firm")
}
