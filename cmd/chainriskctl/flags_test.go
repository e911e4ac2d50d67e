package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// everyCommand is every command and subcommand, with the arguments it needs before
// its flags are checked, and its --output formats (the first the default).
var everyCommand = []struct {
	args    []string
	formats []string
}{
	{[]string{"import", "events", "x.csv"}, []string{"table", "json"}},
	{[]string{"scan", "--store", "x.db"}, []string{"table", "json"}},
	{[]string{"config", "check", "x.yaml"}, []string{"table", "json"}},
	{[]string{"stress", "--shock", "X"}, []string{"table", "json"}},
	{[]string{"stress", "--network", "n.csv", "--shock", "X"}, []string{"table", "json"}},
	{[]string{"rescan"}, []string{"table", "json"}},
	{[]string{"scans"}, []string{"table", "json"}},
	{[]string{"ownership", "X"}, []string{"table", "json", "dot"}},
	{[]string{"enterprise", "X"}, []string{"table", "json"}},
	{[]string{"repair-plan", "X"}, []string{"table", "json"}},
	{[]string{"search", "X"}, []string{"table", "json"}},
	{[]string{"check", "X"}, []string{"table", "json"}},
	{[]string{"checks"}, []string{"table", "json"}},
	{[]string{"checks", "show", "1"}, []string{"table", "json"}},
	{[]string{"screen", "x.csv"}, []string{"csv", "json"}},
	{[]string{"match", "x.csv"}, []string{"csv", "json"}},
	{[]string{"onboard", "x.csv"}, []string{"table", "json"}},
	{[]string{"leaders"}, []string{"table", "json"}},
	{[]string{"chain", "X"}, []string{"table", "json", "dot"}},
	{[]string{"alerts"}, []string{"table", "json"}},
	{[]string{"ack", "X"}, []string{"table", "json"}},
	{[]string{"alert", "set", "X"}, []string{"table", "json"}},
	{[]string{"alert", "feedback", "X"}, []string{"table", "json"}},
	{[]string{"alert", "review"}, []string{"table", "json"}},
	{[]string{"silence", "add"}, []string{"table", "json"}},
	{[]string{"silence", "list"}, []string{"table", "json"}},
	{[]string{"silence", "expire", "X"}, []string{"table", "json"}},
	{[]string{"subscriptions"}, []string{"table", "json"}},
	{[]string{"subscriptions", "list"}, []string{"table", "json"}},
	{[]string{"subscriptions", "show", "X"}, []string{"table", "json"}},
	{[]string{"subscriptions", "create", "x.json"}, []string{"table", "json"}},
	{[]string{"subscriptions", "delete", "X"}, []string{"table", "json"}},
	{[]string{"deliveries"}, []string{"table", "json"}},
	{[]string{"esri", "--edges", "e.csv", "--sectors", "s.csv"}, []string{"csv", "json"}},
	{[]string{"esri", "--leader", "X"}, []string{"table", "json", "csv"}},
	{[]string{"token", "create", "--store", "x.db"}, []string{"table", "json"}},
	{[]string{"token", "list", "--store", "x.db"}, []string{"table", "json"}},
	{[]string{"token", "revoke", "X", "--store", "x.db"}, []string{"table", "json"}},
	{[]string{"gen", "--out", "x"}, []string{"table", "json"}},
}

// TestFlagConvention: every command and subcommand prints its usage and exits 0 on -h
// and --help, takes -o as --output and refuses a format it lacks with the list of
// those it has, answers a misspelt flag with the near one, and takes its flags after
// its arguments as well as before.
func TestFlagConvention(t *testing.T) {
	t.Setenv("CHAINRISK_SERVER", "127.0.0.1:1") // nothing listens: no command may get that far
	t.Setenv("CHAINRISK_STORE", "")
	for _, c := range everyCommand {
		name := strings.Join(c.args, " ")
		for _, h := range []string{"-h", "--help"} {
			code, out, errOut := runCmd(run, append(slices.Clone(c.args), h)...)
			if code != exitOK || !strings.Contains(strings.ToLower(out+errOut), "usage") {
				t.Errorf("%s %s: exit %d, %q %q", name, h, code, out, errOut)
			}
			// And the command alone, before its arguments.
			code, out, errOut = runCmd(run, c.args[0], h)
			if code != exitOK || !strings.Contains(strings.ToLower(out+errOut), "usage") {
				t.Errorf("%s %s: exit %d, %q %q", name, h, code, out, errOut)
			}
		}
		for _, o := range []string{"-o", "--output", "-output", "--output="} {
			args := append(slices.Clone(c.args), o, "xml")
			if strings.HasSuffix(o, "=") {
				args = append(slice(c.args), o+"xml")
			}
			code, _, errOut := runCmd(run, args...)
			want := orList(c.formats)
			if code != exitUsage || !strings.Contains(errOut, `"xml"`) || !strings.Contains(errOut, want) {
				t.Errorf("%s %s xml: exit %d, %q; want exit 2 and %q", name, o, code, errOut, want)
			}
		}
		code, _, errOut := runCmd(run, append(slices.Clone(c.args), "--outptu", c.formats[0])...)
		if code != exitUsage || !strings.Contains(errOut, "did you mean --output?") {
			t.Errorf("%s --outptu: exit %d, %q", name, code, errOut)
		}
	}
}

func slice(xs []string) []string { return slices.Clone(xs) }

// TestFlagsAfterArguments: the local commands take their flags after their
// arguments; config check's --output is no file name.
func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chainrisk.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:8480\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(run, "config", "check", cfg, "--output", "json")
	var res []struct {
		File string
		OK   bool
	}
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || len(res) != 1 || res[0].File != cfg || !res[0].OK {
		t.Errorf("config check FILE --output json: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ = runCmd(run, "config", "check", cfg, "-o", "json"); code != exitOK || !strings.HasPrefix(out, "[") {
		t.Errorf("config check FILE -o json: exit %d, %q", code, out)
	}

	db := filepath.Join(dir, "x.db")
	if code, _, errOut = runCmd(run, "token", "create", "--role", "admin", "--name", "ops", "--store", db, "--create"); code != exitOK {
		t.Fatalf("token create: exit %d, %q", code, errOut)
	}
	if code, out, errOut = runCmd(run, "token", "list", "--store", db, "-o", "json"); code != exitOK || !strings.Contains(out, `"name":"ops"`) {
		t.Errorf("token list -o json: exit %d, %q %q", code, out, errOut)
	}
	if code, out, errOut = runCmd(run, "token", "revoke", "ops", "--store", db); code != exitOK || !strings.Contains(out, "revoked") {
		t.Errorf("token revoke NAME --store: exit %d, %q %q", code, out, errOut)
	}
	gen := filepath.Join(dir, "gen")
	code, out, errOut = runCmd(run, "gen", "--firms", "20", "--edges-per-firm", "2", "--events-per-firm", "1", "--out", gen, "-o", "json")
	var sum genSummary
	if code != exitOK || json.Unmarshal([]byte(out), &sum) != nil || sum.Firms != 20 || sum.Leaders != 1 || sum.Dir != gen {
		t.Errorf("gen -o json: exit %d, %q %q", code, out, errOut)
	}
}
