package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTenantSeesItsChainOnly: a tenant lands on its chain, and gets the very same
// not-found page for another leader's chain, a firm outside its chain, and a firm
// that does not exist; a malformed USCC gets a 400 page.
func TestTenantSeesItsChainOnly(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	a := b.signIn(dm.tokens["tenant"])
	if a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/chains/"+soy {
		t.Fatalf("tenant sign-in = %d → %q", a.code, a.h.Get("Location"))
	}
	if a := b.get("/ui/"); a.code != http.StatusSeeOther || a.h.Get("Location") != "/ui/chains/"+soy {
		t.Errorf("tenant GET /ui/ = %d → %q", a.code, a.h.Get("Location"))
	}
	own := b.get("/ui/chains/" + soy)
	if own.code != http.StatusOK || !strings.Contains(own.body, "黑龙江松花江大豆产业集团股份有限公司") {
		t.Fatalf("tenant's own chain = %d", own.code)
	}
	if strings.Contains(own.body, `href="/ui/">龙头企业`) {
		t.Error("a tenant's page links to the leaders ranking")
	}
	const nobody = "91230100000000001M" // valid, in no data
	gone := b.get("/ui/enterprises/" + nobody)
	if gone.code != http.StatusNotFound || !strings.Contains(gone.body, "<h1>未找到</h1>") {
		t.Fatalf("a firm that does not exist = %d\n%s", gone.code, mainOf(gone.body))
	}
	for _, path := range []string{"/ui/chains/" + dairy, "/ui/chains/" + petro, "/ui/enterprises/" + dairy,
		"/ui/chains/" + nobody, "/ui/chains/" + dairy + "/graph.dot", "/ui/nothing/here"} {
		a := b.get(path)
		if a.code != http.StatusNotFound || mainOf(a.body) != mainOf(gone.body) {
			t.Errorf("tenant GET %s = %d, want the not-found page\n%s", path, a.code, mainOf(a.body))
		}
	}
	// The analyst sees what the tenant may not.
	an := dm.client()
	an.signIn(dm.tokens["analyst"])
	if a := an.get("/ui/enterprises/" + dairy); a.code != http.StatusOK {
		t.Errorf("analyst GET the dairy leader = %d", a.code)
	}
	// An ingest token may sign in, and is refused the pages it may not read.
	ing := dm.client()
	if a := ing.signIn(dm.tokens["ingest"]); a.code != http.StatusSeeOther {
		t.Fatalf("ingest sign-in = %d", a.code)
	}
	for _, path := range []string{"/ui/", "/ui/chains/" + soy, "/ui/enterprises/" + soy} {
		if a := ing.get(path); a.code != http.StatusForbidden || !strings.Contains(a.body, "<h1>无权访问</h1>") {
			t.Errorf("ingest GET %s = %d", path, a.code)
		}
	}
	for _, bad := range []string{"abc", "91230100000000001X", "%3Cscript%3E"} {
		a := b.get("/ui/enterprises/" + bad)
		if a.code != http.StatusBadRequest || !strings.Contains(a.body, "<h1>请求有误</h1>") || strings.Contains(a.body, "<script>") {
			t.Errorf("GET /ui/enterprises/%s = %d\n%s", bad, a.code, mainOf(a.body))
		}
	}
}

// TestHostileTextIsEscaped: a firm name and an event description holding markup
// show as text on the firm and chain pages, never as markup.
func TestHostileTextIsEscaped(t *testing.T) {
	dm := startDemo(t)
	const firm = "91230100000000001M"
	name := `<script>alert("name")</script>恶意企业`
	desc := `<img src=x onerror=alert(1)><script>alert("event")</script>`
	today := dm.clock.now().Format("2006-01-02")
	ingest(t, dm, "enterprises", "uscc,name,region,industry,status,revenue\n"+
		fmt.Sprintf("%s,%s,230100,C1331,active,1000000\n", firm, csvField(name)))
	ingest(t, dm, "relations", "supplier,customer,purchase_share,sales_share,substitutability,amount\n"+
		firm+","+soy+",0.001,0.1,0.5,1000\n")
	ingest(t, dm, "events", "event_id,uscc,type,occurred_at,description\n"+
		fmt.Sprintf("XSS-1,%s,tax_arrears,%s,%s\n", firm, today, csvField(desc)))
	b := dm.client()
	b.signIn(dm.tokens["admin"])
	var page, chain answer
	deadline := time.Now().Add(20 * time.Second)
	for {
		page, chain = b.get("/ui/enterprises/"+firm), b.get("/ui/chains/"+soy+"?tier=1")
		if page.code == http.StatusOK && strings.Contains(page.body, "XSS-1") && strings.Contains(chain.body, "恶意企业") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the firm never showed with its event: %d\n%s", page.code, mainOf(page.body))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for what, body := range map[string]string{"firm page": page.body, "chain page": chain.body} {
		for _, raw := range []string{`<script>alert`, `<img src=x`, `onerror=alert(1)>`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s holds %q unescaped", what, raw)
			}
		}
	}
	if !strings.Contains(page.body, `&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;恶意企业`) ||
		!strings.Contains(page.body, `&lt;img src=x onerror=alert(1)&gt;`) {
		t.Errorf("firm page does not show the name and description as text:\n%s", mainOf(page.body))
	}
	// In the graph's data the markup is JSON-escaped too.
	if !strings.Contains(chain.body, `\u003cscript\u003ealert(`) {
		t.Errorf("chain page's graph data does not carry the escaped name")
	}
}

func csvField(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func ingest(t testing.TB, dm *demo, kind, csv string) {
	t.Helper()
	req, _ := http.NewRequest("POST", dm.base+"/api/v1/"+kind+"?strict=true", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+dm.tokens["admin"])
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest %s: %d %s", kind, resp.StatusCode, body)
	}
}

// TestLanguageSwitch: Chinese by default; ?lang=en switches and is remembered.
func TestLanguageSwitch(t *testing.T) {
	dm := startDemo(t)
	b := dm.client()
	if a := b.get("/ui/signin"); !strings.Contains(a.body, `<html lang="zh-CN">`) || !strings.Contains(a.body, "API 令牌") {
		t.Errorf("default language is not Chinese")
	}
	en := b.get("/ui/signin?lang=en")
	if !strings.Contains(en.body, `<html lang="en">`) || !strings.Contains(en.body, "API token") ||
		!strings.Contains(en.body, `href="/ui/signin?lang=zh"`) {
		t.Errorf("?lang=en does not switch to English:\n%s", en.body)
	}
	b.signIn(dm.tokens["admin"])
	if a := b.get("/ui/chains/" + soy); !strings.Contains(a.body, "Top contributors") || strings.Contains(a.body, "主要风险贡献者") {
		t.Errorf("English not remembered after sign-in")
	}
	if a := b.get("/ui/?lang=zh"); !strings.Contains(a.body, "龙头企业链风险排名") {
		t.Errorf("?lang=zh does not switch back")
	}
}
