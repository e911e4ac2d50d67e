// Package graphtest generates supply graphs for tests and benchmarks: small
// uniform random graphs with cycles for property tests, and heavy-tailed
// province-scale graphs for benchmarks.
package graphtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/chainrisk/chainrisk/graph"
)

// ID returns an 18-character firm id for node i, shaped like a USCC (its
// check character is not computed: the graph does not validate ids).
func ID(i int) string { return fmt.Sprintf("91230100MA%08d", i) }

// Random returns n firm ids and about m relations drawn uniformly (so cycles
// are common), with shares normalised as ingest would accept them: each
// customer's purchase shares sum to at most 1 and each supplier's sales
// shares too. Some purchase shares are 0 (unknown) and substitutability
// spans [0, 1] with both ends frequent.
func Random(r *rand.Rand, n, m int) ([]string, []graph.Relation) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ID(i)
	}
	if n < 2 {
		return ids, nil
	}
	type pair struct{ u, v int }
	seen := map[pair]bool{}
	var pairs []pair
	for range m {
		u, v := r.IntN(n), r.IntN(n)
		if u == v || seen[pair{u, v}] {
			continue
		}
		seen[pair{u, v}] = true
		pairs = append(pairs, pair{u, v})
	}
	ps := make([]float64, len(pairs))
	ss := make([]float64, len(pairs))
	inSum := make([]float64, n)
	outSum := make([]float64, n)
	for k, p := range pairs {
		ps[k], ss[k] = r.Float64(), r.Float64()
		if r.IntN(10) == 0 {
			ps[k] = 0
		}
		inSum[p.v] += ps[k]
		outSum[p.u] += ss[k]
	}
	// Scale each firm's shares to sum to a random total ≤ 1.
	inCap := make([]float64, n)
	outCap := make([]float64, n)
	for i := range n {
		inCap[i], outCap[i] = 0.2+0.8*r.Float64(), 0.2+0.8*r.Float64()
	}
	rels := make([]graph.Relation, len(pairs))
	for k, p := range pairs {
		a := graph.EdgeAttrs{Substitutability: r.Float64(), Amount: float64(r.IntN(1000)) * 1e4}
		if inSum[p.v] > 0 {
			a.PurchaseShare = ps[k] / inSum[p.v] * inCap[p.v]
		}
		if outSum[p.u] > 0 {
			a.SalesShare = ss[k] / outSum[p.u] * outCap[p.u]
		}
		switch r.IntN(8) {
		case 0:
			a.Substitutability = 0
		case 1:
			a.Substitutability = 1
		}
		rels[k] = graph.Relation{Supplier: ids[p.u], Customer: ids[p.v], Attrs: a}
	}
	return ids, rels
}

// Build builds a snapshot from ids and relations.
func Build(ids []string, rels []graph.Relation) (*graph.Snapshot, error) {
	b := graph.NewBuilder(len(ids), len(rels))
	for _, id := range ids {
		b.AddNode(id)
	}
	for _, r := range rels {
		b.AddEdge(r.Supplier, r.Customer, r.Attrs)
	}
	return b.Build()
}

// HeavyTailed builds a province-like graph of n firms and about m relations
// with heavy-tailed degrees: a firm's number of suppliers follows a
// Pareto(2) law (mean m/n, capped at 500), and suppliers are drawn with
// probability proportional to a Pareto(1.5) "size", so a few suppliers sell
// to thousands of customers. Purchase shares are normalised per customer and
// sales shares per supplier.
func HeavyTailed(seed uint64, n, m int) (*graph.Snapshot, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	size := make([]float64, n)
	cum := make([]float64, n)
	var total float64
	for i := range size {
		size[i] = math.Pow(1-r.Float64(), -1/1.5)
		total += size[i]
		cum[i] = total
	}
	draw := func() int32 {
		j, _ := slices.BinarySearch(cum, r.Float64()*total)
		return int32(min(j, n-1))
	}
	mean := float64(m) / float64(n)
	ids := make([]string, n)
	b := graph.NewBuilder(n, m)
	for i := range n {
		ids[i] = ID(i)
		b.AddNode(ids[i])
	}
	type edge struct {
		u, v   int32
		ps, ss float64
	}
	edges := make([]edge, 0, m)
	outSum := make([]float64, n)
	seen := make([]int32, n) // 1 + last customer that bought from a supplier
	for v := range int32(n) {
		w := math.Pow(1-r.Float64(), -1/2.0) // Pareto(2), mean 2
		k := min(500, n/2, int(math.Round(mean*w/2)))
		start := len(edges)
		var psum float64
		for range k {
			u := draw()
			for try := 0; u == v || seen[u] == v+1; try++ {
				if try < 16 {
					u = draw()
				} else {
					u = int32(r.IntN(n))
				}
			}
			seen[u] = v + 1
			x, ss := r.Float64(), r.Float64()
			psum += x
			outSum[u] += ss
			edges = append(edges, edge{u: u, v: v, ps: x, ss: ss})
		}
		capIn := 0.3 + 0.7*r.Float64()
		for j := start; j < len(edges); j++ {
			edges[j].ps = edges[j].ps / psum * capIn
		}
	}
	for _, e := range edges {
		b.AddEdge(ids[e.u], ids[e.v], graph.EdgeAttrs{
			PurchaseShare:    e.ps,
			SalesShare:       e.ss / outSum[e.u] * 0.9,
			Substitutability: r.Float64(),
			Amount:           math.Round(1e6 * e.ps * size[e.v]),
		})
	}
	return b.Build()
}

// Leaders returns the k firms with the most suppliers (ties by index), in
// index order: leading enterprises are the big buyers, and their 3-tier
// chains are the large ones (a tenth of the graph and more).
func Leaders(s *graph.Snapshot, k int) []int32 {
	idx := make([]int32, s.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	deg := func(v int32) int32 { lo, hi := s.InEdges(v); return hi - lo }
	slices.SortStableFunc(idx, func(a, b int32) int { return int(deg(b) - deg(a)) })
	idx = idx[:min(k, len(idx))]
	slices.Sort(idx)
	return idx
}

// BenchFirms returns the number of firms benchmarks generate: 100,000 by
// default, or CHAINRISK_BENCH_FIRMS (e.g. 1000000 for the province scale of
// docs/performance.md). Benchmarks use 5 relations per firm.
func BenchFirms() int {
	if v := os.Getenv("CHAINRISK_BENCH_FIRMS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 1 {
			return n
		}
	}
	return 100_000
}

var benchCache struct {
	sync.Mutex
	n    int
	snap *graph.Snapshot
}

// BenchGraph returns the heavy-tailed benchmark graph of BenchFirms firms
// and 5 relations per firm (seed 1), generated once per test binary.
func BenchGraph(tb testing.TB) *graph.Snapshot {
	tb.Helper()
	benchCache.Lock()
	defer benchCache.Unlock()
	n := BenchFirms()
	if benchCache.snap == nil || benchCache.n != n {
		s, err := HeavyTailed(1, n, 5*n)
		if err != nil {
			tb.Fatal(err)
		}
		benchCache.n, benchCache.snap = n, s
	}
	return benchCache.snap
}
