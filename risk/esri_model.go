package risk

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/chainrisk/chainrisk/graph"
)

// esriModel is the precomputed cascade of docs/models.md: the flat arrays every
// run reads, independent of the failing firm.
//
// Downstream (h^d) a firm pulls from its in-edges, grouped by the supplier's
// sector so that Π_jk is one contiguous sum: groups of firm j are
// grpEnd[grpOff[j]:grpOff[j+1]], group g spans in-edges
// [start, grpEnd[g]) with start the previous group's end (or inOff[j]).
// Edges of EssIrrelevant sectors and zero amounts are dropped: Λd = 0.
// Upstream (h^u) a firm pulls from its out-edges (its customers).
type esriModel struct {
	n      int
	net    *graph.Network
	inOff  []int
	inSrc  []int32
	lamD   []float64
	grpOff []int
	grpEnd []int
	grpEss []Essentiality
	outOff []int
	outDst []int32
	lamU   []float64
	sOut   []float64
	w      []float64 // s^out / Σ s^out
	market []int32   // -1: no market
	nMkt   int
	eps    float64
	max    int // 0: no bound
}

// newESRIModel validates the input and precomputes Λd, Λu and the weights.
//
// Decisions beyond the model's equations (also in docs/models.md):
//   - An essential sector k from which firm j buys nothing (B_jk = 0) puts no
//     constraint on j: Π_jk is an empty sum, 1.
//   - A firm with zero in-strength keeps h^d = ψ; one with zero out-strength
//     keeps h^u = ψ and has weight 0, so its own loss does not count, but its
//     failure still hurts its suppliers and customers.
//   - The failing firm's own term w_i·1 is part of ESRI_i: a firm that hurts
//     nobody else still removes its own output.
//   - Self-loops are rejected when the Network is built.
//   - Revenue below the out-strength, or costs below the in-strength, are
//     errors: they would make Λ sums exceed 1, i.e. a firm losing more than
//     everything it sells or buys.
func newESRIModel(in ESRIInput) (*esriModel, error) {
	net := in.Network
	if net == nil {
		return nil, errors.New("esri: no network")
	}
	n := net.Len()
	m := &esriModel{n: n, net: net, eps: in.Eps, max: in.MaxSteps}
	if m.eps == 0 {
		m.eps = DefaultESRIEps
	}
	if err := m.check(in); err != nil {
		return nil, err
	}
	sector, sectorName := denseIDs(in.Sectors)
	m.market, m.nMkt = make([]int32, n), 0
	if in.Markets != nil {
		m.market, m.nMkt = marketIDs(in.Markets)
	} else {
		for i := range m.market {
			m.market[i] = -1
		}
	}
	sIn, err := m.strengths()
	if err != nil {
		return nil, err
	}
	costs, revenue, err := m.denominators(in, sIn)
	if err != nil {
		return nil, err
	}
	m.upstream(revenue)
	ess := essentialities(in.Ess, sectorName)
	if err := m.downstreamGroups(sector, ess, sIn, costs, in.Costs); err != nil {
		return nil, err
	}
	return m, nil
}

// check validates the parameters and the lengths of the per-firm slices.
func (m *esriModel) check(in ESRIInput) error {
	n := m.n
	if math.IsNaN(m.eps) || m.eps <= 0 || m.eps >= 1 {
		return fmt.Errorf("esri: eps %v is outside (0, 1)", in.Eps)
	}
	if m.max < 0 {
		return fmt.Errorf("esri: max steps %d is negative", in.MaxSteps)
	}
	if len(in.Sectors) != n {
		return fmt.Errorf("esri: %d sectors for %d firms", len(in.Sectors), n)
	}
	for i, s := range in.Sectors {
		if s == "" {
			return &NodeError{Field: "sector", Node: m.net.ID(i), Reason: "missing"}
		}
	}
	for _, opt := range []struct {
		name string
		vals []float64
	}{{"revenue", in.Revenue}, {"costs", in.Costs}} {
		if opt.vals != nil && len(opt.vals) != n {
			return fmt.Errorf("esri: %d %s values for %d firms", len(opt.vals), opt.name, n)
		}
	}
	if in.Markets != nil && len(in.Markets) != n {
		return fmt.Errorf("esri: %d markets for %d firms", len(in.Markets), n)
	}
	return nil
}

// denseIDs numbers names in order of first appearance: ids[i] is names[i]'s
// number, distinct[k] the name numbered k.
func denseIDs(names []string) (ids []int32, distinct []string) {
	ids = make([]int32, len(names))
	index := map[string]int32{}
	for i, s := range names {
		k, ok := index[s]
		if !ok {
			k = int32(len(distinct))
			index[s] = k
			distinct = append(distinct, s)
		}
		ids[i] = k
	}
	return ids, distinct
}

// marketIDs numbers the markets like denseIDs, with −1 for a firm in no market ("").
func marketIDs(markets []string) ([]int32, int) {
	ids := make([]int32, len(markets))
	index := map[string]int32{}
	for i, mk := range markets {
		ids[i] = -1
		if mk == "" {
			continue
		}
		k, ok := index[mk]
		if !ok {
			k = int32(len(index))
			index[mk] = k
		}
		ids[i] = k
	}
	return ids, len(index)
}

