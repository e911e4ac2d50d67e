package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/store"
)

// pagedEndpoint is a list endpoint, the key of its list in the answer, a page size
// that cuts the demo's items into several pages, and the size that takes them all.
type pagedEndpoint struct {
	pattern, path, key string
	small, all         int
}

// pageFixtures adds what the demo lacks to page through: scans, checks, verdicts,
// silences and subscriptions, several of each.
func (h *harness) pageFixtures() {
	h.t.Helper()
	ctx := context.Background()
	for range 5 {
		if err := h.b.st.CreateScan(ctx, &store.Scan{Kind: "full", Scope: "all", Trigger: "test", Status: store.ScanQueued}); err != nil {
			h.t.Fatal(err)
		}
	}
	var reports []*store.CheckReport
	for i := range 7 {
		reports = append(reports, &store.CheckReport{USCC: h.leaderA, Verdict: "pass", ScanID: int64(i), Report: []byte(`{}`)})
	}
	if err := h.b.st.SaveCheckReports(ctx, reports); err != nil {
		h.t.Fatal(err)
	}
	list := h.alerts(alerts.AlertQuery{})
	for i, a := range list[:min(6, len(list))] {
		for _, token := range []string{"admin", "analyst"} {
			h.call(req{method: "POST", path: "/api/v1/alerts/" + a.ID + "/feedback", token: token, ctype: "application/json",
				body: fmt.Sprintf(`{"verdict":"useful","comment":"%d"}`, i)}, 200, nil)
		}
	}
	for i := range 5 {
		// Two silences share each end: the ID orders them.
		if _, err := h.b.alerts.CreateSilence(ctx, alerts.SilenceInput{CreatedBy: "test", EndsAt: h.b.clock.Add(time.Duration(i/2+1) * time.Hour),
			Matchers: []store.SilenceMatcher{{Name: alerts.LabelRule, Op: alerts.OpEqual, Value: alerts.RuleStaleData}}}); err != nil {
			h.t.Fatal(err)
		}
	}
	for i := range 4 {
		h.subscribe(h.leaderA, fmt.Sprintf("sub-%d", i), h.leaderA)
		h.subscribe(h.leaderB, fmt.Sprintf("sub-%d", i), h.leaderB) // the same names, another owner
	}
}

