package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

// demoSupplier is the supplier of the demo's first relation, a purchase of leader A.
const demoSupplier = "91231100843841844D"

// matrixRoles are the callers of the access matrix: a token per role, tenant A bound
// to the soybean leader, tenant B to the dairy leader, and three kinds of bad
// credentials.
var matrixRoles = []string{"admin", "ingest", "analyst", "tenantA", "tenantB", "none", "bad", "revoked"}

// TestAccessMatrix walks every route with every caller, asserting the status, and
// that nothing tenant A receives names a firm outside its chain.
func TestAccessMatrix(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		// inA is a firm of A's chain outside B's; inB one of B's chain outside A's.
		pick := func(in, out map[string]bool, not string) string {
			for _, u := range h.all {
				if in[u] && !out[u] && u != not {
					return u
				}
			}
			t.Fatal("no firm to pick")
			return ""
		}
		inA, inB := pick(h.scopeA, h.scopeB, h.leaderA), pick(h.scopeB, h.scopeA, h.leaderB)
		// The soybean leader sells to a feed mill of the dairy chain: it is tier 3 of
		// dairy, so tenant B may read it, but not its chain.
		if h.scopeA[h.leaderB] || !h.scopeB[h.leaderA] {
			t.Fatal("the demo changed: the soybean leader should be in the dairy chain, not the reverse")
		}
		fx := h.alertFixtures()
		const (
			ok   = http.StatusOK
			cre  = http.StatusCreated
			del  = http.StatusNoContent
			acc  = http.StatusAccepted
			unau = http.StatusUnauthorized
			forb = http.StatusForbidden
			nf   = http.StatusNotFound
		)
		// want gives the status of admin, ingest, analyst, tenantA, tenantB; none,
		// bad and revoked tokens always get 401 (but on the open document).
		// "{role}" in a call's path or body names the caller.
		type call struct {
			name string
			r    req
			want [5]int
		}
		stress := func(u string) string { return `{"shocks":[{"uscc":"` + u + `","psi":0.5}]}` }
		calls := []call{
			{"openapi", req{method: "GET", path: "/api/v1/openapi.json"}, [5]int{ok, ok, ok, ok, ok}},
			{"enterprise in A", req{method: "GET", path: "/api/v1/enterprises/" + inA}, [5]int{ok, forb, ok, ok, nf}},
			{"enterprise in B", req{method: "GET", path: "/api/v1/enterprises/" + inB}, [5]int{ok, forb, ok, nf, ok}},
			{"leader A", req{method: "GET", path: "/api/v1/enterprises/" + h.leaderA}, [5]int{ok, forb, ok, ok, ok}},
			{"leader B", req{method: "GET", path: "/api/v1/enterprises/" + h.leaderB}, [5]int{ok, forb, ok, nf, ok}},
			{"search", req{method: "GET", path: "/api/v1/enterprises?q=" + url.QueryEscape("有限")}, [5]int{ok, forb, ok, ok, ok}},
			{"search every firm", req{method: "GET", path: "/api/v1/enterprises?limit=500&sort=score"}, [5]int{ok, forb, ok, ok, ok}},
			{"events in A", req{method: "GET", path: "/api/v1/enterprises/" + inA + "/events"}, [5]int{ok, forb, ok, ok, nf}},
			{"events in B", req{method: "GET", path: "/api/v1/enterprises/" + inB + "/events"}, [5]int{ok, forb, ok, nf, ok}},
			{"chain A", req{method: "GET", path: "/api/v1/chains/" + h.leaderA}, [5]int{ok, forb, ok, ok, nf}},
			{"chain B", req{method: "GET", path: "/api/v1/chains/" + h.leaderB}, [5]int{ok, forb, ok, nf, ok}},
			{"chain of a member of A", req{method: "GET", path: "/api/v1/chains/" + inA}, [5]int{ok, forb, ok, nf, nf}},
			{"chain A deeper", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?depth_up=4"}, [5]int{ok, forb, ok, forb, nf}},
			{"chain A shallower", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?depth_up=1&depth_down=0"}, [5]int{ok, forb, ok, ok, nf}},
			{"members A", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members"}, [5]int{ok, forb, ok, ok, nf}},
			{"members B", req{method: "GET", path: "/api/v1/chains/" + h.leaderB + "/members?format=ndjson"}, [5]int{ok, forb, ok, nf, ok}},
			{"members A deeper", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=csv&depth_up=4"}, [5]int{ok, forb, ok, forb, nf}},
			{"graph A", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/graph?format=dot"}, [5]int{ok, forb, ok, ok, nf}},
			{"graph B", req{method: "GET", path: "/api/v1/chains/" + h.leaderB + "/graph"}, [5]int{ok, forb, ok, nf, ok}},
			{"ownership in A", req{method: "GET", path: "/api/v1/enterprises/" + inA + "/ownership"}, [5]int{ok, forb, ok, ok, nf}},
			{"ownership in B", req{method: "GET", path: "/api/v1/enterprises/" + inB + "/ownership?format=dot"}, [5]int{ok, forb, ok, nf, ok}},
			{"report in A", req{method: "GET", path: "/api/v1/enterprises/" + inA + "/report"}, [5]int{ok, forb, ok, ok, nf}},
			{"report in B", req{method: "GET", path: "/api/v1/enterprises/" + inB + "/report"}, [5]int{ok, forb, ok, nf, ok}},
			{"repair plan in A", req{method: "GET", path: "/api/v1/enterprises/" + inA + "/repair-plan"}, [5]int{ok, forb, ok, ok, nf}},
			{"repair plan in B", req{method: "GET", path: "/api/v1/enterprises/" + inB + "/repair-plan"}, [5]int{ok, forb, ok, nf, ok}},
			{"history in A", req{method: "GET", path: "/api/v1/enterprises/" + inA + "/history"}, [5]int{ok, forb, ok, ok, nf}},
			{"history in B", req{method: "GET", path: "/api/v1/enterprises/" + inB + "/history"}, [5]int{ok, forb, ok, nf, ok}},
			{"chain history A", req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/history"}, [5]int{ok, forb, ok, ok, nf}},
			{"chain history B", req{method: "GET", path: "/api/v1/chains/" + h.leaderB + "/history?from=2020-01-01"}, [5]int{ok, forb, ok, nf, ok}},
			{"chain history of a member of A", req{method: "GET", path: "/api/v1/chains/" + inA + "/history"}, [5]int{ok, forb, ok, nf, nf}},
			{"leaders", req{method: "GET", path: "/api/v1/leaders"}, [5]int{ok, forb, ok, ok, ok}},
			{"checks", req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"uscc":"` + inA + `"}`},
				[5]int{cre, forb, cre, forb, forb}},
			{"check list", req{method: "GET", path: "/api/v1/checks?uscc=" + inA}, [5]int{ok, forb, ok, forb, forb}},
			{"check", req{method: "GET", path: "/api/v1/checks/1"}, [5]int{ok, forb, ok, forb, forb}},
			{"screening", req{method: "POST", path: "/api/v1/screenings", ctype: "text/csv", body: "uscc\n" + inA + "\n"},
				[5]int{ok, forb, ok, forb, forb}},
			// Tenants match names against every firm (identities are public); this name
			// matches none, so tenant A's answer names no firm outside its chain.
			{"matches", req{method: "POST", path: "/api/v1/matches", ctype: "text/csv", body: "name\n完全不存在的某某企业有限公司\n"},
				[5]int{ok, forb, ok, ok, ok}},
			{"lists", req{method: "GET", path: "/api/v1/lists"}, [5]int{ok, forb, ok, forb, forb}},
			{"event types", req{method: "GET", path: "/api/v1/event-types"}, [5]int{ok, forb, ok, ok, ok}},
			{"list", req{method: "GET", path: "/api/v1/lists/discipline?region=23"}, [5]int{ok, forb, ok, forb, forb}},
			{"stress in A", req{method: "POST", path: "/api/v1/stress", ctype: "application/json", body: stress(inA)},
				[5]int{ok, forb, ok, ok, nf}},
			{"stress in B", req{method: "POST", path: "/api/v1/stress", ctype: "application/json", body: stress(inB)},
				[5]int{ok, forb, ok, nf, ok}},
			{"esri A", req{method: "GET", path: "/api/v1/esri?leader=" + h.leaderA}, [5]int{ok, forb, ok, ok, nf}},
			{"esri B", req{method: "GET", path: "/api/v1/esri?leader=" + h.leaderB}, [5]int{ok, forb, ok, nf, ok}},
			{"esri of a member of A", req{method: "GET", path: "/api/v1/esri?leader=" + inA}, [5]int{ok, forb, ok, nf, nf}},
			{"rescan", req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"enterprise:` + inA + `"}`},
				[5]int{acc, acc, forb, forb, forb}},
			{"rescan status", req{method: "GET", path: "/api/v1/rescans/1"}, [5]int{ok, ok, ok, forb, forb}},
			{"scans", req{method: "GET", path: "/api/v1/scans"}, [5]int{ok, ok, ok, forb, forb}},

			{"alerts", req{method: "GET", path: "/api/v1/alerts"}, [5]int{ok, forb, ok, ok, ok}},
			{"alerts of chain A", req{method: "GET", path: "/api/v1/alerts?leader=" + h.leaderA}, [5]int{ok, forb, ok, ok, nf}},
			{"alerts of a firm in B", req{method: "GET", path: "/api/v1/alerts?uscc=" + inB}, [5]int{ok, forb, ok, nf, ok}},
			{"alert in A", req{method: "GET", path: "/api/v1/alerts/" + fx.alertA}, [5]int{ok, forb, ok, ok, nf}},
			{"alert in B", req{method: "GET", path: "/api/v1/alerts/" + fx.alertB}, [5]int{ok, forb, ok, nf, ok}},
			// The chain_risk alert of leader A, which lies in B's chain, is A's to read.
			{"chain alert of A", req{method: "GET", path: "/api/v1/alerts/" + fx.chainA}, [5]int{ok, forb, ok, ok, nf}},
			{"ack in A", req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/ack", ctype: "application/json",
				body: `{"comment":"seen by {role}"}`}, [5]int{ok, forb, ok, ok, nf}},
			{"ack in B", req{method: "POST", path: "/api/v1/alerts/" + fx.alertB + "/ack"}, [5]int{ok, forb, ok, nf, ok}},
			{"workflow in A", req{method: "PATCH", path: "/api/v1/alerts/" + fx.alertA, ctype: "application/json",
				body: `{"status":"investigating","assignee":"{role}","note":"seen by {role}"}`}, [5]int{ok, forb, ok, ok, nf}},
			{"workflow in B", req{method: "PATCH", path: "/api/v1/alerts/" + fx.alertB, ctype: "application/json",
				body: `{"status":"no_impact"}`}, [5]int{ok, forb, ok, nf, ok}},
			{"feedback in A", req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/feedback", ctype: "application/json",
				body: `{"verdict":"useful","comment":"by {role}"}`}, [5]int{ok, forb, ok, ok, nf}},
			{"feedback in B", req{method: "POST", path: "/api/v1/alerts/" + fx.alertB + "/feedback", ctype: "application/json",
				body: `{"verdict":"wrong_entity"}`}, [5]int{ok, forb, ok, nf, ok}},
			{"review list", req{method: "GET", path: "/api/v1/feedback?verdict=wrong_entity"}, [5]int{ok, forb, ok, forb, forb}},
			{"silences", req{method: "GET", path: "/api/v1/silences"}, [5]int{ok, forb, ok, forb, forb}},
			{"silence", req{method: "POST", path: "/api/v1/silences", ctype: "application/json",
				body: `{"matchers":[{"name":"uscc","op":"=","value":"` + inA + `"}],"duration":"1h"}`}, [5]int{cre, forb, cre, forb, forb}},
			{"one silence", req{method: "GET", path: "/api/v1/silences/" + fx.silence}, [5]int{ok, forb, ok, forb, forb}},
			{"expire silence", req{method: "DELETE", path: "/api/v1/silences/" + fx.silence}, [5]int{ok, forb, ok, forb, forb}},
			{"subscriptions", req{method: "GET", path: "/api/v1/subscriptions"}, [5]int{ok, forb, ok, ok, ok}},
			{"subscribe to chain A", req{method: "POST", path: "/api/v1/subscriptions", ctype: "application/json",
				body: subscriptionBody("m-{role}", h.leaderA)}, [5]int{cre, forb, forb, cre, forb}},
			{"subscription of A", req{method: "GET", path: "/api/v1/subscriptions/" + fx.subA}, [5]int{ok, forb, ok, ok, nf}},
			{"config subscription", req{method: "GET", path: "/api/v1/subscriptions/" + configSubscription}, [5]int{ok, forb, ok, nf, nf}},
			{"replace subscription of A", req{method: "PUT", path: "/api/v1/subscriptions/" + fx.subA, ctype: "application/json",
				body: subscriptionBody("", h.leaderA)}, [5]int{ok, forb, forb, ok, nf}},
			{"delete subscription of A", req{method: "DELETE", path: "/api/v1/subscriptions/doomed"}, [5]int{del, forb, forb, del, nf}},
			{"snapshot of subscription of A", req{method: "POST", path: "/api/v1/subscriptions/" + fx.subA + "/snapshot"},
				[5]int{acc, forb, forb, acc, nf}},
			{"snapshot of config subscription", req{method: "POST", path: "/api/v1/subscriptions/" + configSubscription + "/snapshot",
				ctype: "application/json", body: `{}`}, [5]int{acc, forb, forb, nf, nf}},
			{"deliveries", req{method: "GET", path: "/api/v1/deliveries?limit=1000"}, [5]int{ok, forb, ok, ok, ok}},
			// Tenants list relations within their chain and their own supplied ones;
			// a tenant alone withdraws, and only its own.
			{"relations of leader A", req{method: "GET", path: "/api/v1/relations?customer=" + h.leaderA}, [5]int{ok, ok, ok, ok, ok}},
			{"withdraw A's own relation", req{method: "DELETE", path: "/api/v1/relations?supplier=" + demoSupplier},
				[5]int{forb, forb, forb, del, nf}},
		}
		// before runs before each caller's request of a call: it recreates what the
		// previous caller deleted.
		before := map[string]func(){
			"delete subscription of A": func() { h.subscribe(h.leaderA, "doomed", h.leaderA) },
			"withdraw A's own relation": func() {
				sum, err := h.b.Supply(t.Context(), h.leaderA, ingest.CSV, strings.NewReader("supplier,purchase_share\n"+demoSupplier+",0.5\n"),
					true, "test")
				if err != nil || !sum.Committed {
					t.Fatalf("supply: %+v, %v", sum, err)
				}
			},
		}
		for _, k := range credit.Kinds {
			// The demo's first relation is one of leader A's purchases: tenant A may
			// supply it as its own (beside the registry's), tenant B may not (422).
			want := [5]int{ok, ok, forb, forb, forb}
			if k == credit.KindRelations {
				want = [5]int{ok, ok, forb, ok, http.StatusUnprocessableEntity}
			}
			calls = append(calls, call{"ingest " + string(k),
				req{method: "POST", path: "/api/v1/" + string(k), ctype: "text/csv", body: demoRow(t, k)}, want})
		}
		// Every route is walked.
		walked := map[string]bool{}
		for _, c := range calls {
			hr, _ := http.NewRequest(c.r.method, c.r.path, nil)
			_, pattern := h.s.mux.Handler(hr)
			walked[pattern] = true
		}
		for _, rt := range h.s.routes {
			if !walked[rt.pattern] {
				t.Errorf("the matrix does not walk %s", rt.pattern)
			}
		}

		// Outside A's chain, but shown to A as the related parties of firms of its
		// chain, with the firms on their paths (visibility.View.SeesRelatedOf).
		relatedA := h.relatedOf(h.scopeA)
		var outsideA []string
		for _, u := range h.all {
			if !h.scopeA[u] && !relatedA[u] {
				outsideA = append(outsideA, u)
			}
		}
		for _, c := range calls {
			for i, role := range matrixRoles {
				want := unau
				if i < 5 {
					want = c.want[i]
				} else if c.name == "openapi" {
					want = ok
				}
				r := c.r
				r.token = role
				r.path = strings.ReplaceAll(r.path, "{role}", role)
				r.body = strings.ReplaceAll(r.body, "{role}", role)
				if f := before[c.name]; f != nil {
					f()
				}
				w := h.do(r)
				if w.Code != want {
					t.Errorf("%s as %s: status %d, want %d: %.300s", c.name, role, w.Code, want, w.Body.String())
				}
				summary := w.Code == http.StatusUnprocessableEntity && strings.HasPrefix(w.Body.String(), `{"accepted":`)
				if w.Code >= 400 && !summary && !strings.HasPrefix(w.Body.String(), `{"error":{"code":`) {
					t.Errorf("%s as %s: %d without the error envelope: %.200s", c.name, role, w.Code, w.Body.String())
				}
				if role != "tenantA" || c.name == "openapi" {
					continue
				}
				body := w.Body.String()
				for _, u := range outsideA {
					if strings.Contains(body, u) {
						t.Errorf("%s as tenant A: the answer names %s, outside its chain", c.name, u)
					}
				}
			}
		}
	})
}

