package risk

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chainrisk/chainrisk/graph"
)

// Essentiality says how much a buying sector needs the inputs of a supplying
// sector (docs/models.md).
type Essentiality uint8

const (
	// EssIrrelevant inputs do not constrain production.
	EssIrrelevant Essentiality = 0
	// EssLinear inputs reduce production in proportion to their loss.
	EssLinear Essentiality = 1
	// EssEssential inputs limit production Leontief-style: the firm keeps at
	// most the share of the sector's inputs it still receives.
	EssEssential Essentiality = 2
)

// DefaultESRIEps is the convergence threshold used when ESRIInput.Eps is 0.
const DefaultESRIEps = 1e-2

// esriCheckEvery is how many steps of one cascade run between looks at the
// context, so that a slow cascade still ends promptly when it is cancelled.
const esriCheckEvery = 256

// ESRIInput is the production network and the parameters of an ESRI run.
// Per-firm slices are indexed like Network's nodes.
type ESRIInput struct {
	// Network holds the amounts W_ij supplied by firm i to firm j.
	Network *graph.Network
	// Sectors gives every firm's sector (required, non-empty).
	Sectors []string
	// Ess returns ess[k][l] for supplying sector k and buying sector l;
	// nil means EssLinear everywhere (the documented default).
	Ess func(supplierSector, customerSector string) Essentiality
	// Revenue (optional) replaces the out-strength as the denominator of
	// Λu; NaN marks a firm whose revenue is unknown.
	Revenue []float64
	// Costs (optional) scale Λd_ij by s_j^in/costs_j; NaN marks unknown.
	Costs []float64
	// Markets (optional) turns replaceability on: firms of one market can
	// replace each other's supplies. "" puts a firm in no market (σ = 1).
	Markets []string
	// Eps is the convergence threshold (0: DefaultESRIEps).
	Eps float64
	// MaxSteps bounds the update steps of one cascade; 0 means no bound, like
	// the reference implementation (GLcascade), whose loop runs until
	// convergence. A cascade that reaches the bound is reported with
	// Converged false, never as an error.
	MaxSteps int
}

// ESRIResult is the systemic importance of one firm.
type ESRIResult struct {
	Firm string `json:"firm"`
	// ESRI is the share of the network's output lost when Firm fails,
	// using min(h^d, h^u); ESRId and ESRIu use h^d and h^u alone.
	ESRI  float64 `json:"esri"`
	ESRId float64 `json:"esri_d"`
	ESRIu float64 `json:"esri_u"`
	// Iterations is the number of update steps run, counting the one that
	// found convergence.
	Iterations int `json:"iterations"`
	// Converged is false when the cascade stopped at ESRIInput.MaxSteps with h
	// still dropping by more than Eps. The cascade only ever lowers h, so the
	// indices of such a firm are lower bounds of its converged ones.
	Converged bool `json:"converged"`
	// Residual is the largest drop of any h^d or h^u in the last step run:
	// at most Eps when Converged.
	Residual float64 `json:"residual"`
}

// NodeError is a problem with one firm's input data, so that callers reading
// files can point at the offending row.
type NodeError struct {
	Field  string // "revenue", "costs", "sector", ...
	Node   string
	Reason string
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("%s of %q: %s", e.Field, e.Node, e.Reason)
}

// NodeErrors is every per-firm problem found in one input.
type NodeErrors []*NodeError

