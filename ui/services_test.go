package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The carton maker of the demo's ownership data and its controller.
const (
	carton     = "912301113528741157" // 哈尔滨松花江恒信包装制品有限公司
	controller = "黑龙江恒信实业集团有限公司"
)

// apiGet reads the API's JSON answer to path with the token of role.
func apiGet(t testing.TB, dm *demo, role, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", dm.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+dm.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

var rowRE = regexp.MustCompile(`<tr data-[a-z]+="([^"]*)"`)

// rows returns the data keys of the rows of the table with id in page.
func rows(page, id string) []string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return nil
	}
	table := page[i:]
	table = table[:strings.Index(table, "</table>")]
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(table, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestInvestmentCheckPages: an admin runs the carton maker's check from the form and
// reads REJECT, the controller and the penetrated share; the form refuses a missing
// CSRF token and malformed input; an analyst reads persons' names as the API masks
// them; a tenant gets the API's 403.
func TestInvestmentCheckPages(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	form := b.get("/ui/checks")
	if form.code != http.StatusOK || !strings.Contains(form.body, `<label for="check-uscc">`) {
		t.Fatalf("GET /ui/checks = %d\n%s", form.code, mainOf(form.body))
	}
	token := csrf(t, form.body, "/ui/checks")
	if a := b.do("POST", "/ui/checks", url.Values{"uscc": {carton}}); a.code != http.StatusForbidden || !strings.Contains(a.body, "CSRF") {
		t.Errorf("POST /ui/checks without csrf = %d", a.code)
	}
	a := b.do("POST", "/ui/checks", url.Values{"uscc": {carton}, "csrf": {token}, "min_share": {"5%"}})
	loc := a.h.Get("Location")
	if a.code != http.StatusSeeOther || !regexp.MustCompile(`^/ui/checks/[0-9]+$`).MatchString(loc) {
		t.Fatalf("POST /ui/checks = %d → %q\n%s", a.code, loc, mainOf(a.body))
	}
	page := b.get(loc)
	m := mainOf(page.body)
	for _, want := range []string{"否决 REJECT", `<p id="controller"><a href="/ui/enterprises/91230102MAHTL3M900">` + controller + `</a>`,
		"穿透持股 39.00%", `href="/ui/enterprises/` + carton + `/report"`, "哈尔滨恒信企业管理有限公司"} {
		if !strings.Contains(m, want) {
			t.Errorf("check page lacks %q\n%s", want, m)
		}
	}
	if len(rows(m, "holders-table")) == 0 {
		t.Errorf("check page lists no shareholders")
	}
	id := strings.TrimPrefix(loc, "/ui/checks/")
	if past := b.get("/ui/checks?uscc=" + carton); !strings.Contains(past.body, `<a href="/ui/checks/`+id+`">#`+id+`</a>`) {
		t.Errorf("past checks of the carton maker lack #%s", id)
	}
	// Malformed input gets the bad-request page, naming what is wrong.
	for _, f := range []url.Values{{"uscc": {"abc"}}, {"uscc": {""}}, {"uscc": {carton}, "depth": {"two"}},
		{"uscc": {carton}, "depth": {"99"}}, {"uscc": {carton}, "shareholders": {"91230100000000001X"}}} {
		f.Set("csrf", token)
		if a := b.do("POST", "/ui/checks", f); a.code != http.StatusBadRequest || !strings.Contains(a.body, "<h1>请求有误</h1>") ||
			!strings.Contains(a.body, `class="detail"`) {
			t.Errorf("POST /ui/checks %v = %d\n%s", f, a.code, mainOf(a.body))
		}
	}
	for path, want := range map[string]int{"/ui/checks/abc": 400, "/ui/checks/999999": 404, "/ui/checks?uscc=bad": 400} {
		if a := b.get(path); a.code != want {
			t.Errorf("GET %s = %d, want %d", path, a.code, want)
		}
	}
	checkMasking(t, dm, id)

	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	if a := ten.get("/ui/checks"); a.code != http.StatusForbidden || !strings.Contains(a.body, "<h1>无权访问</h1>") {
		t.Errorf("tenant GET /ui/checks = %d", a.code)
	}
	if a := ten.get(loc); a.code != http.StatusForbidden {
		t.Errorf("tenant GET %s = %d", loc, a.code)
	}
	own := ten.get("/ui/chains/" + soy)
	if a := ten.do("POST", "/ui/checks", url.Values{"uscc": {carton}, "csrf": {csrf(t, own.body, "/ui/signout")}}); a.code != http.StatusForbidden {
		t.Errorf("tenant POST /ui/checks = %d", a.code)
	}
	for _, link := range []string{`href="/ui/checks"`, `href="/ui/screenings"`, `href="/ui/lists"`} {
		if strings.Contains(own.body, link) {
			t.Errorf("a tenant's page links %s", link)
		}
	}
	if !strings.Contains(own.body, `action="/ui/search"`) || !strings.Contains(form.body, `href="/ui/lists"`) {
		t.Errorf("the header lacks the search box, or an admin's the lists link")
	}
}

// checkMasking: the check page shows persons' names as the API answers each role.
func checkMasking(t *testing.T, dm *demo, id string) {
	t.Helper()
	type party struct {
		HolderKind string `json:"holder_kind"`
		Name       string `json:"name"`
	}
	var full, masked struct {
		Owners []party `json:"beneficial_owners"`
	}
	apiGet(t, dm, "admin", "/api/v1/checks/"+id, &full)
	apiGet(t, dm, "analyst", "/api/v1/checks/"+id, &masked)
	if len(full.Owners) == 0 || full.Owners[0].HolderKind != "person" || full.Owners[0].Name == masked.Owners[0].Name {
		t.Fatalf("the check's beneficial owners: %+v (analyst %+v), want a person masked for the analyst", full.Owners, masked.Owners)
	}
	an := dm.client()
	an.signIn(dm.tokens["analyst"])
	page := an.get("/ui/checks/" + id)
	if page.code != http.StatusOK || strings.Contains(page.body, full.Owners[0].Name) || !strings.Contains(page.body, masked.Owners[0].Name) {
		t.Errorf("analyst's check page: %d; shows %q or lacks %q", page.code, full.Owners[0].Name, masked.Owners[0].Name)
	}
	ad := dm.client()
	ad.signIn(dm.tokens["admin"])
	if page := ad.get("/ui/checks/" + id); !strings.Contains(page.body, full.Owners[0].Name) {
		t.Errorf("admin's check page lacks the owner's name %q", full.Owners[0].Name)
	}
}

// TestScreeningUpload: a CSV of three targets gives three result rows, each with its
// check linked; the CSV download is the API's; a missing CSRF token, a missing or
// empty file, a wrong type and a bad USCC get their error pages; a tenant gets 403.
func TestScreeningUpload(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	form := b.get("/ui/screenings")
	if form.code != http.StatusOK {
		t.Fatalf("GET /ui/screenings = %d", form.code)
	}
	token := csrf(t, form.body, "/ui/screenings")
	targets := "uscc\n" + carton + "\n" + soy + "\n91231100843841844D\n"
	a := b.upload("/ui/screenings", token, "targets", "targets.csv", []byte(targets), "format", "json")
	got := rows(a.body, "screen-table")
	if a.code != http.StatusOK || strings.Join(got, ",") != carton+","+soy+",91231100843841844D" {
		t.Fatalf("screening = %d, rows %v\n%s", a.code, got, mainOf(a.body))
	}
	if n := len(regexp.MustCompile(`<a href="/ui/checks/[0-9]+">#`).FindAllString(a.body, -1)); n != 3 {
		t.Errorf("screening results link %d checks, want 3", n)
	}
	if !strings.Contains(a.body, "否决 REJECT") {
		t.Errorf("the carton maker's row is not REJECT")
	}
	nd := b.upload("/ui/screenings", token, "targets", "t.ndjson", []byte(`{"uscc":"`+soy+`"}`+"\n"), "format", "json")
	if len(rows(nd.body, "screen-table")) != 1 {
		t.Errorf("NDJSON screening = %d, rows %v", nd.code, rows(nd.body, "screen-table"))
	}
	dl := b.upload("/ui/screenings", token, "targets", "targets.csv", []byte(targets), "format", "csv")
	lines := strings.Split(strings.TrimSpace(dl.body), "\n")
	if dl.code != http.StatusOK || !strings.HasPrefix(dl.h.Get("Content-Type"), "text/csv") ||
		!strings.Contains(dl.h.Get("Content-Disposition"), "attachment") || len(lines) != 4 ||
		strings.TrimSpace(lines[0]) != "uscc,name,verdict,grade,reasons,check_id" {
		t.Errorf("CSV download = %d %q %q:\n%s", dl.code, dl.h.Get("Content-Type"), dl.h.Get("Content-Disposition"), dl.body)
	}
	for _, c := range []struct {
		name, token, file, data string
		want                    int
	}{
		{"no csrf", "", "t.csv", targets, 403},
		{"no file", token, "", "", 400},
		{"empty file", token, "t.csv", "  \n", 400},
		{"header only", token, "t.csv", "uscc\n", 400},
		{"wrong type", token, "t.xlsx", targets, 415},
		{"bad uscc", token, "t.csv", "uscc\n" + soy + "\nabc\n", 400},
		{"bad header", token, "t.csv", "code\n" + soy + "\n", 400},
		{"too large", token, "t.csv", "uscc\n" + strings.Repeat(soy+"\n", 500_000), 413},
	} {
		a := b.upload("/ui/screenings", c.token, "targets", c.file, []byte(c.data))
		if a.code != c.want || !strings.Contains(a.body, "<h1>") {
			t.Errorf("%s: %d, want %d\n%s", c.name, a.code, c.want, mainOf(a.body))
		}
		if c.name == "bad uscc" && !strings.Contains(a.body, "line 3") {
			t.Errorf("bad uscc: the page does not name the line\n%s", mainOf(a.body))
		}
	}
	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	own := ten.get("/ui/chains/" + soy)
	if a := ten.upload("/ui/screenings", csrf(t, own.body, "/ui/signout"), "targets", "t.csv", []byte(targets)); a.code != http.StatusForbidden {
		t.Errorf("tenant screening = %d", a.code)
	}
}

// TestListPages: the lists page words each list's criteria; a list pages by the API's
// cursor, filters, and downloads its CSV; a garbage cursor, a bad filter and an
// unknown list get their pages; a tenant gets 403.
func TestListPages(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	ls := b.get("/ui/lists")
	if ls.code != http.StatusOK || !strings.Contains(ls.body, `<a href="/ui/lists/discipline">失信惩戒对象</a>`) ||
		!strings.Contains(ls.body, "信用等级为 D") {
		t.Fatalf("GET /ui/lists = %d\n%s", ls.code, mainOf(ls.body))
	}
	if en := b.get("/ui/lists?lang=en"); !strings.Contains(en.body, "Any of: grade is D; an active event of severity critical") {
		t.Errorf("the English lists page does not word the discipline list's criteria\n%s", mainOf(en.body))
	}
	b.get("/ui/lists?lang=zh")
	var api struct {
		Total   int `json:"total"`
		Members []struct {
			USCC string `json:"uscc"`
		} `json:"members"`
	}
	apiGet(t, dm, "admin", "/api/v1/lists/discipline?limit=1000", &api)
	if api.Total < 3 {
		t.Fatalf("the discipline list has %d members; the test pages it by 2", api.Total)
	}
	t.Logf("discipline list: %d members", api.Total)
	var seen []string
	next := "/ui/lists/discipline?limit=2"
	for pages := 0; next != ""; pages++ {
		p := b.get(next)
		if p.code != http.StatusOK || pages > api.Total {
			t.Fatalf("GET %s = %d", next, p.code)
		}
		seen = append(seen, rows(p.body, "list-table")...)
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	var want []string
	for _, m := range api.Members {
		want = append(want, m.USCC)
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("paging the discipline list by 2 gave %v, want %v", seen, want)
	}
	first := b.get("/ui/lists/discipline")
	if !strings.Contains(first.body, "grade D") && !strings.Contains(first.body, "active ") {
		t.Errorf("the list page does not say why members are on it\n%s", mainOf(first.body))
	}
	csv := b.get("/ui/lists/discipline/members.csv")
	if csv.code != http.StatusOK || !strings.HasPrefix(csv.h.Get("Content-Type"), "text/csv") ||
		len(strings.Split(strings.TrimSpace(csv.body), "\n")) != api.Total+1 {
		t.Errorf("list CSV = %d %q, %d lines, want %d", csv.code, csv.h.Get("Content-Type"),
			len(strings.Split(strings.TrimSpace(csv.body), "\n")), api.Total+1)
	}
	for path, code := range map[string]int{"/ui/lists/discipline?cursor=garbage": 400, "/ui/lists/discipline?region=abc": 400,
		"/ui/lists/nothing": 404, "/ui/lists/discipline/members.csv?tag=nope": 400, "/ui/lists/nothing/members.csv": 404} {
		if a := b.get(path); a.code != code || !strings.Contains(a.body, "<h1>") {
			t.Errorf("GET %s = %d, want %d", path, a.code, code)
		}
	}
	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	for _, path := range []string{"/ui/lists", "/ui/lists/discipline", "/ui/lists/discipline/members.csv"} {
		if a := ten.get(path); a.code != http.StatusForbidden {
			t.Errorf("tenant GET %s = %d", path, a.code)
		}
	}
}

// TestSearchPage: a search finds the Hengxin firms, pages by cursor, refuses a
// garbage cursor; a tenant finds only what the API shows it.
func TestSearchPage(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	a := b.get("/ui/search?q=" + url.QueryEscape("恒信"))
	if a.code != http.StatusOK || !strings.Contains(a.body, controller) || !strings.Contains(a.body, `href="/ui/enterprises/`+carton+`"`) {
		t.Fatalf("search 恒信 = %d\n%s", a.code, mainOf(a.body))
	}
	var all struct {
		Total int `json:"total"`
		Firms []struct {
			USCC string `json:"uscc"`
		} `json:"firms"`
	}
	apiGet(t, dm, "admin", "/api/v1/enterprises?grade=D&limit=500", &all)
	var seen []string
	next := "/ui/search?grade=D&limit=3"
	for pages := 0; next != ""; pages++ {
		p := b.get(next)
		if p.code != http.StatusOK || pages > all.Total {
			t.Fatalf("GET %s = %d", next, p.code)
		}
		seen = append(seen, rows(p.body, "search-table")...)
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != all.Total || len(seen) < 4 || seen[0] != all.Firms[0].USCC {
		t.Errorf("paging grade D by 3 saw %d firms, want %d", len(seen), all.Total)
	}
	for _, path := range []string{"/ui/search?cursor=garbage", "/ui/search?grade=E", "/ui/search?region=x"} {
		if a := b.get(path); a.code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", path, a.code)
		}
	}
	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	var tq, every struct {
		Total int `json:"total"`
	}
	apiGet(t, dm, "tenant", "/api/v1/enterprises?limit=500", &tq)
	apiGet(t, dm, "admin", "/api/v1/enterprises?limit=1", &every)
	p := ten.get("/ui/search?limit=500")
	if n := len(rows(p.body, "search-table")); p.code != http.StatusOK || n != tq.Total || n == 0 || n >= every.Total {
		t.Errorf("tenant search = %d with %d rows, want the API's %d (of %d firms)", p.code, n, tq.Total, every.Total)
	}
	t.Logf("tenant finds %d of %d firms; grade D: %d", tq.Total, every.Total, all.Total)
	if a := ten.get("/ui/search?q=" + url.QueryEscape("鹤乡乳业")); strings.Contains(a.body, dairy) {
		t.Errorf("a tenant's search shows the dairy leader outside its chain")
	}
}

// TestFirmReportAndRepair: the firm page links the printable report, which the
// console serves as the API's HTML; a firm with events shows its what-if scores; a
// tenant's report outside its chain is not found.
func TestFirmReportAndRepair(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	var plan struct {
		WhatIf struct {
			AllRepairable struct {
				Score float64 `json:"score"`
			} `json:"all_repairable"`
		} `json:"what_if"`
	}
	const holding = "91230102MAHTL3M900"
	if code := apiGet(t, dm, "admin", "/api/v1/enterprises/"+holding+"/repair-plan", &plan); code != http.StatusOK {
		t.Fatalf("repair plan = %d", code)
	}
	page := b.get("/ui/enterprises/" + holding)
	if !strings.Contains(page.body, `id="whatif-table"`) || !strings.Contains(page.body, fmt.Sprintf("%.1f", plan.WhatIf.AllRepairable.Score)) ||
		!strings.Contains(page.body, `href="/ui/enterprises/`+holding+`/report"`) {
		t.Errorf("firm page lacks the what-if scores (%.1f) or the report link\n%s", plan.WhatIf.AllRepairable.Score, mainOf(page.body))
	}
	r := b.get("/ui/enterprises/" + holding + "/report")
	if r.code != http.StatusOK || !strings.HasPrefix(r.h.Get("Content-Type"), "text/html") || !strings.Contains(r.body, controller) {
		t.Errorf("report = %d %q", r.code, r.h.Get("Content-Type"))
	}
	ten := dm.client()
	ten.signIn(dm.tokens["tenant"])
	if a := ten.get("/ui/enterprises/" + dairy + "/report"); a.code != http.StatusNotFound {
		t.Errorf("tenant report of the dairy leader = %d", a.code)
	}
	if a := ten.get("/ui/enterprises/abc/report"); a.code != http.StatusBadRequest {
		t.Errorf("report of a malformed USCC = %d", a.code)
	}
}

// TestServicePagesEscape: a firm named with markup shows as text in search results,
// a screening's rows and its check page.
func TestServicePagesEscape(t *testing.T) {
	dm := startDemo(t)
	const firm = "91230100000000001M"
	name := `<script>alert("x")</script>恶意企业`
	ingest(t, dm, "enterprises", "uscc,name,region,industry,status,revenue\n"+
		fmt.Sprintf("%s,%s,230100,C1331,active,1000000\n", firm, csvField(name)))
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	var found answer
	for deadline := time.Now().Add(20 * time.Second); ; {
		found = b.get("/ui/search?q=" + url.QueryEscape("恶意企业"))
		if strings.Contains(found.body, firm) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hostile firm was never found")
		}
		time.Sleep(50 * time.Millisecond)
	}
	token := csrf(t, b.get("/ui/screenings").body, "/ui/screenings")
	scr := b.upload("/ui/screenings", token, "targets", "t.csv", []byte("uscc\n"+firm+"\n"))
	id := regexp.MustCompile(`<a href="(/ui/checks/[0-9]+)">`).FindStringSubmatch(scr.body)
	if id == nil {
		t.Fatalf("screening of the hostile firm: %d\n%s", scr.code, mainOf(scr.body))
	}
	check := b.get(id[1])
	for what, body := range map[string]string{"search": found.body, "screening": scr.body, "check": check.body} {
		if strings.Contains(body, `<script>alert`) || !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;恶意企业`) {
			t.Errorf("%s page does not show the name as text\n%s", what, mainOf(body))
		}
	}
}
