package ownership

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomHoldings draws holdings among n firms F0… and n/2 persons P0…, each
// firm with 0–3 holders whose shares sum to at most 1. Acyclic: a firm is
// held only by firms of lower number, so the longest path has < n links.
func randomHoldings(rng *rand.Rand, n int, acyclic bool) []Holding {
	var hs []Holding
	for f := range n {
		k := rng.IntN(4)
		room := 1.0
		seen := map[string]bool{}
		for range k {
			var h Holding
			if rng.IntN(3) == 0 {
				h = ph(fmt.Sprintf("P%d", rng.IntN(n/2+1)), fmt.Sprintf("F%d", f), 0)
			} else {
				limit := n
				if acyclic {
					limit = f
				}
				if limit == 0 {
					continue
				}
				g := rng.IntN(limit)
				if g == f {
					continue
				}
				h = fh(fmt.Sprintf("F%d", g), fmt.Sprintf("F%d", f), 0)
			}
			if seen[h.Holder+h.HolderKind.String()] {
				continue
			}
			seen[h.Holder+h.HolderKind.String()] = true
			h.Share = room * (0.1 + 0.9*rng.Float64())
			if rng.IntN(4) == 0 {
				h.Share = room // the rest: shares summing to exactly 1
			}
			room -= h.Share
			if h.Share <= 0 {
				continue
			}
			hs = append(hs, h)
		}
	}
	return hs
}

// On acyclic registries, the capital of T traced up to the holders that
// have no holders themselves is all of T's known capital, through every
// level: Σ_top penetrated(top, T) = K(T), where K(T) = Σ_h share(h, T) ·
// (h has no holders ? 1 : K(h)) is computed independently by memoised
// recursion over the holdings list.
func TestPropertyTopHoldersCarryKnownCapital(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	deep := 0 // firms checked whose longest path into them has 3 links or more
	for iter := range 200 {
		n := 2 + rng.IntN(25)
		hs := randomHoldings(rng, n, true)
		r := mustBuild(t, hs)
		holdersOf := map[string][]Holding{}
		for _, h := range hs {
			holdersOf[h.Investee] = append(holdersOf[h.Investee], h)
		}
		memo := map[string]float64{}
		var K func(f string) float64
		K = func(f string) float64 {
			if v, ok := memo[f]; ok {
				return v
			}
			sum := 0.0
			for _, h := range holdersOf[f] {
				if h.HolderKind == Person || len(holdersOf[h.Holder]) == 0 {
					sum += h.Share
				} else {
					sum += h.Share * K(h.Holder)
				}
			}
			memo[f] = sum
			return sum
		}
		longest := map[string]int{} // links of the longest path into a firm
		var L func(f string) int
		L = func(f string) int {
			if v, ok := longest[f]; ok {
				return v
			}
			m := 0
			for _, h := range holdersOf[f] {
				if h.HolderKind == Person {
					m = max(m, 1)
				} else {
					m = max(m, 1+L(h.Holder))
				}
			}
			longest[f] = m
			return m
		}
		p := DefaultParams()
		p.Depth = MaxDepth
		for f := range n {
			target := fmt.Sprintf("F%d", f)
			if L(target) > MaxDepth {
				continue
			}
			if L(target) >= 3 {
				deep++
			}
			stakes, err := r.Holders(target, p)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, s := range stakes {
				if s.Kind == Person || len(holdersOf[s.Key]) == 0 {
					sum += s.Penetrated
				}
			}
			if want := K(target); math.Abs(sum-want) > 1e-9 {
				t.Fatalf("iteration %d, %s: Σ top holders %v, K %v\n%v", iter, target, sum, want, hs)
			}
		}
	}
	if deep < 500 {
		t.Errorf("only %d firms with paths of 3 links or more: the generator is too shallow", deep)
	}
}

// pathsFrom enumerates, breadth first, every simple path of at most depth
// links starting at holder (by key and kind) along holdings, and sums the
// products per end firm: an implementation independent of the registry's.
func pathsFrom(hs []Holding, holder string, kind Kind, depth int) (pen, best map[string]float64) {
	type path struct {
		nodes []string // kind-qualified
		prod  float64
	}
	q := func(k Kind, key string) string { return k.String() + ":" + key }
	pen, best = map[string]float64{}, map[string]float64{}
	frontier := []path{{[]string{q(kind, holder)}, 1}}
	for range depth {
		var next []path
		for _, p := range frontier {
			last := p.nodes[len(p.nodes)-1]
		holdings:
			for _, h := range hs {
				if q(h.HolderKind, h.Holder) != last {
					continue
				}
				end := q(Firm, h.Investee)
				for _, u := range p.nodes {
					if u == end {
						continue holdings
					}
				}
				np := path{append(append([]string{}, p.nodes...), end), p.prod * h.Share}
				pen[h.Investee] += np.prod
				best[h.Investee] = max(best[h.Investee], np.prod)
				next = append(next, np)
			}
		}
		frontier = next
	}
	return pen, best
}