func (es NodeErrors) Error() string {
	msgs := make([]string, len(es))
	for k, e := range es {
		msgs[k] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.As find each *NodeError.
func (es NodeErrors) Unwrap() []error {
	out := make([]error, len(es))
	for k, e := range es {
		out[k] = e
	}
	return out
}

// esriScratch is one worker's state, allocated once and reused per firm.
type esriScratch struct {
	hd, hu, hdNext, huNext, sigma, avail []float64
}

func newESRIScratch(m *esriModel) *esriScratch {
	s := &esriScratch{
		hd: make([]float64, m.n), hu: make([]float64, m.n),
		hdNext: make([]float64, m.n), huNext: make([]float64, m.n),
		sigma: make([]float64, m.n), avail: make([]float64, m.nMkt),
	}
	for i := range s.sigma {
		s.sigma[i] = 1
	}
	return s
}

// run computes the ESRI of firm f: ψ_f = 0, ψ_j = 1 otherwise, Jacobi
// updates of h^d and h^u from the previous step until no h drops by more
// than eps, or until m.max steps. Only a cancelled ctx is an error.
//
// Every update is a monotone function of the previous step's h, and so is
// its floating-point evaluation (rounding is monotone), so h never rises. Each
// step but the last lowers some h by more than eps, and the 2n values of h^d
// and h^u start at most 1 and stay at least 0: the cascade ends within 2n/eps
// + 1 steps (the replaceability rule taking A_m ≤ 1e-10 as 1 is the one jump,
// as in the reference). Within that, how many it takes is the network's affair (a few at
// eps 1e-2, up to millions at 1e-12), which is why there is no bound unless the
// caller sets one.
func (m *esriModel) run(ctx context.Context, f int, s *esriScratch) (ESRIResult, error) {
	hd, hu, hdNext, huNext := s.hd, s.hu, s.hdNext, s.huNext
	for j := range m.n {
		hd[j], hu[j] = 1, 1
	}
	hd[f], hu[f] = 0, 0
	steps := 0
	var drop float64
	converged := false
	for m.max == 0 || steps < m.max {
		if steps%esriCheckEvery == esriCheckEvery-1 {
			if err := ctx.Err(); err != nil {
				return ESRIResult{}, fmt.Errorf("esri: firm %q: %w", m.net.ID(f), err)
			}
		}
		steps++
		if m.nMkt > 0 {
			m.replaceability(hd, s)
		}
		drop = 0
		for j := range m.n {
			var next float64 // ψ_f = 0 caps the failing firm
			if j != f {
				next = m.downstream(j, hd, s.sigma)
			}
			hdNext[j] = next
			drop = max(drop, hd[j]-next)
		}
		for i := range m.n {
			var next float64
			if i != f {
				loss := 0.0
				for e := m.outOff[i]; e < m.outOff[i+1]; e++ {
					loss += m.lamU[e] * (1 - hu[m.outDst[e]])
				}
				next = max(0, min(1, 1-loss))
			}
			huNext[i] = next
			drop = max(drop, hu[i]-next)
		}
		hd, hdNext = hdNext, hd
		hu, huNext = huNext, hu
		if drop <= m.eps {
			converged = true
			break
		}
	}
	// Keep the scratch buffers owned by s whichever way they were swapped.
	s.hd, s.hdNext, s.hu, s.huNext = hd, hdNext, hu, huNext

	res := ESRIResult{Firm: m.net.ID(f), Iterations: steps, Converged: converged, Residual: drop}
	for j := range m.n {
		if m.w[j] == 0 {
			continue
		}
		res.ESRI += m.w[j] * (1 - min(hd[j], hu[j]))
		res.ESRId += m.w[j] * (1 - hd[j])
		res.ESRIu += m.w[j] * (1 - hu[j])
	}
	return res, nil
}

// downstream is h^d_j(t+1) for ψ_j = 1:
// max(0, min(min_{k: ess=2} Π_jk, 1 − Σ_{k: ess=1} (1 − Π_jk), 1)).
func (m *esriModel) downstream(j int, hd, sigma []float64) float64 {
	essential, linearLoss := 1.0, 0.0
	start := m.inOff[j]
	for g := m.grpOff[j]; g < m.grpOff[j+1]; g++ {
		end := m.grpEnd[g]
		var loss float64 // 1 − Π_jk
		for e := start; e < end; e++ {
			i := m.inSrc[e]
			loss += m.lamD[e] * sigma[i] * (1 - hd[i])
		}
		if m.grpEss[g] == EssEssential {
			essential = min(essential, 1-loss)
		} else {
			linearLoss += loss
		}
		start = end
	}
	return max(0, min(essential, 1-linearLoss, 1))
}

// replaceability sets σ_i = min(1, s_i^out / A_m) with
// A_m = Σ_{l∈m} h^d_l s_l^out (taken as 1 when ≤ 1e-10); σ = 1 outside markets.
func (m *esriModel) replaceability(hd []float64, s *esriScratch) {
	clear(s.avail)
	for l, k := range m.market {
		if k >= 0 {
			s.avail[k] += hd[l] * m.sOut[l]
		}
	}
	for i, k := range m.market {
		if k < 0 {
			continue
		}
		a := s.avail[k]
		if a <= 1e-10 {
			a = 1
		}
		s.sigma[i] = min(1, m.sOut[i]/a)
	}
}

// ESRI computes the Economic Systemic Risk Index (Diem et al. 2022; docs/models.md)
// of one firm.
func ESRI(ctx context.Context, in ESRIInput, firm string) (ESRIResult, error) {
	m, err := newESRIModel(in)
	if err != nil {
		return ESRIResult{}, err
	}
	f, ok := in.Network.Index(firm)
	if !ok {
		return ESRIResult{}, fmt.Errorf("esri: unknown firm %q", firm)
	}
	if err := ctx.Err(); err != nil {
		return ESRIResult{}, fmt.Errorf("esri: %w", err)
	}
	return m.run(ctx, f, newESRIScratch(m))
}

// ESRIAll computes the ESRI of every firm, one cascade per firm, on workers
// goroutines (≤ 0: GOMAXPROCS), each with scratch allocated once. Results are
// in node index order; a firm stopped by MaxSteps is among them, flagged. The
// error is a bad input or a cancelled ctx.
func ESRIAll(ctx context.Context, in ESRIInput, workers int) ([]ESRIResult, error) {
	m, err := newESRIModel(in)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, m.n))
	out := make([]ESRIResult, m.n)
	var (
		next     atomic.Int64
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	for range workers {
		wg.Go(func() {
			s := newESRIScratch(m)
			for !failed.Load() {
				f := int(next.Add(1) - 1)
				if f >= m.n {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(fmt.Errorf("esri: %w", err))
					return
				}
				r, err := m.run(ctx, f, s)
				if err != nil {
					fail(err)
					return
				}
				out[f] = r
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
