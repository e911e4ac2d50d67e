package deployments_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// precisionPanel is the health dashboard's panel of each rule's precision.
const precisionPanel = `"Alert precision by rule (feedback)"`

// TestFeedbackPrecisionPanel runs the panel's query through promtool over counters of
// two replicas worked out by hand, the dashboard's range standing at 1h:
//
//	grade_downgrade: useful 6 (a), irrelevant 2 (a) + 2 (b) → 6 / (6 + 4) = 0.6
//	chain_risk:      useful 1 (b), irrelevant 0, wrong_entity 5 → 1 / (1 + 0) = 1
//	severe_event:    wrong_entity 4 only → no useful or irrelevant verdict: no value
//
// Every counter steps once, at the same minute, so the extrapolation of increase()
// scales numerator and denominator alike and the ratios are exact.
func TestFeedbackPrecisionPanel(t *testing.T) {
	var expr string
	for _, d := range loadDashboards(t) {
		for _, q := range d.queries() {
			if strings.Contains(q.where, precisionPanel) {
				expr = q.expr
			}
		}
	}
	if expr == "" {
		t.Fatalf("no dashboard has the panel %s", precisionPanel)
	}
	expr = strings.ReplaceAll(expr, "$__range", "1h")
	series := func(instance, rule, verdict string, to int) string {
		return "      - series: 'chainrisk_alert_feedback_total{job=\"chainriskd\", instance=\"" + instance + ":8480\", rule=\"" +
			rule + "\", verdict=\"" + verdict + "\"}'\n        values: '0x30 " + strconv.Itoa(to) + "x30'\n"
	}
	var in strings.Builder
	for _, s := range []struct {
		instance, rule, verdict string
		to                      int
	}{
		{"a", "grade_downgrade", "useful", 6}, {"a", "grade_downgrade", "irrelevant", 2}, {"b", "grade_downgrade", "irrelevant", 2},
		{"b", "grade_downgrade", "useful", 0}, {"b", "chain_risk", "useful", 1}, {"b", "chain_risk", "irrelevant", 0},
		{"a", "chain_risk", "wrong_entity", 5}, {"a", "severe_event", "wrong_entity", 4},
	} {
		in.WriteString(series(s.instance, s.rule, s.verdict, s.to))
	}
	file := "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n" + in.String() +
		"    promql_expr_test:\n      - expr: |\n          " + strings.ReplaceAll(expr, "\n", "\n          ") + "\n" +
		"        eval_time: 60m\n        exp_samples:\n" +
		"          - labels: '{rule=\"grade_downgrade\"}'\n            value: 0.6\n" +
		"          - labels: '{rule=\"chain_risk\"}'\n            value: 1\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "precision.test.yml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, nil, "promtool", "test", "rules", "precision.test.yml")
}
