package ui_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiAlert is what a test reads of an alert from the API.
type apiAlert struct {
	ID       string   `json:"id"`
	State    string   `json:"state"`
	Severity string   `json:"severity"`
	Reasons  []string `json:"reasons"`
	AckedBy  string   `json:"acked_by"`
	Status   string   `json:"status"`
	Assignee string   `json:"assignee"`
	Subject  struct {
		USCC string `json:"uscc"`
	} `json:"subject"`
	Feedback *struct {
		Verdict string `json:"verdict"`
	} `json:"feedback"`
}

// apiJSON GETs an API path with a token and decodes the answer.
func apiJSON(t *testing.T, dm *demo, token, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", dm.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+dm.tokens[token])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func apiAlerts(t *testing.T, dm *demo, token, query string) []apiAlert {
	t.Helper()
	var list struct{ Alerts []apiAlert }
	if code := apiJSON(t, dm, token, "/api/v1/alerts?limit=1000&"+query, &list); code != http.StatusOK {
		t.Fatalf("GET /api/v1/alerts?%s as %s = %d", query, token, code)
	}
	return list.Alerts
}

// rowsOf counts the alert rows of a list page.
func rowsOf(page string) int { return strings.Count(page, `<tr data-alert="`) }

// TestAlertsPage: the list shows the caller's alerts as the API selects them, with the
// filters as a GET form and texts in the page's language; an ingest token gets the
// API's 403 page.
func TestAlertsPage(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	all := apiAlerts(t, dm, "admin", "")
	crit := apiAlerts(t, dm, "admin", "severity=critical&state=firing")
	if len(all) == 0 || len(crit) == 0 || len(crit) == len(all) {
		t.Fatalf("the demo has %d alerts, %d critical firing: want some of each", len(all), len(crit))
	}
	page := b.get("/ui/alerts")
	if page.code != http.StatusOK || rowsOf(page.body) != min(len(all), 200) {
		t.Fatalf("GET /ui/alerts = %d with %d rows, want %d", page.code, rowsOf(page.body), min(len(all), 200))
	}
	f := b.get("/ui/alerts?severity=critical&state=firing")
	if f.code != http.StatusOK || rowsOf(f.body) != len(crit) {
		t.Errorf("filtered list: %d rows, want the API's %d", rowsOf(f.body), len(crit))
	}
	for _, a := range crit {
		if !strings.Contains(f.body, `<tr data-alert="`+a.ID+`" data-uscc="`+a.Subject.USCC+`">`) ||
			!strings.Contains(f.body, `<a href="/ui/enterprises/`+a.Subject.USCC+`">`) {
			t.Errorf("filtered list lacks alert %s or its firm's link", a.ID)
		}
	}
	if !strings.Contains(f.body, `<option value="critical" selected>`) {
		t.Error("the filter form does not keep the chosen severity")
	}
	// English texts come from the API's language=en.
	en := apiAlerts(t, dm, "admin", "language=en&severity=critical&state=firing")
	pe := b.get("/ui/alerts?severity=critical&state=firing&lang=en")
	if !strings.Contains(pe.body, html.EscapeString(en[0].Reasons[0])) || !strings.Contains(pe.body, "<h1>Alerts</h1>") {
		t.Errorf("the English page lacks the English reason %q", en[0].Reasons[0])
	}
	if a := b.get("/ui/alerts?state=burning"); a.code != http.StatusBadRequest {
		t.Errorf("a bad filter = %d, want the API's 400", a.code)
	}
	ing := dm.client()
	ing.signIn(dm.tokens["ingest"])
	if a := ing.get("/ui/alerts"); a.code != http.StatusForbidden || strings.Contains(a.body, `href="/ui/alerts"`) {
		t.Errorf("ingest GET /ui/alerts = %d (or its nav links the alerts)", a.code)
	}
}

