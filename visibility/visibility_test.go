package visibility

import (
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/tokens"
)

// state is a small graph: leader A ← S1 ← S2 ← S3 (a supply line three tiers deep),
// A → C (its customer), and leader B ← S1 (B shares A's tier-1 supplier) with B → A
// (B supplies A, so B is a member of A's chain).
func state(t *testing.T) *monitor.State {
	t.Helper()
	b := graph.NewBuilder(8, 8)
	for _, id := range []string{"A", "B", "C", "S1", "S2", "S3", "X"} {
		b.AddNode(id)
	}
	e := graph.EdgeAttrs{PurchaseShare: 0.1, SalesShare: 0.1, Substitutability: 0.5}
	for _, r := range [][2]string{{"S1", "A"}, {"S2", "S1"}, {"S3", "S2"}, {"A", "C"}, {"S1", "B"}, {"B", "A"}} {
		b.AddEdge(r[0], r[1], e)
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return &monitor.State{Snap: snap, Firms: make([]monitor.Firm, snap.Len())}
}

func TestViews(t *testing.T) {
	st := state(t)
	var views Views
	a := views.Of(st, Tenant("A"), 2, 1)
	staff := views.Of(st, Staff(), 2, 1)
	for _, tc := range []struct {
		firm       string
		tenant, by bool
	}{
		{"A", true, true}, {"S1", true, true}, {"S2", true, true}, {"B", true, true}, {"C", true, true},
		{"S3", false, true}, // tier 3: beyond depth_up 2
		{"X", false, true},  // not connected
		{"nobody", false, true},
	} {
		if got := a.Sees(tc.firm); got != tc.tenant {
			t.Errorf("A's tenant sees %s: %v, want %v", tc.firm, got, tc.tenant)
		}
		if got := staff.Sees(tc.firm); got != tc.by {
			t.Errorf("staff sees %s: %v", tc.firm, got)
		}
	}
	if a.Firms() != 5 || staff.Firms() != -1 {
		t.Errorf("Firms: tenant %d, staff %d", a.Firms(), staff.Firms())
	}
	for _, tc := range []struct {
		subject, leader string
		want            bool
	}{
		{"S1", "", true},   // a firm-level alert about a firm of the chain
		{"S1", "A", true},  // A's own chain-level alert
		{"B", "B", false},  // B's chain alert: B is in A's chain, its chain is not A's to read
		{"S1", "B", false}, // B's single-source alert about a shared supplier
		{"S3", "", false},  // a firm outside the chain
		{"S3", "A", false}, // even under A's own leader
	} {
		if got := a.SeesAlert(tc.subject, tc.leader); got != tc.want {
			t.Errorf("A's tenant sees the alert on %s for leader %q: %v, want %v", tc.subject, tc.leader, got, tc.want)
		}
		if !staff.SeesAlert(tc.subject, tc.leader) {
			t.Errorf("staff does not see the alert on %s for %q", tc.subject, tc.leader)
		}
	}
	if !a.SeesChain("A") || a.SeesChain("B") || !staff.SeesChain("B") {
		t.Error("SeesChain: a tenant reads its own chain only, staff any")
	}
	if a.Audience() != "A" || staff.Audience() != "" {
		t.Errorf("audiences %q and %q", a.Audience(), staff.Audience())
	}
	// Views are kept per state: the same view twice, a fresh one for a new state,
	// and a tenant bound to an unknown firm, or without a state, sees nothing.
	if views.Of(st, Tenant("A"), 2, 1) != a {
		t.Error("the view of the same state was computed again")
	}
	st2 := state(t)
	if a2 := views.Of(st2, Tenant("A"), 2, 1); a2 == a || !a2.Sees("S2") {
		t.Error("a new state's view")
	}
	if views.Of(st, Tenant("Q"), 2, 1).Sees("A") || views.Of(nil, Tenant("A"), 2, 1).Sees("A") {
		t.Error("a tenant without a firm or a state sees something")
	}
}

func TestPersonName(t *testing.T) {
	for _, c := range []struct {
		role       tokens.Role
		name, want string
	}{
		{tokens.RoleAdmin, "欧阳娜娜", "欧阳娜娜"},
		{tokens.RoleAnalyst, "欧阳娜娜", "欧阳*"},
		{tokens.RoleAnalyst, "张三", "张*"},
		{tokens.RoleTenant, "张三", "张*"},
		{tokens.RoleAnalyst, "", ""},
	} {
		if got := PersonName(c.role, c.name); got != c.want {
			t.Errorf("PersonName(%s, %q) = %q, want %q", c.role, c.name, got, c.want)
		}
	}
}

// TestSupplied: a tenant supplies for its own firm alone and staff never; a tenant is
// shown the registry's relations inside its chain and its own supplied ones, never
// another leader's.
func TestSupplied(t *testing.T) {
	st := state(t)
	var views Views
	a, b := views.Of(st, Tenant("A"), 2, 1), views.Of(st, Tenant("B"), 2, 1)
	staff := views.Of(st, Staff(), 2, 1)
	for _, tc := range []struct {
		v        *View
		customer string
		want     bool
	}{{a, "A", true}, {a, "B", false}, {a, "S1", false}, {b, "B", true}, {staff, "A", false}, {staff, "", false}} {
		if got := tc.v.MaySupply(tc.customer); got != tc.want {
			t.Errorf("%q MaySupply(%s) = %v, want %v", tc.v.Tenant, tc.customer, got, tc.want)
		}
	}
	own := &credit.Relation{Supplier: "X", Customer: "A", Source: "A"}
	rivals := &credit.Relation{Supplier: "S1", Customer: "B", Source: "B"}
	inChain := &credit.Relation{Supplier: "S1", Customer: "A"}
	outside := &credit.Relation{Supplier: "X", Customer: "A"}
	for _, tc := range []struct {
		v    *View
		r    *credit.Relation
		want bool
	}{
		{a, own, true}, {a, rivals, false}, {a, inChain, true}, {a, outside, false},
		{b, own, false}, {b, rivals, true}, {staff, own, true}, {staff, rivals, true}, {staff, outside, true},
	} {
		if got := tc.v.SeesRelation(tc.r); got != tc.want {
			t.Errorf("%q SeesRelation(%+v) = %v, want %v", tc.v.Tenant, *tc.r, got, tc.want)
		}
	}
}

// Identities are public registry data: every viewer, a tenant of no known firm and one
// without a state included, sees the identity of a firm whose data it does not see.
func TestSeesIdentity(t *testing.T) {
	st := state(t)
	var views Views
	a := views.Of(st, Tenant("A"), 2, 1)
	if a.Sees("X") || !a.SeesIdentity("X") || !a.SeesIdentity("S3") {
		t.Error("A's tenant: X's data hidden, X's and S3's identities shown")
	}
	for _, v := range []*View{views.Of(st, Tenant("Q"), 2, 1), views.Of(nil, Tenant("A"), 2, 1), views.Of(st, Staff(), 2, 1)} {
		if !v.SeesIdentity("A") {
			t.Errorf("viewer %q does not see A's identity", v.Tenant)
		}
	}
}
