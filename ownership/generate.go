package ownership

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GenOptions shape a synthetic registry (Generate).
type GenOptions struct {
	Firms int
	Seed  uint64
	// FirmID names firm i, 0 ≤ i < Firms, so that the holdings line up with
	// generated enterprises; nil gives 18-character USCC-shaped ids whose
	// check character is not computed.
	FirmID func(i int) string
}

// Generated is a synthetic registry's input.
type Generated struct {
	Holdings  []Holding
	LegalReps []LegalRep
	// GroupParents are the group holding companies, largest group first.
	GroupParents []string
}

// Shape of the synthetic registry. About a quarter of the firms belong to
// groups: a holding company with subsidiaries two to four levels deep,
// Pareto-sized (a few thousand firms at most); the rest stand alone with
// one to three holders, mostly natural persons. Some persons (a "serial"
// pool drawn with a Zipf law) hold many small firms; a few firms hold each
// other (subsidiaries in their parent, pairs of standalone firms), so the
// registry has cycles. Every firm's shares sum to at most 1.
const (
	genGroupFraction  = 0.25
	genPersonsPerFirm = 0.6
	genSerialPicks    = 0.03 // fraction of person picks from the serial pool
	genCrossHoldings  = 0.01 // fraction of subsidiaries holding an ancestor
	genMutualPairs    = 0.002
)

type generator struct {
	rng     *rand.Rand
	id      func(int) string
	firmIDs []string
	persons []string // person keys, made on first pick
	serial  *rand.Zipf
	room    []float64 // per firm, capital not yet allotted
	first   []int32   // per firm, the position of its first holding, −1 when none yet
	late    map[[2]string]bool
	out     Generated
}

// Generate returns a deterministic synthetic registry of o.Firms firms and
// about 1.5 holdings per firm: the same options give the same output.
func Generate(o GenOptions) (Generated, error) {
	if o.Firms < 1 || o.Firms > 100_000_000 {
		return Generated{}, fmt.Errorf("ownership: generate: firms %d outside [1, 100000000]", o.Firms)
	}
	g := &generator{rng: rand.New(rand.NewPCG(o.Seed, 0x0ec0ffee)), id: o.FirmID, late: map[[2]string]bool{}}
	if g.id == nil {
		g.id = func(i int) string { return fmt.Sprintf("91230100MA%08d", i) }
	}
	n := o.Firms
	g.firmIDs = make([]string, n)
	for i := range n {
		g.firmIDs[i] = g.id(i)
	}
	g.persons = make([]string, max(1, int(genPersonsPerFirm*float64(n))))
	nSerial := max(1, len(g.persons)/500)
	g.serial = rand.NewZipf(g.rng, 1.3, 10, uint64(nSerial-1))
	g.room = make([]float64, n)
	g.first = make([]int32, n)
	for i := range n {
		g.room[i], g.first[i] = 1, -1
	}
	g.out.Holdings = make([]Holding, 0, n*3/2+n/8)
	g.out.LegalReps = make([]LegalRep, 0, n)
	grouped := g.groups(int(genGroupFraction * float64(n)))
	for f := grouped; f < n; f++ {
		g.standalone(f)
	}
	g.mutualPairs(grouped, n)
	return g.out, nil
}

func (g *generator) person(i int) string {
	if g.persons[i] == "" {
		g.persons[i] = fmt.Sprintf("p%08d", i)
	}
	return g.persons[i]
}

// pickPerson draws a person: mostly uniform, sometimes from the serial pool.
func (g *generator) pickPerson() string {
	if g.rng.Float64() < genSerialPicks {
		return g.person(int(g.serial.Uint64()))
	}
	return g.person(g.rng.IntN(len(g.persons)))
}

// share draws a share in [lo, hi] of what is left of firm f's capital,
// floored to four decimals (so that sums stay ≤ 1), or 0 when too little is left.
func (g *generator) share(f int, lo, hi float64) float64 {
	x := math.Floor((lo+(hi-lo)*g.rng.Float64())*g.room[f]*1e4) / 1e4
	if x < 1e-4 {
		return 0
	}
	return x
}

// hold records that holder holds x of firm f, unless x is 0 or the pair
// exists. A firm's holdings are contiguous but for the late ones (cross
// and mutual holdings), which are few and kept in a set.
func (g *generator) hold(holder string, kind Kind, f int, x float64) bool {
	if x <= 0 || x > g.room[f] {
		return false
	}
	inv := g.firmIDs[f]
	if g.first[f] >= 0 {
		for _, h := range g.out.Holdings[g.first[f]:] {
			if h.Investee != inv {
				break
			}
			if h.Holder == holder && h.HolderKind == kind {
				return false
			}
		}
	}
	switch {
	case g.first[f] < 0:
		g.first[f] = int32(len(g.out.Holdings))
	case g.out.Holdings[len(g.out.Holdings)-1].Investee != inv:
		k := [2]string{kind.String() + ":" + holder, inv}
		if g.late[k] {
			return false
		}
		g.late[k] = true
	}
	g.out.Holdings = append(g.out.Holdings, Holding{Holder: holder, HolderKind: kind, Investee: inv, Share: x})
	g.room[f] -= x
	return true
}

// standalone gives firm f one to three holders, mostly persons, and a legal
// representative (usually its largest personal holder).
func (g *generator) standalone(f int) {
	k := 1
	if u := g.rng.Float64(); u < 0.1 {
		k = 3
	} else if u < 0.4 {
		k = 2
	}
	best, bestShare := "", 0.0
	for i := range k {
		lo, hi := 0.2, 0.9
		if i == k-1 && g.rng.IntN(3) > 0 {
			lo, hi = 1, 1 // the last holder takes the rest
		}
		x := g.share(f, lo, hi)
		if g.rng.Float64() < 0.15 {
			if h := g.rng.IntN(len(g.firmIDs)); h != f {
				g.hold(g.firmIDs[h], Firm, f, x)
			}
			continue
		}
		p := g.pickPerson()
		if g.hold(p, Person, f, x) && x > bestShare {
			best, bestShare = p, x
		}
	}
	switch u := g.rng.Float64(); {
	case u < 0.07:
	case u < 0.8 && best != "":
		g.out.LegalReps = append(g.out.LegalReps, LegalRep{g.firmIDs[f], best})
	default:
		g.out.LegalReps = append(g.out.LegalReps, LegalRep{g.firmIDs[f], g.pickPerson()})
	}
}
