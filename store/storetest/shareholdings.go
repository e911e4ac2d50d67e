package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// holding is a shareholding row of a test batch: firm holders are given by number,
// persons by their person_id.
type holding struct {
	line  int
	firm  int    // the holder when > 0
	who   string // a person holder otherwise
	of    int    // the investee
	share float64
	until time.Time
}

func holdings(hs ...holding) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindShareholdings}
	for _, h := range hs {
		sh := credit.Shareholding{Holder: h.who, HolderKind: credit.HolderPerson, Investee: USCC(h.of), Share: h.share,
			Since: day.AddDate(-5, 0, 0), Until: h.until}
		if h.firm > 0 {
			sh.Holder, sh.HolderKind = USCC(h.firm), credit.HolderFirm
		} else {
			sh.HolderName = "张" + h.who
		}
		c.Lines = append(c.Lines, h.line)
		c.Shareholdings = append(c.Shareholdings, sh)
	}
	return c
}

func allShareholdings(t *testing.T, s store.Store) []credit.Shareholding {
	t.Helper()
	var out []credit.Shareholding
	if err := s.Shareholdings(context.Background(), func(h *credit.Shareholding) error {
		out = append(out, *h)
		return nil
	}); err != nil {
		t.Fatalf("Shareholdings: %v", err)
	}
	slices.SortFunc(out, func(a, b credit.Shareholding) int {
		return strings.Compare(a.Investee+string(a.HolderKind)+a.Holder, b.Investee+string(b.HolderKind)+b.Holder)
	})
	return out
}

// testOwnershipRoundTrip: the enterprises' ownership columns and the holdings come
// back as written; a holding touches its investee and its firm holder, not a person.
func testOwnershipRoundTrip(t *testing.T, s store.Store) {
	f := firms(3)
	established := day.AddDate(-20, 0, 0)
	f.Enterprises[0].LegalRepID, f.Enterprises[0].LegalRepName = "p-a1", "欧阳娜娜"
	f.Enterprises[0].RegisteredCapital, f.Enterprises[0].EstablishedAt = ptr(5e7), established
	f.Enterprises[0].FormerNames = []string{"哈尔滨甲商贸有限公司", "甲（黑龙江）粮油厂"}
	apply(t, s, f)
	e, err := s.Enterprise(context.Background(), USCC(1))
	if err != nil || e.LegalRepID != "p-a1" || e.LegalRepName != "欧阳娜娜" || e.RegisteredCapital == nil ||
		*e.RegisteredCapital != 5e7 || !e.EstablishedAt.Equal(established) ||
		!slices.Equal(e.FormerNames, []string{"哈尔滨甲商贸有限公司", "甲（黑龙江）粮油厂"}) {
		t.Errorf("enterprise round trip: %+v, %v", e, err)
	}
	if e := allEnterprises(t, s)[1]; e.LegalRepID != "" || e.RegisteredCapital != nil || !e.EstablishedAt.IsZero() ||
		e.FormerNames != nil {
		t.Errorf("a firm without ownership columns or former names reads %+v", e)
	}
	// A new former name is a change; the same names again are none.
	g := firms(1)
	g.Enterprises[0] = *e
	g.Enterprises[0].FormerNames = []string{"哈尔滨甲商贸有限公司"}
	if _, a := apply(t, s, g); a.Changed != 1 {
		t.Errorf("changing the former names: %+v, want 1 row changed", a)
	}
	if _, a := apply(t, s, g); a.Changed != 0 {
		t.Errorf("the same former names again: %+v, want nothing changed", a)
	}
	if sub, err := s.Subset(context.Background(), []string{USCC(1)}, time.Now()); err != nil || len(sub.Enterprises) != 1 ||
		!slices.Equal(sub.Enterprises[0].FormerNames, []string{"哈尔滨甲商贸有限公司"}) {
		t.Errorf("Subset reads the former names as %+v, %v", sub, err)
	}

	ended := time.Now().AddDate(-1, 0, 0).Truncate(time.Millisecond)
	c := holdings(holding{line: 2, firm: 1, of: 2, share: 0.6}, holding{line: 3, who: "p-b2", of: 2, share: 0.4},
		holding{line: 4, who: "p-b2", of: 3, share: 0.3, until: ended})
	c.Shareholdings[0].SubscribedCapital = ptr(3e6)
	rejected, a := apply(t, s, c)
	if len(rejected) != 0 {
		t.Fatalf("rejected %v", errorsText(rejected))
	}
	if a.Rows != 3 || a.Changed != 3 || !slices.Equal(a.Touched, []string{USCC(1), USCC(2), USCC(3)}) {
		t.Errorf("applied = %+v, want 3 rows changed touching firms 1, 2, 3", a)
	}
	hs := allShareholdings(t, s)
	want := []credit.Shareholding{
		{Holder: USCC(1), HolderKind: credit.HolderFirm, Investee: USCC(2), Share: 0.6, SubscribedCapital: ptr(3e6), Since: day.AddDate(-5, 0, 0)},
		{Holder: "p-b2", HolderKind: credit.HolderPerson, HolderName: "张p-b2", Investee: USCC(2), Share: 0.4, Since: day.AddDate(-5, 0, 0)},
		{Holder: "p-b2", HolderKind: credit.HolderPerson, HolderName: "张p-b2", Investee: USCC(3), Share: 0.3, Since: day.AddDate(-5, 0, 0), Until: ended},
	}
	if !slices.EqualFunc(hs, want, equalHolding) {
		t.Errorf("shareholdings round trip:\n got %+v\nwant %+v", hs, want)
	}
	if got := counts(t, s).Shareholdings; got != 3 {
		t.Errorf("counts.Shareholdings = %d, want 3", got)
	}
	// A change of a person's stake touches the investee only.
	_, a = apply(t, s, holdings(holding{line: 2, who: "p-b2", of: 3, share: 0.35, until: ended}))
	if a.Changed != 1 || !slices.Equal(a.Touched, []string{USCC(3)}) {
		t.Errorf("person's stake changed: %+v, want firm 3 touched", a)
	}
}

