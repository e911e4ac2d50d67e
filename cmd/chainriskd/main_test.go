package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("listen: 127.0.0.1:9999\n"), 0o600)
	_ = os.WriteFile(bad, []byte("listen: 127.0.0.1:9999\nchain:\n  depht_up: 3\n"), 0o600)
	tests := []struct {
		args        []string
		code        int
		out, errOut string
	}{
		{[]string{"-version"}, 0, "chainriskd ", ""},
		{[]string{"-check-config", "-config", good}, 0, good + ": ok", ""},
		{[]string{"-check-config"}, 0, "built-in defaults: ok", ""},
		{[]string{"-check-config", "-config", bad}, 1, "", `bad.yaml:3:3: unknown key "depht_up" in chain; did you mean "depth_up"?`},
		{[]string{"-check-config", "-config", filepath.Join(dir, "missing.yaml")}, 1, "", "missing.yaml"},
		{[]string{"-no-such-flag"}, 2, "", "flag provided but not defined"},
		{[]string{"stray"}, 2, "", `unexpected argument "stray"`},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.out, tc.errOut)
		}
	}
}
