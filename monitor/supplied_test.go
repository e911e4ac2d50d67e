package monitor_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

const (
	soybean   = "912301099436075960" // a leading firm of the demo
	dairy     = "91230200MA1YJ9AK5N" // another
	beanTrade = "91231100843841844D" // the registry's 0.5 soybean supplier of soybean
	rawMilk   = "91230200MA1UBNHC57" // a supplier of dairy, not of soybean
)

// supply imports a leader's own rows as its tenant would and returns what changed.
func supply(t *testing.T, s store.Store, leader, rows string) store.Applied {
	t.Helper()
	sum, err := ingest.Import(context.Background(), s, []ingest.Input{{File: "list.csv", Kind: credit.KindRelations,
		Format: ingest.CSV, R: strings.NewReader(rows)}}, ingest.ImportOptions{Strict: true, Source: leader,
		Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("supply: %v %v", err, sum.Errors)
	}
	return sum.Applied
}

// reference is soybean's exposure computed independently of the chain view: the whole
// graph rebuilt with soybean's in-relations replaced by its list, Exposure on it with
// the scan's p and d, and chain_risk as one step of the distress equation at the leader.
func reference(t *testing.T, st *monitor.State, leader int32, list map[string]graph.EdgeAttrs) *risk.Exposure {
	t.Helper()
	b := graph.NewBuilder(st.Len(), st.Snap.NumEdges())
	for _, id := range st.Snap.IDs {
		b.AddNode(id)
	}
	c := st.Snap.CSR()
	for u := range int32(st.Len()) {
		for e := c.OutStart[u]; e < c.OutStart[u+1]; e++ {
			v := c.OutTo[e]
			if _, own := list[st.Snap.IDs[u]]; own && v == leader {
				continue
			}
			b.AddEdge(st.Snap.IDs[u], st.Snap.IDs[v], st.Snap.Attrs(e))
		}
	}
	for sup, a := range list {
		b.AddEdge(sup, st.Snap.IDs[leader], a)
	}
	full, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := risk.NewPropagator(full, st.Params.Distress)
	if err != nil {
		t.Fatal(err)
	}
	params := st.Params.Exposure
	params.Chain.MaxPaths = 0
	x, err := pr.Exposure(leader, st.P, st.D, st.Grade, params)
	if err != nil {
		t.Fatal(err)
	}
	x.Chain = nil
	fc := full.CSR()
	prod := 1.0
	for q := fc.InStart[leader]; q < fc.InStart[leader+1]; q++ {
		e := fc.InEdge[q]
		prod *= 1 - st.Params.Distress.AlphaUp*fc.PurchaseShare[e]*(1-fc.Substitutability[e])*st.D[fc.InFrom[q]]
	}
	for e := fc.OutStart[leader]; e < fc.OutStart[leader+1]; e++ {
		prod *= 1 - st.Params.Distress.AlphaDown*fc.SalesShare[e]*st.D[fc.OutTo[e]]
	}
	x.ChainRisk = 1 - (1-st.P[leader])*prod
	return x
}

// sameExposure compares two exposures: the figures that depend on d to 1e-9 (full
// and incremental scans agree to that), everything else exactly.
func sameExposure(t *testing.T, what string, got, want *risk.Exposure) {
	t.Helper()
	g, w := *got, *want
	g.Chain, w.Chain = nil, nil
	for _, f := range []struct {
		name   string
		gv, wv *float64
	}{{"chain_risk", &g.ChainRisk, &w.ChainRisk}, {"supply_at_risk", &g.SupplyAtRisk, &w.SupplyAtRisk},
		{"demand_at_risk", &g.DemandAtRisk, &w.DemandAtRisk}} {
		if math.Abs(*f.gv-*f.wv) > 1e-9 {
			t.Errorf("%s: %s %v, want %v", what, f.name, *f.gv, *f.wv)
		}
		*f.gv = *f.wv
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// TestOwnSupplierList: a leader's list changes its own chain — as a rebuilt graph
// says it should — and nothing else: no firm's d, no other leader's chain, no
// registry relation; full and incremental scans agree; withdrawing the list
// restores the registry's chain.
func TestOwnSupplierList(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	ctx := context.Background()
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"}); err != nil {
		t.Fatal(err)
	}
	st0 := e.State()
	l, _ := st0.Index(soybean)
	m, _ := st0.Index(dairy)
	milk, _ := st0.Index(rawMilk)
	applied := supply(t, s, soybean, "supplier,purchase_share,sales_share,substitutability,amount,product\n"+
		beanTrade+",0.3,0.899,0.2,,大豆\n"+
		rawMilk+",0.1,,0.5,,生鲜乳\n")
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "test", Touched: applied.Touched}); err != nil {
		t.Fatal(err)
	}
	st1 := e.State()
	if !st1.HasOwnList(l) || len(st1.Supplied[l]) != 2 {
		t.Fatalf("soybean's list = %+v, want its 2 rows", st1.Supplied[l])
	}
	var est graph.Supplied
	for _, x := range st1.Supplied[l] {
		if x.Supplier == milk {
			est = x
		}
	}
	if !est.Estimated || est.Attrs.SalesShare <= 0 {
		t.Fatalf("raw milk's row %+v: want an estimated sales share", est)
	}
	want := reference(t, st1, l, map[string]graph.EdgeAttrs{
		beanTrade: {PurchaseShare: 0.3, SalesShare: 0.899, Substitutability: 0.2},
		rawMilk:   est.Attrs,
	})
	sameExposure(t, "soybean after its list", st1.Chains[l], want)
	if st1.Chains[l].SupplyAtRisk == st0.Chains[l].SupplyAtRisk {
		t.Error("soybean's supply_at_risk did not move with its list")
	}
	for v := range st0.D {
		if math.Abs(st0.D[v]-st1.D[v]) > 1e-12 {
			t.Fatalf("d of %s moved %v → %v: a leader's list must not change any firm's d", st0.Snap.IDs[v], st0.D[v], st1.D[v])
		}
	}
	sameExposure(t, "dairy's chain", st1.Chains[m], st0.Chains[m])
	ch, err := st1.ChainOf(l, graph.DefaultChainOptions())
	if err != nil {
		t.Fatal(err)
	}
	if mem, ok := ch.Member(milk); !ok || mem.Tier != 1 {
		t.Errorf("raw milk in soybean's chain view: %+v %v, want tier 1", mem, ok)
	}
	if reg, _ := st1.Snap.Chain(l, graph.DefaultChainOptions()); reg != nil {
		if _, ok := reg.Member(milk); ok {
			t.Error("raw milk entered soybean's chain on the registry's graph")
		}
	}
	registryRow(t, s, beanTrade, soybean, 0.5)

	st1 = newsKeepsView(t, e, s, st1, l, est.Attrs)

	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "test"}); err != nil {
		t.Fatal(err)
	}
	sameExposure(t, "full scan after the incremental one", e.State().Chains[l], st1.Chains[l])

	for _, sup := range []string{beanTrade, rawMilk} {
		if err := s.WithdrawSupplied(ctx, soybean, sup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "test", Touched: []string{soybean}}); err != nil {
		t.Fatal(err)
	}
	st3 := e.State()
	if st3.HasOwnList(l) {
		t.Fatal("soybean still has its list after withdrawing it")
	}
	params := st3.Params.Exposure
	params.Chain.MaxPaths = 0
	registry, err := st3.Prop.Exposure(l, st3.P, st3.D, st3.Grade, params)
	if err != nil {
		t.Fatal(err)
	}
	sameExposure(t, "soybean after withdrawing its list", st3.Chains[l], registry)
	if st3.Chains[l].Size != st0.Chains[l].Size {
		t.Errorf("soybean's chain has %d members after withdrawing its list, %d before it", st3.Chains[l].Size, st0.Chains[l].Size)
	}
}