// On random registries with cycles, the penetrated shares of every
// (holder, firm) pair agree three ways: the brute-force enumeration above,
// the upward search from the firm and the downward search from the holder.
// Every best path is a path of the holdings whose product is the largest.
func TestPropertyPenetratedMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	share := func(hs []Holding, holder Kind, a, b string) float64 {
		for _, h := range hs {
			if h.HolderKind == holder && h.Holder == a && h.Investee == b {
				return h.Share
			}
		}
		return math.NaN()
	}
	for iter := range 150 {
		n := 2 + rng.IntN(9)
		hs := randomHoldings(rng, n, false)
		r := mustBuild(t, hs)
		p := DefaultParams()
		p.Depth = 1 + rng.IntN(6)
		p.MinShare = 0
		up := map[[2]string]Stake{}
		for f := range n {
			target := fmt.Sprintf("F%d", f)
			stakes, err := r.Holders(target, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stakes {
				up[[2]string{s.Kind.String() + ":" + s.Key, target}] = s
			}
		}
		for v := range int32(r.Len()) {
			k, key := r.Kind(v), r.Key(v)
			pen, best := pathsFrom(hs, key, k, p.Depth)
			down, err := r.Investees(k, key, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(down) != len(pen) {
				t.Fatalf("iteration %d: %s reaches %d firms, brute force %d", iter, key, len(down), len(pen))
			}
			for _, d := range down {
				u := up[[2]string{k.String() + ":" + key, d.Key}]
				if math.Abs(d.Penetrated-pen[d.Key]) > 1e-12 || math.Abs(u.Penetrated-pen[d.Key]) > 1e-12 ||
					math.Abs(d.PathShare-best[d.Key]) > 1e-12 || math.Abs(u.PathShare-best[d.Key]) > 1e-12 {
					t.Fatalf("iteration %d, %s %s in %s: down %v/%v, up %v/%v, brute force %v/%v", iter, k, key, d.Key,
						d.Penetrated, d.PathShare, u.Penetrated, u.PathShare, pen[d.Key], best[d.Key])
				}
				for _, s := range []Stake{d, u} {
					prod, kind := 1.0, k
					for i := 1; i < len(s.Path); i++ {
						prod *= share(hs, kind, s.Path[i-1], s.Path[i])
						kind = Firm
					}
					if s.Path[0] != key || s.Path[len(s.Path)-1] != d.Key || len(s.Path)-1 > p.Depth || math.Abs(prod-s.PathShare) > 1e-12 {
						t.Fatalf("iteration %d: path %v of %s in %s: product %v, stated %v", iter, s.Path, key, d.Key, prod, s.PathShare)
					}
				}
			}
		}
	}
}

// Results do not depend on the order of the input: rows are walked by key,
// so even the rounding of every sum is the same.
func TestPropertyInputOrderDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		n := 3 + rng.IntN(20)
		hs := randomHoldings(rng, n, false)
		var reps []LegalRep
		for f := range n {
			if rng.IntN(3) > 0 {
				reps = append(reps, LegalRep{fmt.Sprintf("F%d", f), fmt.Sprintf("P%d", rng.IntN(n/2+1))})
			}
		}
		a := mustBuild(t, hs, reps...)
		rng.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
		rng.Shuffle(len(reps), func(i, j int) { reps[i], reps[j] = reps[j], reps[i] })
		b := mustBuild(t, hs, reps...)
		p := DefaultParams()
		p.MinShare = 0.01
		for f := range n {
			ca, err1 := a.Check(fmt.Sprintf("F%d", f), p)
			cb, err2 := b.Check(fmt.Sprintf("F%d", f), p)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !reflect.DeepEqual(stripNodes(ca), stripNodes(cb)) {
				t.Fatalf("F%d:\n%+v\n%+v", f, ca, cb)
			}
		}
	}
}

// stripNodes zeroes the node indices of a check, which depend on how the
// registry was made.
func stripNodes(c *Check) *Check {
	zero := func(st []Stake) {
		for i := range st {
			st[i].Node = 0
		}
	}
	zero(c.Holders)
	zero(c.Investees)
	for i := range c.BeneficialOwners {
		c.BeneficialOwners[i].Node = 0
	}
	for i := range c.LegalRepFirms {
		c.LegalRepFirms[i].Node = 0
	}
	c.Controller.Node = 0
	return c
}
