package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// files writes name → content into a temporary directory and returns a
// function giving each file's path.
func files(t *testing.T, contents map[string]string) func(name string) string {
	t.Helper()
	dir := t.TempDir()
	for name, c := range contents {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) string { return filepath.Join(dir, name) }
}

func runCmd(cmd func([]string, io.Writer, io.Writer) int, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cmd(args, &out, &errb)
	return code, out.String(), errb.String()
}

const near = 1e-12

type stressJSON struct {
	R          float64            `json:"R"`
	Defaults   int                `json:"defaults"`
	Iterations int                `json:"iterations"`
	H          map[string]float64 `json:"h"`
	Top        []struct {
		Node string  `json:"node"`
		H    float64 `json:"h"`
	} `json:"top"`
}

func TestStressOfflineJSON(t *testing.T) {
	f := files(t, map[string]string{
		// Chain A→B→C, W = 0.5 per link, equal values 1/3, ψ_A = 1 (default):
		// step 1 h_B = 0.5, step 2 h_C = 0.25, step 3 C turns inactive.
		// R = (0.5 + 0.25)/3 = 0.25, one default (A).
		"chain.csv": "from,to,impact\nA,B,0.5\nB,C,0.5\n",
		// Columns in another order, a BOM, spaces around fields.
		// A→C 3 (capped to 1), B→C 0.8, C→D 0.5; ψ_A = 0.4, ψ_B = 1.
		// step 1: h_C = min(1, 0.4 + 0.8) = 1; step 2: h_D = 0.5; step 3: D
		// turns inactive. Values A 1, B 1, C 2, D 0 (sum 4):
		// R = (2/4)·1 + 0·0.5 = 0.5; defaults B, C. Top: C and B tie at
		// h = 1, C has the larger value; then D (0.5), A (0.4).
		"cap.csv":    "\ufeffimpact,to,from\n3,C,A\n0.8, C ,B\n0.5,D,C\n",
		"values.csv": "value,node\n1,A\n1,B\n2,C\n0,D\n",
		// An extra node E of value 4 without edges dilutes the values
		// (sum 8): R = (2/8)·1 = 0.25.
		"values_e.csv": "node,value\nA,1\nB,1\nC,2\nD,0\nE,4\n",
	})
	for _, c := range []struct {
		name       string
		args       []string
		r          float64
		defaults   int
		iterations int
		h          map[string]float64
		top        []string
	}{
		{
			name: "chain", args: []string{"--network", f("chain.csv"), "--shock", "A", "--output", "json"},
			r: 0.25, defaults: 1, iterations: 3,
			h:   map[string]float64{"A": 1, "B": 0.5, "C": 0.25},
			top: []string{"A", "B", "C"},
		},
		{
			name: "cap, values, top 3",
			args: []string{"--network", f("cap.csv"), "--values", f("values.csv"), "--shock", "A=0.4", "--shock", "B=1", "--top", "3", "--output", "json"},
			r:    0.5, defaults: 2, iterations: 3,
			h:   map[string]float64{"A": 0.4, "B": 1, "C": 1, "D": 0.5},
			top: []string{"C", "B", "D"},
		},
		{
			name: "isolated node in values",
			args: []string{"--network", f("cap.csv"), "--values", f("values_e.csv"), "--shock", "A=0.4", "--shock", "B", "--output", "json"},
			r:    0.25, defaults: 2, iterations: 3,
			h:   map[string]float64{"A": 0.4, "B": 1, "C": 1, "D": 0.5, "E": 0},
			top: []string{"C", "B", "D", "A"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runStressOffline, c.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			var got stressJSON
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("bad JSON %q: %v", stdout, err)
			}
			for _, key := range []string{`"R":`, `"defaults":`, `"iterations":`, `"h":`, `"top":`} {
				if !strings.Contains(stdout, key) {
					t.Errorf("output lacks %s: %s", key, stdout)
				}
			}
			if math.Abs(got.R-c.r) > near || got.Defaults != c.defaults || got.Iterations != c.iterations {
				t.Errorf("R, defaults, iterations = %v, %d, %d; want %v, %d, %d", got.R, got.Defaults, got.Iterations, c.r, c.defaults, c.iterations)
			}
			if len(got.H) != len(c.h) {
				t.Errorf("h = %v, want %v", got.H, c.h)
			}
			for node, want := range c.h {
				if h, ok := got.H[node]; !ok || math.Abs(h-want) > near {
					t.Errorf("h[%s] = %v, want %v", node, h, want)
				}
			}
			var top []string
			for _, x := range got.Top {
				top = append(top, x.Node)
			}
			if strings.Join(top, " ") != strings.Join(c.top, " ") {
				t.Errorf("top = %v, want %v", top, c.top)
			}
		})
	}
}

