package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckCommand: the demo's carton maker, whose actual controller two levels up
// is a grade-D holding company, is rejected, and the table says why and through whom.
func TestCheckCommand(t *testing.T) {
	startDemo(t)
	const (
		supplier = "912301113528741157"
		middle   = "91230103MA0LW33J30"
		holding  = "91230102MAHTL3M900"
	)
	var out, errOut bytes.Buffer
	if code := run([]string{"check", supplier}, &out, &errOut); code != exitOK {
		t.Fatalf("check: exit %d: %s", code, errOut.String())
	}
	text := out.String()
	for _, want := range []string{
		supplier + " 哈尔滨松花江恒信包装制品有限公司: REJECT",
		"controller_grade_d",
		"actual controller: " + holding,
		holding + " → " + middle + " → " + supplier,
		"39.00%", // the holding company's penetrated share: 0.65 × 0.60
		"known share of its capital 100.00%",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the table lacks %q:\n%s", want, text)
		}
	}

	out.Reset()
	if code := run([]string{"check", supplier, "--depth", "1", "--output", "json"}, &out, &errOut); code != exitOK {
		t.Fatalf("check --output json: exit %d: %s", code, errOut.String())
	}
	var r struct {
		Verdict      string
		Shareholders []struct {
			USCC            string  `json:"uscc"`
			PenetratedShare float64 `json:"penetrated_share"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Shareholders {
		if h.USCC == holding {
			t.Errorf("--depth 1 reached the holding company two levels up: %+v", r.Shareholders)
		}
	}
	if r.Verdict != "reject" { // the controller chain is not cut by depth
		t.Errorf("verdict %q at depth 1, want reject", r.Verdict)
	}

	errOut.Reset()
	if code := run([]string{"check", supplier, "--depth", "11"}, &out, &errOut); code != exitError ||
		!strings.Contains(errOut.String(), "depth") {
		t.Errorf("--depth 11: exit %d, %q; want exit 1 naming depth", code, errOut.String())
	}
	if code := run([]string{"check"}, &out, &errOut); code != exitUsage {
		t.Errorf("check without a USCC: exit %d, want %d", code, exitUsage)
	}
}
