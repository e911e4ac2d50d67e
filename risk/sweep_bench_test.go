package risk

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// The whole-graph kernels on the firms and relations `chainriskctl gen`
// writes, when CHAINRISK_BENCH_DATA names its output directory (the same
// input scripts/peers.py reads), else on graphtest.BenchGraph.

var dataCache struct {
	sync.Mutex
	dir  string
	snap *graph.Snapshot
}

// kernelGraph returns the snapshot of CHAINRISK_BENCH_DATA, or BenchGraph.
func kernelGraph(tb testing.TB) *graph.Snapshot {
	tb.Helper()
	dir := os.Getenv("CHAINRISK_BENCH_DATA")
	if dir == "" {
		return graphtest.BenchGraph(tb)
	}
	dataCache.Lock()
	defer dataCache.Unlock()
	if dataCache.snap == nil || dataCache.dir != dir {
		s, err := readGenerated(dir)
		if err != nil {
			tb.Fatal(err)
		}
		dataCache.dir, dataCache.snap = dir, s
	}
	return dataCache.snap
}

// readGenerated builds the snapshot of enterprises.csv (firms in file order)
// and every row of relations.csv, whatever its validity dates.
func readGenerated(dir string) (*graph.Snapshot, error) {
	b := graph.NewBuilder(1<<20, 5<<20)
	err := eachRow(filepath.Join(dir, "enterprises.csv"), func(col map[string]int, rec []string) error {
		b.AddNode(rec[col["uscc"]])
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(filepath.Join(dir, "relations.csv"), func(col map[string]int, rec []string) error {
		var a graph.EdgeAttrs
		for _, f := range []struct {
			name string
			to   *float64
		}{{"purchase_share", &a.PurchaseShare}, {"sales_share", &a.SalesShare}, {"substitutability", &a.Substitutability}} {
			v, err := strconv.ParseFloat(rec[col[f.name]], 64)
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			*f.to = v
		}
		b.AddEdge(rec[col["supplier"]], rec[col["customer"]], a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Build()
}

// eachRow calls fn for every record of a CSV file with a header.
func eachRow(path string, fn func(col map[string]int, rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	col := make(map[string]int, len(head))
	for i, h := range head {
		col[h] = i
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(col, rec); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

// sweepBytes is what one whole-graph sweep must move through memory: the
// terms (4-byte neighbour, 8-byte coefficient, two per relation), the term
// offsets, p and the previous d read, the new d written. The neighbours'
// d values are gathered from an 8-byte-per-firm array that stays in cache.
func sweepBytes(s *graph.Snapshot) int64 {
	n, m := int64(s.Len()), int64(s.NumEdges())
	return 2*m*(4+8) + 4*(n+1) + 3*8*n
}

// BenchmarkSweep is one Jacobi sweep of network distress over every firm,
// on all workers, from the fixpoint (the steady state of an update).
func BenchmarkSweep(b *testing.B) {
	s := kernelGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	p := benchP(s.Len())
	src, _, err := pr.Distress(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float64, len(src))
	b.SetBytes(sweepBytes(s))
	start := cpuTime()
	for b.Loop() {
		pr.forChunks(pr.bounds, func(_ int, lo, hi int32) float64 { return pr.sweep(lo, hi, p, src, dst) })
	}
	reportCPU(b, start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/sweep")
}

// BenchmarkSweepFloor reads sweepBytes(graph) bytes sequentially on the same
// workers and chunks as a sweep (a STREAM-like sum): the time a sweep cannot
// go below on this machine's memory bandwidth.
func BenchmarkSweepFloor(b *testing.B) {
	s := kernelGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]float64, sweepBytes(s)/8)
	for i := range buf {
		buf[i] = float64(i & 7)
	}
	bounds := listBounds(len(buf), len(pr.bounds)-1)
	var sink float64
	b.SetBytes(sweepBytes(s))
	start := cpuTime()
	for b.Loop() {
		sink += pr.forChunks(bounds, func(_ int, lo, hi int32) float64 { return sum4(buf[lo:hi]) })
	}
	reportCPU(b, start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/sweep")
	if math.IsNaN(sink) {
		b.Fatal(sink)
	}
}

// BenchmarkSweepGather is a sweep reduced to its reads: the terms and the
// gather of every neighbour's d, summed, no products.
func BenchmarkSweepGather(b *testing.B) {
	s := kernelGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	x := benchP(s.Len())
	var sink float64
	b.SetBytes(sweepBytes(s))
	start := cpuTime()
	for b.Loop() {
		sink += pr.forChunks(pr.bounds, func(_ int, lo, hi int32) float64 {
			a, z := pr.tStart[lo], pr.tStart[hi]
			nbr, coef := pr.tNbr[a:z], pr.tCoef[a:z]
			coef = coef[:len(nbr)]
			var t float64
			for k, i := range nbr {
				t += coef[k] + x[i]
			}
			return t
		})
	}
	reportCPU(b, start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/sweep")
	if math.IsNaN(sink) {
		b.Fatal(sink)
	}
}

// cpuTime returns the process's user + system CPU time: on a shared
// machine wall time per op counts other processes' load, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start in ms.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// sum4 sums xs with four accumulators.
func sum4(xs []float64) float64 {
	var a, b, c, d float64
	k := 0
	for ; k+3 < len(xs); k += 4 {
		a += xs[k]
		b += xs[k+1]
		c += xs[k+2]
		d += xs[k+3]
	}
	for ; k < len(xs); k++ {
		a += xs[k]
	}
	return a + b + c + d
}

// peerP is the p both this package's check against scripts/peers.py and
// the script use: firm j of enterprises.csv (file order) gets
// 0.01 + 0.03·((j·7919 mod 1000)/1000), and every hundredth firm 1.
func peerP(n int) []float64 {
	p := make([]float64, n)
	for j := range p {
		p[j] = 0.01 + 0.03*float64(j*7919%1000)/1000
		if j%100 == 0 {
			p[j] = 1
		}
	}
	return p
}

// peerShockNode is the firm scripts/peers.py shocks: the most entries in its
// row of the DebtRank matrix, the lowest index on ties.
func peerShockNode(net *graph.Network) int {
	best, most := 0, -1
	for i := range net.Len() {
		if dst, _ := net.Out(i); len(dst) > most {
			best, most = i, len(dst)
		}
	}
	return best
}

// TestPeersCheck prints what scripts/peers.py prints for the same input
// (CHAINRISK_BENCH_DATA; skipped without it), so that the two are seen to
// compute the same thing: Σ d after five Jacobi sweeps from d = peerP, and
// one DebtRank shock (ψ = 1, equal values) of peerShockNode. Run with -v.
func TestPeersCheck(t *testing.T) {
	if os.Getenv("CHAINRISK_BENCH_DATA") == "" {
		t.Skip("CHAINRISK_BENCH_DATA names no generated data")
	}
	s := kernelGraph(t)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		t.Fatal(err)
	}
	p := peerP(s.Len())
	src, dst := slices.Clone(p), make([]float64, len(p))
	for range 5 {
		pr.forChunks(pr.bounds, func(_ int, lo, hi int32) float64 { return pr.sweep(lo, hi, p, src, dst) })
		src, dst = dst, src
	}
	var sum float64
	for j, d := range src {
		if !(d >= p[j] && d <= 1) {
			t.Fatalf("d[%d] = %v outside [p, 1] (p %v)", j, d, p[j])
		}
		sum += d
	}
	t.Logf(`{"name": "check_distress_sum", "sweeps": 5, "sum_d": %.9f}`, sum)

	sn, err := NewStressNetwork(s, equalRevenue{})
	if err != nil {
		t.Fatal(err)
	}
	hub := peerShockNode(sn.Net)
	res, err := DebtRank(context.Background(), sn.Net, nil, []Shock{{sn.Net.ID(hub), 1}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	reached, sumH := 0, 0.0
	for _, h := range res.H {
		if h > 0 {
			reached++
		}
		sumH += h
	}
	t.Logf(`{"name": "check_debtrank", "firm": %q, "steps": %d, "reached": %d, "sum_h": %.9f, "R": %.12f}`,
		sn.Net.ID(hub), res.Iterations, reached, sumH, res.R)
}

type equalRevenue struct{}

func (equalRevenue) Revenue(int32) float64 { return 1 }
func (equalRevenue) Industry(int32) string { return "" }

// BenchmarkDebtRankData is BenchmarkDebtRank on the DebtRank matrix of the
// benchmark graph (CHAINRISK_BENCH_DATA, as TestPeersCheck): one shock of
// peerShockNode, the input scripts/peers.py times.
func BenchmarkDebtRankData(b *testing.B) {
	s := kernelGraph(b)
	sn, err := NewStressNetwork(s, equalRevenue{})
	if err != nil {
		b.Fatal(err)
	}
	sn.Net.In() // the transpose is built once per network, not per shock
	shocks := []Shock{{sn.Net.ID(peerShockNode(sn.Net)), 1}}
	var r DebtRankResult
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if r, err = DebtRank(context.Background(), sn.Net, nil, shocks, 0); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(r.Iterations), "steps")
	b.ReportMetric(float64(sn.Net.NumEdges()), "edges")
}