// A tenant's 404 for a firm outside its chain is the 404 of a firm that does not
// exist, byte for byte.
func TestTenantNotFoundIsIndistinguishable(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		unknown := "91230100MA00000009" // valid shape; the check character is computed below
		for _, u := range h.all {
			if !h.scopeA[u] {
				unknown = u
				break
			}
		}
		missing := h.do(req{method: "GET", path: "/api/v1/enterprises/" + validUnknown(), token: "tenantA"})
		outside := h.do(req{method: "GET", path: "/api/v1/enterprises/" + unknown, token: "tenantA"})
		if missing.Code != 404 || outside.Code != 404 || missing.Body.String() != outside.Body.String() {
			t.Errorf("missing %d %q, outside %d %q", missing.Code, missing.Body, outside.Code, outside.Body)
		}
		// Tenant A's leaders list holds its leader only; its stress answer counts its chain.
		var ls struct{ Leaders []struct{ USCC string } }
		h.call(req{method: "GET", path: "/api/v1/leaders", token: "tenantA"}, 200, &ls)
		if len(ls.Leaders) != 1 || ls.Leaders[0].USCC != h.leaderA {
			t.Errorf("tenant leaders %+v", ls)
		}
		var s struct {
			Scope string
			Firms int
			Top   []struct{ USCC string }
		}
		h.call(req{method: "POST", path: "/api/v1/stress", token: "tenantA", ctype: "application/json",
			body: `{"shocks":[{"uscc":"` + h.firm(farmCompany) + `"}],"top":1000}`}, 200, &s)
		if s.Scope != "chain" || s.Firms != len(h.scopeA) || len(s.Top) == 0 {
			t.Errorf("tenant stress: %+v", s)
		}
		for _, im := range s.Top {
			if !h.scopeA[im.USCC] {
				t.Errorf("tenant stress lists %s", im.USCC)
			}
		}
		// The same stress as an analyst reaches beyond the chain.
		var all struct{ Top []struct{ USCC string } }
		h.call(req{method: "POST", path: "/api/v1/stress", token: "analyst", ctype: "application/json",
			body: `{"shocks":[{"uscc":"` + h.firm(farmCompany) + `"}],"top":1000}`}, 200, &all)
		if !slices.ContainsFunc(all.Top, func(x struct{ USCC string }) bool { return !h.scopeA[x.USCC] }) {
			t.Log("the cascade stayed inside tenant A's chain; the filter is untested here")
		}
	})
}

// validUnknown is a valid USCC the demo does not hold.
func validUnknown() string {
	code, err := credit.MakeUSCC("91230100MA0000000")
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return code
}
