package ownership

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const tol = 1e-12

// stakeRow is a Stake reduced to what the hand-worked cases state.
type stakeRow struct {
	key        string
	direct     float64
	penetrated float64
	path       string // keys joined by >
	pathShare  float64
}

func rows(st []Stake) []stakeRow {
	var out []stakeRow
	for _, s := range st {
		out = append(out, stakeRow{s.Key, s.Direct, s.Penetrated, strings.Join(s.Path, ">"), s.PathShare})
	}
	return out
}

func sameRows(t *testing.T, what string, got []Stake, want []stakeRow) {
	t.Helper()
	g := rows(got)
	if len(g) != len(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, g, want)
	}
	for i := range want {
		a, b := g[i], want[i]
		if a.key != b.key || a.path != b.path || math.Abs(a.direct-b.direct) > tol ||
			math.Abs(a.penetrated-b.penetrated) > tol || math.Abs(a.pathShare-b.pathShare) > tol {
			t.Errorf("%s[%d]:\n got %+v\nwant %+v", what, i, a, b)
		}
	}
}

func check(t *testing.T, r *Registry, uscc string, p Params) *Check {
	t.Helper()
	c, err := r.Check(uscc, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func depth(d int) Params {
	p := DefaultParams()
	p.Depth = d
	return p
}

// Diamond: H holds 0.6 of A and 0.4 of B, A and B each hold 0.5 of T.
// H's penetrated share in T: 0.6·0.5 + 0.4·0.5 = 0.3 + 0.2 = 0.5, its best
// path H>A>T (0.3). Ties at 0.5 are ordered by key: A, B, H.
func TestDiamond(t *testing.T) {
	r := mustBuild(t, []Holding{ph("H", "A", 0.6), ph("H", "B", 0.4), fh("A", "T", 0.5), fh("B", "T", 0.5)})
	c := check(t, r, "T", DefaultParams())
	sameRows(t, "holders", c.Holders, []stakeRow{
		{"A", 0.5, 0.5, "A>T", 0.5},
		{"B", 0.5, 0.5, "B>T", 0.5},
		{"H", 0, 0.5, "H>A>T", 0.3},
	})
	if len(c.BeneficialOwners) != 1 || c.BeneficialOwners[0].Key != "H" || c.BeneficialOwners[0].Fallback {
		t.Errorf("beneficial owners %+v, want H", c.BeneficialOwners)
	}
	// No holder of T has more than one half: no controller.
	if c.Controller.Node != -1 || c.Controller.Path != nil || c.Controller.Cyclic {
		t.Errorf("controller %+v, want none", c.Controller)
	}
	if c.KnownShare != 1 || c.Investees != nil || c.LegalRep != "" || c.LegalRepFirms != nil {
		t.Errorf("known %v investees %v rep %q %v", c.KnownShare, c.Investees, c.LegalRep, c.LegalRepFirms)
	}
	// Steps: T's holders A and B (2), A's holder H (1), B's holder H (1).
	if c.Steps != 4 {
		t.Errorf("steps %d, want 4", c.Steps)
	}
	// Downward from H: A 0.6, B 0.4, T 0.5 (best path H>A>T, 0.3).
	inv, err := r.Investees(Person, "H", Params{Depth: 5, BeneficialThreshold: 0.25, MaxSteps: 100})
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "investees of H", inv, []stakeRow{
		{"A", 0.6, 0.6, "H>A", 0.6},
		{"T", 0, 0.5, "H>A>T", 0.3},
		{"B", 0.4, 0.4, "H>B", 0.4},
	})
}

// Chain: P holds 0.8 of A, A 0.7 of B, B 0.9 of T. Penetrated shares in T:
// B 0.9, A 0.7·0.9 = 0.63, P 0.8·0.63 = 0.504. Every link is a majority, so
// P controls T through A and B.
func TestChain(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "A", 0.8), fh("A", "B", 0.7), fh("B", "T", 0.9)})
	c := check(t, r, "T", DefaultParams())
	sameRows(t, "holders", c.Holders, []stakeRow{
		{"B", 0.9, 0.9, "B>T", 0.9},
		{"A", 0, 0.63, "A>B>T", 0.63},
		{"P", 0, 0.504, "P>A>B>T", 0.504},
	})
	want := Controller{Key: "P", Kind: Person, Path: []string{"P", "A", "B", "T"}}
	if got := c.Controller; got.Key != want.Key || got.Kind != want.Kind || !slices.Equal(got.Path, want.Path) || got.Cyclic || got.Node < 0 {
		t.Errorf("controller %+v, want %+v", got, want)
	}
	if c.KnownShare != 0.9 {
		t.Errorf("known share %v, want 0.9", c.KnownShare)
	}
	if bo := c.BeneficialOwners; len(bo) != 1 || bo[0].Key != "P" || math.Abs(bo[0].Penetrated-0.504) > tol {
		t.Errorf("beneficial owners %+v", bo)
	}
	// From A downward: B 0.7, T 0.63.
	c = check(t, r, "A", DefaultParams())
	sameRows(t, "investees of A", c.Investees, []stakeRow{{"B", 0.7, 0.7, "A>B", 0.7}, {"T", 0, 0.63, "A>B>T", 0.63}})
}