// TestAlertForms: ack, workflow and feedback are CSRF-checked POSTs that redirect
// back; what one audience records is its own; a tenant cannot touch an alert it
// does not see.
func TestAlertForms(t *testing.T) {
	dm := startDemo(t)
	admin, tenant := dm.client(), dm.client()
	admin.signIn(dm.tokens["admin"])
	tenant.signIn(dm.tokens["tenant"])
	mine := apiAlerts(t, dm, "tenant", "state=firing")
	seen := map[string]bool{}
	for _, a := range mine {
		seen[a.ID] = true
	}
	var hidden string
	for _, a := range apiAlerts(t, dm, "admin", "state=firing") {
		if !seen[a.ID] {
			hidden = a.ID
			break
		}
	}
	if len(mine) == 0 || hidden == "" {
		t.Fatalf("want firing alerts the tenant sees (%d) and one it does not (%q)", len(mine), hidden)
	}
	id := mine[0].ID
	list := tenant.get("/ui/alerts")
	token := csrf(t, list.body, "/ui/alerts/"+id+"/ack")

	// Without the CSRF field, or with a wrong one: refused, nothing recorded.
	for _, form := range []url.Values{{"comment": {"x"}}, {"csrf": {"wrong"}}} {
		if a := tenant.do("POST", "/ui/alerts/"+id+"/ack", form); a.code != http.StatusForbidden {
			t.Errorf("ack with %v = %d, want 403", form, a.code)
		}
	}
	if got := apiAlerts(t, dm, "tenant", "state=firing"); got[0].AckedBy != "" {
		t.Fatalf("a refused form acknowledged the alert: %+v", got[0])
	}
	a := tenant.do("POST", "/ui/alerts/"+id+"/ack", url.Values{"csrf": {token}, "comment": {"供应部已知悉"}, "back": {"/ui/alerts?state=firing"}})
	if a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/alerts?state=firing" {
		t.Fatalf("ack = %d → %q", a.code, a.h.Get("Location"))
	}
	detail := tenant.get("/ui/alerts/" + id)
	if !strings.Contains(detail.body, "已确认收到</span> (console-tenant,") {
		t.Errorf("the tenant's detail page does not show its acknowledgement:\n%s", mainOf(detail.body))
	}
	// Staff's view of the same alert is staff's own: not acknowledged.
	if d := admin.get("/ui/alerts/" + id); !strings.Contains(d.body, `<dd id="alert-acked">未确认</dd>`) {
		t.Errorf("admin sees the tenant's acknowledgement:\n%s", mainOf(d.body))
	}
	// A redirect never leaves the alerts pages.
	if a := tenant.do("POST", "/ui/alerts/"+mine[1].ID+"/ack", url.Values{"csrf": {token}, "back": {"https://evil.example/"}}); a.h.Get("Location") != "/ui/alerts/"+mine[1].ID {
		t.Errorf("ack with a foreign back → %q", a.h.Get("Location"))
	}
	// Workflow and feedback.
	a = tenant.do("POST", "/ui/alerts/"+id+"/workflow", url.Values{"csrf": {token}, "status": {"investigating"},
		"assignee": {"采购部 张三"}, "note": {"已联系供应商"}})
	if a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/alerts/"+id {
		t.Fatalf("workflow = %d → %q", a.code, a.h.Get("Location"))
	}
	a = tenant.do("POST", "/ui/alerts/"+id+"/feedback", url.Values{"csrf": {token}, "verdict": {"wrong_entity"}, "comment": {"名称相近"}})
	if a.code != http.StatusSeeOther {
		t.Fatalf("feedback = %d", a.code)
	}
	got := map[string]apiAlert{}
	for _, x := range apiAlerts(t, dm, "tenant", "") {
		got[x.ID] = x
	}
	if x := got[id]; x.Status != "investigating" || x.Assignee != "采购部 张三" || x.Feedback == nil || x.Feedback.Verdict != "wrong_entity" {
		t.Errorf("after the forms the tenant's alert is %+v", x)
	}
	detail = tenant.get("/ui/alerts/" + id)
	for _, want := range []string{`<dd id="alert-status">调查中</dd>`, "已联系供应商", `<p id="alert-feedback">企业识别错误`} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	if f := tenant.get("/ui/alerts?status=investigating"); rowsOf(f.body) != 1 {
		t.Errorf("?status=investigating lists %d alerts, want 1", rowsOf(f.body))
	}
	for _, x := range apiAlerts(t, dm, "admin", "") {
		if x.ID == id && (x.Status != "open" || x.Feedback != nil) {
			t.Errorf("staff see the tenant's workflow or verdict: %+v", x)
		}
	}
	if a := tenant.do("POST", "/ui/alerts/"+id+"/workflow", url.Values{"csrf": {token}, "status": {"done"}}); a.code != http.StatusBadRequest ||
		!strings.Contains(a.body, "status") {
		t.Errorf("a bad status = %d\n%s", a.code, mainOf(a.body))
	}

	refusedUnseen(t, dm, tenant, token, hidden)
}

// refusedUnseen: a tenant's page and forms on an alert it does not see answer the
// not-found page, and change nothing.
func refusedUnseen(t *testing.T, dm *demo, tenant *browserless, token, hidden string) {
	t.Helper()
	for _, path := range []string{"/ui/alerts/" + hidden, "/ui/alerts/nosuchalert"} {
		if a := tenant.get(path); a.code != http.StatusNotFound {
			t.Errorf("tenant GET %s = %d", path, a.code)
		}
	}
	for _, act := range []string{"ack", "workflow", "feedback"} {
		form := url.Values{"csrf": {token}, "status": {"closed"}, "verdict": {"useful"}}
		if a := tenant.do("POST", "/ui/alerts/"+hidden+"/"+act, form); a.code != http.StatusNotFound || !strings.Contains(a.body, "<h1>未找到</h1>") {
			t.Errorf("tenant %s on an alert it does not see = %d", act, a.code)
		}
	}
	for _, x := range apiAlerts(t, dm, "admin", "") {
		if x.ID == hidden && (x.AckedBy != "" || x.Status != "open") {
			t.Errorf("the tenant's refused forms changed staff's alert: %+v", x)
		}
	}
}
