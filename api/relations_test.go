package api

import (
	"net/http"
	"strings"
	"testing"
)

type relationsAnswer struct {
	Relations []struct {
		Supplier, Customer, Source string
		PurchaseShare              float64 `json:"purchase_share"`
		SalesShare                 float64 `json:"sales_share"`
		Estimated                  []string
	}
	Truncated bool
}

// TestTenantSuppliesRelations: tenant A posts one of its leader's purchases without a
// sales share; the answers show it beside the registry's, with its source and the
// estimate labelled; tenant B never sees it; A withdraws it.
func TestTenantSuppliesRelations(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		body := "supplier,purchase_share,product\n" + demoSupplier + ",0.4,大豆\n"
		var sum struct {
			Accepted  int
			Committed bool
		}
		h.call(req{method: "POST", path: "/api/v1/relations", token: "tenantA", ctype: "text/csv", body: body}, http.StatusOK, &sum)
		if sum.Accepted != 1 || !sum.Committed {
			t.Fatalf("summary %+v", sum)
		}
		path := "/api/v1/relations?supplier=" + demoSupplier + "&customer=" + h.leaderA
		var got relationsAnswer
		h.call(req{method: "GET", path: path, token: "tenantA"}, http.StatusOK, &got)
		if len(got.Relations) != 2 {
			t.Fatalf("tenant A lists %+v, want the registry's row and its own", got)
		}
		reg, own := got.Relations[0], got.Relations[1]
		// The registry's row stays as the demo gives it: 0.5, 0.899, not estimated.
		if reg.Source != "registry" || reg.PurchaseShare != 0.5 || reg.SalesShare != 0.899 || len(reg.Estimated) != 0 {
			t.Errorf("registry row %+v", reg)
		}
		// Its own: 0.4 as sent, the sales share taken from the registry's pair, labelled.
		if own.Source != h.leaderA || own.PurchaseShare != 0.4 || own.SalesShare != 0.899 ||
			len(own.Estimated) != 1 || own.Estimated[0] != "sales_share" {
			t.Errorf("supplied row %+v", own)
		}
		h.call(req{method: "GET", path: path, token: "admin"}, http.StatusOK, &got)
		if len(got.Relations) != 2 {
			t.Errorf("admin lists %+v", got)
		}
		h.call(req{method: "GET", path: path + "&source=registry&limit=1", token: "analyst"}, http.StatusOK, &got)
		if len(got.Relations) != 1 || got.Relations[0].Source != "registry" || got.Truncated {
			t.Errorf("source=registry lists %+v", got)
		}
		h.call(req{method: "GET", path: "/api/v1/relations?limit=1", token: "admin"}, http.StatusOK, &got)
		if len(got.Relations) != 1 || !got.Truncated {
			t.Errorf("limit=1 lists %+v", got)
		}
		// Tenant B: none of A's rows, whatever it asks.
		for _, q := range []string{"", "?source=" + h.leaderA, "?customer=" + h.leaderA, "?limit=10000"} {
			w := h.call(req{method: "GET", path: "/api/v1/relations" + q, token: "tenantB"}, http.StatusOK, nil)
			if strings.Contains(w.Body.String(), `"source":"`+h.leaderA) {
				t.Errorf("tenant B is shown A's supplied rows (%s): %.300s", q, w.Body)
			}
		}
		// B cannot withdraw A's row; A withdraws it, then it is gone.
		h.call(req{method: "DELETE", path: "/api/v1/relations?supplier=" + demoSupplier, token: "tenantB"}, http.StatusNotFound, nil)
		h.call(req{method: "DELETE", path: "/api/v1/relations?supplier=" + demoSupplier, token: "tenantA"}, http.StatusNoContent, nil)
		h.call(req{method: "DELETE", path: "/api/v1/relations?supplier=" + demoSupplier, token: "tenantA"}, http.StatusNotFound, nil)
		h.call(req{method: "GET", path: path, token: "tenantA"}, http.StatusOK, &got)
		if len(got.Relations) != 1 || got.Relations[0].Source != "registry" {
			t.Errorf("after the withdrawal: %+v", got)
		}
	})
}

// TestTenantSupplyRules: another customer is a row error naming the rule; the other
// ingest routes stay closed to tenants; bad parameters are 400.
func TestTenantSupplyRules(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		body := "supplier,customer,purchase_share\n" + demoSupplier + "," + h.leaderB + ",0.1\n"
		var sum struct {
			Rejected  int
			Errors    []string
			Committed bool
		}
		h.call(req{method: "POST", path: "/api/v1/relations?strict=true", token: "tenantA", ctype: "text/csv", body: body},
			http.StatusUnprocessableEntity, &sum)
		want := "2: customer: a tenant supplies only its own leader's purchases: customer " + h.leaderB + " is not " + h.leaderA
		if sum.Rejected != 1 || sum.Committed || len(sum.Errors) != 1 || sum.Errors[0] != want {
			t.Errorf("summary %+v, want the error %q", sum, want)
		}
		for _, k := range []string{"enterprises", "events", "repairs", "shareholdings"} {
			h.call(req{method: "POST", path: "/api/v1/" + k, token: "tenantA", ctype: "text/csv", body: demoRow(t, "enterprises")},
				http.StatusForbidden, nil)
		}
		for _, p := range []string{"?supplier=nope", "?source=elsewhere", "?limit=0"} {
			h.call(req{method: "GET", path: "/api/v1/relations" + p, token: "tenantA"}, http.StatusBadRequest, nil)
		}
		h.call(req{method: "DELETE", path: "/api/v1/relations", token: "tenantA"}, http.StatusBadRequest, nil)
		h.call(req{method: "DELETE", path: "/api/v1/relations?supplier=" + demoSupplier, token: "admin"}, http.StatusForbidden, nil)
	})
}