// Cycle: A holds 0.3 of B and B 0.2 of A; A holds 0.4 of T and B 0.5; P
// holds 0.8 of A and Q 0.7 of B. The simple paths into T:
//
//	A>T 0.4          B>A>T 0.2·0.4 = 0.08
//	B>T 0.5          A>B>T 0.3·0.5 = 0.15
//	P>A>T 0.8·0.4 = 0.32      P>A>B>T 0.8·0.3·0.5 = 0.12
//	Q>B>T 0.7·0.5 = 0.35      Q>B>A>T 0.7·0.2·0.4 = 0.056
//
// (P>A>B>A>T repeats A and does not count.) So A 0.4 + 0.15 = 0.55,
// B 0.5 + 0.08 = 0.58, P 0.32 + 0.12 = 0.44, Q 0.35 + 0.056 = 0.406.
func TestCycle(t *testing.T) {
	hs := []Holding{fh("A", "B", 0.3), fh("B", "A", 0.2), fh("A", "T", 0.4), fh("B", "T", 0.5), ph("P", "A", 0.8), ph("Q", "B", 0.7)}
	r := mustBuild(t, hs)
	c := check(t, r, "T", DefaultParams())
	sameRows(t, "holders", c.Holders, []stakeRow{
		{"B", 0.5, 0.58, "B>T", 0.5},
		{"A", 0.4, 0.55, "A>T", 0.4},
		{"P", 0, 0.44, "P>A>T", 0.32},
		{"Q", 0, 0.406, "Q>B>T", 0.35},
	})
	if bo := c.BeneficialOwners; len(bo) != 2 || bo[0].Key != "P" || bo[1].Key != "Q" {
		t.Errorf("beneficial owners %+v, want P and Q", bo)
	}
	// Depth 2 drops the three-link paths P>A>B>T and Q>B>A>T.
	c = check(t, r, "T", depth(2))
	sameRows(t, "holders within 2", c.Holders, []stakeRow{
		{"B", 0.5, 0.58, "B>T", 0.5},
		{"A", 0.4, 0.55, "A>T", 0.4},
		{"Q", 0, 0.35, "Q>B>T", 0.35},
		{"P", 0, 0.32, "P>A>T", 0.32},
	})
	// Depth 1: the direct holders only.
	c = check(t, r, "T", depth(1))
	sameRows(t, "holders within 1", c.Holders, []stakeRow{{"B", 0.5, 0.5, "B>T", 0.5}, {"A", 0.4, 0.4, "A>T", 0.4}})
	// Downward from P: A 0.8 (P>A>B>A is not simple), B 0.8·0.3 = 0.24,
	// T 0.44 as above.
	inv, err := r.Investees(Person, "P", DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "investees of P", inv, []stakeRow{{"A", 0.8, 0.8, "P>A", 0.8}, {"T", 0, 0.44, "P>A>T", 0.32}, {"B", 0, 0.24, "P>A>B", 0.24}})
	// A's controller is P (0.8); B's is Q (0.7).
	if ctl := r.Controller("A"); ctl.Key != "P" || !slices.Equal(ctl.Path, []string{"P", "A"}) {
		t.Errorf("controller of A %+v", ctl)
	}
}

