package risk

import (
	"context"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// BenchmarkOverlayExposure builds the chain view of each of 20 big leaders with an
// own list of 50 suppliers (half the registry's, half new) and scores it, as a scan
// does for a leader with its own list; ns/leader is the view plus the exposure.
func BenchmarkOverlayExposure(b *testing.B) {
	s, leaders, lists, p, d, params := overlayBench(b)
	members := 0
	for b.Loop() {
		members = 0
		for i, l := range leaders {
			ov, err := s.Overlay(l, params.Chain, lists[i])
			if err != nil {
				b.Fatal(err)
			}
			x, err := OverlayExposure(ov, l, p, d, nil, DefaultDistressParams(), params)
			if err != nil {
				b.Fatal(err)
			}
			members += x.Size
		}
	}
	b.ReportMetric(float64(members)/float64(len(leaders)), "members/chain")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(leaders)), "ns/leader")
}

// BenchmarkOverlayExposureInherited scores the same chains on views built
// beforehand, as an incremental scan that changed no relation does.
func BenchmarkOverlayExposureInherited(b *testing.B) {
	s, leaders, lists, p, d, params := overlayBench(b)
	props := make([]*Propagator, len(leaders))
	for i, l := range leaders {
		ov, err := s.Overlay(l, params.Chain, lists[i])
		if err != nil {
			b.Fatal(err)
		}
		dp := DefaultDistressParams()
		dp.Workers = 1
		if props[i], err = NewPropagator(ov, dp); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		for i, l := range leaders {
			if _, err := props[i].OverlayExposure(l, p, d, nil, params); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(leaders)), "ns/leader")
}

// overlayBench is the benchmark graph, 20 big leaders, an own list of 50 suppliers
// for each, p and d.
func overlayBench(b *testing.B) (*graph.Snapshot, []int32, [][]graph.Supplied, []float64, []float64, ExposureParams) {
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
	leaders := graphtest.Leaders(s, 20)
	params := DefaultExposureParams()
	params.Chain.MaxPaths = 0
	lists := make([][]graph.Supplied, len(leaders))
	for i, l := range leaders {
		seen := map[int32]bool{l: true}
		lo, hi := s.InEdges(l)
		for q := lo; q < hi && len(lists[i]) < 25; q++ {
			u := s.CSR().InFrom[q]
			seen[u] = true
			lists[i] = append(lists[i], graph.Supplied{Supplier: u, Attrs: graph.EdgeAttrs{PurchaseShare: 0.01, SalesShare: 0.1}})
		}
		for u := int32(7 * (i + 1)); len(lists[i]) < 50; u = (u*31 + 17) % int32(s.Len()) {
			if !seen[u] {
				seen[u] = true
				lists[i] = append(lists[i], graph.Supplied{Supplier: u, Attrs: graph.EdgeAttrs{PurchaseShare: 0.01, SalesShare: 0.1}})
			}
		}
	}
	return s, leaders, lists, p, d, params
}
