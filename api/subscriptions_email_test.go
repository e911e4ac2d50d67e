package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEmailSubscription: an e-mail channel made through the API needs the daemon's
// SMTP server and valid addresses (400 naming the field), and reads back with its
// addresses, as the OpenAPI document describes it; a tenant's goes to the operator's
// listed domains only.
func TestEmailSubscription(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	body := func(to ...string) string {
		b, _ := json.Marshal(map[string]any{"name": "mail", "subscriber": "x",
			"scope":    map[string]any{"kind": "chain", "leader": h.leaderA},
			"channels": []any{map[string]any{"type": "email", "to": to}}})
		return string(b)
	}
	post := func(to ...string) *http.Response {
		return h.do(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json", body: body(to...)}).Result()
	}
	wantRefused := func(r *http.Response, detail string) {
		t.Helper()
		var e envelope
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.StatusCode != http.StatusBadRequest ||
			!slices.ContainsFunc(e.Error.Details, func(d string) bool { return strings.HasPrefix(d, detail) }) {
			t.Errorf("status %d, %+v; want 400 with %q", r.StatusCode, e.Error, detail)
		}
	}
	wantRefused(post("ops@example.com"), "channels[0].type: channel type email needs an SMTP server: alerts.smtp.host is not set")

	h.b.cfg.Alerts.SMTP.Host, h.b.cfg.Alerts.SMTP.From = "smtp.example.com", "alerts@example.com"
	wantRefused(post("ops@example.com", "ops"), `channels[0].to[1]: "ops" is not an e-mail address`)
	wantRefused(post(), "channels[0].to: at least one address is required for channel type email")
	// The platform's server mails a tenant's alerts to the domains the operator lists,
	// and their subdomains, only (alerts.smtp.tenant_domains): none by default.
	wantForbidden := func(r *http.Response, detail string) {
		t.Helper()
		var e envelope
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.StatusCode != http.StatusForbidden ||
			!slices.ContainsFunc(e.Error.Details, func(d string) bool { return strings.HasPrefix(d, detail) }) {
			t.Errorf("status %d, %+v; want 403 with %q", r.StatusCode, e.Error, detail)
		}
	}
	wantForbidden(post("ops@example.com"), "channels[0]: tenants' subscriptions take no e-mail channel")
	h.b.cfg.Alerts.SMTP.TenantDomains = []string{"example.com", "Example.ORG"}
	wantForbidden(post("ops@example.com", "x@evil.example.net", "y@notexample.com"), "channels[0].to[2]: a tenant's alerts go to the domains")
	wantForbidden(post("x@evil.example.net"), "channels[0].to[0]: a tenant's alerts go to the domains example.com, Example.ORG only")
	if r := post("ops@example.com", "cfo@mail.example.org"); r.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", r.StatusCode)
	}
	w := h.call(req{method: "GET", path: "/api/v1/subscriptions/mail", token: "tenantA"}, http.StatusOK, nil)
	if !strings.Contains(w.Body.String(), `"channels":[{"type":"email","to":["ops@example.com","cfo@mail.example.org"]}]`) {
		t.Errorf("answer %s", w.Body)
	}
	if errs := conformance(t, "GET /api/v1/subscriptions/{name}", 200, w.Body.Bytes()); len(errs) > 0 {
		t.Errorf("the answer breaks the document: %v", errs)
	}
}