// A chain of six links P>F1>…>F5>T, each 0.9: within depth 5 F1 is reached
// (0.9⁵ = 0.59049) and P (six links) is not; within 6, P has 0.9⁶ = 0.531441.
// The controller follows every majority link whatever the depth.
func TestDepthCutOff(t *testing.T) {
	hs := []Holding{ph("P", "F1", 0.9)}
	for i := 1; i < 5; i++ {
		hs = append(hs, fh(fmt.Sprintf("F%d", i), fmt.Sprintf("F%d", i+1), 0.9))
	}
	hs = append(hs, fh("F5", "T", 0.9))
	r := mustBuild(t, hs)
	c := check(t, r, "T", DefaultParams())
	if len(c.Holders) != 5 || c.Holders[4].Key != "F1" || math.Abs(c.Holders[4].Penetrated-0.59049) > tol {
		t.Errorf("holders within 5: %v", rows(c.Holders))
	}
	if len(c.BeneficialOwners) != 0 {
		t.Errorf("beneficial owners %v: P is beyond the depth", c.BeneficialOwners)
	}
	if c.Controller.Key != "P" || len(c.Controller.Path) != 7 {
		t.Errorf("controller %+v, want P over 6 links", c.Controller)
	}
	c = check(t, r, "T", depth(6))
	if last := c.Holders[len(c.Holders)-1]; last.Key != "P" || math.Abs(last.Penetrated-0.531441) > tol ||
		strings.Join(last.Path, ">") != "P>F1>F2>F3>F4>F5>T" {
		t.Errorf("P within 6: %+v", last)
	}
	c = check(t, r, "F1", DefaultParams())
	if len(c.Investees) != 5 || c.Investees[4].Key != "T" {
		t.Errorf("investees of F1: %v", rows(c.Investees))
	}
}

