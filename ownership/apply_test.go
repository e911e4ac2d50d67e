package ownership

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// describe lists a registry's rows by keys: what must not depend on how the
// registry was made (Build or a chain of Apply).
func describe(r *Registry) map[string]string {
	out := map[string]string{}
	for v := range int32(r.Len()) {
		var sb strings.Builder
		hs, ss := r.HoldersOf(v)
		for i, h := range hs {
			fmt.Fprintf(&sb, "<%s:%s %v ", r.Kind(h), r.Key(h), ss[i])
		}
		is, xs := r.InvesteesOf(v)
		for i, f := range is {
			fmt.Fprintf(&sb, ">%s %v ", r.Key(f), xs[i])
		}
		if r.Kind(v) == Firm {
			if p, ok := r.LegalRepOf(v); ok {
				fmt.Fprintf(&sb, "rep %s ", r.Key(p))
			}
		} else {
			for _, f := range r.Represents(v) {
				fmt.Fprintf(&sb, "represents %s ", r.Key(f))
			}
		}
		if s := sb.String(); s != "" {
			out[r.Kind(v).String()+":"+r.Key(v)] = s
		}
	}
	return out
}

// Applying random changes gives the registry that Build makes from the
// changed rows, row for row and check for check, and leaves the old one as
// it was.
func TestPropertyApplyEqualsBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	for iter := range 100 {
		n := 4 + rng.IntN(20)
		hs := randomHoldings(rng, n, false)
		reps := map[string]string{}
		for f := range n {
			if rng.IntN(2) == 0 {
				reps[fmt.Sprintf("F%d", f)] = fmt.Sprintf("P%d", rng.IntN(n))
			}
		}
		r := mustBuild(t, hs, repList(reps)...)
		before := describe(r)
		for range 3 { // a chain of changes
			var c Changes
			cur := map[HoldingKey]float64{}
			for _, h := range hs {
				cur[HoldingKey{h.Holder, h.HolderKind, h.Investee}] = h.Share
			}
			for _, h := range hs {
				switch rng.IntN(6) {
				case 0:
					c.Remove = append(c.Remove, HoldingKey{h.Holder, h.HolderKind, h.Investee})
					delete(cur, HoldingKey{h.Holder, h.HolderKind, h.Investee})
				case 1:
					h.Share *= 0.5
					c.Set = append(c.Set, h)
					cur[HoldingKey{h.Holder, h.HolderKind, h.Investee}] = h.Share
				}
			}
			// New holdings, new firms and persons, with shares small enough.
			for range 1 + rng.IntN(4) {
				inv := fmt.Sprintf("F%d", rng.IntN(n+3))
				h := ph(fmt.Sprintf("P%d", rng.IntN(n+3)), inv, 0.01)
				if rng.IntN(2) == 0 {
					h = fh(fmt.Sprintf("F%d", rng.IntN(n+3)), inv, 0.01)
				}
				k := HoldingKey{h.Holder, h.HolderKind, h.Investee}
				if _, ok := cur[k]; ok || h.Holder == h.Investee || slices.ContainsFunc(c.Remove, func(x HoldingKey) bool { return x == k }) {
					continue
				}
				sum := 0.0
				for k2, x := range cur {
					if k2.Investee == inv {
						sum += x
					}
				}
				if sum > 0.98 {
					continue
				}
				c.Set = append(c.Set, h)
				cur[k] = h.Share
			}
			for range rng.IntN(3) {
				f, p := fmt.Sprintf("F%d", rng.IntN(n+2)), fmt.Sprintf("P%d", rng.IntN(n+2))
				if slices.ContainsFunc(c.LegalReps, func(l LegalRep) bool { return l.Firm == f }) {
					continue
				}
				if rng.IntN(3) == 0 {
					p = ""
				}
				c.LegalReps = append(c.LegalReps, LegalRep{f, p})
				if p == "" {
					delete(reps, f)
				} else {
					reps[f] = p
				}
			}
			rng.Shuffle(len(c.Set), func(i, j int) { c.Set[i], c.Set[j] = c.Set[j], c.Set[i] })
			next, err := r.Apply(c)
			if err != nil {
				t.Fatalf("iteration %d: %v", iter, err)
			}
			hs = hs[:0]
			for k, x := range cur {
				hs = append(hs, Holding{k.Holder, k.HolderKind, k.Investee, x})
			}
			want := mustBuild(t, hs, repList(reps)...)
			got, wantRows := describe(next), describe(want)
			// Build knows only the nodes it is given; Apply keeps every node.
			for k, v := range got {
				if wantRows[k] != v {
					t.Fatalf("iteration %d, %s:\n got %s\nwant %s", iter, k, v, wantRows[k])
				}
			}
			if len(got) != len(wantRows) {
				t.Fatalf("iteration %d: %d nodes with rows, want %d", iter, len(got), len(wantRows))
			}
			if !next.extends(r) {
				t.Fatalf("iteration %d: node indices moved", iter)
			}
			if !reflect.DeepEqual(describe(r), before) {
				t.Fatalf("iteration %d: Apply changed the registry it was applied to", iter)
			}
			for f := range n + 3 {
				key := fmt.Sprintf("F%d", f)
				a, err1 := next.Check(key, DefaultParams())
				b, err2 := want.Check(key, DefaultParams())
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if !b.Found {
					a.Found = false // a node Build never saw, which Apply keeps without rows
				}
				if !reflect.DeepEqual(stripNodes(a), stripNodes(b)) {
					t.Fatalf("iteration %d, %s:\n%+v\n%+v", iter, key, a, b)
				}
			}
			r, before = next, describe(next)
		}
	}
}

