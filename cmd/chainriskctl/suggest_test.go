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