func equalHolding(a, b credit.Shareholding) bool {
	capital := func(x *float64) float64 {
		if x == nil {
			return -1
		}
		return *x
	}
	return a.Holder == b.Holder && a.HolderKind == b.HolderKind && a.HolderName == b.HolderName &&
		a.Investee == b.Investee && a.Share == b.Share && capital(a.SubscribedCapital) == capital(b.SubscribedCapital) &&
		a.Since.Equal(b.Since) && a.Until.Equal(b.Until)
}

// testShareholdingChecks: duplicates, an unknown investee and an unknown firm holder
// are refused; a person needs no row of its own.
func testShareholdingChecks(t *testing.T, s store.Store) {
	apply(t, s, firms(3))
	rejected, a := apply(t, s, holdings(
		holding{line: 2, firm: 1, of: 2, share: 0.3},
		holding{line: 3, firm: 1, of: 2, share: 0.2},  // the same key again
		holding{line: 4, firm: 77, of: 2, share: 0.1}, // unknown firm holder
		holding{line: 5, who: "p-1", of: 78, share: 0.1},
		holding{line: 6, who: "p-1", of: 2, share: 0.2},
		holding{line: 7, who: "p-2", of: 3, share: 1},
	))
	want := []string{
		"shareholdings:3: holder_kind→holder→investee: duplicate key holder_kind→holder→investee firm→" + USCC(1) + "→" + USCC(2) + ": already given on line 2",
		"shareholdings:4: holder: unknown firm " + USCC(77) + " (neither in the store nor in this batch)",
		"shareholdings:5: investee: unknown firm " + USCC(78) + " (neither in the store nor in this batch)",
	}
	if got := errorsText(rejected); !slices.Equal(got, want) {
		t.Errorf("rejections:\n got %q\nwant %q", got, want)
	}
	if a.Rows != 3 || counts(t, s).Shareholdings != 3 {
		t.Errorf("merged %d rows, holding %d; want 3", a.Rows, counts(t, s).Shareholdings)
	}
	// Firms of the same batch may hold and be held.
	f := firms(5)
	f.Enterprises, f.Lines = f.Enterprises[3:], f.Lines[3:]
	if rejected, _ := apply(t, s, f, holdings(holding{line: 2, firm: 4, of: 5, share: 1})); len(rejected) != 0 {
		t.Errorf("holding between firms of the batch refused: %v", errorsText(rejected))
	}
}

