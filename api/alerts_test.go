package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/internal/testoutbox"
	"github.com/chainrisk/chainrisk/store"
)

// The harness's first scan announces what the demo fires (AnnounceFirst): severe
// events across both chains, the chain_risk of leader A and two single-source
// alerts of A, each notified to the config file's webhook subscription.

// alertFixtures are what the access matrix walks the alert routes with.
type alertFixtures struct {
	alertA, alertB string // firm alerts about a firm of one chain only
	chainA         string // the chain_risk alert of leader A
	silence        string
	subA           string // a subscription of tenant A
}

func (h *harness) alertFixtures() alertFixtures {
	h.t.Helper()
	ctx := context.Background()
	var fx alertFixtures
	for _, a := range h.alerts(alerts.AlertQuery{State: store.AlertFiring}) {
		s := a.Subject.USCC
		switch {
		case a.Leader == nil && h.scopeA[s] && !h.scopeB[s] && fx.alertA == "":
			fx.alertA = a.ID
		case a.Leader == nil && h.scopeB[s] && !h.scopeA[s] && fx.alertB == "":
			fx.alertB = a.ID
		case a.Rule == alerts.RuleChainRisk && a.Leader.USCC == h.leaderA:
			fx.chainA = a.ID
		}
	}
	if fx.alertA == "" || fx.alertB == "" || fx.chainA == "" {
		h.t.Fatalf("the demo's alerts changed: %+v", fx)
	}
	sl, err := h.b.alerts.CreateSilence(ctx, alerts.SilenceInput{CreatedBy: "fixture", EndsAt: h.b.clock.Add(time.Hour),
		Matchers: []store.SilenceMatcher{{Name: alerts.LabelRule, Op: alerts.OpEqual, Value: alerts.RuleStaleData}}})
	if err != nil {
		h.t.Fatal(err)
	}
	fx.silence, fx.subA = sl.ID, "sub-a"
	h.subscribe(h.leaderA, fx.subA, h.leaderA)
	return fx
}

// relatedOf returns the firms an answer may name as related parties of the firms of
// scope (the enterprise answer's related, its ownership graph and report,
// related_party_distress alerts; visibility.View.SeesRelatedOf): each one's actual
// controller and majority holders, with the firms of the paths relating them.
func (h *harness) relatedOf(scope map[string]bool) map[string]bool {
	h.t.Helper()
	st, out := h.b.State(), map[string]bool{}
	for u := range scope {
		rel, err := st.Related(u, h.b.cfg.Checks.OwnershipParams())
		if err != nil {
			h.t.Fatal(err)
		}
		for _, p := range rel.Controller.Path {
			out[p] = true
		}
		for _, m := range rel.Majority {
			for _, p := range m.Path {
				out[p] = true
			}
		}
	}
	return out
}

