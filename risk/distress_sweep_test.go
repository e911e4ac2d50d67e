package risk

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrisk/chainrisk/graph/graphtest"
)

// TestSweepMatchesEquation checks one parallel sweep on the terms layout
// against F evaluated straight from the snapshot's relation attributes,
// one sequential product per firm (suppliers' a, then customers' b).
func TestSweepMatchesEquation(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for trial := range 20 {
		n := 2 + r.IntN(200)
		if trial%5 == 0 {
			n = 20_000 // parallel chunks
		}
		ids, rels := graphtest.Random(r, n, r.IntN(6*n))
		s := distressSnap(t, ids, rels)
		params := DefaultDistressParams()
		pr, err := NewPropagator(s, params)
		if err != nil {
			t.Fatal(err)
		}
		x, p := make([]float64, n), make([]float64, n)
		for j := range x {
			p[j] = r.Float64() * 0.5
			x[j] = p[j] + (1-p[j])*r.Float64()
		}
		got := make([]float64, n)
		pr.forChunks(pr.bounds, func(_ int, lo, hi int32) float64 { return pr.sweep(lo, hi, p, x, got) })
		c := s.CSR()
		for j := range int32(n) {
			prod := 1.0
			for q := c.InStart[j]; q < c.InStart[j+1]; q++ {
				e := c.InEdge[q]
				prod *= 1 - params.AlphaUp*c.PurchaseShare[e]*(1-c.Substitutability[e])*x[c.InFrom[q]]
			}
			for e := c.OutStart[j]; e < c.OutStart[j+1]; e++ {
				prod *= 1 - params.AlphaDown*c.SalesShare[e]*x[c.OutTo[e]]
			}
			want := p[j] + (1-p[j])*(1-prod)
			if math.Abs(got[j]-want) > 1e-15 {
				t.Fatalf("trial %d firm %d: sweep %v, equation %v", trial, j, got[j], want)
			}
			if f := pr.eval(j, p, x); f != got[j] {
				t.Fatalf("trial %d firm %d: eval %v, sweep %v", trial, j, f, got[j])
			}
		}
	}
}
