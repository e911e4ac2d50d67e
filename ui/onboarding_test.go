package ui_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const (
	demoList  = "../demo/onboarding/soybean_suppliers.csv"
	collector = "91231100843841844D" // 黑河北疆金穗大豆收储有限公司, the ambiguous row's firm
)

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="(file|state)" value="([^"]*)">`)

// reviewForm returns the review page's hidden fields.
func reviewForm(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	if v.Get("state") == "" {
		t.Fatalf("no list state in the review page:\n%s", mainOf(page))
	}
	return v
}

// TestOnboardingPages: the soybean tenant uploads the demo's ERP list, chooses the
// collector for the ambiguous row and imports six relations of its own, lists and
// withdraws one; the forms are CSRF-checked; staff are told what the page is for.
func TestOnboardingPages(t *testing.T) {
	dm := startDemo(t)
	list, err := os.ReadFile(demoList)
	if err != nil {
		t.Fatal(err)
	}
	b := dm.client()
	b.signIn(dm.tokens["tenant"])
	page := b.get("/ui/onboarding")
	if page.code != http.StatusOK || !strings.Contains(page.body, "尚无自有供应关系") {
		t.Fatalf("onboarding page = %d\n%s", page.code, mainOf(page.body))
	}
	token := csrf(t, page.body, "/ui/onboarding")
	if a := b.upload("/ui/onboarding", "", "list", "soybean_suppliers.csv", list); a.code != http.StatusForbidden {
		t.Errorf("upload without CSRF = %d", a.code)
	}
	rev := b.upload("/ui/onboarding", token, "list", "soybean_suppliers.csv", list, "encoding", "utf-8")
	if rev.code != http.StatusOK {
		t.Fatalf("upload = %d\n%s", rev.code, mainOf(rev.body))
	}
	for _, want := range []string{
		`<tr data-line="2" class="outcome-confirm">`, `<input type="radio" name="pick-2" value="` + collector + `">`,
		`<tr data-line="3" class="outcome-exact">`, `<tr data-line="7" class="outcome-given">`, `<tr data-line="8" class="outcome-none">`,
		"共 7 家供应商：按代码 1、精确 4、唯一 0、已选择 0；未导入 2（待确认 1、未匹配 1、有误 0）。",
	} {
		if !strings.Contains(rev.body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	form := reviewForm(t, rev.body)
	form.Set("pick-2", collector)
	if a := b.do("POST", "/ui/onboarding/import", form); a.code != http.StatusForbidden {
		t.Errorf("import without CSRF = %d", a.code)
	}
	form.Set("csrf", csrf(t, rev.body, "/ui/onboarding/import"))
	done := b.do("POST", "/ui/onboarding/import", form)
	if done.code != http.StatusOK || !strings.Contains(done.body, "已导入 6 条自有供应关系") ||
		!strings.Contains(done.body, `<tr data-line="2" class="outcome-confirmed">`) {
		t.Fatalf("import = %d\n%s", done.code, mainOf(done.body))
	}
	var own struct{ Relations []struct{ Supplier string } }
	apiJSON(t, dm, "tenant", "/api/v1/relations?source="+soy, &own)
	if len(own.Relations) != 6 {
		t.Fatalf("%d own relations after the import, want 6", len(own.Relations))
	}
	page = b.get("/ui/onboarding")
	if n := strings.Count(page.body, `<form method="post" action="/ui/onboarding/withdraw">`); n != 6 ||
		!strings.Contains(page.body, `<tr data-uscc="`+collector+`"><td><a href="/ui/enterprises/`+collector+`">黑河北疆金穗大豆收储有限公司</a>`) {
		t.Errorf("the page lists %d own relations with withdraw buttons, want 6 with the collector named", n)
	}
	w := b.do("POST", "/ui/onboarding/withdraw", url.Values{"csrf": {token}, "supplier": {collector}})
	if w.code != http.StatusSeeOther || w.h.Get("Location") != "/ui/onboarding?withdrawn="+collector {
		t.Fatalf("withdraw = %d → %q", w.code, w.h.Get("Location"))
	}
	if a := b.get(w.h.Get("Location")); !strings.Contains(a.body, "已撤回供应商 "+collector+" 的供应关系") {
		t.Error("the page does not confirm the withdrawal")
	}
	if a := b.get("/ui/onboarding?withdrawn=" + url.QueryEscape("全部供应商")); strings.Contains(a.body, "全部供应商") {
		t.Error("the withdrawal message shows text from the link")
	}
	apiJSON(t, dm, "tenant", "/api/v1/relations?source="+soy, &own)
	if len(own.Relations) != 5 {
		t.Errorf("%d own relations after the withdrawal, want 5", len(own.Relations))
	}
	if a := b.do("POST", "/ui/onboarding/withdraw", url.Values{"csrf": {token}, "supplier": {collector}}); a.code != http.StatusNotFound {
		t.Errorf("withdrawing it again = %d, want the API's 404", a.code)
	}
	if a := b.do("POST", "/ui/onboarding/import", url.Values{"csrf": {token}, "state": {"bm90IGpzb24="}}); a.code != http.StatusBadRequest {
		t.Errorf("a damaged list state = %d", a.code)
	}

	// Staff: the page says what it is for; its forms answer 403.
	an := dm.client()
	an.signIn(dm.tokens["analyst"])
	if a := an.get("/ui/onboarding"); a.code != http.StatusOK || !strings.Contains(a.body, `<p id="onboard-staff">`) ||
		strings.Contains(a.body, `href="/ui/onboarding"`) {
		t.Errorf("analyst onboarding page = %d (or the nav links it)", a.code)
	}
	at := csrf(t, an.get("/ui/alerts").body, "/ui/signout")
	if a := an.upload("/ui/onboarding", at, "list", "l.csv", list); a.code != http.StatusForbidden {
		t.Errorf("analyst upload = %d", a.code)
	}
	if a := an.do("POST", "/ui/onboarding/withdraw", url.Values{"csrf": {at}, "supplier": {collector}}); a.code != http.StatusForbidden {
		t.Errorf("analyst withdraw = %d, want the API's 403", a.code)
	}
}

// TestOnboardingEncodings: a GBK list is refused as UTF-8 with its line named, and
// read when gbk is chosen; a misspelt column is named.
func TestOnboardingEncodings(t *testing.T) {
	dm := startDemo(t)
	list, err := os.ReadFile(demoList)
	if err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(list)
	if err != nil {
		t.Fatal(err)
	}
	b := dm.client()
	b.signIn(dm.tokens["tenant"])
	token := csrf(t, b.get("/ui/onboarding").body, "/ui/onboarding")
	a := b.upload("/ui/onboarding", token, "list", "erp.csv", gbk)
	if a.code != http.StatusBadRequest || !strings.Contains(a.body, "erp.csv:2: not valid UTF-8") {
		t.Errorf("GBK read as UTF-8 = %d\n%s", a.code, mainOf(a.body))
	}
	if a := b.upload("/ui/onboarding", token, "list", "erp.csv", gbk, "encoding", "gbk"); a.code != http.StatusOK ||
		!strings.Contains(a.body, `<tr data-line="2" class="outcome-confirm">`) {
		t.Errorf("GBK read as GBK = %d\n%s", a.code, mainOf(a.body))
	}
	bad := []byte("name,purchase_shar\n某公司,0.1\n")
	if a := b.upload("/ui/onboarding", token, "list", "erp.csv", bad); a.code != http.StatusBadRequest ||
		!strings.Contains(a.body, "did you mean &#34;purchase_share&#34;?") {
		t.Errorf("a misspelt column = %d\n%s", a.code, mainOf(a.body))
	}
	big := bytes.Repeat([]byte("x"), 3<<20)
	if a := b.upload("/ui/onboarding", token, "list", "big.csv", big); a.code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 3 MiB upload = %d", a.code)
	}
}
