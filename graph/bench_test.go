package graph_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// Benchmarks run on graphtest.BenchGraph: 100k firms / ~500k relations, or
// CHAINRISK_BENCH_FIRMS firms (1000000 for the province scale).

func relationsOf(s *graph.Snapshot) []graph.Relation {
	c := s.CSR()
	rels := make([]graph.Relation, 0, s.NumEdges())
	for u := range int32(s.Len()) {
		lo, hi := s.OutEdges(u)
		for e := lo; e < hi; e++ {
			rels = append(rels, graph.Relation{Supplier: s.IDs[u], Customer: s.IDs[c.OutTo[e]], Attrs: s.Attrs(e)})
		}
	}
	return rels
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkSnapshotBuild builds a snapshot from firm ids and relations (as
// the daemon does from the store) and reports ns/edge and the retained heap
// per edge (all arrays, ids and the id index included).
func BenchmarkSnapshotBuild(b *testing.B) {
	src := graphtest.BenchGraph(b)
	ids := src.IDs
	rels := relationsOf(src)
	build := func() *graph.Snapshot {
		bl := graph.NewBuilder(len(ids), len(rels))
		for _, id := range ids {
			bl.AddNode(id)
		}
		for _, r := range rels {
			bl.AddEdge(r.Supplier, r.Customer, r.Attrs)
		}
		s, err := bl.Build()
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	before := heapInUse()
	s := build()
	retained := heapInUse() - before
	runtime.KeepAlive(s)
	s = nil
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		build()
	}
	m := float64(len(rels))
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/m, "ns/edge")
	b.ReportMetric(float64(retained)/m, "bytes/edge")
	b.ReportMetric(float64(src.SizeBytes())/m, "est-bytes/edge")
}

// BenchmarkSnapshotApply replaces 100 relations and adds 100 (with 10 new
// firms): the cost of publishing a new snapshot after an ingest batch.
func BenchmarkSnapshotApply(b *testing.B) {
	s := graphtest.BenchGraph(b)
	var d graph.Delta
	for i := range 10 {
		d.Nodes = append(d.Nodes, "new-firm-"+string(rune('a'+i)))
	}
	c := s.CSR()
	for k := range 100 {
		u := int32(k * (s.Len() / 100))
		if lo, hi := s.OutEdges(u); lo < hi {
			d.Set = append(d.Set, graph.Relation{Supplier: s.IDs[u], Customer: s.IDs[c.OutTo[lo]], Attrs: graph.EdgeAttrs{PurchaseShare: 0.1}})
		}
		d.Set = append(d.Set, graph.Relation{Supplier: d.Nodes[k%10], Customer: s.IDs[u], Attrs: graph.EdgeAttrs{PurchaseShare: 0.01}})
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Apply(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s.NumEdges()), "ns/edge")
}

// BenchmarkSnapshotApplyAttrs reweights 100 relations: structure shared.
func BenchmarkSnapshotApplyAttrs(b *testing.B) {
	s := graphtest.BenchGraph(b)
	var d graph.Delta
	c := s.CSR()
	for k := range 100 {
		u := int32(k * (s.Len() / 100))
		if lo, hi := s.OutEdges(u); lo < hi {
			d.Set = append(d.Set, graph.Relation{Supplier: s.IDs[u], Customer: s.IDs[c.OutTo[lo]], Attrs: graph.EdgeAttrs{PurchaseShare: 0.1}})
		}
	}
	for b.Loop() {
		if _, err := s.Apply(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshotCycles runs the iterative Tarjan over the whole graph.
func BenchmarkSnapshotCycles(b *testing.B) {
	s := graphtest.BenchGraph(b)
	for b.Loop() {
		s.Cycles()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s.NumEdges()), "ns/edge")
}

// BenchmarkChainExtract extracts the default chain (3 up, 1 down, 3 paths per
// member) of the 1,000 biggest buyers.
func BenchmarkChainExtract(b *testing.B) {
	s := graphtest.BenchGraph(b)
	leaders := graphtest.Leaders(s, 1000)
	members := 0
	for b.Loop() {
		members = 0
		for _, l := range leaders {
			c, err := s.Chain(l, graph.DefaultChainOptions())
			if err != nil {
				b.Fatal(err)
			}
			members += len(c.Members)
		}
	}
	b.ReportMetric(float64(members)/float64(len(leaders)), "members/chain")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(leaders)), "ns/chain")
}
