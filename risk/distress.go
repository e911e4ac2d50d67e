package risk

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrisk/chainrisk/graph"
)

// Network distress (docs/models.md) is the least fixpoint above p of
//
//	F(d)_j = 1 − (1 − p_j) · Π_{i→j} (1 − a_ij·d_i) · Π_{j→k} (1 − b_jk·d_k)
//
// with a_ij = α_up·purchase_share_ij·(1 − substitutability_ij) (a supplier's
// distress hurts its customer) and b_jk = α_down·sales_share_jk (a
// customer's distress hurts its supplier). Every coefficient is in [0, 1],
// so every factor is in [0, 1] and F is monotone: d ≤ d' ⇒ F(d) ≤ F(d').
// Jacobi iteration from d⁰ = p therefore rises monotonically (d¹ = F(p) ≥ p)
// and, bounded by 1, converges to the least fixpoint d* ≥ p: any fixpoint
// x ≥ p satisfies dᵗ ≤ x by induction.
//
// Numerics: we evaluate F_j as p_j + (1 − p_j)·(1 − Π) with a plain product.
// Each factor lies in [0, 1], so the product cannot overflow; it underflows
// only below 1e-308, where d_j = 1 either way. Its relative rounding error
// is at most deg·2⁻⁵³ (1e-11 for a firm with 100,000 relations), far below
// the 1e-9 tolerance. A log-sum (Σ log1p(−a·d)) has the same error order but
// costs a logarithm per relation instead of one multiply-add, in the loop
// that dominates a scan. Writing d as p + (1 − p)(1 − Π) rather than
// 1 − (1 − p)·Π keeps d ≥ p exactly and gives d = p bit-for-bit for a firm
// without relations (1 − (1 − 0.1) is 0.09999999999999998).

// DistressParams configure network distress.
type DistressParams struct {
	AlphaUp   float64 // weight of supply shocks (supplier → customer), in [0, 1]
	AlphaDown float64 // weight of demand shocks (customer → supplier), in [0, 1]
	Tol       float64 // stop when max |Δd| ≤ Tol
	MaxIter   int     // stop after MaxIter sweeps
	Workers   int     // goroutines for whole-graph sweeps and Exposures; 0 = GOMAXPROCS
}

// DefaultDistressParams returns docs/models.md's defaults: α_up 0.6, α_down 0.3,
// tolerance 1e-9, 200 iterations.
func DefaultDistressParams() DistressParams {
	return DistressParams{AlphaUp: 0.6, AlphaDown: 0.3, Tol: 1e-9, MaxIter: 200}
}

func (p DistressParams) validate() error {
	switch {
	case !(p.AlphaUp >= 0 && p.AlphaUp <= 1), !(p.AlphaDown >= 0 && p.AlphaDown <= 1):
		return fmt.Errorf("alphas must be in [0, 1], got up %v down %v", p.AlphaUp, p.AlphaDown)
	case !(p.Tol > 0) || math.IsInf(p.Tol, 1):
		return fmt.Errorf("tolerance must be a positive number, got %v", p.Tol)
	case p.MaxIter < 1:
		return fmt.Errorf("max iterations must be ≥ 1, got %d", p.MaxIter)
	case p.Workers < 0:
		return fmt.Errorf("workers must be ≥ 0, got %d", p.Workers)
	}
	return nil
}

// Distress modes reported in DistressStats.Mode.
const (
	DistressFull   = "full"   // Jacobi over the whole graph from d = p
	DistressLocal  = "local"  // frontier rounds from the previous fixpoint (contraction case)
	DistressRegion = "region" // Jacobi over the affected region only
)

// DistressStats describe one computation.
type DistressStats struct {
	// Iterations counts Jacobi sweeps (full and region modes) or residual
	// checks over the whole graph (local mode).
	Iterations int
	// Residual is the last sweep's max |Δd| (full, region), or the largest
	// |F(d)_j − d_j| of the final check (local).
	Residual  float64
	Converged bool
	Mode      string
	Updated   int // firms recomputed at least once
}

