package ownership

import (
	"reflect"
	"slices"
	"testing"
)

func TestGenerate(t *testing.T) {
	const n = 20_000
	gen, err := Generate(GenOptions{Firms: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(gen.Holdings, gen.LegalReps) // Σ ≤ 1, no duplicates, no self-holdings
	if err != nil {
		t.Fatal(err)
	}
	if h := len(gen.Holdings); h < n*13/10 || h > n*17/10 {
		t.Errorf("%d holdings for %d firms, want about 1.5 per firm", h, n)
	}
	if l := len(gen.LegalReps); l < n*85/100 || l > n {
		t.Errorf("%d legal representatives for %d firms", l, n)
	}
	// Most firms have one to three holders; persons hold many small firms.
	byCount := map[int]int{}
	maxPerson := 0
	for v := range int32(r.Len()) {
		if r.Kind(v) == Firm {
			h, _ := r.HoldersOf(v)
			byCount[min(len(h), 4)]++
		} else {
			inv, _ := r.InvesteesOf(v)
			maxPerson = max(maxPerson, len(inv))
		}
	}
	if oneToThree := byCount[1] + byCount[2] + byCount[3]; oneToThree < n*8/10 {
		t.Errorf("firms by number of holders %v: want most with 1–3", byCount)
	}
	if maxPerson < 20 {
		t.Errorf("the busiest person holds %d firms, want a serial investor", maxPerson)
	}
	// Groups: the largest parent reaches a deep tree of majority-held firms.
	if len(gen.GroupParents) < 10 {
		t.Fatalf("%d groups", len(gen.GroupParents))
	}
	p := DefaultParams()
	p.MinShare = 0
	inv, err := r.Investees(Firm, gen.GroupParents[0], p)
	if err != nil {
		t.Fatal(err)
	}
	deepest, controlled := 0, 0
	for _, s := range inv {
		deepest = max(deepest, len(s.Path)-1)
		if c := r.Controller(s.Key); c.Key == gen.GroupParents[0] || slices.Contains(c.Path, gen.GroupParents[0]) {
			controlled++
		}
	}
	if len(inv) < 50 || deepest < 3 || controlled < len(inv)/4 {
		t.Errorf("largest group: %d firms below, %d levels, %d under its control", len(inv), deepest, controlled)
	}
	// Cross-holdings: some firms hold (through others) firms that hold them.
	cyclic := 0
	mark := make([]bool, r.Len())
	for v := range int32(r.Len()) {
		if inv, _ := r.InvesteesOf(v); r.Kind(v) != Firm || len(inv) == 0 {
			continue
		}
		below, err := r.Investees(Firm, r.Key(v), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range below {
			mark[s.Node] = true
		}
		above, err := r.Holders(r.Key(v), p)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(above, func(h Stake) bool { return mark[h.Node] }) {
			cyclic++
		}
		for _, s := range below {
			mark[s.Node] = false
		}
	}
	if cyclic < 10 {
		t.Errorf("%d firms on cycles of cross-holdings", cyclic)
	}
	// Deterministic.
	again, _ := Generate(GenOptions{Firms: n, Seed: 1})
	if !reflect.DeepEqual(gen, again) {
		t.Error("the same options gave different registries")
	}
	other, _ := Generate(GenOptions{Firms: n, Seed: 2})
	if reflect.DeepEqual(gen.Holdings, other.Holdings) {
		t.Error("another seed gave the same registry")
	}
	if _, err := Generate(GenOptions{}); err == nil {
		t.Error("0 firms accepted")
	}
	small, err := Generate(GenOptions{Firms: 1, Seed: 3, FirmID: func(i int) string { return "F" }})
	if err != nil || len(small.Holdings) == 0 || small.Holdings[0].Investee != "F" {
		t.Errorf("one firm: %+v, %v", small, err)
	}
}