// testShareholdingShareSum: when the current shares in one investee would pass 1, every
// row of the batch for that investee is refused; rows of the same key replace held
// ones, and ended holdings do not count.
func testShareholdingShareSum(t *testing.T, s store.Store) {
	ended := time.Now().AddDate(0, -1, 0)
	apply(t, s, firms(6), holdings(holding{line: 2, firm: 1, of: 6, share: 0.5}, holding{line: 3, who: "p-1", of: 6, share: 0.3},
		holding{line: 4, who: "p-9", of: 6, share: 0.9, until: ended}, holding{line: 5, firm: 1, of: 5, share: 0.5}))
	// Held and current: 0.5 (firm 1) + 0.3 (p-1) in firm 6. The batch replaces firm 1's
	// stake with 0.2 and adds 0.4 and 0.2 (sum 1.1): all three rows are refused; the
	// rows for firm 5 (0.5 + 0.4) pass.
	rejected, a := apply(t, s, holdings(holding{line: 2, firm: 1, of: 6, share: 0.2}, holding{line: 3, firm: 2, of: 5, share: 0.4},
		holding{line: 4, firm: 3, of: 6, share: 0.4}, holding{line: 5, who: "p-2", of: 6, share: 0.2}))
	reason := ": share: Σ current share of the holders of " + USCC(6) + " would reach 1.1 (> 1): every row of this batch for it is refused"
	want := []string{"shareholdings:2" + reason, "shareholdings:4" + reason, "shareholdings:5" + reason}
	if got := errorsText(rejected); !slices.Equal(got, want) {
		t.Errorf("share sum rejections:\n got %q\nwant %q", got, want)
	}
	if a.Rows != 1 {
		t.Errorf("merged %d rows, want 1", a.Rows)
	}
	if hs := allShareholdings(t, s); len(hs) != 5 || hs[2].Holder != USCC(1) || hs[2].Investee != USCC(6) || hs[2].Share != 0.5 {
		t.Errorf("held after the refusal: %+v", hs)
	}
	// Replacing the stake with 0.2 alone, adding 0.5 (sum 1 within the tolerance), and
	// an ended stake that would not fit when current, passes.
	rejected, _ = apply(t, s, holdings(holding{line: 2, firm: 1, of: 6, share: 0.2}, holding{line: 3, firm: 3, of: 6, share: 0.5 + 5e-7},
		holding{line: 4, who: "p-3", of: 6, share: 0.7, until: ended}))
	if len(rejected) != 0 {
		t.Errorf("sum 1+5e-7 refused: %v", errorsText(rejected))
	}
	// Ending a held stake frees its share in the same batch.
	rejected, _ = apply(t, s, holdings(holding{line: 2, who: "p-1", of: 6, share: 0.3, until: ended},
		holding{line: 3, who: "p-4", of: 6, share: 0.3}))
	if len(rejected) != 0 {
		t.Errorf("a stake ended and another taken refused: %v", errorsText(rejected))
	}
}

// testShareholdingReimport: re-sending the same holdings and firms changes nothing.
func testShareholdingReimport(t *testing.T, s store.Store) {
	batch := func() []*store.Chunk {
		f := firms(3)
		f.Enterprises[0].LegalRepID, f.Enterprises[0].EstablishedAt = "p-1", day.AddDate(-3, 0, 0)
		c := holdings(holding{line: 2, firm: 1, of: 2, share: 0.7}, holding{line: 3, who: "p-1", of: 1, share: 1},
			holding{line: 4, firm: 2, of: 3, share: 0.25, until: day})
		c.Shareholdings[0].SubscribedCapital = ptr(7e6)
		return []*store.Chunk{f, c}
	}
	apply(t, s, batch()...)
	before := allShareholdings(t, s)
	_, a := apply(t, s, batch()...)
	if a.Changed != 0 || len(a.Touched) != 0 || a.Rows != 6 {
		t.Errorf("re-import: %+v, want 6 rows, nothing changed", a)
	}
	if after := allShareholdings(t, s); !slices.EqualFunc(before, after, equalHolding) {
		t.Errorf("re-import changed the holdings: %+v → %+v", before, after)
	}
}

// testShareholdingRefusedBatch: a batch rolled back after its check, as a strict
// import does when any row is bad, leaves nothing of its good rows.
func testShareholdingRefusedBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(2))
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := firms(4)
	f.Enterprises, f.Lines = f.Enterprises[2:], f.Lines[2:]
	for _, c := range []*store.Chunk{f, holdings(holding{line: 2, firm: 3, of: 1, share: 0.5}, holding{line: 3, firm: 99, of: 2, share: 0.5})} {
		if err := b.Stage(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if rejected, err := b.Check(ctx); err != nil || len(rejected) != 1 {
		t.Fatalf("check: %v, %v; want the unknown holder refused", errorsText(rejected), err)
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if c := counts(t, s); c.Enterprises != 2 || c.Shareholdings != 0 {
		t.Errorf("after the rollback: %+v", c)
	}
}

// testShareholdingSubset: Subset lists the holdings in which a firm of the set is the
// investee or the holder, ended ones included, each once.
func testShareholdingSubset(t *testing.T, s store.Store) {
	apply(t, s, firms(5), holdings(holding{line: 2, firm: 1, of: 2, share: 0.6}, holding{line: 3, firm: 2, of: 3, share: 0.5},
		holding{line: 4, who: "p-1", of: 2, share: 0.4, until: day}, holding{line: 5, firm: 4, of: 5, share: 1}))
	sub, err := s.Subset(context.Background(), []string{USCC(2)}, day)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range sub.Shareholdings {
		got = append(got, h.Holder+"→"+h.Investee)
	}
	want := []string{"p-1→" + USCC(2), USCC(1) + "→" + USCC(2), USCC(2) + "→" + USCC(3)}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("subset holdings %q, want %q", got, want)
	}
	sub, _ = s.Subset(context.Background(), []string{USCC(1), USCC(2), USCC(3)}, day)
	if len(sub.Shareholdings) != 3 {
		t.Errorf("holdings among 1, 2, 3: %d, want 3", len(sub.Shareholdings))
	}
}