// Propagator holds the per-snapshot coefficients a·Λ of network distress
// and chain exposure, so that the hot loops only multiply. It is immutable
// and safe for concurrent use; build one per snapshot.
type Propagator struct {
	snap   *graph.Snapshot
	csr    graph.CSR
	params DistressParams
	// The terms of firm j's equation, in-relations then out-relations, are
	// tNbr/tCoef[tStart[j]:tStart[j+1]]: neighbour and coefficient (a_ij of
	// supplier i, then b_jk of customer k, each in CSR order), so that a
	// sweep reads one contiguous run per firm. tStart[j] = InStart[j] +
	// OutStart[j], hence a_ij at in-edge position q of j is
	// tCoef[OutStart[j]+q] and b_jk of edge e of supplier j is
	// tCoef[InStart[j+1]+e] (see up, down).
	tStart []int32
	tNbr   []int32
	tCoef  []float64
	// rho = max_j Σ (coefficients of j's relations) bounds F's Lipschitz
	// constant in the ∞-norm: |∂F_j/∂d_i| ≤ the coefficient of relation i–j.
	rho     float64
	workers int
	bounds  []int32 // node ranges of about equal work for parallel sweeps
	// denseAt is the frontier size from which Update sweeps every firm
	// (n/8; tests move it to exercise both paths).
	denseAt int
}

// NewPropagator precomputes the coefficients of snap: O(n + m) time, 24
// bytes per relation (two terms of 12).
func NewPropagator(snap *graph.Snapshot, params DistressParams) (*Propagator, error) {
	if err := params.validate(); err != nil {
		return nil, fmt.Errorf("distress: %w", err)
	}
	c := snap.CSR()
	n, m := snap.Len(), snap.NumEdges()
	pr := &Propagator{snap: snap, csr: c, params: params}
	pr.buildTerms()
	for j := range n {
		var sum float64
		for _, a := range pr.tCoef[pr.tStart[j]:pr.tStart[j+1]] {
			sum += a
		}
		pr.rho = max(pr.rho, sum)
	}
	pr.workers = params.Workers
	if pr.workers == 0 {
		pr.workers = runtime.GOMAXPROCS(0)
	}
	if n+2*m < 1<<15 { // goroutines cost more than they save
		pr.workers = 1
	}
	// Eight chunks per worker of about equal work (1 + degree per firm),
	// handed out dynamically: heavy-tailed degrees make equal node counts
	// badly unbalanced.
	chunks := 8 * pr.workers
	total := int64(n) + 2*int64(m)
	pr.bounds = append(pr.bounds, 0)
	var work int64
	for j := range n {
		work += 1 + int64(c.InStart[j+1]-c.InStart[j]) + int64(c.OutStart[j+1]-c.OutStart[j])
		if work*int64(chunks) >= total*int64(len(pr.bounds)) && j+1 < n {
			pr.bounds = append(pr.bounds, int32(j+1))
		}
	}
	pr.bounds = append(pr.bounds, int32(n))
	pr.denseAt = max(1, n/8)
	return pr, nil
}

// upCoef returns a = α_up·purchase_share·(1 − substitutability) of edge e;
// the terms hold the same values (up).
func (pr *Propagator) upCoef(e int32) float64 {
	c := &pr.csr
	return pr.params.AlphaUp * c.PurchaseShare[e] * (1 - c.Substitutability[e])
}