func repList(reps map[string]string) []LegalRep {
	var out []LegalRep
	for f, p := range reps {
		out = append(out, LegalRep{f, p})
	}
	return out
}

// extends reports whether r keeps every node of old at its index.
func (r *Registry) extends(old *Registry) bool {
	if len(old.keys) > len(r.keys) {
		return false
	}
	for v := range old.keys {
		if r.keys[v] != old.keys[v] || r.kinds[v] != old.kinds[v] {
			return false
		}
	}
	return true
}

func TestApplyRejects(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "T", 0.5), fh("A", "T", 0.3), ph("P", "A", 1)}, LegalRep{"T", "P"})
	before := describe(r)
	_, err := r.Apply(Changes{
		Set: []Holding{
			ph("Q", "T", 0.1),  // #0 fine alone, but T would hold 0.5 + 0.3 + 0.1 + 0.2 = 1.1
			fh("B", "T", 0.2),  // #1 idem
			ph("Q", "T", 0.05), // #2 set twice
			ph("P", "A", 2),    // #3 bad share
			ph("X", "U", 0.5),  // #4 fine
		},
		Remove: []HoldingKey{
			{"A", Firm, "T"},   // #0 fine
			{"Q", Person, "A"}, // #1 no such holding (Q is new)
			{"P", Person, "Z"}, // #2 no such firm
			{"Q", Person, "T"}, // #3 also set
			{"A", Firm, "T"},   // #4 removed twice
		},
		LegalReps: []LegalRep{{"T", "Q"}, {"T", ""}, {"", "Q"}},
	})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Apply: %v", err)
	}
	want := func(what string, got []RowError, idx []int, reasons ...string) {
		t.Helper()
		if len(got) != len(idx) {
			t.Fatalf("%s: %v, want rows %v", what, got, idx)
		}
		for i, e := range got {
			if e.Index != idx[i] || !strings.Contains(e.Reason, reasons[i]) {
				t.Errorf("%s %d: %+v, want #%d %q", what, i, e, idx[i], reasons[i])
			}
		}
	}
	// With A's 0.3 removed, T would hold 0.5 + 0.1 + 0.2 = 0.8: no sum error.
	want("holdings", be.Holdings, []int{2, 3}, "duplicate of holding #0", "share 2 outside")
	want("removals", be.Removals, []int{1, 2, 3, 4}, "no such holding", "no such holding", "also set by holding #0", "no such holding")
	want("legal reps", be.LegalReps, []int{1, 2}, "given twice (first in #0)", "empty key")
	if !strings.Contains(err.Error(), "4 bad removals") {
		t.Errorf("message %q", err)
	}
	_, err = r.Apply(Changes{Set: []Holding{ph("Q", "T", 0.1), fh("B", "T", 0.2)}})
	if !errors.As(err, &be) || len(be.Holdings) != 2 || !strings.Contains(be.Holdings[1].Reason, "would sum to 1.1") {
		t.Errorf("sum: %v", err)
	}
	if !reflect.DeepEqual(describe(r), before) {
		t.Error("a failed Apply changed the registry")
	}
	if c := check(t, r, "T", DefaultParams()); c.KnownShare != 0.8 || len(c.Holders) != 2 {
		t.Errorf("after failed Apply: %+v", c)
	}
}
