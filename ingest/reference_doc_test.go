package ingest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
)

var updateDoc = flag.Bool("update", false, "rewrite the generated sections of docs/reference.md")

const (
	referenceDoc  = "../docs/reference.md"
	catalogueOpen = "<!-- BEGIN event-catalogue: generated from the code by TestReferenceDoc (go test ./ingest -run TestReferenceDoc -update) -->\n"
	catalogueEnd  = "<!-- END event-catalogue -->"
)

// TestReferenceDoc: docs/reference.md's event catalogue is the one the code builds
// (credit.DefaultEventTypes with repair.DefaultRules), and its column tables list
// every column of each kind, required as the reader requires it in a CSV header.
// With -update the catalogue section is rewritten.
func TestReferenceDoc(t *testing.T) {
	b, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start, end := strings.Index(doc, catalogueOpen), strings.Index(doc, catalogueEnd)
	if start < 0 || end < start {
		t.Fatalf("%s: the event catalogue's markers are missing or out of order", referenceDoc)
	}
	want := catalogueTable(config.Default())
	if got := doc[start+len(catalogueOpen) : end]; got != want {
		if *updateDoc {
			doc = doc[:start+len(catalogueOpen)] + want + doc[end:]
			if err := os.WriteFile(referenceDoc, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Errorf("%s: the event catalogue differs from the code's; run go test ./ingest -run TestReferenceDoc -update\n--- doc\n%s\n--- code\n%s",
				referenceDoc, got, want)
		}
	}
	for _, k := range credit.Kinds {
		checkColumns(t, doc, k)
	}
}

// catalogueTable renders the catalogue of cfg as the reference lists it.
func catalogueTable(cfg *config.Config) string {
	cat, rules := cfg.Catalogue(), cfg.RepairRules()
	var b strings.Builder
	b.WriteString("| type | 含义 | English | severity | points | publicity | repair |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, t := range credit.DefaultEventTypes() { // the catalogue's own order
		t, _ = cat.Lookup(t.Name)
		r := rules.For(t)
		repair := "— (positive)"
		switch {
		case t.Points < 0 && !r.Repairable:
			repair = fmt.Sprintf("not repairable (%s); %s", r.Category, r.Authority)
		case t.Points < 0:
			from, most := "eligible at once", "no maximum publicity"
			if !r.MinPublicity.UntilRepaired() {
				from = "eligible after " + config.FormatPeriod(r.MinPublicity)
			}
			if !r.MaxPublicity.UntilRepaired() {
				most = "published at most " + config.FormatPeriod(r.MaxPublicity)
			}
			repair = fmt.Sprintf("%s: %s, %s; %s", r.Category, from, most, r.Authority)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %+g | %s | %s |\n", t.Name, t.Meaning, credit.EnglishLabel(t.Name),
			t.Severity, t.Points, strings.ReplaceAll(config.FormatPeriod(t.Publicity), "_", " "), repair)
	}
	return b.String()
}

// checkColumns finds the table under the kind's heading and compares its rows with
// the kind's columns.
func checkColumns(t *testing.T, doc string, k credit.Kind) {
	t.Helper()
	head := "## `" + string(k) + "`\n"
	i := strings.Index(doc, head)
	if i < 0 {
		t.Errorf("%s: no section %q", referenceDoc, strings.TrimSpace(head))
		return
	}
	section := doc[i+len(head):]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	documented := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) > 2 && strings.HasPrefix(cells[0], "| `") {
			documented[strings.Trim(cells[0], "|` ")] = cells[1]
		}
	}
	bld, err := newBuilder(k)
	if err != nil {
		t.Fatal(err)
	}
	l := bld.fields()
	for c, name := range l.names {
		want := map[bool]string{true: "yes", false: "no"}[l.required[c]]
		if got, ok := documented[name]; !ok || got != want {
			t.Errorf("%s, %s: column %s documented %q, want required %q", referenceDoc, k, name, got, want)
		}
		delete(documented, name)
	}
	for name := range documented {
		t.Errorf("%s, %s: column %s is documented but not read", referenceDoc, k, name)
	}
}