// T is held by persons P1 0.2 and P2 0.2 and by firm F 0.6; F by P3 0.3
// (0.3·0.6 = 0.18 in T). Nobody reaches 0.25, so the legal representative
// is the fallback: P1, with its stake, or R, with none.
func TestBeneficialOwnersFallback(t *testing.T) {
	hs := []Holding{ph("P1", "T", 0.2), ph("P2", "T", 0.2), fh("F", "T", 0.6), ph("P3", "F", 0.3)}
	cases := []struct {
		name string
		reps []LegalRep
		want []Owner
	}{
		{"no legal representative", nil, nil},
		{"a holder", []LegalRep{{"T", "P1"}}, []Owner{{Stake: Stake{Key: "P1", Kind: Person, Direct: 0.2, Penetrated: 0.2, PathShare: 0.2, Path: []string{"P1", "T"}}, Fallback: true}}},
		{"not a holder", []LegalRep{{"T", "R"}}, []Owner{{Stake: Stake{Key: "R", Kind: Person}, Fallback: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := check(t, mustBuild(t, hs, tc.reps...), "T", DefaultParams())
			if len(c.BeneficialOwners) != len(tc.want) {
				t.Fatalf("beneficial owners %+v, want %+v", c.BeneficialOwners, tc.want)
			}
			for i, w := range tc.want {
				g := c.BeneficialOwners[i]
				g.Node = 0
				if g.Key != w.Key || g.Kind != w.Kind || g.Fallback != w.Fallback || g.Direct != w.Direct ||
					g.Penetrated != w.Penetrated || !slices.Equal(g.Path, w.Path) {
					t.Errorf("owner %+v, want %+v", g, w)
				}
			}
		})
	}
	// The threshold is inclusive: Q holds 0.5 of G, which holds 0.5 of T:
	// 0.25 exactly. So is the fallback's absence: the legal representative
	// is not added beside a real beneficial owner.
	r := mustBuild(t, []Holding{ph("Q", "G", 0.5), fh("G", "T", 0.5)}, LegalRep{"T", "R"})
	c := check(t, r, "T", DefaultParams())
	if bo := c.BeneficialOwners; len(bo) != 1 || bo[0].Key != "Q" || bo[0].Fallback {
		t.Errorf("beneficial owners %+v, want Q at 0.25", bo)
	}
}

func TestControllerCycles(t *testing.T) {
	cases := []struct {
		name   string
		hs     []Holding
		key    string
		path   string
		cyclic bool
	}{
		// T ← A (0.7) ← B (0.6) ← A (0.6): the chain closes on A.
		{"cycle above", []Holding{fh("A", "T", 0.7), fh("B", "A", 0.6), ph("P", "A", 0.4), fh("A", "B", 0.6), ph("Q", "B", 0.4)}, "", "B>A>T", true},
		// T and A hold 0.6 of each other: T is in the cycle.
		{"cycle through the firm", []Holding{fh("A", "T", 0.6), fh("T", "A", 0.6)}, "", "A>T", true},
		// Two holders above one half, possible within the tolerance only.
		{"no unique majority", []Holding{ph("P", "T", 0.5000004), ph("Q", "T", 0.5000004)}, "", "", false},
		{"exactly one half is no majority", []Holding{ph("P", "T", 0.5), ph("Q", "T", 0.5)}, "", "", false},
		// A's majority holder B sits on a cycle with C; the chain stops at A
		// only if A had no majority holder, so it is cyclic too.
		{"chain into a cycle", []Holding{fh("A", "T", 0.9), fh("B", "A", 0.6), fh("C", "B", 0.6), fh("B", "C", 0.6)}, "", "C>B>A>T", true},
		{"firm controller", []Holding{fh("A", "T", 0.51), ph("P", "A", 0.5)}, "A", "A>T", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustBuild(t, c.hs)
			got := r.Controller("T")
			if got.Key != c.key || strings.Join(got.Path, ">") != c.path || got.Cyclic != c.cyclic || (got.Node >= 0) != (c.key != "") {
				t.Errorf("controller %+v, want %q path %q cyclic %v", got, c.key, c.path, c.cyclic)
			}
			if got2 := check(t, r, "T", DefaultParams()).Controller; got2.Key != got.Key || got2.Cyclic != got.Cyclic {
				t.Errorf("Check's controller %+v, Controller's %+v", got2, got)
			}
		})
	}
	if got := mustBuild(t, nil).Controller("T"); got.Node != -1 {
		t.Errorf("unknown firm: %+v", got)
	}
}

// T holds 0.5 of X and 0.04 of Y; X holds 0.08 of Z (0.04 from T) and 0.2
// of W (0.1 from T). At min share 0.05: X and W.
func TestInvestees(t *testing.T) {
	r := mustBuild(t, []Holding{fh("T", "X", 0.5), fh("T", "Y", 0.04), fh("X", "Z", 0.08), fh("X", "W", 0.2)})
	c := check(t, r, "T", DefaultParams())
	sameRows(t, "investees", c.Investees, []stakeRow{{"X", 0.5, 0.5, "T>X", 0.5}, {"W", 0, 0.1, "T>X>W", 0.1}})
	p := DefaultParams()
	p.MinShare = 0
	all, err := r.Investees(Firm, "T", p)
	if err != nil || len(all) != 4 {
		t.Errorf("every investee: %v, %v", rows(all), err)
	}
	if c.KnownShare != 0 || len(c.Holders) != 0 {
		t.Errorf("T has no holders: %v %v", c.KnownShare, c.Holders)
	}
}

