package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDigestSubscription: a digest subscription made through the API reads back with
// its digest fields, defaults filled in, as the OpenAPI document describes them; a
// change keeps them; bad values are 400 naming the field.
func TestDigestSubscription(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	body := func(extra map[string]any) string {
		m := map[string]any{"name": "digest", "subscriber": "x", "scope": map[string]any{"kind": "chain", "leader": h.leaderA},
			"channels": []any{map[string]any{"type": "log"}}}
		for k, v := range extra {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	refused := []struct {
		extra  map[string]any
		detail string
	}{
		{map[string]any{"digest": "monthly"}, `digest: "monthly" is not one of realtime, hourly, daily, weekly`},
		{map[string]any{"digest": "daily", "digest_at": "0 8 * *"}, `digest_at: invalid cron spec "0 8 * *"`},
		{map[string]any{"digest": "daily", "realtime_min_severity": "urgent"}, `realtime_min_severity: "urgent" is not one of`},
		{map[string]any{"digest_at": "0 8 * * *"}, "digest_at: only used with digest hourly, daily or weekly"},
	}
	for _, tc := range refused {
		r := h.do(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json", body: body(tc.extra)}).Result()
		var e envelope
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.StatusCode != http.StatusBadRequest ||
			!slices.ContainsFunc(e.Error.Details, func(d string) bool { return strings.HasPrefix(d, tc.detail) }) {
			t.Errorf("%v: status %d, %+v; want 400 with %q", tc.extra, r.StatusCode, e.Error, tc.detail)
		}
	}

	w := h.call(req{method: "POST", path: "/api/v1/subscriptions", token: "tenantA", ctype: "application/json",
		body: body(map[string]any{"digest": "weekly"})}, http.StatusCreated, nil)
	if errs := conformance(t, "POST /api/v1/subscriptions", 201, w.Body.Bytes()); len(errs) > 0 {
		t.Errorf("answer does not conform: %v", errs)
	}
	w = h.call(req{method: "GET", path: "/api/v1/subscriptions/digest", token: "tenantA"}, http.StatusOK, nil)
	if !strings.Contains(w.Body.String(), `"digest":"weekly","digest_at":"0 8 * * 1","realtime_min_severity":"critical"`) {
		t.Errorf("read back %s", w.Body)
	}
	if errs := conformance(t, "GET /api/v1/subscriptions/{name}", 200, w.Body.Bytes()); len(errs) > 0 {
		t.Errorf("answer does not conform: %v", errs)
	}
	h.call(req{method: "PUT", path: "/api/v1/subscriptions/digest", token: "tenantA", ctype: "application/json",
		body: body(map[string]any{"digest": "daily", "digest_at": "30 17 * * 1-5", "realtime_min_severity": "none"})}, http.StatusOK, nil)
	w = h.call(req{method: "GET", path: "/api/v1/subscriptions/digest", token: "tenantA"}, http.StatusOK, nil)
	if !strings.Contains(w.Body.String(), `"digest":"daily","digest_at":"30 17 * * 1-5","realtime_min_severity":"none"`) {
		t.Errorf("read back after the change %s", w.Body)
	}
}