// walkPages pages through an endpoint with limit n; it returns each item as JSON, in the
// order given, and the number of pages.
func (h *harness) walkPages(e pagedEndpoint, n int) ([]string, int) {
	h.t.Helper()
	var items []string
	cursor := ""
	for pages := 1; ; pages++ {
		path := e.path + sep(e.path) + "limit=" + fmt.Sprint(n)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page map[string]json.RawMessage
		w := h.call(req{method: "GET", path: path, token: "admin"}, 200, &page)
		h.conforms(e.pattern, 200, w.Body.Bytes())
		var list []json.RawMessage
		if err := json.Unmarshal(page[e.key], &list); err != nil {
			h.t.Fatalf("%s: %v", path, err)
		}
		if len(list) > n {
			h.t.Fatalf("%s: %d items on a page of %d", path, len(list), n)
		}
		for _, x := range list {
			items = append(items, string(x))
		}
		var next *string
		if err := json.Unmarshal(page["next_cursor"], &next); err != nil {
			h.t.Fatalf("%s: next_cursor %s: %v", path, page["next_cursor"], err)
		}
		if next == nil {
			return items, pages
		}
		if len(list) != n {
			h.t.Errorf("%s: a page of %d before the last, want %d", path, len(list), n)
		}
		cursor = *next
		if pages > 10000 {
			h.t.Fatalf("%s: no last page", e.path)
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// TestPagingEveryListEndpoint: paging through each list endpoint a few items at a
// time gives every item of the one-page list exactly once, in its order; a cursor
// the endpoint did not give is a 400.
func TestPagingEveryListEndpoint(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		h.pageFixtures()
		endpoints := []pagedEndpoint{
			{"GET /api/v1/alerts", "/api/v1/alerts", "alerts", 3, 1000},
			{"GET /api/v1/scans", "/api/v1/scans", "scans", 2, 500},
			{"GET /api/v1/checks", "/api/v1/checks", "checks", 3, 1000},
			{"GET /api/v1/feedback", "/api/v1/feedback", "feedback", 5, 1000},
			{"GET /api/v1/silences", "/api/v1/silences", "silences", 2, 1000},
			{"GET /api/v1/subscriptions", "/api/v1/subscriptions", "subscriptions", 3, 1000},
			{"GET /api/v1/deliveries", "/api/v1/deliveries", "deliveries", 2, 1000},
			{"GET /api/v1/relations", "/api/v1/relations", "relations", 7, 10000},
			{"GET /api/v1/leaders", "/api/v1/leaders", "leaders", 1, 10000},
			{"GET /api/v1/leaders", "/api/v1/leaders?sort=uscc", "leaders", 1, 10000},
		}
		for _, e := range endpoints {
			all, pages := h.walkPages(e, e.all)
			if pages != 1 {
				t.Fatalf("%s: %d pages of %d", e.path, pages, e.all)
			}
			if len(all) <= e.small {
				t.Fatalf("%s: only %d items: the fixture does not page", e.path, len(all))
			}
			got, pages := h.walkPages(e, e.small)
			if !slices.Equal(got, all) {
				t.Errorf("%s: paging by %d gave %d items, the single page %d (or another order)", e.path, e.small, len(got), len(all))
			}
			if want := (len(all) + e.small - 1) / e.small; pages != want {
				t.Errorf("%s: %d pages of %d for %d items, want %d", e.path, pages, e.small, len(all), want)
			}
			seen := map[string]bool{}
			for _, x := range got {
				if seen[x] {
					t.Errorf("%s: an item twice: %s", e.path, x)
				}
				seen[x] = true
			}
			for _, bad := range []string{"garbage", "YWZ0ZXI6MTIz", nextCursorOf("nope", "1")} {
				h.wantError(req{method: "GET", path: e.path + sep(e.path) + "cursor=" + url.QueryEscape(bad), token: "admin"},
					400, codeBadRequest)
			}
		}
		// A cursor keeps its sort.
		var first leadersJSON
		h.call(req{method: "GET", path: "/api/v1/leaders?limit=1", token: "admin"}, 200, &first)
		h.wantError(req{method: "GET", path: "/api/v1/leaders?sort=uscc&cursor=" + url.QueryEscape(*first.NextCursor), token: "admin"},
			400, codeBadRequest)
	})
}

func nextCursorOf(endpoint string, key ...string) string { return *nextCursor(endpoint, key...) }

// TestRescanQueuePosition: a queued scan says its place and the scans before it.
func TestRescanQueuePosition(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		var ids []int64
		for i, scope := range []string{"all", "chain:" + h.leaderA, "all"} {
			sc := &store.Scan{Kind: "full", Scope: scope, Trigger: fmt.Sprint("test-", i), Status: store.ScanQueued}
			if i == 0 {
				sc.Status = store.ScanRunning
			}
			if err := h.b.st.CreateScan(ctx, sc); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sc.ID)
		}
		var st rescanStatusJSON
		w := h.call(req{method: "GET", path: fmt.Sprint("/api/v1/rescans/", ids[2]), token: "admin"}, 200, &st)
		h.conforms("GET /api/v1/rescans/{id}", 200, w.Body.Bytes())
		if st.Position == nil || *st.Position != 2 || len(st.Ahead) != 2 || st.Ahead[0].ID != ids[0] || st.Ahead[0].Status != "running" ||
			st.Ahead[1].ID != ids[1] || st.Ahead[1].Scope != "chain:"+h.leaderA || st.Ahead[1].Trigger != "test-1" {
			t.Errorf("queued scan: %s", w.Body.String())
		}
		w = h.call(req{method: "GET", path: fmt.Sprint("/api/v1/rescans/", ids[0]), token: "admin"}, 200, nil)
		if strings.Contains(w.Body.String(), `"position"`) || strings.Contains(w.Body.String(), `"ahead"`) {
			t.Errorf("a running scan has a queue position: %s", w.Body.String())
		}
	})
}
