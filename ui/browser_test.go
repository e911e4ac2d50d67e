package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chainrisk/chainrisk/internal/browser"
)

// tab drives one headless Chromium for a test, saving a screenshot of each step's
// page under the test's temporary directory; a failing step logs their paths.
type tab struct {
	t     testing.TB
	ctx   context.Context
	base  string
	dir   string
	shots []string
}

func newTab(t testing.TB, base string, width, height int) *tab {
	return &tab{t: t, ctx: browser.Session(t, width, height), base: base, dir: t.TempDir()}
}

// step runs a, within a minute.
func (b *tab) step(name string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, a); err != nil {
		b.fatalf("%s: %v", name, err)
	}
}

// open navigates (or runs steps that navigate) and returns the document's status.
func (b *tab) open(name string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.fatalf("%s: %v", name, err)
	}
	b.shot(name)
	return resp.Status
}

func (b *tab) navigate(path string) int64 {
	b.t.Helper()
	return b.open(path, chromedp.Navigate(b.base+path))
}

// eval evaluates a JavaScript expression into v.
func (b *tab) eval(expr string, v any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err != nil {
		b.fatalf("evaluate %s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		b.fatalf("evaluate %s: %v (%s)", expr, err, raw)
	}
}

// ready waits until the page's charts have drawn their first frame (assets/console.js).
func (b *tab) ready() {
	b.t.Helper()
	b.step("charts drawn", chromedp.Poll[chromedp.Void]("window.consoleReady !== undefined",
		chromedp.WithPollingTimeout(30*time.Second)))
}

// settled waits until the page's charts have finished their animations.
func (b *tab) settled() {
	b.t.Helper()
	b.step("charts settled", chromedp.Poll[chromedp.Void]("window.consoleSettled !== undefined",
		chromedp.WithPollingTimeout(30*time.Second)))
}

func (b *tab) shot(name string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
	p := browser.Screenshot(b.ctx, b.t, filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", len(b.shots), safe)))
	b.shots = append(b.shots, p)
	return p
}

func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	b.shot("failure")
	b.t.Fatalf(format+"\nscreenshots:\n  %s", append(args, strings.Join(b.shots, "\n  "))...)
}

func (b *tab) errorf(format string, args ...any) {
	b.t.Helper()
	b.t.Errorf(format+"\nscreenshots:\n  %s", append(args, strings.Join(b.shots, "\n  "))...)
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), &s)
	return strings.TrimSpace(s)
}

func (b *tab) signIn(token string) int64 {
	b.t.Helper()
	if code := b.navigate("/ui/signin"); code != http.StatusOK {
		b.fatalf("sign-in page = %d", code)
	}
	b.step("type the token", chromedp.SendKeys(chromedp.ID("token"), token))
	return b.open("sign in", chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button[type=submit]`)))
}

// tier2Top is the soybean chain's highest contributor in tier 2, as the API ranks them.
func tier2Top(t *testing.T, dm *demo) (uscc, name string) {
	req, _ := http.NewRequest("GET", dm.base+"/api/v1/chains/"+soy, nil)
	req.Header.Set("Authorization", "Bearer "+dm.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ch struct {
		Top []struct {
			USCC, Name string
			Tier       int
		} `json:"top_contributors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
		t.Fatal(err)
	}
	for _, c := range ch.Top {
		if c.Tier == 2 {
			return c.USCC, c.Name
		}
	}
	t.Fatal("the soybean chain has no tier-2 contributor")
	return "", ""
}