// essentialities returns the lookup of sector pairs' essentiality by dense sector
// ids, asking ess (nil: EssLinear everywhere) once per pair that trades.
func essentialities(ess func(supplierSector, customerSector string) Essentiality, sectorName []string) func(k, l int32) (Essentiality, error) {
	type pair struct{ k, l int32 }
	known := map[pair]Essentiality{}
	return func(k, l int32) (Essentiality, error) {
		if e, ok := known[pair{k, l}]; ok {
			return e, nil
		}
		e := EssLinear
		if ess != nil {
			e = ess(sectorName[k], sectorName[l])
		}
		if e > EssEssential {
			return 0, fmt.Errorf("esri: essentiality of %q for %q is %d, want 0, 1 or 2", sectorName[k], sectorName[l], e)
		}
		known[pair{k, l}] = e
		return e, nil
	}
}

// strengths sets the out-strengths and the weights w and returns the in-strengths.
func (m *esriModel) strengths() ([]float64, error) {
	net := m.net
	m.sOut = make([]float64, m.n)
	sIn := make([]float64, m.n)
	var total float64
	for i := range m.n {
		dst, w := net.Out(i)
		for e, x := range w {
			m.sOut[i] += x
			sIn[dst[e]] += x
		}
		total += m.sOut[i]
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("esri: total amount in the network is %v, want a positive finite number", total)
	}
	m.w = make([]float64, m.n)
	for i, s := range m.sOut {
		m.w[i] = s / total
	}
	return sIn, nil
}

// denominators returns each firm's costs and revenue: the given values, or its
// in- and out-strength where none is given (nil or NaN). Every bad value is reported.
func (m *esriModel) denominators(in ESRIInput, sIn []float64) (costs, revenue []float64, err error) {
	var bad NodeErrors
	scale := func(name string, vals []float64, i int, strength float64) float64 {
		if vals == nil || math.IsNaN(vals[i]) {
			return strength
		}
		x := vals[i]
		switch {
		case math.IsInf(x, 0) || x < 0:
			bad = append(bad, &NodeError{Field: name, Node: m.net.ID(i), Reason: fmt.Sprintf("%v is not a finite non-negative number", x)})
		case x < strength*(1-1e-9):
			bad = append(bad, &NodeError{Field: name, Node: m.net.ID(i), Reason: fmt.Sprintf("%v is below the firm's amount in the network (%v)", x, strength)})
		}
		return x
	}
	costs = make([]float64, m.n)
	revenue = make([]float64, m.n)
	for i := range m.n {
		costs[i] = scale("costs", in.Costs, i, sIn[i])
		revenue[i] = scale("revenue", in.Revenue, i, m.sOut[i])
	}
	if len(bad) > 0 {
		return nil, nil, fmt.Errorf("esri: %w", bad)
	}
	return costs, revenue, nil
}

// upstream sets Λu_ij = W_ij / revenue_i on i's out-edges (revenue > 0 whenever
// i has a positive amount, by the check of denominators).
func (m *esriModel) upstream(revenue []float64) {
	m.outOff = make([]int, m.n+1)
	for i := range m.n {
		dst, w := m.net.Out(i)
		for e, x := range w {
			if x > 0 {
				m.outDst = append(m.outDst, dst[e])
				m.lamU = append(m.lamU, x/revenue[i])
			}
		}
		m.outOff[i+1] = len(m.outDst)
	}
}

// downstreamGroups sets Λd on each firm's in-edges, grouped by supplier sector;
// for a firm whose costs are given (not nil or NaN), Λd_ij is scaled by
// s_j^in/costs_j.
func (m *esriModel) downstreamGroups(sector []int32, ess func(k, l int32) (Essentiality, error),
	sIn, costs, given []float64) error {
	tr := m.net.Transpose()
	m.inOff = make([]int, m.n+1)
	m.grpOff = make([]int, m.n+1)
	var row []esriInEdge
	for j := range m.n {
		src, w := tr.Out(j)
		row = row[:0]
		for e, x := range w {
			if x > 0 {
				row = append(row, esriInEdge{src[e], x})
			}
		}
		slices.SortStableFunc(row, func(a, b esriInEdge) int { return cmp.Compare(sector[a.src], sector[b.src]) })
		mult := 1.0
		if given != nil && !math.IsNaN(given[j]) {
			mult = sIn[j] / costs[j]
		}
		for a := 0; a < len(row); {
			k := sector[row[a].src]
			b := a
			var sum float64 // B_jk
			for b < len(row) && sector[row[b].src] == k {
				sum += row[b].w
				b++
			}
			e, err := ess(k, sector[j])
			if err != nil {
				return err
			}
			if e != EssIrrelevant {
				m.addGroup(row[a:b], e, sum, sIn[j], mult)
			}
			a = b
		}
		m.inOff[j+1] = len(m.inSrc)
		m.grpOff[j+1] = len(m.grpEnd)
	}
	return nil
}

// esriInEdge is one in-edge of a firm with a positive amount.
type esriInEdge struct {
	src int32
	w   float64
}

// addGroup appends one supplier sector's in-edges of a firm: Λd over the firm's
// in-strength, or over the sector's sum B_jk when the sector is essential.
func (m *esriModel) addGroup(edges []esriInEdge, e Essentiality, sum, sIn, mult float64) {
	denom := sIn
	if e == EssEssential {
		denom = sum
	}
	for _, r := range edges {
		m.inSrc = append(m.inSrc, r.src)
		m.lamD = append(m.lamD, r.w/denom*mult)
	}
	m.grpEnd = append(m.grpEnd, len(m.inSrc))
	m.grpEss = append(m.grpEss, e)
}
