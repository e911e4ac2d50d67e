package monitor_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/store"
)

// The demo's distressed holding company controls the soybean leader's carton
// maker two levels up: 91230102MAHTL3M900 → 91230103MA0LW33J30 (65 %) →
// 912301113528741157 (60 %).
const (
	demoSupplier = "912301113528741157"
	demoMiddle   = "91230103MA0LW33J30"
	demoHolding  = "91230102MAHTL3M900"
	demoLeader   = "912301099436075960"
)

func TestDemoRegistryController(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	if _, err := e.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	st := e.State()
	if st.Owners == nil || st.Owners.NumHoldings() == 0 {
		t.Fatal("no ownership registry after the demo's full scan")
	}
	c := st.Owners.Controller(demoSupplier)
	if c.Key != demoHolding || c.Kind != ownership.Firm || c.Cyclic {
		t.Fatalf("controller of %s = %+v, want %s", demoSupplier, c, demoHolding)
	}
	if want := []string{demoHolding, demoMiddle, demoSupplier}; !reflect.DeepEqual(c.Path, want) {
		t.Errorf("controller path %v, want %v", c.Path, want)
	}
	if len(st.People) == 0 {
		t.Error("no person names after the demo's full scan")
	}
}

// TestIncrementalOwnersEqualFull changes holdings and legal representatives
// through incremental scans and compares the registry's checks with a full
// scan's.
func TestIncrementalOwnersEqualFull(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	ctx := context.Background()
	at := demo.AnchorTime()
	inc := newEngine(s, at)
	if _, err := inc.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	holding := func(holder string, kind credit.HolderKind, investee string, share float64) credit.Shareholding {
		return credit.Shareholding{Holder: holder, HolderKind: kind, HolderName: "", Investee: investee, Share: share}
	}
	ended := holding(demoMiddle, credit.HolderFirm, demoSupplier, 0.6)
	ended.Until = at.AddDate(0, 0, -1)
	steps := []*store.Chunk{
		// The middle company's stake in the supplier is sold.
		shareChunk(ended),
		// The holding company's stake in the middle one shrinks; a new person holds it too.
		shareChunk(holding(demoHolding, credit.HolderFirm, demoMiddle, 0.4),
			credit.Shareholding{Holder: "p-new-holder-0001", HolderKind: credit.HolderPerson, HolderName: "王小明",
				Investee: demoMiddle, Share: 0.2}),
		// The middle company buys its stake back.
		shareChunk(holding(demoMiddle, credit.HolderFirm, demoSupplier, 0.6)),
		// The supplier's legal representative changes.
		legalRepChunk(t, s, demoSupplier, "p-new-rep-0002", "李四"),
	}
	firms := []string{demoSupplier, demoMiddle, demoHolding, demoLeader}
	for i, c := range steps {
		a := apply(t, s, c)
		if _, err := inc.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: a.Touched}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		full := newEngine(s, at)
		if _, err := full.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"}); err != nil {
			t.Fatal(err)
		}
		ist, fst := inc.State(), full.State()
		if ist.Owners.NumHoldings() != fst.Owners.NumHoldings() {
			t.Errorf("step %d: %d holdings incremental, %d full", i, ist.Owners.NumHoldings(), fst.Owners.NumHoldings())
		}
		for _, u := range firms {
			ic, fc := ownerCheck(t, ist, u), ownerCheck(t, fst, u)
			if !reflect.DeepEqual(ic, fc) {
				t.Errorf("step %d check of %s differs:\n inc  %+v\n full %+v", i, u, ic, fc)
			}
		}
		if !reflect.DeepEqual(ist.People, fst.People) {
			t.Errorf("step %d: person names differ", i)
		}
	}
	c := ownerCheck(t, inc.State(), demoSupplier)
	if c.LegalRep != "p-new-rep-0002" || c.Controller.Key != demoMiddle {
		t.Errorf("final check of %s: legal rep %q, controller %q", demoSupplier, c.LegalRep, c.Controller.Key)
	}
}

func shareChunk(hs ...credit.Shareholding) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindShareholdings, Shareholdings: hs}
	for i := range hs {
		c.Lines = append(c.Lines, i+2)
	}
	return c
}

func legalRepChunk(t *testing.T, s store.Store, uscc, person, name string) *store.Chunk {
	t.Helper()
	sub, err := s.Subset(context.Background(), []string{uscc}, demo.AnchorTime())
	if err != nil || len(sub.Enterprises) != 1 {
		t.Fatalf("subset of %s: %v", uscc, err)
	}
	e := sub.Enterprises[0]
	e.LegalRepID, e.LegalRepName = person, name
	return &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{e}}
}

// ownerCheck is a firm's check with the node indexes, which differ between
// registries built in different orders, cleared.
func ownerCheck(t *testing.T, st *monitor.State, uscc string) *ownership.Check {
	t.Helper()
	c, err := st.Owners.Check(uscc, ownership.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Holders {
		c.Holders[i].Node = 0
	}
	for i := range c.Investees {
		c.Investees[i].Node = 0
	}
	for i := range c.BeneficialOwners {
		c.BeneficialOwners[i].Node = 0
	}
	for i := range c.LegalRepFirms {
		c.LegalRepFirms[i].Node = 0
	}
	c.Controller.Node = min(c.Controller.Node, 0)
	return c
}
