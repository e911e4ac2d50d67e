package api

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/internal/browser"
)

// repairSME is the demo's specialized SME with repairable events.
const repairSME = "91230200MA2A29P71E"

// reportText is the visible text of a report page: tags dropped, entities decoded,
// runs of white space made one space.
func reportText(page string) string {
	page = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`).ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(html.UnescapeString(page)), " ")
}

// wantInReport lists what the report of a demo firm must show: its name, USCC,
// grade and score, every active event (meaning and id), every related party and
// every chain the caller sees.
func wantInReport(t *testing.T, h *harness, uscc, token string) []string {
	var e struct {
		Name, USCC string
		Grade      *string
		Score      *float64
		Events     []struct{ EventID, Meaning string } `json:"events"`
		Related    []struct{ Name, USCC string }       `json:"related"`
		Chains     []struct{ LeaderName string }       `json:"chains"`
	}
	h.call(req{method: "GET", path: "/api/v1/enterprises/" + uscc, token: token}, http.StatusOK, &e)
	want := []string{"企业信用评价报告", e.Name, e.USCC, "信用等级 " + *e.Grade}
	for _, ev := range e.Events {
		want = append(want, ev.EventID, ev.Meaning)
	}
	for _, r := range e.Related {
		want = append(want, r.Name, r.USCC)
	}
	for _, c := range e.Chains {
		want = append(want, c.LeaderName)
	}
	return want
}

// TestReport: the evaluation report of the demo's distressed holding company (three
// active events) and of the carton maker it controls (its related parties, its
// chains) holds what the enterprise answer holds, for an analyst and for a tenant of
// the carton maker's chain; other tenants get the 404 of a missing firm.
func TestReport(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		for _, c := range []struct{ uscc, token string }{{checkHolding, "analyst"}, {checkSupplier, "analyst"}, {checkSupplier, "tenantA"}} {
			path := "/api/v1/enterprises/" + c.uscc + "/report"
			w := h.call(req{method: "GET", path: path, token: c.token}, http.StatusOK, nil)
			if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			text := reportText(w.Body.String())
			for _, s := range wantInReport(t, h, c.uscc, c.token) {
				if !strings.Contains(text, s) {
					t.Errorf("the report of %s for %s lacks %q", c.uscc, c.token, s)
				}
			}
		}
		// The demo SME's repairable events come with their guidance: who decides, and
		// from when (docs/models.md "Credit repair").
		var plan struct {
			Events []struct {
				Repair struct{ Authority string } `json:"repair"`
			} `json:"events"`
		}
		h.call(req{method: "GET", path: "/api/v1/enterprises/" + repairSME + "/repair-plan", token: "analyst"}, http.StatusOK, &plan)
		text := reportText(h.call(req{method: "GET", path: "/api/v1/enterprises/" + repairSME + "/report", token: "analyst"},
			http.StatusOK, nil).Body.String())
		if len(plan.Events) == 0 || !strings.Contains(text, "修复指引") {
			t.Errorf("no repair guidance in the report of %s:\n%s", repairSME, text)
		}
		for _, ev := range plan.Events {
			if !strings.Contains(text, "由"+ev.Repair.Authority+"决定") {
				t.Errorf("the report of %s does not say that %s decides a repair", repairSME, ev.Repair.Authority)
			}
		}
		// The holding company's events are in the report; its controller
		// relation is on the carton maker's.
		if text := reportText(h.call(req{method: "GET", path: "/api/v1/enterprises/" + checkSupplier + "/report", token: "analyst"},
			http.StatusOK, nil).Body.String()); !strings.Contains(text, "实际控制人") || !strings.Contains(text, "信用风险") {
			t.Errorf("the carton maker's report does not name its distressed controller:\n%s", text)
		}
		missing := h.do(req{method: "GET", path: "/api/v1/enterprises/" + validUnknown() + "/report", token: "tenantA"})
		for u := range h.scopeB {
			if !h.scopeA[u] {
				other := h.do(req{method: "GET", path: "/api/v1/enterprises/" + u + "/report", token: "tenantA"})
				if other.Code != http.StatusNotFound || other.Body.String() != missing.Body.String() {
					t.Errorf("tenant A reading the report of %s: %d %s", u, other.Code, other.Body)
				}
				break
			}
		}
	})
}

// TestReportInChromium renders the report in a real headless Chromium and prints
// it to PDF: the rendered page shows the firm's name, grade and every active event,
// and the PDF has pages.
func TestReportInChromium(t *testing.T) {
	browser.Chromium(t)
	h := newHarness(t, "sqlite", Options{})
	token := h.tokens["analyst"]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token) // Chromium sends no token of its own
		h.mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/api/v1/enterprises/" + checkHolding + "/report"
	text := reportText(browser.DOM(t, url))
	for _, s := range wantInReport(t, h, checkHolding, "analyst") {
		if !strings.Contains(text, s) {
			t.Errorf("the page Chromium rendered lacks %q", s)
		}
	}
	pdf := browser.PDF(t, url)
	if !strings.HasPrefix(string(pdf), "%PDF-") || browser.Pages(pdf) < 1 {
		t.Errorf("not a PDF with pages: %d bytes, %d pages", len(pdf), browser.Pages(pdf))
	}
	t.Logf("report: %d pages, %d bytes of PDF", browser.Pages(pdf), len(pdf))
}