// registryRow checks that the registry's relation supplier → customer still has its
// purchase share.
func registryRow(t *testing.T, s store.Store, supplier, customer string, ps float64) {
	t.Helper()
	found := false
	err := s.Relations(context.Background(), func(r *credit.Relation) error {
		if r.Supplier == supplier && r.Customer == customer {
			found = true
			if r.PurchaseShare != ps || r.Source != "" {
				t.Errorf("registry row %s → %s = %+v, want purchase_share %v from the registry", supplier, customer, r, ps)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("registry row %s → %s: found %v, %v", supplier, customer, found, err)
	}
}

// newsKeepsView records news about raw milk, the supplier only soybean's list names:
// the chain view is handed on (no relation changed) and the chain follows raw
// milk's new p. It returns the state after.
func newsKeepsView(t *testing.T, e *monitor.Engine, s store.Store, st1 *monitor.State, l int32, milkAttrs graph.EdgeAttrs) *monitor.State {
	t.Helper()
	ctx := context.Background()
	milk, _ := st1.Index(rawMilk)
	view1, _ := st1.ChainSnap(l, st1.Params.Exposure.Chain)
	sum, err := ingest.Import(ctx, s, []ingest.Input{{File: "events.csv", Kind: credit.KindEvents, Format: ingest.CSV,
		R: strings.NewReader("event_id,uscc,type,occurred_at\nOWN-1," + rawMilk + ",bankruptcy,2026-01-05\n")}},
		ingest.ImportOptions{Strict: true, Validator: &credit.Validator{Catalogue: credit.NewCatalogue(), Now: demo.AnchorTime}})
	if err != nil || !sum.OK() {
		t.Fatalf("event: %v %v", err, sum.Errors)
	}
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "test", Touched: sum.Applied.Touched}); err != nil {
		t.Fatal(err)
	}
	st2 := e.State()
	if view2, _ := st2.ChainSnap(l, st2.Params.Exposure.Chain); view2 != view1 {
		t.Error("an events-only scan rebuilt soybean's chain view")
	}
	if st2.P[milk] <= st1.P[milk] {
		t.Fatalf("raw milk's p %v → %v: the bankruptcy did not count", st1.P[milk], st2.P[milk])
	}
	sameExposure(t, "soybean after news of raw milk", st2.Chains[l], reference(t, st2, l, map[string]graph.EdgeAttrs{
		beanTrade: {PurchaseShare: 0.3, SalesShare: 0.899, Substitutability: 0.2},
		rawMilk:   milkAttrs,
	}))
	return st2
}