// TestConsoleInBrowser signs in and reads the pages in a real Chromium: the soybean
// chain's graph and tables, a firm's history chart, a tenant's not-found pages, and
// sign-out.
func TestConsoleInBrowser(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 1280, 800)
	top, topName := tier2Top(t, dm)

	if code := b.signIn(dm.tokens["admin"]); code != http.StatusOK || !strings.Contains(b.text("h1"), "龙头企业链风险排名") {
		b.fatalf("admin sign-in landed on %d %q", code, b.text("h1"))
	}
	b.ready()
	var leaders int
	b.eval(`document.querySelectorAll("#leaders-table tbody tr").length`, &leaders)
	if leaders != 3 {
		b.errorf("leaders table has %d rows, want the demo's 3", leaders)
	}

	if code := b.navigate("/ui/chains/" + soy); code != http.StatusOK {
		b.fatalf("chain page = %d", code)
	}
	b.settled()
	if p := os.Getenv("CHAINRISK_CONSOLE_SCREENSHOT"); p != "" {
		t.Logf("chain page screenshot: %s", browser.Screenshot(b.ctx, t, p))
	}
	// The graph's data as ECharts holds it: the tier-2 member with the largest
	// contribution is the API's tier-2 top contributor.
	var node struct {
		ID   string `json:"id"`
		Tier int    `json:"tier"`
	}
	b.eval(`(function () {
		var o = echarts.getInstanceByDom(document.getElementById("chain-graph")).getOption();
		var t2 = o.series[0].data.filter(function (n) { return n.tier === 2; });
		t2.sort(function (a, b) { return b.value - a.value; });
		return t2[0];
	})()`, &node)
	if node.ID != top || node.Tier != 2 {
		b.errorf("graph's tier-2 top contributor = %+v, want %s (%s)", node, top, topName)
	}
	var singles, nodes int
	b.eval(`echarts.getInstanceByDom(document.getElementById("chain-graph")).getOption().series[0].links.filter(function (l) { return l.singleSource; }).length`, &singles)
	b.eval(`echarts.getInstanceByDom(document.getElementById("chain-graph")).getOption().series[0].data.length`, &nodes)
	if singles < 2 || nodes != 85 {
		b.errorf("graph: %d nodes, %d single-source links; want the 85 members and the leader's 2 single sources", nodes, singles)
	}
	if got := b.text(fmt.Sprintf(`#top-table tr[data-uscc=%q] a`, top)); got != topName {
		b.errorf("top contributors table row of %s = %q, want %q", top, got, topName)
	}
	if code := b.navigate("/ui/chains/" + soy + "?tier=2&grade=D"); code != http.StatusOK {
		b.fatalf("filtered chain page = %d", code)
	}
	if got := b.text(fmt.Sprintf(`#members-table tr[data-uscc=%q] a`, top)); got != topName {
		b.errorf("members table (tier 2, grade D) row of %s = %q, want %q", top, got, topName)
	}

	// The firm page draws its history chart.
	b.open("click the contributor", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#members-table tr[data-uscc=%q] a`, top))))
	b.settled()
	if got := b.text(".uscc"); got != top {
		b.fatalf("clicked into %q, want the firm page of %s", got, top)
	}
	var painted int
	b.eval(`(function () {
		var c = document.querySelector("#history-chart canvas");
		if (!c || c.width === 0) { return -1; }
		var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
		for (var i = 3; i < d.length; i += 4) { if (d[i] !== 0) { n++; } }
		return n;
	})()`, &painted)
	if painted < 500 {
		b.errorf("history chart canvas: %d painted pixels", painted)
	}
	var events int
	b.eval(`document.querySelectorAll("#events-table tbody tr").length`, &events)
	if events == 0 {
		b.errorf("the distressed firm's page lists no active events")
	}

	// Sign out, and be refused.
	b.open("sign out", chromedp.Click(chromedp.CSS(`form[action="/ui/signout"] button`)))
	if !strings.Contains(b.text(".message"), "您已退出登录") {
		b.errorf("after sign-out: %q", b.text("main"))
	}
	b.navigate("/ui/chains/" + soy)
	if !strings.Contains(b.text("h1"), "登录") {
		b.errorf("after sign-out the chain page showed %q", b.text("h1"))
	}

	// A tenant lands on its chain; elsewhere it gets the not-found page.
	if code := b.signIn(dm.tokens["tenant"]); code != http.StatusOK || !strings.Contains(b.text("h1"), "黑龙江松花江大豆产业集团股份有限公司") {
		b.fatalf("tenant landed on %d %q", code, b.text("h1"))
	}
	for _, path := range []string{"/ui/chains/" + dairy, "/ui/enterprises/" + dairy} {
		if code := b.navigate(path); code != http.StatusNotFound || b.text("h1") != "未找到" {
			b.errorf("tenant %s = %d %q, want 404 未找到", path, code, b.text("h1"))
		}
	}
}

// TestConsoleNarrow: at 390 px wide the chain and firm pages fit the width (tables
// scroll inside their own box), and the controls are reachable by keyboard.
func TestConsoleNarrow(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 390, 844)
	if code := b.signIn(dm.tokens["admin"]); code != http.StatusOK {
		b.fatalf("sign-in = %d", code)
	}
	for _, path := range []string{"/ui/", "/ui/enterprises/" + soy, "/ui/chains/" + soy} {
		b.checkNarrow(path)
	}
	// The first Tab reaches the skip link.
	b.step("tab", chromedp.KeyEvent("\t"))
	var focused string
	b.eval(`document.activeElement.className`, &focused)
	if focused != "skip" {
		b.errorf("the first Tab focuses %q, want the skip link", focused)
	}
}

// checkNarrow opens path and checks that it fits the tab's 390 px width and that every
// form control on it has a label.
func (b *tab) checkNarrow(path string) {
	b.t.Helper()
	if code := b.navigate(path); code != http.StatusOK {
		b.fatalf("%s = %d", path, code)
	}
	b.ready()
	var width int
	b.eval(`document.documentElement.scrollWidth`, &width)
	if width > 390 {
		b.errorf("%s is %d px wide at a 390 px window", path, width)
	}
	var unlabelled []string
	b.eval(`Array.prototype.filter.call(document.querySelectorAll("select, textarea, input:not([type=hidden])"), function (e) {
		return !(e.labels && e.labels.length) && !e.getAttribute("aria-label");
	}).map(function (e) { return e.name; })`, &unlabelled)
	if len(unlabelled) != 0 {
		b.errorf("%s: controls without a label: %v", path, unlabelled)
	}
}
