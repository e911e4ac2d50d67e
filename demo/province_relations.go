package demo

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/chainrisk/chainrisk/credit"
)

// Degree distributions. A firm's number of suppliers follows a Lomax (Pareto II) law
// with tail index inAlpha; a leader's follows a Pareto law with index leaderAlpha from
// leaderMinFactor × EdgesPerFirm; suppliers are drawn in proportion to a Pareto
// weight with index outAlpha (a Chung–Lu graph), leaders' weights multiplied by
// leaderOutFactor. Both degree sequences are heavy-tailed; cycles abound.
const (
	inAlpha         = 2.5
	leaderAlpha     = 1.6
	leaderMinFactor = 40
	outAlpha        = 1.8
	leaderOutFactor = 30
)

// alias is Vose's alias table for drawing firms in proportion to their weights.
type alias struct {
	prob  []float32
	alias []int32
}

func newAlias(w []float64) alias {
	n := len(w)
	a := alias{prob: make([]float32, n), alias: make([]int32, n)}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	small, large := make([]int32, 0, n), make([]int32, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = float32(scaled[s]), l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i], a.alias[i] = 1, i
	}
	for _, i := range small {
		a.prob[i], a.alias[i] = 1, i
	}
	return a
}

func (a alias) draw(rng *rand.Rand) int {
	i := rng.IntN(len(a.prob))
	if rng.Float32() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// relations draws the supply graph and the purchase shares, and sets revenues so that
// every supplier's sales inside the province fit into its revenue.
func (g *province) relations() {
	n, k := g.n, g.opts.EdgesPerFirm
	maxIn := min(n/8, 250_000) // distinct suppliers stay cheap to draw; shares stay ≥ 1e-6
	inDeg := make([]int32, n)
	total := 0
	for j := 0; j < g.leaders; j++ {
		d := int(leaderMinFactor * k * g.pareto(leaderAlpha))
		inDeg[j] = int32(min(d, maxIn))
		total += int(inDeg[j])
	}
	if rest := k*float64(n) - float64(total); rest > 0 && n > g.leaders {
		xm := rest / float64(n-g.leaders) * (inAlpha - 1) // Lomax mean is xm/(α−1)
		for j := g.leaders; j < n; j++ {
			d := int(xm*(g.pareto(inAlpha)-1) + g.rng.Float64())
			inDeg[j] = int32(min(d, maxIn))
		}
	}

	weights := make([]float64, n)
	wsum := 0.0
	for i := range weights {
		weights[i] = g.pareto(outAlpha)
		if i < g.leaders {
			weights[i] *= leaderOutFactor
		}
		wsum += weights[i]
	}
	for i := range weights { // no supplier expects more than 2 % of all relations
		weights[i] = min(weights[i], 0.02*wsum)
	}
	pick := newAlias(weights)
	weights = nil

	g.off = make([]int, n+1)
	for j := 0; j < n; j++ {
		g.off[j+1] = g.off[j] + int(inDeg[j])
	}
	m := g.off[n]
	g.sup = make([]int32, m)
	g.psMicro = make([]int32, m)
	g.outDeg = make([]int32, n)
	outAmount := make([]float64, n)
	mark := make([]int32, n) // mark[i] == j+1: i already supplies j
	split := make([]float64, 0, 64)
	for j := 0; j < n; j++ {
		lo, hi := g.off[j], g.off[j+1]
		if lo == hi {
			continue
		}
		for e := lo; e < hi; e++ {
			for tries := 0; ; tries++ {
				var s int
				if tries < 32 {
					s = pick.draw(g.rng)
				} else { // a customer of the biggest hubs: fall back to uniform
					s = g.rng.IntN(n)
				}
				if s != j && mark[s] != int32(j+1) {
					mark[s] = int32(j + 1)
					g.sup[e] = int32(s)
					break
				}
			}
		}
		// Purchase shares: a total T < 1 split Dirichlet(1)-wise, in millionths with
		// at least one each, so that the sum never exceeds T.
		t := 0.3 + 0.6*g.rng.Float64()
		if j < g.leaders {
			t = 0.75 + 0.17*g.rng.Float64()
		}
		split = split[:0]
		sum := 0.0
		for e := lo; e < hi; e++ {
			x := g.rng.ExpFloat64()
			split = append(split, x)
			sum += x
		}
		budget := t*micro - float64(hi-lo)
		purchases := 0.7 * float64(g.baseRev[j])
		for i, x := range split {
			e := lo + i
			ps := 1 + int32(budget*x/sum)
			g.psMicro[e] = ps
			s := g.sup[e]
			g.outDeg[s]++
			outAmount[s] += float64(ps) / micro * purchases
		}
	}
	g.rev = make([]float64, n)
	for i := range g.rev {
		inside := 0.4 + 0.55*g.rng.Float64()
		g.rev[i] = max(float64(g.baseRev[i]), outAmount[i]/inside)
	}
}

// appendMicro appends v millionths as a decimal: 1, 0.25, 0.000001.
func appendMicro(b []byte, v int32) []byte {
	if v >= micro {
		return append(b, '1')
	}
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	end := 6
	for end > 1 && d[end-1] == '0' {
		end--
	}
	b = append(b, '0', '.')
	return append(b, d[:end]...)
}

func (g *province) writeRelations(w *countingWriter) {
	w.write([]byte(csvHeader[credit.KindRelations]))
	for j := 0; j < g.n; j++ {
		purchases := 0.7 * float64(g.baseRev[j])
		for e := g.off[j]; e < g.off[j+1]; e++ {
			s := int(g.sup[e])
			ps := g.psMicro[e]
			amount := float64(ps) / micro * purchases
			// Sales shares in millionths: Σ over a supplier's customers stays ≤ 1
			// because its sales inside the province are at most 95 % of its revenue.
			ss := 1 + int32(amount/g.rev[s]*float64(micro-g.outDeg[s]))
			subst := 5 + g.rng.IntN(91) // hundredths, 0.05–0.95
			b := append(g.buf[:0], g.usccOf(s)...)
			b = append(b, ',')
			b = append(b, g.usccOf(j)...)
			b = append(b, ',')
			b = appendMicro(b, ps)
			b = append(b, ',')
			b = appendMicro(b, min(ss, micro))
			b = append(b, ',', '0', '.', byte('0'+subst/10), byte('0'+subst%10), ',')
			if g.rng.IntN(10) != 0 {
				b = strconv.AppendInt(b, int64(math.Round(amount/1e4))*1e4, 10)
			}
			b = append(b, ',')
			b = append(b, provinceIndustries[g.industry[s]].product...)
			b = append(b, ',')
			b = append(b, g.date(-30-g.rng.IntN(provinceContractDays-30))...)
			b = append(b, ',')
			if g.rng.IntN(5) == 0 {
				b = append(b, g.date(30+g.rng.IntN(provinceFutureDays-30))...)
			}
			b = append(b, '\n')
			w.write(b)
			g.buf = b
		}
	}
}
