package ownership

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// majority returns the keys and penetrated shares of rel.Majority.
func majority(rel *Related) map[string]float64 {
	out := map[string]float64{}
	for _, st := range rel.Majority {
		out[st.Key] = st.Penetrated
	}
	return out
}

func near(m map[string]float64, want map[string]float64) bool {
	if len(m) != len(want) {
		return false
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got-v > tol || v-got > tol {
			return false
		}
	}
	return true
}

// The chain P>A>B>T (0.8, 0.7, 0.9): penetrated shares in T are B 0.9,
// A 0.63, P 0.504, all above 1/2; P controls T. Two stakes that add up:
// H holds 0.4 of U directly and all of C, which holds 0.3 of U, so H's
// penetrated share in U is 0.4 + 0.3 = 0.7 without any majority link, and U
// has no controller. The diamond of TestDiamond gives H exactly 1/2 of its
// T: not above it.
func TestRelated(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "A", 0.8), fh("A", "B", 0.7), fh("B", "T", 0.9),
		ph("H", "U", 0.4), ph("H", "C", 1), fh("C", "U", 0.3)})
	rel, err := r.Related("T", DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !near(majority(rel), map[string]float64{"B": 0.9, "A": 0.63, "P": 0.504}) {
		t.Errorf("majority holders of T %v", majority(rel))
	}
	if rel.Controller.Key != "P" || !slices.Equal(rel.Controller.Path, []string{"P", "A", "B", "T"}) {
		t.Errorf("controller of T %+v", rel.Controller)
	}
	if math.Abs(rel.ControllerShare-0.504) > tol {
		t.Errorf("controller's share %v, want 0.504", rel.ControllerShare)
	}
	if got := len(rel.Parties()); got != 3 {
		t.Errorf("parties of T %v, want P, B, A once each", rel.Parties())
	}
	// Within depth 2, P is out of reach as a holder, but still the controller.
	rel, _ = r.Related("T", depth(2))
	if !near(majority(rel), map[string]float64{"B": 0.9, "A": 0.63}) || rel.Controller.Key != "P" || rel.ControllerShare != 0 {
		t.Errorf("depth 2: majority %v controller %q", majority(rel), rel.Controller.Key)
	}
	rel, _ = r.Related("U", DefaultParams())
	if !near(majority(rel), map[string]float64{"H": 0.7}) || rel.Controller.Node != -1 {
		t.Errorf("U: majority %v controller %+v", majority(rel), rel.Controller)
	}
	d := mustBuild(t, []Holding{ph("H", "A", 0.6), ph("H", "B", 0.4), fh("A", "T", 0.5), fh("B", "T", 0.5)})
	if rel, _ := d.Related("T", DefaultParams()); len(rel.Majority) != 0 || rel.Controller.Node != -1 {
		t.Errorf("diamond: %+v", rel)
	}
	if rel, _ := r.Related("NOPE", DefaultParams()); len(rel.Majority) != 0 || rel.Controller.Node != -1 {
		t.Errorf("unknown firm: %+v", rel)
	}
}

// X and Y hold 0.6 of each other: X's only simple path upward is Y>X, so Y
// is its majority holder, and the mutual control leaves X without a
// controller (Cyclic).
func TestRelatedCycle(t *testing.T) {
	r := mustBuild(t, []Holding{fh("X", "Y", 0.6), fh("Y", "X", 0.6)})
	rel, err := r.Related("X", DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !near(majority(rel), map[string]float64{"Y": 0.6}) || rel.Controller.Node != -1 || !rel.Controller.Cyclic {
		t.Errorf("X: majority %v controller %+v", majority(rel), rel.Controller)
	}
	deps, err := r.Dependents(Firm, "Y", DefaultParams())
	if err != nil || !slices.Equal(deps, []string{"X"}) {
		t.Errorf("dependents of Y %v %v, want X", deps, err)
	}
}

func TestDependents(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "A", 0.8), fh("A", "B", 0.7), fh("B", "T", 0.9),
		ph("H", "U", 0.4), ph("H", "C", 1), fh("C", "U", 0.3), fh("A", "M", 0.2)})
	for _, c := range []struct {
		kind  Kind
		key   string
		depth int
		want  []string
	}{
		// Penetrated A 0.8, B 0.56, T 0.504 (M 0.16 is not); majority links too.
		{Person, "P", 5, []string{"A", "B", "T"}},
		// Within depth 2 the penetrated search stops at B; the majority chain
		// goes on to T.
		{Person, "P", 2, []string{"A", "B", "T"}},
		{Firm, "A", 5, []string{"B", "T"}},
		// U only through penetrated shares (0.4 + 0.3), C through both.
		{Person, "H", 5, []string{"C", "U"}},
		{Firm, "T", 5, nil},
		{Firm, "NOPE", 5, nil},
	} {
		got, err := r.Dependents(c.kind, c.key, depth(c.depth))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("dependents of %s within %d: %v %v, want %v", c.key, c.depth, got, err, c.want)
		}
		// Every firm whose Related names the key is among them.
		for _, f := range []string{"A", "B", "T", "U", "C", "M"} {
			rel, _ := r.Related(f, depth(c.depth))
			v, ok := r.Lookup(c.kind, c.key)
			if ok && slices.Contains(rel.Parties(), v) && !slices.Contains(got, f) {
				t.Errorf("%s is related to %s but not among its dependents %v", c.key, f, got)
			}
		}
	}
	p := DefaultParams()
	p.MaxSteps = 2
	if _, err := r.Dependents(Person, "P", p); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a budget of 2 steps: %v, want ErrTooLarge", err)
	}
}

