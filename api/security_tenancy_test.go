package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/tokens"
)

// secTenant is one tenant of TestTenantIsolationDisjointChains and what it owns.
type secTenant struct {
	token  string // key of harness.tokens
	root   string // the USCC it is bound to
	scope  map[string]bool
	firm   string // a firm of its chain other than its root
	sub    string // its subscription
	alerts []string
	// forbidden is what the other tenant must never be shown: the USCCs and names of
	// this tenant's chain, its alerts' ids and its subscription's name.
	forbidden []string
}

// TestTenantIsolationDisjointChains extends TestAccessMatrix (which watches tenant A's
// answers on overlapping chains) to two tenants whose chains share no firm — the
// soybean leader and the specialized SME with the largest chain outside it — each
// with its own subscription, alerts and deliveries. Every route a tenant may call is
// called by both, on its own objects and on the other's: no answer names a firm of the
// other chain, the other's alerts or its subscription, and every answer about the
// other's objects is byte for byte the answer about objects that do not exist.
func TestTenantIsolationDisjointChains(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		st := h.b.State()
		x := &secTenant{token: "tenantA", root: h.leaderA, scope: h.scopeA, sub: "x-chain"}
		// The specialized firm with the largest chain disjoint from A's.
		y := &secTenant{token: "tenantY", sub: "y-chain"}
		for v, f := range st.Firms {
			if !f.Specialized {
				continue
			}
			sc := h.chainSet(st.Snap.IDs[v])
			disjoint := true
			for u := range sc {
				disjoint = disjoint && !x.scope[u]
			}
			if disjoint && len(sc) > len(y.scope) {
				y.root, y.scope = st.Snap.IDs[v], sc
			}
		}
		if len(y.scope) < 3 {
			t.Fatalf("the demo has no specialized firm whose chain (3 firms or more) is disjoint from the soybean chain")
		}
		plain, _, err := tokens.Create(ctx, h.b.st, "tenantY", tokens.RoleTenant, y.root)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens["tenantY"] = plain

		// Each subscribes to its chain, then a firm of each chain goes bankrupt: alerts
		// fire and are queued for both subscriptions.
		for _, tn := range []*secTenant{x, y} {
			h.call(req{method: "POST", path: "/api/v1/subscriptions", token: tn.token, ctype: "application/json",
				body: subscriptionBody(tn.sub, tn.root)}, http.StatusCreated, nil)
			for u := range tn.scope {
				if v, _ := st.Index(u); u != tn.root && st.Grade[v] < risk.GradeD && (tn.firm == "" || u < tn.firm) {
					tn.firm = u
				}
			}
			if tn.firm == "" {
				t.Fatalf("no firm to shock in the chain of %s", tn.root)
			}
			csv := fmt.Sprintf("event_id,uscc,type,occurred_at\nSEC-%s,%s,bankruptcy,%s\n", tn.firm, tn.firm,
				h.b.clock.AddDate(0, 0, -1).Format("2006-01-02"))
			if sum, err := h.b.Ingest(ctx, credit.KindEvents, ingest.CSV, strings.NewReader(csv), true, "test"); err != nil || !sum.OK() {
				t.Fatalf("ingest: %v %v", err, sum.Errors)
			}
		}
		st = h.b.State()
		for _, a := range h.alerts(alerts.AlertQuery{}) {
			for _, tn := range []*secTenant{x, y} {
				if tn.scope[a.Subject.USCC] && (a.Leader == nil || a.Leader.USCC == tn.root) {
					tn.alerts = append(tn.alerts, a.ID)
				}
			}
		}
		other := func(tn *secTenant) *secTenant {
			if tn == x {
				return y
			}
			return x
		}
		for _, tn := range []*secTenant{x, y} {
			if len(tn.alerts) == 0 {
				t.Fatalf("no alert in the chain of %s", tn.root)
			}
			// The other tenant may be shown a firm of this chain as a related party of
			// a firm of its own (visibility.View.SeesRelatedOf), and that alone.
			shown := h.relatedOf(other(tn).scope)
			// What it writes about its alerts (wrote) is its own, too.
			tn.forbidden = append(append(wrote(tn), tn.sub), tn.alerts...)
			tn.forbidden = append(tn.forbidden, slices.Sorted(func(yield func(string) bool) {
				for u := range tn.scope {
					if shown[u] {
						continue
					}
					v, _ := st.Index(u)
					if !yield(u) || !yield(st.Firms[v].Name) {
						return
					}
				}
			})...)
		}
		for _, tn := range []*secTenant{x, y} {
			var ds struct{ Deliveries []alerts.Delivery }
			h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=" + tn.sub, token: "admin"}, 200, &ds)
			if len(ds.Deliveries) == 0 {
				t.Fatalf("no delivery queued for %s", tn.sub)
			}
		}

		const missingAlert, missingSub = "0123456789abcdef", "no-such-subscription"
		missingFirm := validUnknown()
		stress := func(u string) string { return `{"shocks":[{"uscc":"` + u + `","psi":1}],"top":1000}` }
		for _, pair := range [][2]*secTenant{{x, y}, {y, x}} {
			me, other := pair[0], pair[1]
			// own, other's and missing: the other's must answer as the missing does.
			type probe struct {
				own, other, missing req
				// object: the probes name an object: its own answers 2xx, the other's
				// answers as the missing one does.
				object bool
			}
			get := func(f func(string) string, own, other, missing string) probe {
				return probe{req{method: "GET", path: f(own)}, req{method: "GET", path: f(other)}, req{method: "GET", path: f(missing)}, true}
			}
			post := func(path func(string) string, body func(string) string, own, other, missing string) probe {
				mk := func(v string) req {
					r := req{method: "POST", path: path(v)}
					if body != nil {
						r.ctype, r.body = "application/json", body(v)
					}
					return r
				}
				return probe{mk(own), mk(other), mk(missing), true}
			}
			prefix := func(p string) func(string) string { return func(v string) string { return p + v } }
			firmName := func(uscc string) string {
				v, _ := st.Index(uscc)
				return st.Firms[v].Name
			}
			// nameOf is a firm's name as a query: the other tenant's must find nothing.
			nameOf := func(uscc string) string {
				v, _ := st.Index(uscc)
				return url.QueryEscape(st.Firms[v].Name)
			}
			around := func(p, s string) func(string) string { return func(v string) string { return p + v + s } }
			probes := []probe{
				get(prefix("/api/v1/enterprises/"), me.firm, other.firm, missingFirm),
				get(prefix("/api/v1/enterprises/"), me.root, other.root, missingFirm),
				get(prefix("/api/v1/enterprises?q="), nameOf(me.firm), nameOf(other.firm), url.QueryEscape("不存在的企业名称")),
				get(prefix("/api/v1/enterprises?limit=1&q="), me.root, other.root, missingFirm),
				get(around("/api/v1/enterprises/", "/events"), me.firm, other.firm, missingFirm),
				get(around("/api/v1/enterprises/", "/history"), me.firm, other.firm, missingFirm),
				get(around("/api/v1/enterprises/", "/repair-plan"), me.firm, other.firm, missingFirm),
				get(around("/api/v1/enterprises/", "/ownership"), me.firm, other.firm, missingFirm),
				get(around("/api/v1/enterprises/", "/report"), me.firm, other.firm, missingFirm),
				get(around("/api/v1/enterprises/", "/ownership?format=dot&depth=10"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/history?from=2020-01-01"), me.root, other.root, missingFirm),
				get(prefix("/api/v1/chains/"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "?members=all"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/members?limit=5"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/members?format=ndjson"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/members?format=csv"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/graph?format=dot"), me.root, other.root, missingFirm),
				get(around("/api/v1/chains/", "/graph?format=json"), me.root, other.root, missingFirm),
				get(prefix("/api/v1/esri?leader="), me.root, other.root, missingFirm),
				post(func(string) string { return "/api/v1/stress" }, stress, me.firm, other.firm, missingFirm),
				// Matching its own root's name answers identities only; a name of no firm, nothing.
				{own: req{method: "POST", path: "/api/v1/matches", ctype: "text/csv", body: "name\n" + firmName(me.root) + "\n"},
					other:   req{method: "POST", path: "/api/v1/matches", ctype: "text/csv", body: "name\n完全不存在的某某企业有限公司\n"},
					missing: req{method: "POST", path: "/api/v1/matches", ctype: "application/x-ndjson", body: `{"name":"无此企业"}` + "\n"}},
				get(prefix("/api/v1/alerts?leader="), me.root, other.root, missingFirm),
				get(prefix("/api/v1/alerts?uscc="), me.firm, other.firm, missingFirm),
				get(prefix("/api/v1/alerts/"), me.alerts[0], other.alerts[0], missingAlert),
				post(around("/api/v1/alerts/", "/ack"), nil, me.alerts[0], other.alerts[0], missingAlert),
				post(around("/api/v1/alerts/", "/feedback"), func(string) string {
					return `{"verdict":"irrelevant","comment":"` + wrote(me)[0] + `"}`
				}, me.alerts[0], other.alerts[0], missingAlert),
				{own: patch(me, me.alerts[0]), other: patch(me, other.alerts[0]), missing: patch(me, missingAlert), object: true},
				get(prefix("/api/v1/subscriptions/"), me.sub, other.sub, missingSub),
				get(prefix("/api/v1/deliveries?subscription="), me.sub, other.sub, missingSub),
				// A snapshot of its own subscription is sent; of the other's, answered as a
				// missing one's, and nothing is sent.
				post(around("/api/v1/subscriptions/", "/snapshot"), nil, me.sub, other.sub, missingSub),
				get(prefix("/api/v1/deliveries?alert="), me.alerts[0], other.alerts[0], missingAlert),
				{own: req{method: "PUT", path: "/api/v1/subscriptions/" + me.sub, ctype: "application/json", body: subscriptionBody("", me.root)},
					other:   req{method: "PUT", path: "/api/v1/subscriptions/" + other.sub, ctype: "application/json", body: subscriptionBody("", me.root)},
					missing: req{method: "PUT", path: "/api/v1/subscriptions/" + missingSub, ctype: "application/json", body: subscriptionBody("", me.root)},
					object:  true},
				{own: req{method: "GET", path: "/api/v1/leaders"}, other: req{method: "GET", path: "/api/v1/alerts"},
					missing: req{method: "GET", path: "/api/v1/subscriptions"}},
				{own: req{method: "GET", path: "/api/v1/deliveries?limit=1000"}, other: req{method: "GET", path: "/api/v1/alerts?limit=1000"},
					missing: req{method: "GET", path: "/api/v1/leaders?limit=500"}},
				// The event catalogue is configuration, the same for every caller.
				{own: req{method: "GET", path: "/api/v1/event-types"}, other: req{method: "GET", path: "/api/v1/event-types"},
					missing: req{method: "GET", path: "/api/v1/event-types"}, object: true},
				// Routes closed to tenants answer 403 and say nothing either.
				{own: req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"uscc":"` + me.firm + `"}`},
					other:   req{method: "POST", path: "/api/v1/checks", ctype: "application/json", body: `{"uscc":"` + other.firm + `"}`},
					missing: req{method: "GET", path: "/api/v1/silences"}},
				{own: req{method: "GET", path: "/api/v1/feedback"}, other: req{method: "GET", path: "/api/v1/feedback?uscc=" + other.firm},
					missing: req{method: "GET", path: "/api/v1/feedback?verdict=wrong_entity"}},
				{own: req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"enterprise:` + me.firm + `"}`},
					other:   req{method: "POST", path: "/api/v1/rescans", ctype: "application/json", body: `{"scope":"enterprise:` + other.firm + `"}`},
					missing: req{method: "GET", path: "/api/v1/scans"}},
				// Creating: in its own chain; in the other's (refused); under the other's
				// subscription's name (names are unique across owners: 409, see the report).
				{own: req{method: "POST", path: "/api/v1/subscriptions", ctype: "application/json", body: subscriptionBody(me.sub+"-2", me.root)},
					other: req{method: "POST", path: "/api/v1/subscriptions", ctype: "application/json",
						body: subscriptionBody(me.sub+"-3", other.root)},
					missing: req{method: "POST", path: "/api/v1/subscriptions", ctype: "application/json", body: subscriptionBody(other.sub, me.root)}},
				// Relations: its own supplied ones are listed, the other's answer as none;
				// a write naming the other's firm (refused whole, strict, by a bad row)
				// and a withdrawal say nothing of the other.
				get(prefix("/api/v1/relations?source="), me.root, other.root, missingFirm),
				{own: supplyProbe(me.firm), other: supplyProbe(other.firm), missing: supplyProbe(missingFirm)},
				{own: req{method: "DELETE", path: "/api/v1/relations?supplier=" + me.firm},
					other:   req{method: "DELETE", path: "/api/v1/relations?supplier=" + other.firm},
					missing: req{method: "DELETE", path: "/api/v1/relations?supplier=" + missingFirm}, object: false},
				{own: req{method: "GET", path: "/api/v1/rescans/1"}, other: req{method: "POST", path: "/api/v1/silences",
					ctype: "application/json", body: `{"matchers":[{"name":"uscc","op":"=","value":"` + other.firm + `"}],"duration":"1h"}`},
					missing: req{method: "DELETE", path: "/api/v1/subscriptions/" + other.sub}},
			}
			walked := map[string]bool{}
			for _, p := range probes {
				var answers [3]string
				for j, r := range []req{p.own, p.other, p.missing} {
					r.token = me.token
					hr, _ := http.NewRequest(r.method, r.path, nil)
					_, pattern := h.s.mux.Handler(hr)
					walked[pattern] = true
					w := h.do(r)
					if w.Code >= 500 {
						t.Errorf("%s %s as %s: %d %s", r.method, r.path, me.token, w.Code, w.Body)
					}
					answers[j] = fmt.Sprint(w.Code, " ", w.Header().Get("Content-Type"), " ", w.Body.String())
					for _, f := range other.forbidden {
						if strings.Contains(w.Body.String(), f) || strings.Contains(fmt.Sprint(w.Header()), f) {
							t.Errorf("%s %s as %s: the answer names %q of the other tenant: %.300s", r.method, r.path, me.token, f, w.Body)
						}
					}
				}
				if p.object && answers[1] != answers[2] {
					t.Errorf("%s %s as %s answers\n%.300s\nbut for a missing object\n%.300s", p.other.method, p.other.path,
						me.token, answers[1], answers[2])
				}
				if p.object && !strings.HasPrefix(answers[0], "20") {
					t.Errorf("%s %s as %s: its own object answers %.200s", p.own.method, p.own.path, me.token, answers[0])
				}
			}
			// Every route a tenant may call was called.
			for _, rt := range h.s.routes {
				if rt.access.allows(tokens.RoleTenant) && !walked[rt.pattern] {
					t.Errorf("%s is open to tenants but not probed", rt.pattern)
				}
			}
		}

		// The forbidden strings are there to be found: an admin's answers hold them.
		var seen strings.Builder
		for _, path := range []string{"/api/v1/alerts?limit=1000", "/api/v1/subscriptions", "/api/v1/chains/" + h.leaderA + "?members=all",
			"/api/v1/enterprises/" + y.root, "/api/v1/enterprises/" + y.firm} {
			seen.WriteString(h.do(req{method: "GET", path: path, token: "admin"}).Body.String())
		}
		for _, tn := range []*secTenant{x, y} {
			for _, f := range []string{tn.sub, tn.alerts[0], tn.firm, tn.root} {
				if !strings.Contains(seen.String(), f) {
					t.Errorf("an admin is not shown %q: the isolation check would not see it either", f)
				}
			}
		}
		// What was acknowledged stayed the owner's: the other tenant's ack changed nothing.
		for _, tn := range []*secTenant{x, y} {
			a, err := h.b.st.Alert(ctx, tn.alerts[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range a.Acks {
				if k.By != tn.token {
					t.Errorf("alert %s of %s acknowledged by %s", a.ID, tn.token, k.By)
				}
			}
		}
		ownRecordsStayOwn(t, h, x, y)
		// The other's subscription is untouched by the PUT and DELETE the tenant tried.
		for _, tn := range []*secTenant{x, y} {
			rec, err := h.b.st.Subscription(ctx, tn.sub)
			if err != nil {
				t.Errorf("subscription %s: %v", tn.sub, err)
				continue
			}
			if rec.Owner != tn.root {
				t.Errorf("subscription %s owned by %s", tn.sub, rec.Owner)
			}
		}
	})
}

