package ui_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// rowCount counts the rows of a table's body in the page.
func (b *tab) rowCount(table string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll("#%s tbody tr").length`, table), &n)
	return n
}

// TestServicesInBrowser, in a real Chromium as admin: an investment check of the
// carton maker from the form reads REJECT with its controller named; a screening of
// three USCCs uploaded as a file gives three rows; the discipline list pages by its
// cursor; a search from the header's box opens a firm.
func TestServicesInBrowser(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 1280, 800)
	if code := b.signIn(dm.tokens["admin"]); code != http.StatusOK {
		b.fatalf("admin sign-in = %d", code)
	}

	if code := b.navigate("/ui/checks"); code != http.StatusOK {
		b.fatalf("checks page = %d", code)
	}
	b.step("type the target", chromedp.SendKeys(chromedp.ID("check-uscc"), carton))
	if code := b.open("run the check", chromedp.Click(chromedp.CSS(`form[action="/ui/checks"] button[type=submit]`))); code != http.StatusOK {
		b.fatalf("check page = %d", code)
	}
	if v := b.text("h1 .verdict"); v != "否决 REJECT" {
		b.errorf("verdict %q, want 否决 REJECT", v)
	}
	if c := b.text("#controller a"); c != controller {
		b.errorf("actual controller %q, want %s", c, controller)
	}

	file := filepath.Join(t.TempDir(), "targets.csv")
	if err := os.WriteFile(file, []byte("uscc\n"+carton+"\n"+soy+"\n91231100843841844D\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.navigate("/ui/screenings")
	b.step("choose the file", chromedp.SetUploadFiles(chromedp.ID("screen-file"), []string{file}))
	if code := b.open("screen", chromedp.Click(chromedp.CSS(`button[name=format][value=json]`))); code != http.StatusOK {
		b.fatalf("screening = %d: %q", code, b.text("main"))
	}
	if n := b.rowCount("screen-table"); n != 3 {
		b.errorf("screening shows %d rows, want 3", n)
	}

	b.navigate("/ui/lists")
	b.open("open the discipline list", chromedp.Click(chromedp.CSS(`#lists-table tr[data-name=discipline] a`)))
	if n := b.rowCount("list-table"); n == 0 {
		b.fatalf("the discipline list shows no members")
	}
	b.navigate("/ui/lists/discipline?limit=5")
	var first string
	b.eval(`document.querySelector("#list-table tbody tr").dataset.uscc`, &first)
	b.open("next page", chromedp.Click(chromedp.ID("page-next")))
	var second string
	b.eval(`document.querySelector("#list-table tbody tr").dataset.uscc`, &second)
	if n := b.rowCount("list-table"); n != 5 || second <= first || b.text("#page-first") == "" {
		b.errorf("the list's second page: %d rows, first %s after %s", n, second, first)
	}

	b.step("type the search", chromedp.SendKeys(chromedp.ID("header-q"), "恒信"))
	b.open("search", chromedp.Click(chromedp.CSS(`form[action="/ui/search"] button`)))
	if n := b.rowCount("search-table"); n < 3 {
		b.errorf("search 恒信 found %d firms", n)
	}
	b.open("open a result", chromedp.Click(chromedp.CSS(`#search-table tr[data-uscc="91230102MAHTL3M900"] a`)))
	if h := b.text("h1"); !strings.Contains(h, controller) {
		b.errorf("the result opened %q, want %s", h, controller)
	}
}

// TestServicesNarrow: at 390 px wide the new pages fit the width, and every form
// control on them has a label.
func TestServicesNarrow(t *testing.T) {
	dm := startDemo(t)
	b := newTab(t, dm.base, 390, 844)
	if code := b.signIn(dm.tokens["admin"]); code != http.StatusOK {
		b.fatalf("sign-in = %d", code)
	}
	b.navigate("/ui/checks")
	b.step("type the target", chromedp.SendKeys(chromedp.ID("check-uscc"), carton))
	b.open("run the check", chromedp.Click(chromedp.CSS(`form[action="/ui/checks"] button[type=submit]`)))
	var check string
	b.eval(`location.pathname`, &check)
	for _, path := range []string{"/ui/checks", check, "/ui/screenings", "/ui/lists", "/ui/lists/discipline",
		"/ui/search?q=%E6%81%92%E4%BF%A1"} {
		b.checkNarrow(path)
	}
}