// alerts lists alerts through the manager, as an admin sees them.
func (h *harness) alerts(q alerts.AlertQuery) []alerts.Alert {
	h.t.Helper()
	q.Limit = 100000
	list, err := h.b.alerts.Alerts(context.Background(), q)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// subscriptionBody is a subscription to a leader's chain by webhook, as JSON; an
// empty name leaves the name out (PUT takes the path's).
func subscriptionBody(name, leader string) string {
	sub := map[string]any{
		"subscriber":   "procurement",
		"scope":        map[string]any{"kind": "chain", "leader": leader},
		"min_severity": "warning",
		"channels": []map[string]any{{"type": "webhook", "url": "https://hooks.example.com/tenant?key=" + tenantHookKey,
			"secret": tenantHookSecret}},
	}
	if name != "" {
		sub["name"] = name
	}
	b, _ := json.Marshal(sub)
	return string(b)
}

// subscribe stores subscriptionBody(name, leader) for owner, unless the name is taken.
func (h *harness) subscribe(owner, name, leader string) {
	h.t.Helper()
	var sub config.Subscription
	if err := json.Unmarshal([]byte(subscriptionBody(name, leader)), &sub); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.b.alerts.CreateSubscription(context.Background(), owner, sub); err != nil && !errors.Is(err, store.ErrSubscriptionExists) {
		h.t.Fatal(err)
	}
}

// wantError sends r and wants status with the error code.
func (h *harness) wantError(r req, status int, code string) envelopeError {
	h.t.Helper()
	w := h.do(r)
	e := errorOf(h.t, w.Body.Bytes())
	if w.Code != status || e.Code != code {
		h.t.Errorf("%s %s as %s: %d %s, want %d %s: %s", r.method, r.path, r.token, w.Code, e.Code, status, code, w.Body)
	}
	return e
}

type alertList struct {
	Alerts []alerts.Alert `json:"alerts"`
}

func TestAlertEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		all := h.alerts(alerts.AlertQuery{})
		var list alertList
		w := h.call(req{method: "GET", path: "/api/v1/alerts", token: "analyst"}, 200, &list)
		h.conforms("GET /api/v1/alerts", 200, w.Body.Bytes())
		if len(list.Alerts) != len(all) || len(all) < 10 {
			t.Fatalf("%d alerts listed, %d held", len(list.Alerts), len(all))
		}
		for _, a := range list.Alerts {
			if a.State != store.AlertFiring || a.Baseline || a.NotifiedAt.IsZero() || a.Silenced {
				t.Errorf("the demo's first scan announces its alerts: %+v", a)
			}
		}
		h.call(req{method: "GET", path: "/api/v1/alerts?state=firing&rule=severe_event&severity=critical&limit=3&language=en",
			token: "admin"}, 200, &list)
		if len(list.Alerts) != 3 {
			t.Errorf("limit 3: %d alerts", len(list.Alerts))
		}
		for _, a := range list.Alerts {
			if a.Rule != alerts.RuleSevereEvent || a.Severity != config.AlertCritical || len(a.Reasons) == 0 ||
				strings.ContainsFunc(a.Reasons[0], func(r rune) bool { return r > 0x2E80 }) {
				t.Errorf("filtered, in English: %+v", a)
			}
		}
		// The alerts of chain A: about its members, or A's own.
		h.call(req{method: "GET", path: "/api/v1/alerts?leader=" + h.leaderA, token: "analyst"}, 200, &list)
		want := 0
		for _, a := range all {
			if h.scopeA[a.Subject.USCC] || a.Leader != nil && a.Leader.USCC == h.leaderA {
				want++
			}
		}
		if len(list.Alerts) != want || want == 0 {
			t.Errorf("chain A: %d alerts, want %d", len(list.Alerts), want)
		}
		firm := all[0].Subject.USCC
		h.call(req{method: "GET", path: "/api/v1/alerts?uscc=" + firm, token: "admin"}, 200, &list)
		if len(list.Alerts) == 0 || slices.ContainsFunc(list.Alerts, func(a alerts.Alert) bool { return a.Subject.USCC != firm }) {
			t.Errorf("alerts of %s: %+v", firm, list.Alerts)
		}
		for _, bad := range []string{"state=burning", "rule=nope", "severity=high", "limit=0", "limit=1001", "language=fr"} {
			h.wantError(req{method: "GET", path: "/api/v1/alerts?" + bad, token: "admin"}, 400, codeBadRequest)
		}
		h.wantError(req{method: "GET", path: "/api/v1/alerts?since=1", token: "admin"}, 400, codeUnknownParameter)
		h.wantError(req{method: "GET", path: "/api/v1/alerts?leader=12345", token: "admin"}, 400, codeInvalidUSCC)

		// One alert, then its acknowledgement.
		id := all[0].ID
		var a alerts.Alert
		w = h.call(req{method: "GET", path: "/api/v1/alerts/" + id, token: "analyst"}, 200, &a)
		h.conforms("GET /api/v1/alerts/{id}", 200, w.Body.Bytes())
		if a.ID != id || a.Fingerprint != all[0].Fingerprint {
			t.Errorf("alert %s: %+v", id, a)
		}
		missing := h.wantError(req{method: "GET", path: "/api/v1/alerts/0123456789abcdef", token: "admin"}, 404, codeNotFound)
		w = h.call(req{method: "POST", path: "/api/v1/alerts/" + id + "/ack", token: "analyst", ctype: "application/json",
			body: `{"comment":"called the supplier"}`}, 200, &a)
		h.conforms("POST /api/v1/alerts/{id}/ack", 200, w.Body.Bytes())
		if a.AckedBy != "analyst" || !a.AckedAt.Equal(h.b.clock) {
			t.Errorf("acknowledged: %+v", a)
		}
		// Again, by another, without a body: the first acknowledgement stays.
		h.call(req{method: "POST", path: "/api/v1/alerts/" + id + "/ack", token: "admin"}, 200, &a)
		if a.AckedBy != "analyst" {
			t.Errorf("acknowledged twice: by %q", a.AckedBy)
		}
		if e := h.wantError(req{method: "POST", path: "/api/v1/alerts/0123456789abcdef/ack", token: "admin"}, 404, codeNotFound); e.Message != missing.Message {
			t.Errorf("ack of a missing alert: %+v, GET answers %+v", e, missing)
		}
		h.wantError(req{method: "POST", path: "/api/v1/alerts/" + id + "/ack", token: "admin", ctype: "application/json",
			body: `{"comment":1}`}, 400, codeInvalidJSON)
		h.wantError(req{method: "POST", path: "/api/v1/alerts/" + id + "/ack", token: "admin", ctype: "application/json",
			body: `{"by":"someone else"}`}, 400, codeInvalidJSON)

		// A resolved alert cannot be acknowledged: disabling severe_event resolves its alerts.
		cfg := *h.b.cfg
		cfg.Alerts.Rules.SetEnabled(alerts.RuleSevereEvent, false)
		h.b.cfg = &cfg
		if _, err := h.b.Rescan(context.Background(), "all", "test"); err != nil {
			t.Fatal(err)
		}
		var severe alerts.Alert
		for _, x := range all {
			if x.Rule == alerts.RuleSevereEvent && x.ID != id {
				severe = x
				break
			}
		}
		h.call(req{method: "GET", path: "/api/v1/alerts/" + severe.ID, token: "admin"}, 200, &a)
		if a.State != store.AlertResolved || a.ResolvedAt.IsZero() {
			t.Fatalf("severe_event disabled: %+v", a)
		}
		w = h.call(req{method: "POST", path: "/api/v1/alerts/" + severe.ID + "/ack", token: "analyst"}, http.StatusConflict, nil)
		h.conforms("POST /api/v1/alerts/{id}/ack", 409, w.Body.Bytes())
		if errorOf(t, w.Body.Bytes()).Code != codeAlertResolved {
			t.Errorf("ack of a resolved alert: %s", w.Body)
		}
		h.call(req{method: "GET", path: "/api/v1/alerts?state=resolved&limit=1000", token: "admin"}, 200, &list)
		if len(list.Alerts) == 0 || slices.ContainsFunc(list.Alerts, func(a alerts.Alert) bool { return a.Rule != alerts.RuleSevereEvent }) {
			t.Errorf("resolved: %d alerts", len(list.Alerts))
		}
	})
}

