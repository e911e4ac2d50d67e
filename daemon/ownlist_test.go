package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/tokens"
)

// chainAnswer is what this test reads of GET /api/v1/chains/{leader}.
type chainAnswer struct {
	ChainRisk         float64 `json:"chain_risk"`
	SupplyAtRisk      float64 `json:"supply_at_risk"`
	SuppliedRelations int     `json:"supplied_relations"`
	Members           []struct {
		USCC string
		Tier int
		D    float64
	}
	TopContributors []json.RawMessage `json:"top_contributors"`
	Concentration   []json.RawMessage
}

type graphAnswer struct {
	Edges []struct {
		Supplier, Customer, Source string
		PurchaseShare              float64 `json:"purchase_share"`
		Estimated                  []string
	}
}

// TestOwnListChangesOnlyItsChainView: the soybean leader's tenant onboards two
// suppliers through the API — one the registry links to it, with another share, and
// one only the leader knows of, without a sales share. Its chain view takes both,
// labelled, and it now sees the new supplier; the dairy leader's chain, every
// firm's d and the registry's relations stay exactly as they were.
func TestOwnListChangesOnlyItsChainView(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, true)
	defer stop()
	ctx := context.Background()
	c := &crawlClient{t: t, base: "http://" + d.Addr() + "/api/v1", tokens: map[string]string{}}
	const soy, dairy = "912301099436075960", "91230200MA1YJ9AK5N"
	const beans, milk = "91231100843841844D", "91230200MA1UBNHC57" // a registry supplier of soy; dairy's raw milk
	for who, leader := range map[string]string{"admin": "", soy: soy, dairy: dairy} {
		role := tokens.RoleTenant
		if who == "admin" {
			role = tokens.RoleAdmin
		}
		plain, _, err := tokens.Create(ctx, d.Store(), "own-list-"+who, role, leader)
		if err != nil {
			t.Fatal(err)
		}
		c.tokens[who] = plain
	}
	var soy0, dairy0 chainAnswer
	c.get("/chains/"+soy+"?members=all", soy, &soy0)
	c.get("/chains/"+dairy+"?members=all", dairy, &dairy0)
	if code, _ := c.do("GET", "/enterprises/"+milk, soy, ""); code != http.StatusNotFound {
		t.Fatalf("raw milk outside the soybean chain: %d, want 404 before the list", code)
	}
	registry := tableDump(t, d.Store(), registryDump)
	d0 := d.State().D

	code, b := c.send("POST", "/relations?strict=true", soy, "text/csv",
		fmt.Sprintf("supplier,purchase_share,sales_share,substitutability,product\n%s,0.3,0.899,0.2,大豆\n%s,0.1,,0.5,生鲜乳\n", beans, milk))
	if code != http.StatusOK {
		t.Fatalf("the soybean tenant's list: %d %s", code, b)
	}
	// The incremental scan the list queued keeps the previous scan's clock, so every
	// figure it did not change stays exactly as it was (a full scan would rescore every
	// firm at a later clock).
	waitScanDone(t, c, "api:own-list-"+soy)

	var soy1, dairy1 chainAnswer
	c.get("/chains/"+soy+"?members=all", soy, &soy1)
	c.get("/chains/"+dairy+"?members=all", dairy, &dairy1)
	if soy1.SuppliedRelations != 2 {
		t.Errorf("supplied_relations = %d, want 2", soy1.SuppliedRelations)
	}
	tier := func(a chainAnswer, u string) int {
		for _, m := range a.Members {
			if m.USCC == u {
				return m.Tier
			}
		}
		return 99
	}
	if tier(soy1, milk) != 1 || tier(soy0, milk) != 99 {
		t.Errorf("raw milk's tier in the soybean chain: %d before, %d after; want none, then 1", tier(soy0, milk), tier(soy1, milk))
	}
	if soy1.SupplyAtRisk == soy0.SupplyAtRisk {
		t.Error("the soybean chain's supply_at_risk did not move with its list")
	}
	if code, _ := c.do("GET", "/enterprises/"+milk, soy, ""); code != http.StatusOK {
		t.Errorf("raw milk, now in the soybean chain view: %d, want 200", code)
	}
	var g graphAnswer
	c.get("/chains/"+soy+"/graph", soy, &g)
	seen := 0
	for _, e := range g.Edges {
		switch {
		case e.Supplier == beans && e.Customer == soy:
			seen++
			if e.Source != soy || e.PurchaseShare != 0.3 || len(e.Estimated) != 0 {
				t.Errorf("beans → soy in the graph: %+v, want the leader's 0.3", e)
			}
		case e.Supplier == milk && e.Customer == soy:
			seen++
			if e.Source != soy || !slices.Equal(e.Estimated, []string{"sales_share"}) {
				t.Errorf("milk → soy in the graph: %+v, want the leader's, its sales share estimated", e)
			}
		case e.Source != "registry":
			t.Errorf("%s → %s: source %q, want registry", e.Supplier, e.Customer, e.Source)
		}
	}
	if seen != 2 {
		t.Errorf("the graph shows %d of the leader's 2 relations", seen)
	}
	if !reflect.DeepEqual(dairy1, dairy0) {
		t.Errorf("the dairy chain changed:\nbefore %+v\nafter  %+v", dairy0, dairy1)
	}
	if tableDump(t, d.Store(), registryDump) != registry {
		t.Error("the registry's relations changed")
	}
	if d1 := d.State().D; !slices.Equal(d0, d1[:len(d0)]) {
		t.Error("a firm's network distress moved with the leader's list")
	}
	// The dairy tenant still cannot read the soybean chain, nor learn of the list.
	if code, b := c.do("GET", "/chains/"+soy+"/graph", dairy, ""); code != http.StatusNotFound || strings.Contains(b, milk) {
		t.Errorf("the soybean graph as the dairy tenant: %d", code)
	}
}

// waitScanDone waits until the scan with trigger has succeeded.
func waitScanDone(t *testing.T, c *crawlClient, trigger string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var scans struct {
			Scans []struct{ Trigger, Status string }
		}
		c.get("/scans?limit=50", "admin", &scans)
		for _, sc := range scans.Scans {
			if sc.Trigger == trigger && sc.Status == "succeeded" {
				return
			}
			if sc.Trigger == trigger && sc.Status == "failed" {
				t.Fatalf("the scan of %s failed", trigger)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the scan of %s did not finish", trigger)
}