// buildTerms lays out every firm's equation as one run of terms: 12 bytes
// per term, two terms per relation.
func (pr *Propagator) buildTerms() {
	c := &pr.csr
	n, m := pr.snap.Len(), pr.snap.NumEdges()
	pr.tStart = make([]int32, n+1)
	pr.tNbr = make([]int32, 2*m)
	pr.tCoef = make([]float64, 2*m)
	for j := range n {
		t := c.InStart[j] + c.OutStart[j]
		pr.tStart[j] = t
		for q := c.InStart[j]; q < c.InStart[j+1]; q++ {
			pr.tNbr[t], pr.tCoef[t] = c.InFrom[q], pr.upCoef(c.InEdge[q])
			t++
		}
		for e := c.OutStart[j]; e < c.OutStart[j+1]; e++ {
			pr.tNbr[t], pr.tCoef[t] = c.OutTo[e], pr.params.AlphaDown*c.SalesShare[e]
			t++
		}
	}
	pr.tStart[n] = int32(2 * m)
}

// up returns a_ij of firm j's in-edge positions [lo, hi) (aligned with
// csr.InFrom[lo:hi]).
func (pr *Propagator) up(j, lo, hi int32) []float64 {
	o := pr.csr.OutStart[j]
	return pr.tCoef[o+lo : o+hi : o+hi]
}

// down returns b_jk of firm j's out-edges [lo, hi) (aligned with
// csr.OutTo[lo:hi]).
func (pr *Propagator) down(j, lo, hi int32) []float64 {
	o := pr.csr.InStart[j+1]
	return pr.tCoef[o+lo : o+hi : o+hi]
}

// Snapshot returns the snapshot the coefficients belong to.
func (pr *Propagator) Snapshot() *graph.Snapshot { return pr.snap }

// Params returns the parameters the coefficients were built with.
func (pr *Propagator) Params() DistressParams { return pr.params }

// Contraction returns the bound ρ on F's Lipschitz constant (∞-norm). With
// shares as ingest accepts them (Σ purchase shares ≤ 1 per customer) and
// sales shares summing to at most 1 per supplier, ρ ≤ α_up + α_down = 0.9.
func (pr *Propagator) Contraction() float64 { return pr.rho }

// Distress computes network distress for the whole snapshot: a convenience
// for NewPropagator followed by Propagator.Distress.
func Distress(ctx context.Context, snap *graph.Snapshot, p []float64, params DistressParams) ([]float64, DistressStats, error) {
	pr, err := NewPropagator(snap, params)
	if err != nil {
		return nil, DistressStats{}, err
	}
	return pr.Distress(ctx, p)
}

func checkProbabilities(what string, p []float64, n int) error {
	if len(p) != n {
		return fmt.Errorf("%s has %d values for %d firms", what, len(p), n)
	}
	for j, x := range p {
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("%s[%d] = %v is not a probability", what, j, x)
		}
	}
	return nil
}

// Distress runs Jacobi from d = p until max |Δd| ≤ Tol or MaxIter sweeps,
// in parallel over node ranges with two buffers (each sweep reads only the
// previous one, so the result does not depend on the number of workers).
// p is indexed by node. Not converging within MaxIter is reported in the
// stats, not as an error.
func (pr *Propagator) Distress(ctx context.Context, p []float64) ([]float64, DistressStats, error) {
	if err := checkProbabilities("p", p, pr.snap.Len()); err != nil {
		return nil, DistressStats{}, fmt.Errorf("distress: %w", err)
	}
	d, st, err := pr.jacobi(ctx, nil, p, slices.Clone(p), pr.params.Tol)
	st.Mode, st.Updated = DistressFull, len(p)
	return d, st, err
}

// eval returns F(x)_j.
func (pr *Propagator) eval(j int32, p, x []float64) float64 {
	lo, hi := pr.tStart[j], pr.tStart[j+1]
	prod := factors(pr.tNbr[lo:hi], pr.tCoef[lo:hi], x)
	return p[j] + (1-p[j])*(1-prod)
}