// T's legal representative R also represents F1 and F2; R holds 0.3 of G,
// 0.02 of H and 0.6 of T, and G holds 0.5 of F1 (0.15 from R). Other firms
// at 0.05: G 0.3, F1 0.15 (also represented), then F2 (represented only);
// H is below the minimum and T is the target itself.
func TestLegalRepOtherFirms(t *testing.T) {
	r := mustBuild(t, []Holding{ph("R", "G", 0.3), ph("R", "H", 0.02), ph("R", "T", 0.6), fh("G", "F1", 0.5)},
		LegalRep{"T", "R"}, LegalRep{"F2", "R"}, LegalRep{"F1", "R"}, LegalRep{"G", "S"})
	c := check(t, r, "T", DefaultParams())
	if c.LegalRep != "R" {
		t.Fatalf("legal rep %q", c.LegalRep)
	}
	type row struct {
		key  string
		pen  float64
		path string
		same bool
	}
	var got []row
	for _, f := range c.LegalRepFirms {
		got = append(got, row{f.Key, f.Penetrated, strings.Join(f.Path, ">"), f.SameLegalRep})
	}
	want := []row{{"G", 0.3, "R>G", false}, {"F1", 0.15, "R>G>F1", true}, {"F2", 0, "", true}}
	if len(got) != len(want) {
		t.Fatalf("other firms %v, want %v", got, want)
	}
	for i := range want {
		if got[i].key != want[i].key || math.Abs(got[i].pen-want[i].pen) > tol || got[i].path != want[i].path || got[i].same != want[i].same {
			t.Errorf("other firm %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// R holds 0.6 of T: beneficial owner and controller.
	if bo := c.BeneficialOwners; len(bo) != 1 || bo[0].Key != "R" || bo[0].Fallback {
		t.Errorf("beneficial owners %+v", bo)
	}
	if c.Controller.Key != "R" {
		t.Errorf("controller %+v", c.Controller)
	}
	// G's legal representative S holds nothing and represents nothing else.
	if c := check(t, r, "G", DefaultParams()); c.LegalRep != "S" || c.LegalRepFirms != nil {
		t.Errorf("G: rep %q firms %v", c.LegalRep, c.LegalRepFirms)
	}
}

func TestBudget(t *testing.T) {
	r := mustBuild(t, []Holding{ph("H", "A", 0.6), ph("H", "B", 0.4), fh("A", "T", 0.5), fh("B", "T", 0.5)}, LegalRep{"T", "H"})
	// The diamond's check takes 4 steps up (T>A, T>B, A>H, B>H), none down
	// from T, and 4 down from its legal representative H (H>A, A>T, H>B,
	// B>T): the budget is the check's, across its searches. A's check takes
	// one step up (A>H) and one down (A>T).
	p := DefaultParams()
	c := check(t, r, "T", p)
	if c.Steps != 8 {
		t.Fatalf("steps %d, want 4 up + 4 down from H", c.Steps)
	}
	for _, tc := range []struct {
		firm   string
		steps  int
		search string
	}{
		{"T", 3, "holders"}, {"T", 4, "legal representative's investees"}, {"T", 7, "legal representative's investees"}, {"T", 8, ""},
		{"A", 1, "investees"}, {"A", 2, ""},
	} {
		p.MaxSteps = tc.steps
		_, err := r.Check(tc.firm, p)
		var tl *TooLargeError
		if tc.search == "" {
			if err != nil {
				t.Errorf("%s, budget %d: %v", tc.firm, tc.steps, err)
			}
			continue
		}
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || tl.Search != tc.search || tl.MaxSteps != tc.steps {
			t.Errorf("%s, budget %d: %v, want ErrTooLarge in %s", tc.firm, tc.steps, err, tc.search)
		}
	}
	p.MaxSteps = 1
	if _, err := r.Investees(Person, "H", p); !errors.Is(err, ErrTooLarge) {
		t.Errorf("investees: %v", err)
	}
	if _, err := r.Holders("T", p); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 1 path steps") {
		t.Errorf("holders: %v", err)
	}
	// A pool that gave back scratch from a failed search must be clean:
	// the next check is exact.
	c = check(t, r, "T", DefaultParams())
	if len(c.Holders) != 3 || c.Holders[2].Key != "H" || c.Holders[2].Penetrated != 0.5 {
		t.Errorf("after failures: %v", rows(c.Holders))
	}
}

// Twelve firms each holding 0.08 of every other (0.88 of each firm held).
// A simple path of k links from H to T passes k−1 of the 10 other firms in
// order: 10!/(11−k)! paths, so within depth 5
// P(H, T) = 0.08 + 10·0.08² + 90·0.08³ + 720·0.08⁴ + 5040·0.08⁵
// = 0.08 + 0.064 + 0.04608 + 0.0294912 + 0.016515072 = 0.236086272.
// The walk up from T extends every simple path from T of 1…5 links:
// 11 + 11·10 + 11·10·9 + 11·10·9·8 + 11·10·9·8·7 = 64,471 steps, and as
// many down. Within depth 10 there are over 39 million: past the default
// budget, and the check fails fast.
func TestBudgetClique(t *testing.T) {
	var hs []Holding
	for i := range 12 {
		for j := range 12 {
			if i != j {
				hs = append(hs, fh(fmt.Sprintf("F%02d", i), fmt.Sprintf("F%02d", j), 0.08))
			}
		}
	}
	r := mustBuild(t, hs)
	c := check(t, r, "F00", DefaultParams())
	if len(c.Holders) != 11 || c.Steps != 2*64471 {
		t.Fatalf("%d holders, %d steps", len(c.Holders), c.Steps)
	}
	for _, h := range c.Holders {
		if math.Abs(h.Penetrated-0.236086272) > tol || h.Direct != 0.08 || len(h.Path) != 2 {
			t.Errorf("%s: %v direct %v path %v", h.Key, h.Penetrated, h.Direct, h.Path)
		}
	}
	if math.Abs(c.KnownShare-0.88) > tol || len(c.BeneficialOwners) != 0 || c.Controller.Node != -1 {
		t.Errorf("known %v owners %v controller %+v", c.KnownShare, c.BeneficialOwners, c.Controller)
	}
	_, err := r.Check("F00", depth(10))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Search != "holders" || tl.Key != "F00" || tl.Depth != 10 || tl.MaxSteps != 2_000_000 {
		t.Errorf("depth 10: %v", err)
	}
}

func TestCheckUnknownAndParams(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "T", 1)})
	c := check(t, r, "nope", DefaultParams())
	if c.Found || c.Holders != nil || c.Controller.Node != -1 || c.Target != "nope" {
		t.Errorf("unknown firm: %+v", c)
	}
	if s, err := r.Holders("nope", DefaultParams()); s != nil || err != nil {
		t.Errorf("holders of unknown: %v %v", s, err)
	}
	for _, p := range []Params{
		{Depth: 0, BeneficialThreshold: 0.25, MinShare: 0.05, MaxSteps: 1},
		{Depth: MaxDepth + 1, BeneficialThreshold: 0.25, MinShare: 0.05, MaxSteps: 1},
		{Depth: 5, BeneficialThreshold: 0, MinShare: 0.05, MaxSteps: 1},
		{Depth: 5, BeneficialThreshold: math.NaN(), MinShare: 0.05, MaxSteps: 1},
		{Depth: 5, BeneficialThreshold: 0.25, MinShare: -0.1, MaxSteps: 1},
		{Depth: 5, BeneficialThreshold: 0.25, MinShare: 0.05, MaxSteps: 0},
	} {
		if _, err := r.Check("T", p); err == nil || !strings.HasPrefix(err.Error(), "ownership: params: ") {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Error(err)
	}
}

// Checks share the registry's pooled scratch: concurrent ones must agree
// with sequential ones (run with -race).
func TestConcurrentChecks(t *testing.T) {
	gen, err := Generate(GenOptions{Firms: 3000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	r := mustBuild(t, gen.Holdings, gen.LegalReps...)
	firms := gen.GroupParents[:10]
	for i := 0; i < 200; i++ {
		firms = append(firms, gen.Holdings[i*7].Investee)
	}
	want := map[string]*Check{}
	for _, f := range firms {
		want[f] = check(t, r, f, DefaultParams())
	}
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := range firms {
				f := firms[(i+w*53)%len(firms)]
				c, err := r.Check(f, DefaultParams())
				if err == nil && !reflect.DeepEqual(c, want[f]) {
					err = fmt.Errorf("%s: concurrent check differs", f)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