// A tenant sees the alerts about its own chain; an alert with a leader only when it
// is that leader. Anything else answers 404 as a missing alert does.
func TestTenantAlerts(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		fx := h.alertFixtures()
		all := h.alerts(alerts.AlertQuery{})
		relatedTo := map[string]map[string]bool{"tenantA": h.relatedOf(h.scopeA), "tenantB": h.relatedOf(h.scopeB)}
		visible := func(sc map[string]bool, leader string) map[string]bool {
			out := map[string]bool{}
			for _, a := range all {
				if sc[a.Subject.USCC] && (a.Leader == nil || a.Leader.USCC == leader) {
					out[a.ID] = true
				}
			}
			return out
		}
		for _, tc := range []struct {
			token, leader string
			scope         map[string]bool
		}{{"tenantA", h.leaderA, h.scopeA}, {"tenantB", h.leaderB, h.scopeB}} {
			want := visible(tc.scope, tc.leader)
			for _, path := range []string{"/api/v1/alerts", "/api/v1/alerts?leader=" + tc.leader} {
				var list alertList
				w := h.call(req{method: "GET", path: path, token: tc.token}, 200, &list)
				h.conforms("GET /api/v1/alerts", 200, w.Body.Bytes())
				got := map[string]bool{}
				for _, a := range list.Alerts {
					got[a.ID] = true
					if a.Leader != nil && a.Leader.USCC != tc.leader || !tc.scope[a.Subject.USCC] {
						t.Errorf("%s sees %+v", tc.token, a)
					}
					// A related_party_distress path is the ownership path from the party
					// down to the subject, whose parties the tenant sees as such.
					related := a.Rule == alerts.RuleRelatedPartyDistress
					if related && (len(a.Path) < 2 || a.Path[len(a.Path)-1] != a.Subject.USCC) {
						t.Errorf("%s: the path of %s is %v", tc.token, a.ID, a.Path)
					}
					for _, u := range a.Path {
						if !tc.scope[u] && !(related && relatedTo[tc.token][u]) {
							t.Errorf("%s: the path of %s names %s", tc.token, a.ID, u)
						}
					}
				}
				if len(got) != len(want) || len(want) == 0 {
					t.Errorf("%s %s: %d alerts, want %d", tc.token, path, len(got), len(want))
				}
			}
			var list alertList
			h.call(req{method: "GET", path: "/api/v1/alerts?limit=2", token: tc.token}, 200, &list)
			if len(list.Alerts) != 2 {
				t.Errorf("%s limit 2: %d", tc.token, len(list.Alerts))
			}
		}
		// Leader A lies in B's chain, but its chain_risk alert is A's.
		if !h.scopeB[h.leaderA] || !visible(h.scopeA, h.leaderA)[fx.chainA] || visible(h.scopeB, h.leaderB)[fx.chainA] {
			t.Fatal("the demo changed")
		}
		missing := h.do(req{method: "GET", path: "/api/v1/alerts/0123456789abcdef", token: "tenantB"})
		for _, r := range []req{
			{method: "GET", path: "/api/v1/alerts/" + fx.chainA, token: "tenantB"},
			{method: "GET", path: "/api/v1/alerts/" + fx.alertA, token: "tenantB"},
			{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/ack", token: "tenantB"},
		} {
			if w := h.do(r); w.Code != 404 || w.Body.String() != missing.Body.String() {
				t.Errorf("%s %s as tenant B: %d %s, a missing alert answers %s", r.method, r.path, w.Code, w.Body, missing.Body)
			}
		}
		h.wantError(req{method: "GET", path: "/api/v1/alerts?leader=" + h.leaderB, token: "tenantA"}, 404, codeNotFound)
		h.wantError(req{method: "GET", path: "/api/v1/alerts?uscc=" + h.leaderB, token: "tenantA"}, 404, codeNotFound)
		var a alerts.Alert
		h.call(req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/ack", token: "tenantA"}, 200, &a)
		if a.AckedBy != "tenantA" {
			t.Errorf("tenant ack: %+v", a)
		}
	})
}

func TestSilenceEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		var sl silenceJSON
		w := h.call(req{method: "POST", path: "/api/v1/silences", token: "analyst", ctype: "application/json",
			body: `{"matchers":[{"name":"rule","op":"=","value":"severe_event"}],"duration":"2h","comment":"maintenance"}`},
			http.StatusCreated, &sl)
		h.conforms("POST /api/v1/silences", 201, w.Body.Bytes())
		if sl.ID == "" || sl.CreatedBy != "analyst" || sl.Status != alerts.SilenceActive || sl.Comment != "maintenance" ||
			!sl.StartsAt.Equal(h.b.clock) || !sl.EndsAt.Equal(h.b.clock.Add(2*time.Hour)) ||
			w.Header().Get("Location") != "/api/v1/silences/"+sl.ID {
			t.Errorf("silence: %+v, Location %q", sl, w.Header().Get("Location"))
		}
		// Silenced alerts are listed, marked.
		silenced := func() (yes, no int) {
			var list alertList
			h.call(req{method: "GET", path: "/api/v1/alerts?limit=1000", token: "analyst"}, 200, &list)
			for _, a := range list.Alerts {
				if !a.Silenced {
					no++
					continue
				}
				yes++
				if a.Rule != alerts.RuleSevereEvent || !slices.Equal(a.SilencedBy, []string{sl.ID}) {
					t.Errorf("%s (%s) silenced by %v", a.ID, a.Rule, a.SilencedBy)
				}
			}
			return yes, no
		}
		if yes, no := silenced(); yes != len(h.alerts(alerts.AlertQuery{Rule: alerts.RuleSevereEvent})) || no == 0 {
			t.Errorf("silenced %d, not %d", yes, no)
		}
		var list struct{ Silences []silenceJSON }
		w = h.call(req{method: "GET", path: "/api/v1/silences?state=active", token: "admin"}, 200, &list)
		h.conforms("GET /api/v1/silences", 200, w.Body.Bytes())
		if len(list.Silences) != 1 || list.Silences[0].ID != sl.ID {
			t.Errorf("active silences: %+v", list)
		}
		w = h.call(req{method: "GET", path: "/api/v1/silences/" + sl.ID, token: "analyst"}, 200, nil)
		h.conforms("GET /api/v1/silences/{id}", 200, w.Body.Bytes())

		// DELETE expires it: it stays listed, and the alerts are no longer silenced.
		w = h.call(req{method: "DELETE", path: "/api/v1/silences/" + sl.ID, token: "analyst"}, 200, &sl)
		h.conforms("DELETE /api/v1/silences/{id}", 200, w.Body.Bytes())
		if sl.Status != alerts.SilenceExpired || !sl.EndsAt.Equal(h.b.clock) {
			t.Errorf("expired: %+v", sl)
		}
		h.call(req{method: "DELETE", path: "/api/v1/silences/" + sl.ID, token: "admin"}, 200, nil)
		if yes, _ := silenced(); yes != 0 {
			t.Errorf("%d alerts silenced after the silence expired", yes)
		}
		h.call(req{method: "GET", path: "/api/v1/silences?state=expired", token: "admin"}, 200, &list)
		if len(list.Silences) != 1 {
			t.Errorf("expired silences: %+v", list)
		}

		// An explicit end, and a regular expression.
		until := h.b.clock.Add(24 * time.Hour).Format(time.RFC3339)
		h.call(req{method: "POST", path: "/api/v1/silences", token: "admin", ctype: "application/json",
			body: `{"matchers":[{"name":"uscc","op":"=~","value":"9123.*"}],"ends_at":"` + until + `"}`}, http.StatusCreated, &sl)
		if sl.CreatedBy != "admin" || sl.EndsAt.Format(time.RFC3339) != h.b.clock.Add(24*time.Hour).UTC().Format(time.RFC3339) {
			t.Errorf("silence until %s: %+v", until, sl)
		}
		for _, tc := range []struct{ body, detail string }{
			{`{"matchers":[],"duration":"1h"}`, "matchers"},
			{`{"matchers":[{"name":"rule","op":"~","value":"x"}],"duration":"1h"}`, "matchers[0].op"},
			{`{"matchers":[{"name":"colour","op":"=","value":"x"}],"duration":"1h"}`, "matchers[0].name"},
			{`{"matchers":[{"name":"rule","op":"=~","value":"("}],"duration":"1h"}`, "matchers[0].value"},
			{`{"matchers":[{"name":"rule","op":"=","value":"x"}],"ends_at":"2020-01-01T00:00:00Z"}`, "ends_at"},
			{`{"matchers":[{"name":"rule","op":"=","value":"x"}]}`, ""},
			{`{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"-1h"}`, ""},
			{`{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"1h","ends_at":"` + until + `"}`, ""},
		} {
			e := h.wantError(req{method: "POST", path: "/api/v1/silences", token: "admin", ctype: "application/json", body: tc.body},
				400, codeBadRequest)
			if tc.detail != "" && (len(e.Details) == 0 || !strings.HasPrefix(e.Details[0], tc.detail+":")) {
				t.Errorf("%s: details %q, want %s", tc.body, e.Details, tc.detail)
			}
		}
		h.wantError(req{method: "POST", path: "/api/v1/silences", token: "admin", ctype: "application/json",
			body: `{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"1h","created_by":"someone"}`}, 400, codeInvalidJSON)
		h.wantError(req{method: "GET", path: "/api/v1/silences/nope", token: "admin"}, 404, codeNotFound)
		h.wantError(req{method: "DELETE", path: "/api/v1/silences/nope", token: "admin"}, 404, codeNotFound)
		h.wantError(req{method: "GET", path: "/api/v1/silences?state=gone", token: "admin"}, 400, codeBadRequest)
		h.wantError(req{method: "POST", path: "/api/v1/silences", token: "tenantA", ctype: "application/json",
			body: `{"matchers":[{"name":"leader","op":"=","value":"` + h.leaderA + `"}],"duration":"1h"}`}, 403, codeForbidden)
	})
}

func TestSubscriptionEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		type subList struct{ Subscriptions []alerts.Subscription }
		var list subList
		w := h.call(req{method: "GET", path: "/api/v1/subscriptions", token: "analyst"}, 200, &list)
		h.conforms("GET /api/v1/subscriptions", 200, w.Body.Bytes())
		if len(list.Subscriptions) != 1 || list.Subscriptions[0].Source != alerts.SourceConfig ||
			list.Subscriptions[0].Channels[0].URL.Reveal() != "https://hooks.example.com/<redacted>" ||
			list.Subscriptions[0].Channels[0].Secret.Reveal() != config.Redacted {
			t.Errorf("the config file's subscription, redacted: %s", w.Body)
		}
		w = h.call(req{method: "GET", path: "/api/v1/subscriptions", token: "tenantA"}, 200, &list)
		if len(list.Subscriptions) != 0 || !strings.Contains(w.Body.String(), `"subscriptions":[]`) {
			t.Errorf("tenant A's subscriptions: %s", w.Body)
		}

		// Tenant A subscribes to its chain; the owner is its USCC, the defaults filled in.
		var sub alerts.Subscription
		w = h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
			body: subscriptionBody("soy-chain", h.leaderA)}, http.StatusCreated, &sub)
		h.conforms("POST /api/v1/subscriptions", 201, w.Body.Bytes())
		if sub.Owner != h.leaderA || sub.Source != alerts.SourceAPI || *sub.Scope.DepthUp != h.b.cfg.Chain.DepthUp ||
			sub.Language != h.b.cfg.Alerts.Language || w.Header().Get("Location") != "/api/v1/subscriptions/soy-chain" ||
			sub.Channels[0].URL.Reveal() != "https://hooks.example.com/<redacted>" || sub.Channels[0].Secret.Reveal() != config.Redacted {
			t.Errorf("created: %s", w.Body)
		}
		// A watch-list of firms of its chain is fine too.
		h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
			body: `{"name":"soy-watch","subscriber":"x","scope":{"kind":"watchlist","usccs":["` + h.leaderA + `","` +
				h.firm(farmCompany) + `"]},"channels":[{"type":"log"}]}`}, http.StatusCreated, nil)

		// What a tenant may not subscribe to.
		limits := []struct{ name, scope, detail string }{
			{"leader B", `{"kind":"chain","leader":"` + h.leaderB + `"}`, "scope.leader"},
			{"deeper", `{"kind":"chain","leader":"` + h.leaderA + `","depth_up":4}`, "scope.depth_up"},
			{"everything", `{"kind":"all"}`, "scope.kind"},
			{"watch B", `{"kind":"watchlist","usccs":["` + h.leaderA + `","` + h.leaderB + `"]}`, "scope.usccs[1]"},
		}
		for _, tc := range limits {
			e := h.wantError(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
				body: `{"name":"x","subscriber":"x","scope":` + tc.scope + `,"channels":[{"type":"log"}]}`}, 403, codeForbidden)
			if len(e.Details) != 1 || !strings.HasPrefix(e.Details[0], tc.detail+":") {
				t.Errorf("%s: %+v", tc.name, e)
			}
		}
		e := h.wantError(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
			body: `{"name":"bad name!","subscriber":"","scope":{"kind":"chain","leader":"` + h.leaderA + `"},"channels":[]}`},
			400, codeBadRequest)
		if len(e.Details) != 3 {
			t.Errorf("one detail per invalid field: %q", e.Details)
		}
		h.wantError(req{method: "POST", path: "/api/v1/subscriptions", token: "admin", ctype: "application/json",
			body: strings.Replace(subscriptionBody("x", h.leaderA), tenantHookSecret, config.Redacted, 1)}, 400, codeBadRequest)
		// Names are unique across owners.
		for _, tc := range []struct{ token, leader string }{{"tenantA", h.leaderA}, {"tenantB", h.leaderB}, {"admin", h.leaderA}} {
			h.wantError(req{method: "POST", path: "/api/v1/subscriptions", token: tc.token, ctype: "application/json",
				body: subscriptionBody("soy-chain", tc.leader)}, 409, codeAlreadyExists)
		}
		h.wantError(req{method: "POST", path: "/api/v1/subscriptions", token: "analyst", ctype: "application/json",
			body: subscriptionBody("y", h.leaderA)}, 403, codeForbidden)

		// Only its owner (and admins) see it; to tenant B it does not exist.
		w = h.call(req{method: "GET", path: "/api/v1/subscriptions/soy-chain", token: "tenantA"}, 200, nil)
		h.conforms("GET /api/v1/subscriptions/{name}", 200, w.Body.Bytes())
		shown := w.Body.String()
		h.call(req{method: "GET", path: "/api/v1/subscriptions", token: "admin"}, 200, &list)
		if len(list.Subscriptions) != 3 {
			t.Errorf("admin sees %d subscriptions", len(list.Subscriptions))
		}
		missing := h.do(req{method: "GET", path: "/api/v1/subscriptions/nope", token: "tenantB"})
		for _, r := range []req{
			{method: "GET", path: "/api/v1/subscriptions/soy-chain", token: "tenantB"},
			{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "tenantB", ctype: "application/json", body: subscriptionBody("", h.leaderB)},
			{method: "DELETE", path: "/api/v1/subscriptions/soy-chain", token: "tenantB"},
			{method: "GET", path: "/api/v1/subscriptions/" + configSubscription, token: "tenantB"},
			{method: "PUT", path: "/api/v1/subscriptions/" + configSubscription, token: "tenantB", ctype: "application/json", body: subscriptionBody("", h.leaderB)},
			{method: "DELETE", path: "/api/v1/subscriptions/" + configSubscription, token: "tenantB"},
		} {
			if w := h.do(r); w.Code != 404 || w.Body.String() != missing.Body.String() {
				t.Errorf("%s %s as tenant B: %d %s, a missing one answers %s", r.method, r.path, w.Code, w.Body, missing.Body)
			}
		}
		h.call(req{method: "GET", path: "/api/v1/subscriptions", token: "tenantB"}, 200, &list)
		if len(list.Subscriptions) != 0 {
			t.Errorf("tenant B sees %+v", list)
		}

		// PUT replaces; what GET showed, sent back, keeps the stored secrets.
		var body map[string]any
		_ = json.Unmarshal([]byte(shown), &body)
		for _, k := range []string{"owner", "source", "created_at", "updated_at"} {
			delete(body, k)
		}
		body["min_severity"] = "critical"
		put, _ := json.Marshal(body)
		w = h.call(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "tenantA", ctype: "application/json",
			body: string(put)}, 200, &sub)
		h.conforms("PUT /api/v1/subscriptions/{name}", 200, w.Body.Bytes())
		stored, err := h.b.alerts.Subscription(ctx, "", "soy-chain")
		if err != nil {
			t.Fatal(err)
		}
		if sub.MinSeverity != "critical" || sub.Owner != h.leaderA || stored.MinSeverity != "critical" ||
			stored.Channels[0].Secret.Reveal() != tenantHookSecret ||
			stored.Channels[0].URL.Reveal() != "https://hooks.example.com/tenant?key="+tenantHookKey {
			t.Errorf("replaced: %s; stored %+v", w.Body, stored.Channels)
		}
		// A placeholder of another channel type is not a kept value.
		swapped := strings.Replace(string(put), `"type":"webhook"`, `"type":"feishu"`, 1)
		h.wantError(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "tenantA", ctype: "application/json",
			body: swapped}, 400, codeBadRequest)
		h.wantError(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "tenantA", ctype: "application/json",
			body: subscriptionBody("other", h.leaderA)}, 400, codeBadRequest)
		h.wantError(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "tenantA", ctype: "application/json",
			body: subscriptionBody("", h.leaderB)}, 403, codeForbidden)
		// A tenant's subscription stays inside its chain, whoever edits it.
		h.wantError(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "admin", ctype: "application/json",
			body: `{"subscriber":"x","scope":{"kind":"all"},"channels":[{"type":"log"}]}`}, 403, codeForbidden)
		h.call(req{method: "PUT", path: "/api/v1/subscriptions/soy-chain", token: "admin", ctype: "application/json",
			body: subscriptionBody("", h.leaderA)}, 200, &sub)
		if sub.Owner != h.leaderA || sub.MinSeverity != "warning" {
			t.Errorf("an admin's PUT keeps the owner: %+v", sub)
		}

		// The config file's subscription is read-only here.
		for _, r := range []req{
			{method: "PUT", path: "/api/v1/subscriptions/" + configSubscription, token: "admin", ctype: "application/json",
				body: subscriptionBody("", h.leaderA)},
			{method: "DELETE", path: "/api/v1/subscriptions/" + configSubscription, token: "admin"},
		} {
			w := h.do(r)
			h.conforms(r.method+" /api/v1/subscriptions/{name}", 409, w.Body.Bytes())
			if e := errorOf(t, w.Body.Bytes()); w.Code != 409 || e.Code != codeReadOnly || !strings.Contains(e.Message, "config file") {
				t.Errorf("%s %s: %d %s", r.method, r.path, w.Code, w.Body)
			}
		}

		w = h.call(req{method: "DELETE", path: "/api/v1/subscriptions/soy-chain", token: "tenantA"}, http.StatusNoContent, nil)
		if w.Body.Len() != 0 {
			t.Errorf("204 with a body: %s", w.Body)
		}
		h.wantError(req{method: "GET", path: "/api/v1/subscriptions/soy-chain", token: "admin"}, 404, codeNotFound)
		h.wantError(req{method: "DELETE", path: "/api/v1/subscriptions/soy-chain", token: "tenantA"}, 404, codeNotFound)
	})
}

func TestDeliveryEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		firing := h.alerts(alerts.AlertQuery{})
		type deliveryList struct{ Deliveries []alerts.Delivery }
		var list deliveryList
		w := h.call(req{method: "GET", path: "/api/v1/deliveries?limit=1000", token: "analyst"}, 200, &list)
		h.conforms("GET /api/v1/deliveries", 200, w.Body.Bytes())
		checkMessages(t, h, list.Deliveries, firing)
		for _, d := range list.Deliveries {
			if d.State != store.DeliveryPending || d.Subscription != configSubscription || d.Channel.Type != notify.TypeWebhook ||
				d.Owner != "" || d.Attempts != 0 || d.NextAttemptAt.IsZero() {
				t.Errorf("delivery: %+v", d)
			}
		}
		h.call(req{method: "GET", path: "/api/v1/deliveries?state=pending&subscription=" + configSubscription + "&limit=5",
			token: "admin"}, 200, &list)
		if len(list.Deliveries) != 5 {
			t.Errorf("limit 5: %d", len(list.Deliveries))
		}
		alertID := list.Deliveries[0].AlertID
		h.call(req{method: "GET", path: "/api/v1/deliveries?alert=" + alertID, token: "admin"}, 200, &list)
		if len(list.Deliveries) != 1 || list.Deliveries[0].AlertID != alertID {
			t.Errorf("deliveries of alert %s: %+v", alertID, list.Deliveries)
		}
		w = h.call(req{method: "GET", path: "/api/v1/deliveries?state=dead", token: "admin"}, 200, &list)
		if len(list.Deliveries) != 0 || !strings.Contains(w.Body.String(), `"deliveries":[]`) {
			t.Errorf("dead: %s", w.Body)
		}
		h.wantError(req{method: "GET", path: "/api/v1/deliveries?state=lost", token: "admin"}, 400, codeBadRequest)
		h.call(req{method: "GET", path: "/api/v1/deliveries", token: "tenantA"}, 200, &list)
		if len(list.Deliveries) != 0 {
			t.Errorf("tenant A without subscriptions sees %d deliveries", len(list.Deliveries))
		}

		// Tenant A subscribes; a bankruptcy in its chain reaches it.
		h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
			body: subscriptionBody("soy-chain", h.leaderA)}, http.StatusCreated, nil)
		st := h.b.State()
		firm := ""
		for v := range int32(st.Len()) {
			u := st.Snap.IDs[v]
			if h.scopeA[u] && !h.scopeB[u] && u != h.leaderA && len(st.FirmEvents(v)) == 0 {
				firm = u
				break
			}
		}
		if firm == "" {
			t.Fatal("no firm of chain A without events")
		}
		day := h.b.clock.AddDate(0, 0, -1).Format("2006-01-02")
		h.call(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "text/csv",
			body: "event_id,uscc,type,occurred_at\nT-1," + firm + ",bankruptcy," + day + "\n"}, 200, nil)
		h.call(req{method: "GET", path: "/api/v1/deliveries", token: "tenantA"}, 200, &list)
		if len(list.Deliveries) == 0 {
			t.Fatal("no delivery for tenant A's subscription")
		}
		for _, d := range list.Deliveries {
			if d.Subscription != "soy-chain" || d.Owner != h.leaderA || d.USCC != firm {
				t.Errorf("tenant A's delivery: %+v", d)
			}
		}
		h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain", token: "admin"}, 200, &list)
		if len(list.Deliveries) == 0 {
			t.Error("admin: no delivery of soy-chain")
		}
		h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain", token: "tenantB"}, 200, &list)
		if len(list.Deliveries) != 0 {
			t.Errorf("tenant B sees tenant A's deliveries: %+v", list.Deliveries)
		}

		// A failed attempt whose receiver answered with its internals: tenant A sees what
		// chainrisk says of it, an admin the receiver's words too.
		h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain", token: "admin"}, 200, &list)
		id, alert := list.Deliveries[0].ID, list.Deliveries[0].AlertID
		const ours = "webhook https://hooks.example.com/<redacted>: HTTP 500"
		const answer = "ERROR: relation tenants_secret does not exist at 10.0.3.7:5432"
		if err := h.b.st.NotificationFailed(context.Background(), id, 1, h.b.clock.Add(time.Minute), ours+"; detail: "+answer,
			false, h.b.clock); err != nil {
			t.Fatal(err)
		}
		w = h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain&alert=" + alert, token: "tenantA"}, 200, &list)
		if len(list.Deliveries) != 1 || list.Deliveries[0].LastError != ours || strings.Contains(w.Body.String(), "tenants_secret") {
			t.Errorf("tenant A sees %s", w.Body)
		}
		h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain&alert=" + alert, token: "admin"}, 200, &list)
		if len(list.Deliveries) != 1 || list.Deliveries[0].LastError != ours+"; detail: "+answer {
			t.Errorf("an admin sees %+v", list.Deliveries)
		}
	})
}

