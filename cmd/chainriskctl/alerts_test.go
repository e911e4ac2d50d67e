package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/tokens"
)

// startDemo runs chainriskd -demo in-process until the test ends, and points the
// API commands at it with the admin token it prints.
func startDemo(t *testing.T) *daemon.Daemon {
	t.Helper()
	return startDemoWith(t, func(*config.Config) {})
}

// startDemoWith is startDemo with the config changed first.
func startDemoWith(t *testing.T, change func(*config.Config)) *daemon.Daemon {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	change(cfg)
	var banner testlog.Buffer
	d := runDaemon(t, cfg, &banner)
	// The token hand-over ends the start-up, after the first scan's alerts.
	re := regexp.MustCompile(`export CHAINRISK_TOKEN=(\S+)`)
	var m []string
	for deadline := time.Now().Add(20 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = re.FindStringSubmatch(banner.String())
	}
	if m == nil {
		t.Fatalf("no admin token printed: %q", banner.String())
	}
	t.Setenv("CHAINRISK_TOKEN", m[1])
	t.Setenv("CHAINRISK_SERVER", "http://"+d.Addr())
	return d
}

type cliAlert struct {
	ID       string
	Rule     string
	Severity string
	State    string
	Subject  struct{ USCC string }
	Leader   *struct{ USCC string }
	AckedBy  string `json:"acked_by"`
	Silenced bool
}

// alertsJSON runs chainriskctl alerts --output json with more arguments.
func alertsJSON(t *testing.T, args ...string) []cliAlert {
	t.Helper()
	code, out, errOut := runCmd(run, append([]string{"alerts", "--output", "json", "--limit", "1000"}, args...)...)
	if code != exitOK {
		t.Fatalf("alerts %v: exit %d: %s", args, code, errOut)
	}
	var list []cliAlert
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("alerts %v: %v: %s", args, err, out)
	}
	return list
}

