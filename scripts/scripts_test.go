// Package scripts holds the benchmark and check scripts; its test runs the parser
// check of the benchmark report (bench_test.sh).
package scripts

import (
	"os/exec"
	"testing"
)

// TestBenchParse checks that bench_parse.py reads the output formats bench.sh
// collects, and that the shell scripts parse.
func TestBenchParse(t *testing.T) {
	for _, tool := range []string{"bash", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	out, err := exec.Command("bash", "bench_test.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("bench_test.sh: %v\n%s", err, out)
	}
}