// wrote is what a tenant writes about its alerts in TestTenantIsolationDisjointChains:
// a feedback comment, an assignee and a note.
func wrote(tn *secTenant) []string {
	return []string{"comment-of-" + tn.token, "assignee-of-" + tn.token, "note-of-" + tn.token}
}

// patch is tn's change of its workflow of an alert.
func patch(tn *secTenant, id string) req {
	w := wrote(tn)
	return req{method: "PATCH", path: "/api/v1/alerts/" + id, ctype: "application/json",
		body: `{"status":"investigating","assignee":"` + w[1] + `","note":"` + w[2] + `"}`}
}

// ownRecordsStayOwn: what each tenant wrote about its alert — verdict, status,
// assignee, note — it reads back, and neither the other tenant nor staff is shown
// it in an alert answer or selects on it; staff's review list names the tenant's
// verdict, as verdicts are addressed to the platform.
func ownRecordsStayOwn(t *testing.T, h *harness, x, y *secTenant) {
	t.Helper()
	var staffAnswers strings.Builder
	for _, path := range []string{"/api/v1/alerts?limit=1000", "/api/v1/alerts/" + x.alerts[0], "/api/v1/alerts/" + y.alerts[0],
		"/api/v1/alerts?status=investigating", "/api/v1/alerts?assignee=" + wrote(x)[1]} {
		staffAnswers.WriteString(h.do(req{method: "GET", path: path, token: "admin"}).Body.String())
	}
	var review struct{ Feedback []alerts.FeedbackEntry }
	h.call(req{method: "GET", path: "/api/v1/feedback?verdict=irrelevant&limit=1000", token: "analyst"}, 200, &review)
	for _, tn := range []*secTenant{x, y} {
		var a alerts.Alert
		h.call(req{method: "GET", path: "/api/v1/alerts/" + tn.alerts[0], token: tn.token}, 200, &a)
		w := wrote(tn)
		if a.Status != alerts.WorkflowInvestigating || a.Assignee != w[1] || len(a.Notes) != 1 || a.Notes[0].Text != w[2] ||
			a.Feedback == nil || a.Feedback.Verdict != alerts.VerdictIrrelevant || a.Feedback.Comment != w[0] || !a.Feedback.Muted {
			t.Errorf("%s reads its own alert as %+v", tn.token, a)
		}
		var list alertList
		h.call(req{method: "GET", path: "/api/v1/alerts?status=investigating&assignee=" + w[1], token: tn.token}, 200, &list)
		if len(list.Alerts) != 1 || list.Alerts[0].ID != tn.alerts[0] {
			t.Errorf("%s's investigating alerts: %d", tn.token, len(list.Alerts))
		}
		for _, f := range w {
			if strings.Contains(staffAnswers.String(), f) {
				t.Errorf("staff's alert answers show %q, written by %s", f, tn.token)
			}
		}
		found := false
		for _, e := range review.Feedback {
			found = found || e.AlertID == tn.alerts[0] && e.Tenant == tn.root && e.Comment == w[0]
		}
		if !found {
			t.Errorf("the review list lacks %s's verdict on %s", tn.token, tn.alerts[0])
		}
	}
	if strings.Contains(staffAnswers.String(), `"status":"investigating"`) {
		t.Error("staff's answers show a tenant's status")
	}
}

// supplyProbe is a tenant's strict batch of its leader's purchases from supplier, which
// a bad second row refuses whole.
func supplyProbe(supplier string) req {
	return req{method: "POST", path: "/api/v1/relations?strict=true", ctype: "text/csv",
		body: "supplier,purchase_share\n" + supplier + ",0.001\n" + supplier + ",lots\n"}
}
