package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// firmsFile writes n firms as CSV, each row 26 bytes ("<USCC>,firmNN\n") under a
// 10-byte header; bad names rows (by number, from 1) whose USCC is invalid.
func firmsFile(t *testing.T, n int, bad ...int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("uscc,name\n")
	for i := 1; i <= n; i++ {
		u := storetest.USCC(9000 + i)
		if slices.Contains(bad, i) {
			u = "NOT-A-USCC-AT-ALL!"
		}
		fmt.Fprintf(&b, "%s,firm%02d\n", u, i)
	}
	return write(t, t.TempDir(), "firms.csv", b.String())
}

// TestImportInBatches: through the API, a file over the batch size goes in batches
// of whole rows (the CSV header repeated), each reported; --strict stops at the first
// batch with a rejected row and says which were committed.
func TestImportInBatches(t *testing.T) {
	startDemo(t)
	// 10 + 3×26 = 88 bytes fit in 100, a fourth row would not: 3 rows a batch.
	file := firmsFile(t, 9)
	code, out, errOut := runCmd(run, "import", "--batch-bytes", "100", "--output", "json", "enterprises", file)
	var sum struct {
		Accepted, Rejected int
		Committed          bool
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || code != exitOK || sum.Accepted != 9 || sum.Rejected != 0 || !sum.Committed {
		t.Fatalf("exit %d, %v: %s %s", code, err, out, errOut)
	}
	for _, want := range []string{
		file + ": batch 1 (lines 2-4): 3 rows, 3 accepted, 0 rejected (committed)\n",
		file + ": batch 2 (lines 5-7): 3 rows, 3 accepted, 0 rejected (committed)\n",
		file + ": batch 3 (lines 8-10): 3 rows, 3 accepted, 0 rejected (committed)\n",
		// Off a terminal, one summary line instead of the bar: 10 + 9×26 bytes.
		file + ": 9 rows, 244 B sent in ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "batch 4") || strings.Contains(errOut, "\r") {
		t.Errorf("stderr:\n%q", errOut)
	}

	// Row 5 (line 6) is bad: batch 2 commits nothing, batch 3 is not sent.
	bad := firmsFile(t, 9, 5)
	code, out, errOut = runCmd(run, "import", "--strict", "--batch-bytes", "100", "enterprises", bad)
	if code != exitError {
		t.Errorf("strict: exit %d", code)
	}
	for _, want := range []string{
		bad + ": batch 1 (lines 2-4): 3 rows, 3 accepted, 0 rejected (committed)",
		"(lines 5-7): 3 rows, ",
		"1 rejected (NOT committed)",
		bad + ": 3 accepted, 1 rejected, 0 changed (committed)", // batch 1's rows: imported above, unchanged
		bad + ":6: uscc",
		"... stopped at batch 2 (--strict): committed batches: 1 (lines 2-4); the file's other rows were not",
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("strict: output lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if strings.Contains(errOut, "batch 3") {
		t.Errorf("strict: a batch after the bad one was sent:\n%s", errOut)
	}
}

// TestImportLearnsTheServersLimit: a daemon whose http.max_ingest_bytes is below the
// file answers 413 with X-Max-Body-Bytes; the CLI cuts the file under it and sends
// it again.
func TestImportLearnsTheServersLimit(t *testing.T) {
	startDemoWith(t, func(c *config.Config) { c.HTTP.MaxIngestBytes = 100 })
	file := firmsFile(t, 9)
	code, out, errOut := runCmd(run, "import", "enterprises", file)
	if code != exitOK || !strings.Contains(out, "9 accepted, 0 rejected") ||
		!strings.Contains(errOut, "batch 3 (lines 8-10): 3 rows, 3 accepted, 0 rejected (committed)") {
		t.Errorf("exit %d:\n%s\n%s", code, out, errOut)
	}
	// A row larger than the limit is refused before anything is sent.
	big := write(t, t.TempDir(), "big.csv", "uscc,name\n"+storetest.USCC(9100)+","+strings.Repeat("x", 200)+"\n")
	code, _, errOut = runCmd(run, "import", "--batch-bytes", "100", "enterprises", big)
	if code != exitError || !strings.Contains(errOut, "line 2: the row of 220 bytes does not fit in a request of at most 100 bytes") {
		t.Errorf("big row: exit %d: %s", code, errOut)
	}
}

// TestListsFollowTheCursor: a --limit beyond one page, and --all, page through the
// API; every alert comes once, in the API's order.
func TestListsFollowTheCursor(t *testing.T) {
	startDemo(t)
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 1000
	one := alertsJSON(t)
	pageSize = 7
	all := alertsJSON(t, "--all")
	some := alertsJSON(t, "--limit", "20")
	if len(one) <= 20 {
		t.Fatalf("the demo has %d alerts: too few to page", len(one))
	}
	ids := func(l []cliAlert) []string {
		var out []string
		for _, a := range l {
			out = append(out, a.ID)
		}
		return out
	}
	if !slices.Equal(ids(all), ids(one)) {
		t.Errorf("--all by pages of 7: %d alerts, one page: %d", len(all), len(one))
	}
	if !slices.Equal(ids(some), ids(one)[:20]) {
		t.Errorf("--limit 20 by pages of 7: %v", ids(some))
	}
	code, out, errOut := runCmd(run, "scans", "--all", "--output", "json")
	var scans []scanJSON
	if err := json.Unmarshal([]byte(out), &scans); err != nil || code != exitOK || len(scans) == 0 {
		t.Errorf("scans --all: exit %d, %v: %s %s", code, err, out, errOut)
	}
}

func TestQueueText(t *testing.T) {
	sc := &scanJSON{ID: 13, Status: "queued", Position: 2}
	sc.Ahead = []scanJSON{{ID: 11, Kind: "full", Scope: "all", Trigger: "cli:import", Status: "running"},
		{ID: 12, Kind: "incremental", Scope: "chain:912301099436075960", Trigger: "api:ops", Status: "queued"}}
	sc.Ahead[0].Progress.Done, sc.Ahead[0].Progress.Total = 400, 1000
	want := "2nd in the queue, behind scan 11 (full all, cli:import: running 40%), " +
		"scan 12 (incremental chain:912301099436075960, api:ops: queued)"
	if got := queueText(sc); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := queueText(&scanJSON{Position: 1}); got != "1st in the queue, next to run" {
		t.Errorf("next: %q", got)
	}
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 112: "112th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q", n, got)
		}
	}
}

