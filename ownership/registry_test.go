package ownership

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// fh and ph are holdings by a firm and by a person.
func fh(holder, investee string, share float64) Holding {
	return Holding{Holder: holder, HolderKind: Firm, Investee: investee, Share: share}
}

func ph(holder, investee string, share float64) Holding {
	return Holding{Holder: holder, HolderKind: Person, Investee: investee, Share: share}
}

func mustBuild(t testing.TB, hs []Holding, reps ...LegalRep) *Registry {
	t.Helper()
	r, err := Build(hs, reps)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuildIndexes(t *testing.T) {
	r := mustBuild(t, []Holding{
		ph("X", "T", 0.5),
		fh("B", "T", 0.25),
		fh("X", "T", 0.25), // a firm whose key is also a person's: another node
		ph("X", "B", 1),
	}, LegalRep{Firm: "L", Person: "R"})
	if r.Len() != 6 || r.NumHoldings() != 4 {
		t.Fatalf("Len %d, NumHoldings %d; want 6 nodes (T B L firms X X R) and 4 holdings", r.Len(), r.NumHoldings())
	}
	px, ok1 := r.Lookup(Person, "X")
	fx, ok2 := r.Lookup(Firm, "X")
	if !ok1 || !ok2 || px == fx || r.Kind(px) != Person || r.Kind(fx) != Firm || r.Key(px) != "X" {
		t.Fatalf("person X %d %v, firm X %d %v: want two nodes", px, ok1, fx, ok2)
	}
	if _, ok := r.Lookup(Person, "T"); ok {
		t.Error("T is a firm, found as a person")
	}
	tn, _ := r.Lookup(Firm, "T")
	holders, shares := r.HoldersOf(tn)
	var got []string
	for _, h := range holders {
		got = append(got, r.Kind(h).String()+":"+r.Key(h))
	}
	// By key, then kind (firm before person).
	if want := []string{"firm:B", "firm:X", "person:X"}; !slices.Equal(got, want) {
		t.Errorf("holders of T = %v, want %v", got, want)
	}
	if !slices.Equal(shares, []float64{0.25, 0.25, 0.5}) {
		t.Errorf("shares = %v", shares)
	}
	inv, sh := r.InvesteesOf(px)
	if len(inv) != 2 || r.Key(inv[0]) != "B" || r.Key(inv[1]) != "T" || sh[0] != 1 || sh[1] != 0.5 {
		t.Errorf("investees of person X: %v %v", inv, sh)
	}
	l, _ := r.Lookup(Firm, "L")
	rep, ok := r.LegalRepOf(l)
	if !ok || r.Key(rep) != "R" || r.Kind(rep) != Person {
		t.Errorf("legal rep of L = %d %v", rep, ok)
	}
	if _, ok := r.LegalRepOf(tn); ok {
		t.Error("T has no legal representative")
	}
	if f := r.Represents(rep); len(f) != 1 || f[0] != l {
		t.Errorf("R represents %v", f)
	}
	if r.SizeBytes() <= 0 {
		t.Error("SizeBytes")
	}
}

func TestBuildRejects(t *testing.T) {
	cases := []struct {
		name     string
		hs       []Holding
		reps     []LegalRep
		holdings map[int]string // index → substring of the reason
		legal    map[int]string
	}{
		{name: "share zero", hs: []Holding{ph("P", "T", 0)}, holdings: map[int]string{0: "share 0 outside (0, 1]"}},
		{name: "share above one", hs: []Holding{ph("P", "T", 1.5)}, holdings: map[int]string{0: "share 1.5 outside"}},
		{name: "negative", hs: []Holding{ph("P", "T", -0.1)}, holdings: map[int]string{0: "outside (0, 1]"}},
		{name: "NaN", hs: []Holding{ph("P", "T", math.NaN())}, holdings: map[int]string{0: "share NaN"}},
		{name: "self", hs: []Holding{ph("P", "T", 0.5), fh("T", "T", 0.1)}, holdings: map[int]string{1: "T holds itself"}},
		{name: "empty keys", hs: []Holding{ph("", "T", 0.5), ph("P", "", 0.5)}, holdings: map[int]string{0: "empty key", 1: "empty key"}},
		{name: "no kind", hs: []Holding{{Holder: "P", Investee: "T", Share: 0.5}}, holdings: map[int]string{0: "neither firm nor person"}},
		{
			name:     "duplicate",
			hs:       []Holding{ph("P", "T", 0.2), ph("Q", "T", 0.2), ph("P", "T", 0.2), ph("P", "T", 0.1)},
			holdings: map[int]string{2: "duplicate of holding #0", 3: "duplicate of holding #0"},
		},
		{
			name:     "sum above one names every holding of the firm",
			hs:       []Holding{ph("P", "T", 0.5), fh("A", "U", 1), fh("A", "T", 0.3), ph("Q", "T", 0.3)},
			holdings: map[int]string{0: "sum to 1.1", 2: "the shares held in T sum", 3: "more than 1"},
		},
		{
			name:  "legal representative twice or empty",
			hs:    []Holding{ph("P", "T", 0.5)},
			reps:  []LegalRep{{"T", "P"}, {"T", "Q"}, {"", "Q"}, {"U", ""}},
			legal: map[int]string{1: "given twice (first in #0)", 2: "empty key", 3: "empty key"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Build(c.hs, c.reps)
			var be *BuildError
			if !errors.As(err, &be) || r != nil {
				t.Fatalf("Build = %v, %v; want a *BuildError", r, err)
			}
			for _, l := range []struct {
				got  []RowError
				want map[int]string
			}{{be.Holdings, c.holdings}, {be.LegalReps, c.legal}} {
				if len(l.got) != len(l.want) {
					t.Errorf("errors %v, want %d", l.got, len(l.want))
				}
				for k, re := range l.got {
					if k > 0 && re.Index <= l.got[k-1].Index {
						t.Errorf("errors not sorted by index: %v", l.got)
					}
					if w, ok := l.want[re.Index]; !ok || !strings.Contains(re.Reason, w) {
						t.Errorf("row %d: %q, want it to contain %q", re.Index, re.Reason, w)
					}
				}
			}
			if !strings.HasPrefix(err.Error(), "ownership: build: ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestBuildSharesWithinTolerance(t *testing.T) {
	r := mustBuild(t, []Holding{ph("P", "T", 0.6), ph("Q", "T", 0.4+5e-7)})
	c, err := r.Check("T", DefaultParams())
	if err != nil || c.KnownShare != 1 {
		t.Fatalf("known share %v, %v; want 1 (capped)", c.KnownShare, err)
	}
}

func TestBuildErrorMessageIsBounded(t *testing.T) {
	var hs []Holding
	for range 30 {
		hs = append(hs, ph("P", "T", 2))
	}
	_, err := Build(hs, nil)
	msg := err.Error()
	if !strings.Contains(msg, "30 bad holdings") || !strings.HasSuffix(msg, "and 10 more") {
		t.Errorf("message %q", msg)
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{Firm, Person} {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	if _, err := ParseKind("trust"); err == nil {
		t.Error("ParseKind(trust) accepted")
	}
}
