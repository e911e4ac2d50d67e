package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRepairPlanCommand: the demo's specialized SME 齐齐哈尔白山通达动物保健品有限公司 has
// two events eligible for repair now — the court's consumption restriction (lifted
// by the court at once) and its social insurance arrears (3 months served) — and a
// general penalty eligible three months after 2026-08-29; the table says so, with the
// what-if scores, and --output json is the API's answer.
func TestRepairPlanCommand(t *testing.T) {
	startDemo(t)
	const sme = "91230200MA2A29P71E"
	code, out, errOut := runCmd(run, "repair-plan", sme)
	if code != exitOK {
		t.Fatalf("repair-plan: exit %d: %s", code, errOut)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		for _, ty := range []string{"consumption_restriction", "social_insurance_arrears", "penalty_general"} {
			if strings.Contains(line, ty+" ") && !strings.HasPrefix(line, "  ") {
				rows[ty] = line
			}
		}
	}
	for ty, want := range map[string][]string{
		"consumption_restriction":  {"YES", "general", "人民法院", " -15"},
		"social_insurance_arrears": {"YES", "general", "社会保险费征收机构"},
		"penalty_general":          {" no ", "general", "作出行政处罚决定的行政机关"},
	} {
		for _, w := range want {
			if !strings.Contains(rows[ty], w) {
				t.Errorf("%s row %q lacks %q", ty, rows[ty], w)
			}
		}
	}
	// The demo's dates follow today's (daemon/demo.go): figures move with the clock
	// in their decimals, not in their grades.
	for _, w := range []string{sme + " 齐齐哈尔白山通达动物保健品有限公司: score 52", ", grade C (p 0.4", "what to do:",
		"the events eligible now are repaired  score 73", "grade B  p 0.05", "every repairable event is repaired    score 800.0  grade B",
		"without any repair the grade improves on 20"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	code, out, errOut = runCmd(run, "repair-plan", sme, "--output", "json")
	var plan struct {
		USCC   string
		Events []struct {
			Type   string
			Repair struct {
				EligibleNow bool `json:"eligible_now"`
			}
		}
	}
	if code != exitOK || json.Unmarshal([]byte(out), &plan) != nil || plan.USCC != sme || len(plan.Events) != 3 ||
		plan.Events[2].Type != "penalty_general" || plan.Events[2].Repair.EligibleNow {
		t.Errorf("json: exit %d %+v: %s %s", code, plan, out, errOut)
	}
	if code, _, _ := runCmd(run, "repair-plan"); code != exitUsage {
		t.Errorf("no uscc: exit %d", code)
	}
	if code, _, errOut := runCmd(run, "repair-plan", "91230100MA1B2C3D4X"); code != exitError || errOut == "" {
		t.Errorf("unknown firm: exit %d: %s", code, errOut)
	}
}
