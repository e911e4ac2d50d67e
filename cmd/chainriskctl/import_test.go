package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store/storetest"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "chainrisk.db")
	u := storetest.USCC
	firms := write(t, dir, "firms.csv", "uscc,name\n"+u(1)+",甲\n"+u(2)+",乙\n")
	rels := write(t, dir, "rels.ndjson", `{"supplier":"`+u(1)+`","customer":"`+u(2)+`","purchase_share":0.5,"sales_share":0.5}`+"\n"+
		`{"supplier":"`+u(2)+`","customer":"`+u(2)+`","purchase_share":0.5,"sales_share":0.5}`+"\n")

	var out, errOut bytes.Buffer
	if code := run([]string{"import", "--store", db, "--create", "enterprises", firms}, &out, &errOut); code != 0 {
		t.Fatalf("import firms: exit %d: %s %s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "firms.csv: 2 accepted, 0 rejected, 2 changed (committed)") {
		t.Errorf("table summary: %q", out.String())
	}
	// No daemon holds this store: the scan for the rows waits for the next one to start.
	if !strings.Contains(out.String(), "full scan 1 queued: no running chainriskd was found on this store") {
		t.Errorf("no word of the queued scan: %q", out.String())
	}
	// Nothing changed, nothing to scan; a data directory names its chainrisk.db.
	out.Reset()
	if code := run([]string{"import", "--store", dir, "enterprises", firms}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "2 accepted, 0 rejected, 0 changed (committed)") || strings.Contains(out.String(), "queued") {
		t.Errorf("re-import through the data directory: exit %d: %q %s", code, out.String(), errOut.String())
	}
	out.Reset()
	code := run([]string{"import", "--output", "json", "--store", db, "relations", rels}, &out, &errOut)
	var sum struct {
		Accepted, Rejected int
		Errors             []string
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("json output %q: %v", out.String(), err)
	}
	if code != 1 || sum.Accepted != 1 || sum.Rejected != 1 || len(sum.Errors) != 1 ||
		!strings.HasPrefix(sum.Errors[0], rels+":2: customer: self-loop") {
		t.Errorf("exit %d, summary %+v", code, sum)
	}
	// Strict: the bad row keeps the good one out.
	out.Reset()
	rels2 := write(t, dir, "rels2.csv", "supplier,customer,purchase_share,sales_share\n"+u(2)+","+u(1)+",0.3,0.1\n"+u(2)+","+u(1)+",0.3,0.1\n")
	if code := run([]string{"import", "--strict", "--store", db, "relations", rels2}, &out, &errOut); code != 1 ||
		!strings.Contains(out.String(), "1 accepted") && !strings.Contains(out.String(), "NOT committed") {
		t.Errorf("strict: exit %d, %q", code, out.String())
	}

	for _, args := range [][]string{
		{"import"},
		{"import", "--store", db, "firms", firms},
		{"import", "--store", db, "--output", "xml", "enterprises", firms},
		{"import", "--store", db, "enterprises", "-"},
		{"import", "--store", db, "enterprises", filepath.Join(dir, "x.txt")},
		{"nope"},
	} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
	if code := run([]string{"import", "--store", db, "enterprises", filepath.Join(dir, "missing.csv")}, &out, &errOut); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
	// Without --store the rows go to the API; no daemon listens on this port.
	errOut.Reset()
	if code := run([]string{"import", "--server", "http://127.0.0.1:1", "enterprises", firms}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "cannot reach chainriskd at http://127.0.0.1:1") {
		t.Errorf("no daemon: exit %d, %q", code, errOut.String())
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"version"}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "chainriskctl ") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

func TestScanCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "chainrisk.db")
	var out, errOut bytes.Buffer
	for _, k := range []string{"enterprises", "relations", "events", "repairs", "shareholdings"} {
		if code := run([]string{"import", "--store", db, "--create", k, filepath.Join("..", "..", "demo", "data", k+".csv")}, &out, &errOut); code != 0 {
			t.Fatalf("import %s: %d %s", k, code, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"scan", "--store", db, "--output", "json"}, &out, &errOut); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errOut.String())
	}
	var got struct {
		Status string
		Stats  struct {
			Firms, Leaders, Written int
			Stages                  map[string]float64 `json:"stages_seconds"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if got.Status != "succeeded" || got.Stats.Firms != 206 || got.Stats.Leaders != 3 || got.Stats.Written != 206 ||
		len(got.Stats.Stages) < 5 {
		t.Errorf("scan output %+v", got)
	}
	if code := run([]string{"scan"}, &out, &errOut); code != 2 {
		t.Errorf("scan without --store: exit %d", code)
	}
}

func TestUsageNeverPrintsTheToken(t *testing.T) {
	t.Setenv("CHAINRISK_TOKEN", "crk_secret_in_env")
	for _, args := range [][]string{{"scans", "-h"}, {"import", "-h"}, {"chain"}, {"rescan", "--bogus"}} {
		var out, errOut bytes.Buffer
		run(args, &out, &errOut)
		if strings.Contains(out.String()+errOut.String(), "crk_secret_in_env") {
			t.Errorf("%v printed the token", args)
		}
	}
}
