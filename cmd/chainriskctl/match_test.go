package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/chainrisk/chainrisk/store/storetest"
)

// gbk encodes s as GBK, as Excel on Chinese Windows saves a CSV.
func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	if b == s {
		t.Fatal("the fixture has no character that GBK encodes differently")
	}
	return b
}

// TestMatchCommand: a supplier list, its old names included, matched through the
// API; a GBK file fails once, saying where and what to do, and matches with
// --encoding gbk.
func TestMatchCommand(t *testing.T) {
	startDemo(t)
	const (
		soybean = "912301099436075960"
		dairy   = "91230200MA1YJ9AK5N"
	)
	list := "name,region\n" + // 1
		"黑龙江松花江大豆产业集团股份有限公司,\n" + // 2 exact
		"齐齐哈尔鹤乡乳品厂,230200\n" + // 3 exact, by a former name
		"甲,\n" + // 4 too short
		"完全不存在的某某企业有限公司,\n" // 5 none
	dir := t.TempDir()
	file := write(t, dir, "suppliers.csv", list)
	code, out, errOut := runCmd(run, "match", file)
	if code != exitOK {
		t.Fatalf("match: exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("csv %v:\n%s", err, out)
	}
	if strings.Join(recs[0], ",") != "line,name,status,uscc,confidence,candidates" {
		t.Errorf("header %q", recs[0])
	}
	for i, want := range [][]string{
		{"2", "黑龙江松花江大豆产业集团股份有限公司", "exact", soybean, "1"},
		{"3", "齐齐哈尔鹤乡乳品厂", "exact", dairy, "1"},
		{"4", "甲", "error", "", ""},
		{"5", "完全不存在的某某企业有限公司", "none", "", "0"},
	} {
		if got := recs[i+1][:5]; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
	}
	if c := recs[2][5]; !strings.HasPrefix(c, dairy+" 齐齐哈尔鹤乡乳业集团股份有限公司 1.000") {
		t.Errorf("candidates %q", c)
	}
	if !strings.Contains(errOut, "suppliers.csv: line 4: name: name is too short") ||
		!strings.Contains(errOut, "matched 4: exact 2, unique 0, ambiguous 0, none 1, errors 1") {
		t.Errorf("stderr %q", errOut)
	}

	// GBK: refused once, at the first line that is not UTF-8.
	g := write(t, dir, "excel.csv", gbk(t, list))
	code, out, errOut = runCmd(run, "match", g)
	if code != exitError || out != "" || strings.Count(errOut, "not valid UTF-8") != 1 ||
		!strings.Contains(errOut, "excel.csv:2: not valid UTF-8") || !strings.Contains(errOut, "try --encoding gbk") {
		t.Errorf("a GBK file without --encoding: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = runCmd(run, "match", "--encoding", "gbk", "-o", "json", g)
	var a matchAnswer
	if err := json.Unmarshal([]byte(out), &a); code != exitOK || err != nil || len(a.Results) != 4 ||
		a.Results[1].USCC == nil || *a.Results[1].USCC != dairy || a.Results[1].Line != 3 || a.Summary.Exact != 2 {
		t.Errorf("--encoding gbk -o json: exit %d, %v: %s %s", code, err, out, errOut)
	}
	if code, _, errOut = runCmd(run, "match", "--encoding", "big5", g); code != exitUsage || !strings.Contains(errOut, "utf-8, gbk, gb18030") {
		t.Errorf("--encoding big5: exit %d: %s", code, errOut)
	}
}

// TestImportEncoding: import takes the same --encoding; a GBK file is refused once
// without it, and imported with it, through the API and directly.
func TestImportEncoding(t *testing.T) {
	u := storetest.USCC
	dir := t.TempDir()
	text := "uscc,name,former_names\n" + u(1) + ",哈尔滨金穗粮食贸易有限公司,哈尔滨甲粮油厂\n" + u(2) + ",乙商贸有限公司,\n"
	g := write(t, dir, "firms.csv", gbk(t, text))
	db := filepath.Join(dir, "chainrisk.db")
	code, out, errOut := runCmd(run, "import", "--store", db, "--create", "enterprises", g)
	if code != exitError || strings.Count(errOut, "not valid UTF-8") != 1 || !strings.Contains(errOut, "firms.csv:2: not valid UTF-8") ||
		!strings.Contains(errOut, "--encoding gbk") {
		t.Errorf("direct, without --encoding: exit %d: %q %q", code, out, errOut)
	}
	code, out, errOut = runCmd(run, "import", "--store", db, "--create", "--encoding", "gbk", "enterprises", g)
	if code != exitOK || !strings.Contains(out, "2 accepted, 0 rejected, 2 changed") {
		t.Errorf("direct, --encoding gbk: exit %d: %q %q", code, out, errOut)
	}

	startDemo(t)
	code, out, errOut = runCmd(run, "import", "enterprises", g)
	if code != exitError || strings.Count(errOut, "not valid UTF-8") != 1 || !strings.Contains(errOut, "firms.csv:2: not valid UTF-8") {
		t.Errorf("through the API, without --encoding: exit %d: %q %q", code, out, errOut)
	}
	code, out, errOut = runCmd(run, "import", "--encoding", "gb18030", "enterprises", g)
	if code != exitOK || !strings.Contains(out, "2 accepted, 0 rejected") {
		t.Errorf("through the API, --encoding gb18030: exit %d: %q %q", code, out, errOut)
	}
	// The ingest's scan, then the new name index, follow in the background: until
	// they do, the previous index answers.
	old := write(t, dir, "old.csv", "name\n哈尔滨甲粮油厂\n")
	for i := 0; ; i++ {
		code, out, _ = runCmd(run, "match", "-o", "json", old)
		if code == exitOK && strings.Contains(out, `"uscc": "`+u(1)+`"`) && strings.Contains(out, `"former_name": "哈尔滨甲粮油厂"`) {
			break
		}
		if i == 200 {
			t.Fatalf("the imported former name is not matched: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A list longer than one request's limit is sent in several; every result keeps its
// file line, errors included.
func TestMatchNamesSplits(t *testing.T) {
	var requests []int // rows per request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recs, err := csv.NewReader(r.Body).ReadAll()
		if err != nil || strings.Join(recs[0], ",") != "name,region,uscc" {
			http.Error(w, fmt.Sprint(err), 400)
			return
		}
		requests = append(requests, len(recs)-1)
		var a matchAnswer
		for i, rec := range recs[1:] {
			res := matchResult{Line: i + 2, Name: rec[0]}
			if rec[0] == "坏" {
				msg := fmt.Sprintf("line %d: name: name is too short", i+2)
				res.Error = &msg
			}
			a.Results = append(a.Results, res)
		}
		_ = json.NewEncoder(w).Encode(a)
	}))
	defer srv.Close()
	rows := make([]nameRow, matchBatchRows+5)
	for i := range rows {
		rows[i] = nameRow{Line: 2*i + 7, Name: fmt.Sprint("某某公司", i)}
	}
	rows[matchBatchRows+1].Name = "坏"
	var seen []int
	a, err := matchNames(context.Background(), newClient(srv.URL, "t"), rows, func(done int) { seen = append(seen, done) })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(requests) != fmt.Sprint([]int{matchBatchRows, 5}) || fmt.Sprint(seen) != fmt.Sprint([]int{matchBatchRows, matchBatchRows + 5}) {
		t.Errorf("requests %v, progress %v", requests, seen)
	}
	last := a.Results[matchBatchRows+1]
	if len(a.Results) != len(rows) || last.Line != rows[matchBatchRows+1].Line ||
		*last.Error != fmt.Sprintf("line %d: name: name is too short", rows[matchBatchRows+1].Line) {
		t.Errorf("%d results; the bad row: %+v", len(a.Results), last)
	}
	// Long names fill a request by size before its row limit.
	long := make([]nameRow, 5000)
	for i := range long {
		long[i] = nameRow{Line: i + 2, Name: strings.Repeat("龙", 100)}
	}
	if _, n := matchBatch(long); n >= 5000 || n < 3000 {
		t.Errorf("a batch of 300-byte names holds %d rows, want about 1 MiB of them", n)
	}
}

// The UTF-8 check sees characters cut across reads, counts lines, and stops at the
// first bad byte, and at a character cut off by the end of the file.
func TestUTF8Reader(t *testing.T) {
	text := "name\n黑龙江\n松花江\n"
	got, err := io.ReadAll(decodeText(iotest.OneByteReader(strings.NewReader(text)), "a.csv", ""))
	if err != nil || string(got) != text {
		t.Errorf("valid text read in single bytes: %q, %v", got, err)
	}
	_, err = io.ReadAll(decodeText(strings.NewReader("name\n黑龙江\n松\xff花江\n"), "b.csv", "utf-8"))
	if e, ok := err.(*EncodingError); !ok || e.Line != 3 || e.Byte != 0xff || e.File != "b.csv" {
		t.Errorf("bad byte on line 3: %v", err)
	}
	_, err = io.ReadAll(decodeText(iotest.OneByteReader(strings.NewReader("name\n黑龙\xe6\xb1")), "c.csv", ""))
	if e, ok := err.(*EncodingError); !ok || e.Line != 2 {
		t.Errorf("a character cut off by the end: %v", err)
	}
	b, err := io.ReadAll(decodeText(bytes.NewReader([]byte(gbk(t, text))), "d.csv", "GBK"))
	if err != nil || string(b) != text {
		t.Errorf("GBK decoded: %q, %v", b, err)
	}
}