func TestStressOfflineTable(t *testing.T) {
	f := files(t, map[string]string{"chain.csv": "from,to,impact\nA,B,0.5\nB,C,0.5\n"})
	code, stdout, stderr := runCmd(runStressOffline, "--network", f("chain.csv"), "--shock", "A=1", "--top", "2")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"R           0.25\n", "defaults    1\n", "iterations  3\n", "nodes       3\n",
		"NODE  H    VALUE\n", "A     1    0.333333\n", "B     0.5  0.333333\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\nC ") {
		t.Errorf("--top 2 listed C:\n%s", stdout)
	}
}

func TestStressOfflineUsage(t *testing.T) {
	f := files(t, map[string]string{"n.csv": "from,to,impact\nA,B,1\n"})
	n := f("n.csv")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no network", []string{"--shock", "A"}, "--network is required"},
		{"no shock", []string{"--network", n}, "at least one --shock"},
		{"psi above 1", []string{"--network", n, "--shock", "A=2"}, "not a number in [0, 1]"},
		{"psi not a number", []string{"--network", n, "--shock", "A=x"}, "not a number in [0, 1]"},
		{"psi NaN", []string{"--network", n, "--shock", "A=NaN"}, "not a number in [0, 1]"},
		{"empty node", []string{"--network", n, "--shock", "=0.5"}, "empty node id"},
		{"shocked twice", []string{"--network", n, "--shock", "A", "--shock", "A=0.5"}, "shocked twice"},
		{"bad output", []string{"--network", n, "--shock", "A", "--output", "xml"}, `--output "xml"`},
		{"negative top", []string{"--network", n, "--shock", "A", "--top", "-1"}, "--top"},
		{"unknown flag", []string{"--network", n, "--shock", "A", "--bogus"}, "bogus"},
		{"stray argument", []string{"--network", n, "--shock", "A", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runStressOffline, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, stderr)
			}
		})
	}
	if code, _, _ := runCmd(runStressOffline, "-h"); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
}

func TestStressOfflineBadData(t *testing.T) {
	f := files(t, map[string]string{
		"bad.csv": "from,to,impact\n" +
			"A,B,NaN\n" + // line 2
			"A,C,-1\n" + // 3
			"A,D,abc\n" + // 4
			",E,1\n" + // 5
			"F,F,1\n" + // 6
			"A,G,0.5\n" + // 7
			"A,G,0.2\n" + // 8
			"A,H,Inf\n" + // 9
			"A,H\n" + // 10
			"A,I,\n", // 11
		"unknown_col.csv": "from,to,impact,weight\nA,B,1,1\n",
		"missing_col.csv": "from,impact\nA,1\n",
		"dup_col.csv":     "from,to,to,impact\nA,B,B,1\n",
		"empty.csv":       "",
		"good.csv":        "from,to,impact\nA,B,1\nB,C,1\n",
		"values.csv":      "node,value\nA,1\nB,-2\nB,1\nC,x\n",
		"values_part.csv": "node,value\nA,1\n",
	})
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad rows", []string{"--network", f("bad.csv"), "--shock", "A"}, []string{
			"bad.csv:2: impact: \"NaN\" is not a finite number",
			"bad.csv:3: impact: -1 is negative",
			"bad.csv:4: impact: \"abc\" is not a number",
			"bad.csv:5: from: empty",
			"bad.csv:6: to: self-loop on \"F\"",
			"bad.csv:8: to: duplicate edge A→G (first at line 7)",
			"bad.csv:9: impact: \"Inf\" is not a finite number",
			"bad.csv:10: record: 2 fields, want 3",
			"bad.csv:11: impact: empty",
			"stress: 9 problem(s) in the input; nothing computed",
		}},
		{"unknown column", []string{"--network", f("unknown_col.csv"), "--shock", "A"}, []string{`unknown_col.csv:1: header: unknown column "weight"`}},
		{"missing column", []string{"--network", f("missing_col.csv"), "--shock", "A"}, []string{`missing_col.csv:1: header: missing column "to"`}},
		{"duplicate column", []string{"--network", f("dup_col.csv"), "--shock", "A"}, []string{`dup_col.csv:1: header: column "to" given twice`}},
		{"empty file", []string{"--network", f("empty.csv"), "--shock", "A"}, []string{"empty.csv:1: header: empty file, want columns from,to,impact"}},
		{"missing file", []string{"--network", f("nope.csv"), "--shock", "A"}, []string{"nope.csv"}},
		{"unknown shock node", []string{"--network", f("good.csv"), "--shock", "X"}, []string{"--shock X: no such node"}},
		{"bad values", []string{"--network", f("good.csv"), "--values", f("values.csv"), "--shock", "A"}, []string{
			"values.csv:3: value: -2 is negative",
			`values.csv:5: value: "x" is not a number`,
		}},
		{"node without value", []string{"--network", f("good.csv"), "--values", f("values_part.csv"), "--shock", "A"}, []string{
			`no value for node "B"`, `no value for node "C"`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runStressOffline, c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}
