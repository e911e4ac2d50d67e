package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/internal/table"
)

// TestSearchCommand finds the demo's soybean firms by name, as a table and as JSON,
// follows pages past the API's, and passes the filters and the API's refusals on.
func TestSearchCommand(t *testing.T) {
	startDemo(t)
	code, out, errOut := runCmd(run, "search", "大豆")
	if code != exitOK {
		t.Fatalf("search: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The header, the four firms named 大豆 (api/search_test.go), the count.
	if len(lines) != 6 || strings.Join(strings.Fields(lines[0]), " ") != "USCC NAME GRADE SCORE REGION" ||
		lines[5] != "4 of 4 firms" || !strings.Contains(out, "912301099436075960  黑龙江松花江大豆产业集团股份有限公司") {
		t.Errorf("search 大豆:\n%s", out)
	}
	for _, l := range lines[1:5] {
		if f := strings.Fields(l); len(f) != 5 || !strings.Contains(f[1], "大豆") || len(f[4]) != 6 {
			t.Errorf("row %q", l)
		}
	}
	// The Chinese names are padded by display width: GRADE starts at one terminal
	// column on every line (a CJK character takes two).
	col := func(l, cell string) int {
		i := strings.Index(l, cell)
		if i < 0 {
			return -1
		}
		return table.Width(l[:i])
	}
	head := col(lines[0], "GRADE")
	for _, l := range lines[1:5] {
		f := strings.Fields(l)
		if at := col(l, "  "+f[2]+"  ") + 2; at != head {
			t.Errorf("in %q the grade starts at display column %d, the header's at %d", l, at, head)
		}
	}

	// Every firm, riskiest first, in pages of 3: --limit 7 reads three.
	defer func(n int) { searchPageSize = n }(searchPageSize)
	searchPageSize = 3
	code, out, errOut = runCmd(run, "search", "--sort", "score", "--limit", "7", "--output", "json")
	var ans struct {
		Firms []struct {
			USCC  string
			Score float64
		}
		Total      int
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(out), &ans); code != exitOK || err != nil || len(ans.Firms) != 7 || ans.Total < 200 ||
		ans.NextCursor == nil {
		t.Fatalf("search --sort score --limit 7: exit %d %v: %s %s", code, err, out, errOut)
	}
	for i := 1; i < len(ans.Firms); i++ {
		if ans.Firms[i].Score < ans.Firms[i-1].Score || ans.Firms[i].USCC == ans.Firms[i-1].USCC {
			t.Errorf("not riskiest first, or a firm twice: %+v", ans.Firms)
		}
	}
	// Past the last page: every firm once.
	code, out, _ = runCmd(run, "search", "大豆", "--limit", "100")
	if code != exitOK || !strings.HasSuffix(out, "\n4 of 4 firms\n") {
		t.Errorf("search 大豆 in pages of 3:\n%s", out)
	}

	code, out, _ = runCmd(run, "search", "--grade", "D", "--region", "23", "--limit", "1000")
	if code != exitOK || !strings.HasSuffix(out, " firms\n") || strings.Count(out, "  D  ") != strings.Count(out, "\n")-2 {
		t.Errorf("search --grade D: exit %d:\n%s", code, out)
	}

	if code, _, errOut = runCmd(run, "search", "x", "--grade", "X"); code != exitError || !strings.Contains(errOut, "grade") {
		t.Errorf("--grade X: exit %d: %s", code, errOut)
	}
	if code, _, _ = runCmd(run, "search", "a", "b"); code != exitUsage {
		t.Errorf("two texts: exit %d", code)
	}
}
