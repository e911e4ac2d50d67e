package ui_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAlertsAndStressInBrowser: signed in as admin, acknowledge an alert from the
// alerts page and see it acknowledged; run a stress test from the soybean chain and
// find the failed and the hit firms coloured in the graph's data, as ECharts holds it.
func TestAlertsAndStressInBrowser(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 1280, 800)
	if code := b.signIn(dm.tokens["admin"]); code != http.StatusOK {
		b.fatalf("admin sign-in = %d", code)
	}
	if code := b.navigate("/ui/alerts?state=firing&severity=critical"); code != http.StatusOK {
		b.fatalf("alerts page = %d", code)
	}
	var id string
	b.eval(`document.querySelector("#alerts-table tbody tr").getAttribute("data-alert")`, &id)
	row := fmt.Sprintf(`#alerts-table tr[data-alert=%q]`, id)
	b.step("type a comment", chromedp.SendKeys(chromedp.CSS(row+` input[name=comment]`), "已通知采购部"))
	b.open("acknowledge", chromedp.Click(chromedp.CSS(row+` form button[type=submit]`)))
	if got := b.text(row + " .acked"); !strings.HasPrefix(got, "已确认收到 (console-admin,") {
		b.errorf("after the ack the row says %q", got)
	}
	var path string
	b.eval(`location.pathname + location.search`, &path)
	if path != "/ui/alerts?severity=critical&state=firing" {
		b.errorf("the ack returned to %q, not the filtered list", path)
	}
	if code := b.navigate("/ui/alerts/" + id); code != http.StatusOK || !strings.HasPrefix(b.text("#alert-acked"), "已确认收到") {
		b.errorf("alert page = %d, acknowledgement %q", code, b.text("#alert-acked"))
	}

	// The stress test from the chain page.
	top, _ := tier2Top(t, dm)
	if code := b.navigate("/ui/chains/" + soy); code != http.StatusOK {
		b.fatalf("chain page = %d", code)
	}
	b.open("open the stress test", chromedp.Click(chromedp.ID("stress-link")))
	b.step("check the tier-2 top contributor", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#stress-members input[value=%q]`, top))))
	b.open("run", chromedp.Click(chromedp.CSS(`#stress-form button[type=submit]`)))
	b.settled()
	var g struct {
		Shocked []string `json:"shocked"`
		Hit     int      `json:"hit"`
		Colour  string   `json:"colour"`
	}
	b.eval(`(function () {
		var o = echarts.getInstanceByDom(document.getElementById("stress-graph")).getOption(), s = o.series[0];
		return {
			shocked: s.data.filter(function (n) { return n.category === 0; }).map(function (n) { return n.id; }),
			hit: s.data.filter(function (n) { return n.category > 0 && n.category < 4 && n.h > 0; }).length,
			colour: s.categories[0].itemStyle.color
		};
	})()`, &g)
	if len(g.Shocked) != 1 || g.Shocked[0] != top || g.Hit == 0 || g.Colour != "#6a1b9a" {
		b.errorf("stress graph: shocked %v (want %s), %d hit firms, shocked colour %s", g.Shocked, top, g.Hit, g.Colour)
	}
	if r := b.text("#stress-r"); r == "" || r == "0.00%" {
		b.errorf("R = %q", r)
	}
	var rows int
	b.eval(`document.querySelectorAll("#impact-table tbody tr").length`, &rows)
	if rows == 0 {
		b.errorf("the impact table is empty")
	}
}

// TestOnboardingInBrowser: the soybean tenant uploads the demo's ERP list, picks the
// collector for the ambiguous 北疆金穗有限公司 row, imports, and sees six relations
// imported and listed.
func TestOnboardingInBrowser(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 1280, 800)
	if code := b.signIn(dm.tokens["tenant"]); code != http.StatusOK {
		b.fatalf("tenant sign-in = %d", code)
	}
	if code := b.navigate("/ui/onboarding"); code != http.StatusOK {
		b.fatalf("onboarding page = %d", code)
	}
	list, err := filepath.Abs(demoList)
	if err != nil {
		t.Fatal(err)
	}
	b.step("choose the file", chromedp.SetUploadFiles(chromedp.ID("list"), []string{list}))
	if code := b.open("upload", chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`))); code != http.StatusOK {
		b.fatalf("upload = %d: %s", code, b.text("main"))
	}
	if name := b.text(`#rows-table tr[data-line="2"] td:nth-child(2)`); name != "北疆金穗有限公司" {
		b.fatalf("line 2 of the review is %q", name)
	}
	b.step("pick the collector", chromedp.Click(chromedp.CSS(`input[name="pick-2"][value="`+collector+`"]`)))
	if code := b.open("import", chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`))); code != http.StatusOK {
		b.fatalf("import = %d: %s", code, b.text("main"))
	}
	if got := b.text("#onboard-result"); !strings.Contains(got, "已导入 6 条") {
		b.errorf("import result: %q", got)
	}
	b.navigate("/ui/onboarding")
	var own int
	b.eval(`document.querySelectorAll("#own-table tbody tr").length`, &own)
	if own != 6 || !strings.Contains(b.text(fmt.Sprintf(`#own-table tr[data-uscc=%q]`, collector)), "黑河北疆金穗大豆收储有限公司") {
		b.errorf("own relations: %d rows, collector row %q", own, b.text(fmt.Sprintf(`#own-table tr[data-uscc=%q]`, collector)))
	}
}

// TestWorkflowPagesNarrow: at 390 px wide the alerts, alert, stress and onboarding
// pages fit the width, and every form control on them has a label.
func TestWorkflowPagesNarrow(t *testing.T) {
	dm := startDemo(t)
	top, _ := tier2Top(t, dm)
	admin := newTab(t, dm.base, 390, 844)
	admin.signIn(dm.tokens["admin"])
	admin.checkNarrow("/ui/alerts")
	var id string
	admin.eval(`document.querySelector("#alerts-table tbody tr").getAttribute("data-alert")`, &id)
	admin.checkNarrow("/ui/alerts/" + id)
	admin.checkNarrow("/ui/stress?leader=" + soy + "&fail=" + top + "&q=大豆")
	admin.checkNarrow("/ui/onboarding")
	tenant := newTab(t, dm.base, 390, 844)
	tenant.signIn(dm.tokens["tenant"])
	tenant.checkNarrow("/ui/onboarding")
	list, _ := filepath.Abs(demoList)
	tenant.step("choose the file", chromedp.SetUploadFiles(chromedp.ID("list"), []string{list}))
	tenant.open("upload", chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`)))
	var width int
	tenant.eval(`document.documentElement.scrollWidth`, &width)
	if width > 390 {
		tenant.errorf("the review page is %d px wide at a 390 px window", width)
	}
}