// P>A>B>T (0.8, 0.7, 0.9), T holds 0.6 of S, S 0.2 of U. Within 2 holdings of
// T: B and A above, S and U below; P is three holdings up.
func TestAround(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "A", 0.8), fh("A", "B", 0.7), fh("B", "T", 0.9), fh("T", "S", 0.6), fh("S", "U", 0.2)})
	n, err := r.Around("T", 2, 100)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []Near
	for _, x := range n.Nodes {
		x.Node = 0
		nodes = append(nodes, x)
	}
	want := []Near{{Key: "T", Kind: Firm}, {Key: "B", Kind: Firm, Up: 1, Down: -1}, {Key: "S", Kind: Firm, Up: -1, Down: 1},
		{Key: "A", Kind: Firm, Up: 2, Down: -1}, {Key: "U", Kind: Firm, Up: -1, Down: 2}}
	if !reflect.DeepEqual(nodes, want) {
		t.Errorf("nodes\n got %+v\nwant %+v", nodes, want)
	}
	wantLinks := []NearLink{{0, 2, 0.6}, {1, 0, 0.9}, {2, 4, 0.2}, {3, 1, 0.7}}
	if !reflect.DeepEqual(n.Links, wantLinks) {
		t.Errorf("links %+v, want %+v", n.Links, wantLinks)
	}
	if _, err := r.Around("T", 2, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("5 nodes with a bound of 4: %v", err)
	}
	if n, err := r.Around("NOPE", 2, 4); n != nil || err != nil {
		t.Errorf("unknown firm: %v %v", n, err)
	}
	if _, err := r.Around("T", 0, 4); err == nil {
		t.Error("depth 0 accepted")
	}
	// A cycle reaches Y both ways, at distance 1.
	c := mustBuild(t, []Holding{fh("X", "Y", 0.6), fh("Y", "X", 0.6)})
	n, _ = c.Around("X", 1, 10)
	if len(n.Nodes) != 2 || n.Nodes[1].Key != "Y" || n.Nodes[1].Up != 1 || n.Nodes[1].Down != 1 ||
		!reflect.DeepEqual(n.Links, []NearLink{{0, 1, 0.6}, {1, 0, 0.6}}) {
		t.Errorf("cycle: %+v", n)
	}
}

// On random registries with cycles, every party Related names for a firm has
// that firm among its Dependents, and the majority holders are exactly the
// holders whose penetrated share (from Check) is above 1/2.
func TestDependentsCoverRelated(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		hs := randomHoldings(rng, 40, seed%2 == 0)
		r := mustBuild(t, hs)
		p := depth(1 + int(seed%5))
		deps := map[int32][]string{}
		for v := range int32(r.Len()) {
			d, err := r.Dependents(r.Kind(v), r.Key(v), p)
			if err != nil {
				t.Fatal(err)
			}
			deps[v] = d
		}
		for f := range 40 {
			key := fmt.Sprintf("F%d", f)
			rel, err := r.Related(key, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range rel.Parties() {
				if !slices.Contains(deps[v], key) {
					t.Errorf("seed %d: %s is related to %s but not among its dependents %v", seed, r.Key(v), key, deps[v])
				}
			}
			c, err := r.Check(key, p)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]float64{}
			for _, h := range c.Holders {
				if h.Penetrated > 0.5+1e-9 {
					want[h.Key] = h.Penetrated
				}
			}
			if !near(majority(rel), want) {
				t.Errorf("seed %d, %s: majority holders %v, check's holders above 1/2 %v", seed, key, majority(rel), want)
			}
		}
	}
}
