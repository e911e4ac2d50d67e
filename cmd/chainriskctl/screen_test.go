package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenCommand: a CSV and an NDJSON list of demo firms are screened, in input
// order, the carton maker rejected; the summary goes to stderr.
func TestScreenCommand(t *testing.T) {
	startDemo(t)
	const (
		supplier = "912301113528741157"
		holding  = "91230102MAHTL3M900"
	)
	dir := t.TempDir()
	list := filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(list, []byte("uscc\n"+supplier+"\n"+holding+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"screen", list}, &out, &errOut); code != exitOK {
		t.Fatalf("screen: exit %d: %s", code, errOut.String())
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != "uscc,name,verdict,grade,reasons,check_id" ||
		recs[1][0] != supplier || recs[1][2] != "reject" || !strings.Contains(recs[1][4], "controller_grade_d") ||
		recs[2][0] != holding || recs[1][5] == "" {
		t.Errorf("csv:\n%s", out.String())
	}
	if s := errOut.String(); !strings.HasPrefix(s, "screened 2: pass ") || !strings.Contains(s, "reject ") {
		t.Errorf("summary %q", s)
	}

	nd := filepath.Join(dir, "targets.ndjson")
	if err := os.WriteFile(nd, []byte(`{"uscc":"`+holding+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"screen", nd, "--output", "json"}, &out, &errOut); code != exitOK {
		t.Fatalf("screen --output json: exit %d: %s", code, errOut.String())
	}
	var s struct {
		Rows []struct {
			USCC    string `json:"uscc"`
			CheckID *int64 `json:"check_id"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil || len(s.Rows) != 1 || s.Rows[0].USCC != holding || s.Rows[0].CheckID == nil {
		t.Errorf("json %v: %s", err, out.String())
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("uscc\n"+supplier+"\nnot-a-uscc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"screen", bad}, &out, &errOut); code != exitError || !strings.Contains(errOut.String(), "line 3") {
		t.Errorf("bad list: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"screen"}, &out, &errOut); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
}
