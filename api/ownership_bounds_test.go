package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

// boundsFirm is the n-th firm this test adds to the demo.
func boundsFirm(t *testing.T, n int) string {
	code, err := credit.MakeUSCC(fmt.Sprintf("91230100MA%07d", 9000000+n))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestOwnershipBounds runs the check, the export and the enterprise answer on the
// shapes that could make them slow or large: a firm with 10,000 holders, and a
// chain of 50 majority stakes. Each answers (its figures logged), or, past
// the export's bound, answers 422 ownership_too_large.
func TestOwnershipBounds(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		const holders, levels = 10000, 50
		hub := boundsFirm(t, 0)
		chain := make([]string, levels+1) // chain[i+1] holds 0.9 of chain[i]
		var firms, holds strings.Builder
		firms.WriteString("uscc,name,region,industry,tags,status\n")
		holds.WriteString("holder,holder_kind,holder_name,investee,share\n")
		fmt.Fprintf(&firms, "%s,界限测试枢纽有限公司,230100,C1331,,active\n", hub)
		for i := range chain {
			chain[i] = boundsFirm(t, 1+i)
			fmt.Fprintf(&firms, "%s,界限测试第%d层有限公司,230100,C1331,,active\n", chain[i], i)
			if i > 0 {
				fmt.Fprintf(&holds, "%s,firm,,%s,0.9\n", chain[i], chain[i-1])
			}
		}
		for i := range holders {
			fmt.Fprintf(&holds, "bound-p-%05d,person,张%d,%s,0.0001\n", i, i, hub)
		}
		for _, in := range []struct {
			kind credit.Kind
			body string
		}{{credit.KindEnterprises, firms.String()}, {credit.KindShareholdings, holds.String()}} {
			if sum, err := h.b.Ingest(ctx, in.kind, ingest.CSV, strings.NewReader(in.body), true, "test"); err != nil || !sum.OK() {
				t.Fatalf("ingest %s: %v %v", in.kind, err, sum.Errors)
			}
		}
		timed := func(what string, r req, status int, into any) {
			t.Helper()
			start := time.Now()
			w := h.call(r, status, into)
			t.Logf("%s: %d, %d bytes in %v", what, w.Code, w.Body.Len(), time.Since(start))
		}

		var c checkJSON
		timed("check of the firm with 10,000 holders", req{method: "POST", path: "/api/v1/checks", token: "analyst",
			ctype: "application/json", body: `{"uscc":"` + hub + `"}`}, http.StatusCreated, &c)
		if len(c.Shareholders) != holders || math.Abs(c.Completeness.KnownShare-1) > 1e-9 || len(c.BeneficialOwners) != 0 {
			t.Errorf("hub check: %d shareholders, known share %v, beneficial owners %v", len(c.Shareholders),
				c.Completeness.KnownShare, c.BeneficialOwners)
		}
		var a ownershipAnswer
		timed("export of its holders", req{method: "GET", path: "/api/v1/enterprises/" + hub + "/ownership?depth=1", token: "analyst"},
			http.StatusOK, &a)
		if len(a.Nodes) != holders+1 || len(a.Links) != holders {
			t.Errorf("hub export: %d nodes, %d links", len(a.Nodes), len(a.Links))
		}
		saved := maxOwnershipNodes
		maxOwnershipNodes = 5000
		e := h.wantError(req{method: "GET", path: "/api/v1/enterprises/" + hub + "/ownership", token: "analyst"},
			http.StatusUnprocessableEntity, codeOwnershipTooLarge)
		maxOwnershipNodes = saved
		if !strings.Contains(e.Message, "lower depth") || !strings.Contains(e.Message, "5000") {
			t.Errorf("the 422 says %q", e.Message)
		}

		// The 50-level chain, checked from its bottom: the holders within depth 5
		// hold 0.9^k (k = 1…5); all above 1/2 (0.9^5 = 0.59049), so all are
		// majority holders; the controller is the top, 50 links up, beyond the depth.
		timed("check at the bottom of 50 levels", req{method: "POST", path: "/api/v1/checks", token: "analyst",
			ctype: "application/json", body: `{"uscc":"` + chain[0] + `"}`}, http.StatusCreated, &c)
		if ac := c.ActualController; ac == nil || ac.USCC != chain[levels] || len(ac.Path) != levels+1 || len(c.Shareholders) != 5 {
			t.Fatalf("chain check: controller %+v, %d shareholders", c.ActualController, len(c.Shareholders))
		}
		for k, p := range c.Shareholders {
			if p.USCC != chain[k+1] || math.Abs(p.PenetratedShare-math.Pow(0.9, float64(k+1))) > 1e-12 {
				t.Errorf("shareholder %d: %s %v", k, p.USCC, p.PenetratedShare)
			}
		}
		var ent struct {
			Related         []relatedJSON
			RelatedComplete bool `json:"related_complete"`
		}
		timed("enterprise answer at the bottom", req{method: "GET", path: "/api/v1/enterprises/" + chain[0], token: "analyst"},
			http.StatusOK, &ent)
		// The controller (penetrated share 0: beyond depth 5), then the five holders.
		if len(ent.Related) != 6 || ent.Related[0].USCC != chain[levels] || ent.Related[0].PenetratedShare != 0 ||
			len(ent.Related[0].Path) != levels+1 || !ent.RelatedComplete {
			t.Errorf("related at the bottom: %d parties, first %+v", len(ent.Related), ent.Related[0])
		}
		timed("export at depth 10", req{method: "GET", path: "/api/v1/enterprises/" + chain[0] + "/ownership?depth=10", token: "analyst"},
			http.StatusOK, &a)
		if len(a.Nodes) != 11 || len(a.Links) != 10 {
			t.Errorf("chain export: %d nodes, %d links", len(a.Nodes), len(a.Links))
		}
	})
}