func TestAlertCommands(t *testing.T) {
	d := startDemo(t)
	firing := alertsJSON(t, "--state", "firing")
	if len(firing) == 0 {
		t.Fatal("the demo fires no alerts")
	}
	for _, a := range firing {
		if a.State != "firing" || a.ID == "" {
			t.Errorf("firing: %+v", a)
		}
	}
	first := firing[0]
	code, out, _ := runCmd(run, "alerts")
	if code != exitOK || !strings.HasPrefix(out, "ID") || !strings.Contains(out, first.ID) || !strings.Contains(out, first.Subject.USCC) {
		t.Errorf("alerts table: exit %d:\n%s", code, out)
	}
	for _, a := range alertsJSON(t, "--severity", first.Severity, "--rule", first.Rule) {
		if a.Severity != first.Severity || a.Rule != first.Rule {
			t.Errorf("--severity %s --rule %s lists %+v", first.Severity, first.Rule, a)
		}
	}
	st := d.State()
	var leader string
	for _, v := range st.Leaders {
		if strings.Contains(st.Firms[v].Name, "大豆") {
			leader = st.Snap.IDs[v]
		}
	}
	if got := alertsJSON(t, "--leader", leader); len(got) == 0 || len(got) >= len(alertsJSON(t)) {
		t.Errorf("--leader %s: %d alerts of %d", leader, len(got), len(firing))
	}

	// ack
	code, out, errOut := runCmd(run, "ack", first.ID, "--comment", "supplier called")
	if code != exitOK || out != "alert "+first.ID+" acknowledged by "+tokens.DemoName+"\n" {
		t.Errorf("ack: exit %d: %q %s", code, out, errOut)
	}
	for _, a := range alertsJSON(t, "--uscc", first.Subject.USCC) {
		if a.ID == first.ID && a.AckedBy != tokens.DemoName {
			t.Errorf("after ack: %+v", a)
		}
	}
	if code, out, _ := runCmd(run, "alerts"); code != exitOK || !strings.Contains(out, "acked by "+tokens.DemoName) {
		t.Errorf("the table does not show the acknowledgement:\n%s", out)
	}
	if code, _, errOut := runCmd(run, "ack", "0123456789abcdef"); code != exitError || !strings.Contains(errOut, "not_found") {
		t.Errorf("ack of a missing alert: exit %d: %s", code, errOut)
	}

	// silence add, list, expire
	code, out, errOut = runCmd(run, "silence", "add", "--matcher", "rule="+first.Rule, "--matcher", `severity=~"warning|critical|info"`,
		"--duration", "2h", "--comment", "maintenance", "--output", "json")
	var sl struct {
		ID, Status, Comment string
		CreatedBy           string `json:"created_by"`
		Matchers            []struct{ Name, Op, Value string }
	}
	if err := json.Unmarshal([]byte(out), &sl); code != exitOK || err != nil || sl.Status != "active" ||
		sl.CreatedBy != tokens.DemoName || len(sl.Matchers) != 2 || sl.Matchers[1].Op != "=~" || sl.Matchers[1].Value != "warning|critical|info" {
		t.Fatalf("silence add: exit %d: %s %s", code, out, errOut)
	}
	for _, a := range alertsJSON(t, "--state", "firing") {
		if a.Silenced != (a.Rule == first.Rule) {
			t.Errorf("silenced %v: %+v", a.Silenced, a)
		}
	}
	if code, out, _ := runCmd(run, "silence", "list"); code != exitOK || !strings.Contains(out, sl.ID) || !strings.Contains(out, `rule="`+first.Rule+`"`) {
		t.Errorf("silence list: exit %d:\n%s", code, out)
	}
	until := time.Now().Add(3 * time.Hour).Format(time.RFC3339)
	if code, out, errOut := runCmd(run, "silence", "add", "--matcher", "uscc="+first.Subject.USCC, "--until", until); code != exitOK ||
		!strings.Contains(out, "active until") {
		t.Errorf("silence add --until: exit %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(run, "silence", "expire", sl.ID); code != exitOK || out != "silence "+sl.ID+" expired\n" {
		t.Errorf("silence expire: exit %d: %q %s", code, out, errOut)
	}
	code, out, _ = runCmd(run, "silence", "list", "--state", "expired", "--output", "json")
	if code != exitOK || !strings.Contains(out, sl.ID) {
		t.Errorf("expired silences: exit %d: %s", code, out)
	}
	for _, a := range alertsJSON(t, "--rule", first.Rule, "--state", "firing") {
		if a.Silenced && a.Subject.USCC != first.Subject.USCC {
			t.Errorf("still silenced after expiry: %+v", a)
		}
	}

	// Exit codes: 2 for usage, 1 for what the server refuses.
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"alerts", "extra"}, exitUsage},
		{[]string{"alerts", "--output", "yaml"}, exitUsage},
		{[]string{"alerts", "--nope"}, exitUsage},
		{[]string{"alerts", "--state", "burning"}, exitError},
		{[]string{"ack"}, exitUsage},
		{[]string{"ack", "a", "b"}, exitUsage},
		{[]string{"silence"}, exitUsage},
		{[]string{"silence", "mute"}, exitUsage},
		{[]string{"silence", "add", "--duration", "1h"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule=x"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule=x", "--duration", "1h", "--until", until}, exitUsage},
		{[]string{"silence", "add", "--matcher", "colour=red", "--duration", "1h"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule~x", "--duration", "1h"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule=x", "--duration", "-1h"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule=x", "--until", "tomorrow"}, exitUsage},
		{[]string{"silence", "add", "--matcher", "rule=~(", "--duration", "1h"}, exitError},
		{[]string{"silence", "list", "--state", "gone"}, exitError},
		{[]string{"silence", "expire"}, exitUsage},
		{[]string{"silence", "expire", "nope"}, exitError},
	} {
		if code, out, errOut := runCmd(run, tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s %s", tc.args, code, tc.code, out, errOut)
		}
	}
}

func TestParseMatcher(t *testing.T) {
	for _, tc := range []struct {
		in, name, op, value string
	}{
		{"rule=grade_downgrade", "rule", "=", "grade_downgrade"},
		{"severity!=info", "severity", "!=", "info"},
		{`uscc=~"9123.*"`, "uscc", "=~", "9123.*"},
		{"leader!~9123.*", "leader", "!~", "9123.*"},
		{"subscription=", "subscription", "=", ""},
		{"rule = chain_risk", "rule", "=", "chain_risk"},
	} {
		m, err := parseMatcher(tc.in)
		if err != nil || m.Name != tc.name || m.Op != tc.op || m.Value != tc.value {
			t.Errorf("%s: %+v %v", tc.in, m, err)
		}
	}
	for _, bad := range []string{"", "rule", "=x", "rule~x", "colour=red"} {
		if _, err := parseMatcher(bad); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
}
