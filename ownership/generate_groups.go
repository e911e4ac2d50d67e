package ownership

import (
	"cmp"
	"math"
	"slices"
)

// groups lays out groups over firms 0, 1, … until about budget firms are
// used, and returns the number used. Each group is a holding company held
// by founders (sometimes by a firm of an earlier group too) and a tree of
// subsidiaries 2–4 levels deep, each held by its parent (mostly a majority)
// and maybe by a person or a sibling; a few subsidiaries hold a stake in an
// ancestor, closing a cycle.
func (g *generator) groups(budget int) int {
	n := len(g.firmIDs)
	maxSize := max(10, n/200)
	type group struct{ parent, size int }
	var gs []group
	f := 0
	for f < budget && f < n {
		size := min(maxSize, n-f, int(3/math.Pow(1-g.rng.Float64(), 1/1.3)))
		g.group(f, size, gs == nil)
		gs = append(gs, group{f, size})
		f += size
	}
	slices.SortStableFunc(gs, func(a, b group) int { return cmp.Compare(b.size, a.size) })
	for _, gr := range gs {
		g.out.GroupParents = append(g.out.GroupParents, g.firmIDs[gr.parent])
	}
	return f
}

// group builds one group on firms first … first+size−1.
func (g *generator) group(first, size int, isFirst bool) {
	levels := 2 + g.rng.IntN(3)
	level := make([]int8, size)
	up := make([]int32, size) // parent within the group
	managers := []string{g.pickPerson(), g.pickPerson(), g.pickPerson()}[:1+g.rng.IntN(3)]

	// The holding company: founders, sometimes a firm of an earlier group.
	founder, bestShare := "", 0.0
	if !isFirst && g.rng.Float64() < 0.1 {
		g.hold(g.firmIDs[g.rng.IntN(first)], Firm, first, g.share(first, 0.1, 0.4))
	}
	for i := range 1 + g.rng.IntN(3) {
		p := g.pickPerson()
		if i == 0 {
			p = managers[0]
		}
		if x := g.share(first, 0.3, 0.8); g.hold(p, Person, first, x) && x > bestShare {
			founder, bestShare = p, x
		}
	}
	if founder != "" {
		g.out.LegalReps = append(g.out.LegalReps, LegalRep{g.firmIDs[first], founder})
	}

	// Subsidiaries: each under a random earlier member above the last level.
	eligible := []int32{0}
	for m := 1; m < size; m++ {
		parent := eligible[g.rng.IntN(len(eligible))]
		up[m], level[m] = parent, level[parent]+1
		if int(level[m]) < levels {
			eligible = append(eligible, int32(m))
		}
		f := first + m
		switch u := g.rng.Float64(); {
		case u < 0.3:
			g.hold(g.firmIDs[first+int(parent)], Firm, f, 1)
		case u < 0.85:
			g.hold(g.firmIDs[first+int(parent)], Firm, f, g.share(f, 0.51, 0.95))
		default:
			g.hold(g.firmIDs[first+int(parent)], Firm, f, g.share(f, 0.2, 0.5))
		}
		if g.room[f] > 0 && g.rng.IntN(3) > 0 {
			if m > 1 && g.rng.IntN(4) == 0 {
				g.hold(g.firmIDs[first+1+g.rng.IntN(m-1)], Firm, f, g.share(f, 0.3, 1))
			} else {
				g.hold(g.pickPerson(), Person, f, g.share(f, 0.3, 1))
			}
		}
		if g.rng.Float64() < 0.7 {
			g.out.LegalReps = append(g.out.LegalReps, LegalRep{g.firmIDs[f], managers[g.rng.IntN(len(managers))]})
		} else if g.rng.Float64() < 0.9 {
			g.out.LegalReps = append(g.out.LegalReps, LegalRep{g.firmIDs[f], g.pickPerson()})
		}
	}

	// Cross-holdings: a subsidiary takes a small stake in one of its ancestors.
	for m := 2; m < size; m++ {
		if level[m] < 2 || g.rng.Float64() >= genCrossHoldings {
			continue
		}
		a := up[up[m]]
		if level[m] > 2 && g.rng.IntN(2) == 0 {
			a = up[a]
		}
		g.hold(g.firmIDs[first+m], Firm, first+int(a), g.share(first+int(a), 0.05, 0.5))
	}
}

// mutualPairs makes pairs of standalone firms hold small stakes in each other.
func (g *generator) mutualPairs(lo, hi int) {
	if hi-lo < 2 {
		return
	}
	for range int(genMutualPairs * float64(hi-lo)) {
		a, b := lo+g.rng.IntN(hi-lo), lo+g.rng.IntN(hi-lo)
		if a == b {
			continue
		}
		g.hold(g.firmIDs[a], Firm, b, g.share(b, 0.1, 0.5))
		g.hold(g.firmIDs[b], Firm, a, g.share(a, 0.1, 0.5))
	}
}
