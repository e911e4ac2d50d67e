package risk

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// The benchmarks run on graphtest.BenchGraph: a heavy-tailed graph of
// 100,000 firms and ~500,000 relations, or CHAINRISK_BENCH_FIRMS firms (and
// 5 relations each; 1000000 for the province scale of docs/performance.md).

// benchP returns credit-like distress probabilities: most firms healthy
// (p ≈ 0.02, score ~800), one in ten weak, one in a hundred failed.
func benchP(n int) []float64 {
	r := rand.New(rand.NewPCG(3, 3))
	p := make([]float64, n)
	for j := range p {
		switch x := r.IntN(100); {
		case x == 0:
			p[j] = 1
		case x < 10:
			p[j] = 0.2 + 0.6*r.Float64()
		default:
			p[j] = 0.01 + 0.03*r.Float64()
		}
	}
	return p
}

func perEdge(b *testing.B, s *graph.Snapshot) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s.NumEdges()), "ns/edge")
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkDistressPropagator measures building the per-snapshot
// coefficients and reports the memory they keep per relation.
func BenchmarkDistressPropagator(b *testing.B) {
	s := graphtest.BenchGraph(b)
	before := heapNow()
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	kept := heapNow() - before
	runtime.KeepAlive(pr)
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewPropagator(s, DefaultDistressParams()); err != nil {
			b.Fatal(err)
		}
	}
	perEdge(b, s)
	b.ReportMetric(float64(kept)/float64(s.NumEdges()), "bytes/edge")
}

// BenchmarkDistressFull is the full-scan computation: Jacobi from d = p to
// 1e-9. ns/edge is per whole computation; ns/edge-sweep per relation visit.
func BenchmarkDistressFull(b *testing.B) {
	s := graphtest.BenchGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	p := benchP(s.Len())
	var st DistressStats
	b.ReportAllocs()
	for b.Loop() {
		_, st, err = pr.Distress(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
	}
	perEdge(b, s)
	b.ReportMetric(float64(st.Iterations), "iterations")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(st.Iterations)/float64(2*s.NumEdges()), "ns/edge-sweep")
}

// BenchmarkDistressUpdate is the ingest path: one firm's p rises (a severe
// event) or falls (a repair) and Update starts from the previous fixpoint.
func BenchmarkDistressUpdate(b *testing.B) {
	s := graphtest.BenchGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	p := benchP(s.Len())
	d, _, err := pr.Distress(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	firm := graphtest.Leaders(s, 1)[0] // a firm with many relations
	for _, bc := range []struct {
		name string
		p    float64
	}{{"rise", 0.9}, {"fall", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			next := append([]float64(nil), p...)
			next[firm] = bc.p
			var st DistressStats
			for b.Loop() {
				if _, st, err = pr.Update(context.Background(), pr, p, d, next); err != nil {
					b.Fatal(err)
				}
			}
			perEdge(b, s)
			b.ReportMetric(float64(st.Updated), "firms-updated")
		})
	}
}

// BenchmarkExposureLeaders computes the chain exposure of 1,000 leaders
// (default depths: 3 up, 1 down) in parallel, as a full scan does.
func BenchmarkExposureLeaders(b *testing.B) {
	s := graphtest.BenchGraph(b)
	pr, err := NewPropagator(s, DefaultDistressParams())
	if err != nil {
		b.Fatal(err)
	}
	p := benchP(s.Len())
	d, _, err := pr.Distress(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	grades := make([]Grade, s.Len())
	for j := range grades {
		grades[j] = GradeA + Grade(j%4)
	}
	leaders := graphtest.Leaders(s, 1000)
	// What a scan keeps: the exposures, without their chains.
	before := heapNow()
	kept, err := pr.Exposures(context.Background(), leaders, p, d, grades, DefaultExposureParams())
	if err != nil {
		b.Fatal(err)
	}
	retained := heapNow() - before
	members := 0
	for _, x := range kept {
		members += x.Size
	}
	kept = nil
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := pr.Exposures(context.Background(), leaders, p, d, grades, DefaultExposureParams()); err != nil {
			b.Fatal(err)
		}
	}
	perEdge(b, s)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(leaders)), "ns/leader")
	b.ReportMetric(float64(members)/float64(len(leaders)), "members/leader")
	b.ReportMetric(float64(retained)/float64(len(leaders)), "retained-bytes/leader")
}
