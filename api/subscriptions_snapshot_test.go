package api

import (
	"net/http"
	"testing"

	"github.com/chainrisk/chainrisk/alerts"
)

// TestSubscriptionSnapshot: POST /api/v1/subscriptions/{name}/snapshot sends a
// subscription's snapshot again (202, as the OpenAPI document describes it) to whoever
// may change the subscription — an admin any, a tenant its own — listing the firing
// alerts its owner reads at or above its min_severity; another tenant's, and an
// analyst, are refused without a notification.
func TestSubscriptionSnapshot(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
			body: subscriptionBody("soy-chain", h.leaderA)}, http.StatusCreated, nil)
		var firing struct {
			Alerts []struct {
				Severity string
				Silenced bool
			}
		}
		h.call(req{method: "GET", path: "/api/v1/alerts?state=firing&limit=1000", token: "tenantA"}, 200, &firing)
		want := 0
		for _, a := range firing.Alerts {
			if a.Severity != "info" && !a.Silenced {
				want++
			}
		}
		if want == 0 {
			t.Fatal("no alert fires in chain A: the snapshot would list nothing to check")
		}
		deliveries := func() int {
			var list struct{ Deliveries []alerts.Delivery }
			h.call(req{method: "GET", path: "/api/v1/deliveries?subscription=soy-chain&limit=1000", token: "admin"}, 200, &list)
			return len(list.Deliveries)
		}
		before := deliveries() // the snapshot on subscribe, and nothing else yet
		if before != 1 {
			t.Errorf("the new subscription has %d deliveries, want its snapshot", before)
		}
		for _, token := range []string{"tenantA", "admin"} {
			var res alerts.SnapshotResult
			w := h.call(req{method: "POST", path: "/api/v1/subscriptions/soy-chain/snapshot", token: token}, http.StatusAccepted, &res)
			h.conforms("POST /api/v1/subscriptions/{name}/snapshot", 202, w.Body.Bytes())
			if res.Subscription != "soy-chain" || res.Alerts != want || len(res.Notifications) != 1 {
				t.Errorf("%s's snapshot: %+v; want %d alerts in 1 notification", token, res, want)
			}
		}
		missing := h.wantError(req{method: "POST", path: "/api/v1/subscriptions/no-such/snapshot", token: "tenantB"}, 404, codeNotFound)
		if other := h.wantError(req{method: "POST", path: "/api/v1/subscriptions/soy-chain/snapshot", token: "tenantB"}, 404,
			codeNotFound); other.Message != missing.Message {
			t.Errorf("tenant B is told %q of A's subscription, %q of a missing one", other.Message, missing.Message)
		}
		h.wantError(req{method: "POST", path: "/api/v1/subscriptions/soy-chain/snapshot", token: "analyst"}, 403, codeForbidden)
		h.wantError(req{method: "POST", path: "/api/v1/subscriptions/soy-chain/snapshot", token: "tenantA",
			ctype: "application/json", body: `{"alerts":1}`}, 400, codeInvalidJSON)
		if after := deliveries(); after != before+2 {
			t.Errorf("%d deliveries after two snapshots on demand, want %d", after, before+2)
		}
	})
}
