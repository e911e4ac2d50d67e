package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/tokens"
)

// TestAlertWorkflowCommands: alert set, alert feedback and alert review against the
// demo daemon, the list's --status and --assignee, and the exit codes.
func TestAlertWorkflowCommands(t *testing.T) {
	startDemo(t)
	firing := alertsJSON(t, "--state", "firing")
	if len(firing) < 2 {
		t.Fatalf("the demo fires %d alerts", len(firing))
	}
	first, second := firing[0], firing[1]

	code, out, errOut := runCmd(run, "alert", "set", first.ID, "--status", "investigating", "--assignee", "张伟", "--note", "called the supplier")
	if code != exitOK || !strings.HasPrefix(out, "alert "+first.ID+": investigating, assigned to 张伟, 1 notes\n") ||
		!strings.HasSuffix(out, " "+tokens.DemoName+": called the supplier\n") {
		t.Errorf("alert set: exit %d: %q %s", code, out, errOut)
	}
	if got := alertsJSON(t, "--status", "investigating"); len(got) != 1 || got[0].ID != first.ID {
		t.Errorf("--status investigating: %+v", got)
	}
	if got := alertsJSON(t, "--assignee", "张伟"); len(got) != 1 || got[0].ID != first.ID {
		t.Errorf("--assignee 张伟: %+v", got)
	}
	if got := alertsJSON(t, "--status", "open"); len(got) != len(alertsJSON(t))-1 {
		t.Errorf("--status open: %d of %d alerts", len(got), len(alertsJSON(t)))
	}
	if code, out, _ := runCmd(run, "alerts"); code != exitOK || !strings.Contains(out, "investigating, assigned to 张伟") {
		t.Errorf("the table does not show the workflow:\n%s", out)
	}
	// An empty --assignee clears it; the status stays.
	if code, out, errOut := runCmd(run, "alert", "set", first.ID, "--assignee", ""); code != exitOK ||
		!strings.HasPrefix(out, "alert "+first.ID+": investigating, 1 notes\n") {
		t.Errorf("alert set --assignee '': exit %d: %q %s", code, out, errOut)
	}

	code, out, errOut = runCmd(run, "alert", "feedback", first.ID, "--verdict", "irrelevant", "--comment", "not ours", "--output", "json")
	var a struct {
		Feedback struct {
			Verdict, Comment string
			Muted            bool
		}
	}
	if err := json.Unmarshal([]byte(out), &a); code != exitOK || err != nil || a.Feedback.Verdict != "irrelevant" ||
		a.Feedback.Comment != "not ours" || !a.Feedback.Muted {
		t.Errorf("alert feedback: exit %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(run, "alert", "feedback", second.ID, "--verdict", "wrong_entity"); code != exitOK ||
		!strings.Contains(out, "verdict wrong_entity") {
		t.Errorf("alert feedback wrong_entity: exit %d: %q %s", code, out, errOut)
	}
	code, out, _ = runCmd(run, "alert", "review", "--verdict", "wrong_entity", "--output", "json")
	var review []struct {
		AlertID string `json:"alert_id"`
		By      string
	}
	if err := json.Unmarshal([]byte(out), &review); code != exitOK || err != nil || len(review) != 1 ||
		review[0].AlertID != second.ID || review[0].By != tokens.DemoName {
		t.Errorf("alert review: exit %d: %s", code, out)
	}
	if code, out, _ := runCmd(run, "alert", "review"); code != exitOK || !strings.HasPrefix(out, "ALERT") ||
		!strings.Contains(out, first.ID) || !strings.Contains(out, "not ours") {
		t.Errorf("alert review table: exit %d:\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"alert"}, exitUsage, ""},
		{[]string{"alert", "close"}, exitUsage, "unknown subcommand"},
		{[]string{"alert", "set"}, exitUsage, ""},
		{[]string{"alert", "set", first.ID}, exitUsage, "--status, --assignee or --note"},
		{[]string{"alert", "feedback", first.ID}, exitUsage, "--verdict"},
		{[]string{"alert", "review", "extra"}, exitUsage, ""},
		{[]string{"alert", "set", first.ID, "--status", "done"}, exitError, "invalid status"},
		{[]string{"alert", "set", "0123456789abcdef", "--note", "x"}, exitError, "not_found"},
		{[]string{"alert", "feedback", first.ID, "--verdict", "meh"}, exitError, "invalid verdict"},
		{[]string{"alert", "review", "--verdict", "meh"}, exitError, "invalid verdict"},
		{[]string{"alerts", "--status", "done"}, exitError, "invalid status"},
	} {
		if code, out, errOut := runCmd(run, tc.args...); code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("%v: exit %d, want %d (%q): %s %s", tc.args, code, tc.code, tc.says, out, errOut)
		}
	}
}