// TestBatcherSplitsOnRows: a quoted CSV field spanning lines stays in its row, the
// header tops every batch, a last row without its newline gets one; NDJSON splits by
// lines.
func TestBatcherSplitsOnRows(t *testing.T) {
	csvIn := "a,b\n1,\"x\ny\"\n2,\"\"\"q\"\"\"\n3,z"
	s, err := newRowSplitter(strings.NewReader(csvIn), ingest.CSV)
	if err != nil {
		t.Fatal(err)
	}
	// 4 + 8 = 12 bytes: the header and the first row fill a batch of 14.
	b := &batcher{s: s, limit: 14}
	var got []string
	for {
		bt, err := b.next()
		if err != nil {
			t.Fatal(err)
		}
		if bt == nil {
			break
		}
		got = append(got, fmt.Sprintf("%d:%d-%d:%q", bt.rows, bt.firstLine, bt.lastLine, bt.body.String()))
	}
	want := []string{`1:2-3:"a,b\n1,\"x\ny\"\n"`, `1:4-4:"a,b\n2,\"\"\"q\"\"\"\n"`, `1:5-5:"a,b\n3,z\n"`}
	if !slices.Equal(got, want) {
		t.Errorf("csv batches\n got %v\nwant %v", got, want)
	}
	s, _ = newRowSplitter(strings.NewReader("{\"a\":1}\n{\"a\":\"x\\ny\"}\n{\"a\":3}\n"), ingest.NDJSON)
	b = &batcher{s: s, limit: 21} // 8 + 13 bytes: two rows
	first, _ := b.next()
	second, _ := b.next()
	if first.rows != 2 || first.body.String() != "{\"a\":1}\n{\"a\":\"x\\ny\"}\n" || second.rows != 1 || second.firstLine != 3 {
		t.Errorf("ndjson batches %q %q", first.body.String(), second.body.String())
	}
}