// factors returns Π (1 − coef[k]·x[nbr[k]]) as the product of two partial
// products, of the even and of the odd terms: two independent multiply
// chains halve the loop's latency bound (rounding as for any product order:
// ≤ len·2⁻⁵³ relative).
func factors(nbr []int32, coef []float64, x []float64) float64 {
	coef = coef[:len(nbr)]
	p0, p1 := 1.0, 1.0
	k := 0
	for ; k+1 < len(nbr); k += 2 {
		p0 *= 1 - coef[k]*x[nbr[k]]
		p1 *= 1 - coef[k+1]*x[nbr[k+1]]
	}
	if k < len(nbr) {
		p0 *= 1 - coef[k]*x[nbr[k]]
	}
	return p0 * p1
}

// sweep sets dst[j] = F(src)_j for firms [lo, hi) and returns max |Δ|.
func (pr *Propagator) sweep(lo, hi int32, p, src, dst []float64) float64 {
	ts := pr.tStart[lo : hi+1]
	nbr, coef := pr.tNbr, pr.tCoef
	var res float64
	for k := range hi - lo {
		a, b := ts[k], ts[k+1]
		// factors, inlined: two product chains.
		nb, cf := nbr[a:b], coef[a:b]
		cf = cf[:len(nb)]
		p0, p1 := 1.0, 1.0
		t := 0
		for ; t+1 < len(nb); t += 2 {
			p0 *= 1 - cf[t]*src[nb[t]]
			p1 *= 1 - cf[t+1]*src[nb[t+1]]
		}
		if t < len(nb) {
			p0 *= 1 - cf[t]*src[nb[t]]
		}
		j := lo + k
		pj := p[j]
		v := pj + (1-pj)*(1-p0*p1)
		if r := math.Abs(v - src[j]); r > res { // v is never NaN
			res = r
		}
		dst[j] = v
	}
	return res
}

// jacobi iterates d ← F(d) from x0 over nodes (nil: all firms), holding the
// other firms fixed, until max |Δd| ≤ tol or MaxIter sweeps. It owns x0.
func (pr *Propagator) jacobi(ctx context.Context, nodes []int32, p, x0 []float64, tol float64) ([]float64, DistressStats, error) {
	src, dst := x0, slices.Clone(x0)
	var st DistressStats
	bounds := pr.bounds
	if nodes != nil {
		bounds = listBounds(len(nodes), 8*pr.workers)
	}
	for st.Iterations < pr.params.MaxIter {
		if err := ctx.Err(); err != nil {
			return nil, st, fmt.Errorf("distress: %w", err)
		}
		st.Iterations++
		st.Residual = pr.forChunks(bounds, func(_ int, lo, hi int32) float64 {
			if nodes == nil {
				return pr.sweep(lo, hi, p, src, dst)
			}
			var res float64
			for k := lo; k < hi; k++ {
				j := k
				if nodes != nil {
					j = nodes[k]
				}
				v := pr.eval(j, p, src)
				res = max(res, math.Abs(v-src[j]))
				dst[j] = v
			}
			return res
		})
		src, dst = dst, src
		if st.Residual <= tol {
			st.Converged = true
			break
		}
	}
	return src, st, nil
}

// listBounds splits [0, n) into about k equal ranges.
func listBounds(n, k int) []int32 {
	k = max(1, min(k, n))
	b := make([]int32, k+1)
	for i := range b {
		b[i] = int32(int64(n) * int64(i) / int64(k))
	}
	return b
}

// forChunks runs fn(i, bounds[i], bounds[i+1]) for every chunk i on the
// propagator's workers and returns the maximum of fn's results.
func (pr *Propagator) forChunks(bounds []int32, fn func(i int, lo, hi int32) float64) float64 {
	chunks := len(bounds) - 1
	if pr.workers == 1 || chunks <= 1 {
		var res float64
		for i := range chunks {
			res = max(res, fn(i, bounds[i], bounds[i+1]))
		}
		return res
	}
	var next atomic.Int64
	results := make([]float64, pr.workers)
	var wg sync.WaitGroup
	for w := range pr.workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= chunks {
					return
				}
				results[w] = max(results[w], fn(i, bounds[i], bounds[i+1]))
			}
		})
	}
	wg.Wait()
	return slices.Max(results)
}
