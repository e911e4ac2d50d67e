package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store/storetest"
)

// TestStoreMustExist: --store refuses a SQLite file or data directory that holds no
// database unless --create is given, for import, scan and token alike; a PostgreSQL
// URL is not checked.
func TestStoreMustExist(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "chainrsk.db") // a typo of chainrisk.db
	firms := write(t, dir, "firms.csv", "uscc,name\n"+storetest.USCC(1)+",甲\n")
	for _, args := range [][]string{
		{"import", "--store", missing, "enterprises", firms},
		{"import", "enterprises", firms, "--store", dir}, // a directory without chainrisk.db
		{"scan", "--store", missing},
		{"token", "list", "--store", missing},
		{"token", "create", "--role", "admin", "--name", "ops", "--store", missing},
	} {
		code, out, errOut := runCmd(run, args...)
		if code != exitError || out != "" || !strings.Contains(errOut, "--create makes a new database there") {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a refused --store was created: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused data directory was written to: %v", entries)
	}
	if code, _, errOut := runCmd(run, "import", "--store", missing, "--create", "enterprises", firms); code != exitOK {
		t.Fatalf("import --create: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(run, "token", "list", "--store", missing); code != exitOK {
		t.Errorf("token list on the made database: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(run, "import", "--store", dir, "--create", "enterprises", firms); code != exitOK {
		t.Errorf("import --create into a data directory: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(run, "scan", "--store", dir); code != exitOK {
		t.Errorf("scan of the data directory made: exit %d, %q", code, errOut)
	}
	for _, dsn := range []string{"postgres://postgres@127.0.0.1:1/none", "postgresql://x/y", ""} {
		if err := checkStore(dsn, false); err != nil {
			t.Errorf("checkStore(%q): %v", dsn, err)
		}
	}
}

// TestImportMisspeltEventType: a mistyped event type is answered with the type meant.
func TestImportMisspeltEventType(t *testing.T) {
	dir := t.TempDir()
	events := write(t, dir, "events.csv", "event_id,uscc,type,occurred_at\nE1,"+storetest.USCC(1)+",dishonest_judgement_debtor,2026-01-10\n")
	code, out, errOut := runCmd(run, "import", "events", events, "--store", filepath.Join(dir, "x.db"), "--create")
	if code != exitError || !strings.Contains(out, `events.csv:2: type: unknown event type "dishonest_judgement_debtor": `+
		`did you mean dishonest_judgment_debtor? A new type must be declared in model.event_types`) {
		t.Errorf("import of a misspelt type: exit %d, %q %q", code, out, errOut)
	}
}
