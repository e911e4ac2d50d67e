package main

import (
	"strings"
	"testing"
)

// TestDidYouMean: a mistyped command or import kind is answered with the near name,
// not a page of usage.
func TestDidYouMean(t *testing.T) {
	code, out, errOut := runCmd(run, "enterprize", "91230100MA1B2C3D49")
	if code != exitUsage || out != "" || errOut != "chainriskctl: unknown command \"enterprize\"; did you mean \"enterprise\"? (chainriskctl help lists the commands)\n" {
		t.Errorf("enterprize: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut = runCmd(run, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "Usage:") || strings.Contains(errOut, "did you mean") {
		t.Errorf("frobnicate: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(run, "import", "event", "events.csv")
	if code != exitUsage || !strings.Contains(errOut, `unknown kind "event"; did you mean "events"?`) {
		t.Errorf("import event: exit %d, %q", code, errOut)
	}
}

// TestHelpExitsZero: -h and --help print a command's usage and exit 0, for every
// command and subcommand; a bad flag still exits 2.
func TestHelpExitsZero(t *testing.T) {
	cmds := [][]string{{"alert", "set"}, {"alert", "feedback"}, {"alert", "review"}, {"silence", "add"},
		{"silence", "list"}, {"token", "list"}, {"token", "create"}, {"config", "check"}}
	for _, c := range commands {
		if c != "version" && c != "help" && c != "alert" && c != "silence" && c != "token" && c != "config" {
			cmds = append(cmds, []string{c})
		}
	}
	for _, c := range cmds {
		for _, h := range []string{"-h", "--help"} {
			code, out, errOut := runCmd(run, append(c, h)...)
			if code != exitOK || !strings.Contains(strings.ToLower(out+errOut), "usage") {
				t.Errorf("%s %s: exit %d, %q %q", strings.Join(c, " "), h, code, out, errOut)
			}
		}
		if code, _, _ := runCmd(run, append(c, "--no-such-flag")...); code != exitUsage {
			t.Errorf("%s --no-such-flag: exit %d, want %d", strings.Join(c, " "), code, exitUsage)
		}
	}
}
