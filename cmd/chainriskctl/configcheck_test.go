package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigCheckCountsEveryProblem: a file whose only problems are the alert rules'
// (which chainriskd checks beside config.Load) is refused with each problem on its
// own line, placed in the file, and counted one by one, in the table and in JSON.
func TestConfigCheckCountsEveryProblem(t *testing.T) {
	const file = "../../alerts/testdata/rules.bad.yaml"
	var out, errOut bytes.Buffer
	if code := run([]string{"config", "check", file}, &out, &errOut); code == 0 {
		t.Fatalf("accepted: %s", out.String())
	}
	if !strings.Contains(errOut.String(), file+":3:5: alerts.rules.chain_risk: thresholds must satisfy") ||
		!strings.Contains(errOut.String(), file+": 8 problem(s)") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	out.Reset()
	run([]string{"config", "check", "--output", "json", file}, &out, &errOut)
	var res []struct {
		OK       bool `json:"ok"`
		Problems []struct {
			Line int    `json:"line"`
			Path string `json:"path"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res) != 1 || res[0].OK || len(res[0].Problems) != 8 ||
		res[0].Problems[0].Line == 0 {
		t.Errorf("json: %s (%v)", out.String(), err)
	}
}

// TestConfigCheckChecks: the example config, which shows every checks.* key, is
// accepted; checks.rules out of order are refused, each problem placed in the file.
func TestConfigCheckChecks(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"config", "check", "../../config.example.yaml"}, &out, &errOut); code != 0 {
		t.Fatalf("example refused (%d): %s", code, errOut.String())
	}
	const bad = "../../config/testdata/checks-order.bad.yaml"
	out.Reset()
	if code := run([]string{"config", "check", bad}, &out, &errOut); code == 0 {
		t.Fatalf("accepted: %s", out.String())
	}
	for _, want := range []string{
		bad + ":4:5: checks.rules.caution_grade: D must be a better grade than checks.rules.reject_grade C",
		bad + ":6:5: checks.rules.caution_severity: high must be less severe than checks.rules.reject_severity high",
		bad + ": 2 problem(s)",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
}