// checkMessages checks that the deliveries listed are the outbox's messages, which
// announce each alert of the list once, one message per firm (or chain) and channel.
func checkMessages(t *testing.T, h *harness, listed []alerts.Delivery, announced []alerts.Alert) {
	t.Helper()
	rows, err := h.b.st.Deliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := testoutbox.DecodeAll(rows)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]testoutbox.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	if len(listed) != len(msgs) {
		t.Errorf("%d deliveries listed, %d in the outbox", len(listed), len(msgs))
	}
	for _, d := range listed {
		if m, ok := byID[d.ID]; !ok || m.AlertID != d.AlertID || m.Fingerprint != d.Fingerprint || m.Status != d.Status {
			t.Errorf("delivery %+v; the outbox holds %+v", d, m.OutboxEntry)
		}
	}
	told := map[string]int{}
	type topic struct {
		ch    int
		topic string
	}
	topics := map[topic]bool{}
	for _, m := range msgs {
		if err := m.Check(); err != nil {
			t.Error(err)
		}
		for _, a := range m.Alerts {
			told[a.Fingerprint]++
		}
		topics[topic{m.ChannelIndex, testoutbox.Topic(m.Alerts[0])}] = true
	}
	for _, a := range announced {
		if told[a.Fingerprint] != 1 {
			t.Errorf("alert %s is in %d messages, want 1", a.Fingerprint, told[a.Fingerprint])
		}
	}
	if len(told) != len(announced) {
		t.Errorf("the messages announce %d alerts, %d are listed", len(told), len(announced))
	}
	if len(msgs) != len(topics) {
		t.Errorf("%d messages about %d firms and chains", len(msgs), len(topics))
	}
}

// Without an alert pipeline the alert endpoints answer 503.
func TestAlertsUnavailable(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	h.b.alerts = nil
	h.wantError(req{method: "GET", path: "/api/v1/alerts", token: "admin"}, 503, codeNotReady)
}
