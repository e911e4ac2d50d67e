package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
)

// Fuzz targets for what chainriskctl reads from users (docs/reliability.md): the CSV files of the
// offline stress and esri commands (risk/offline fuzzes its CSV reader alone), and the
// values of --matcher, --shock and --anchor.

var problemLine = regexp.MustCompile(`^(.*):(\d+): ([a-z_]+): (.+)$`)

// checkProblem checks that s reads FILE:LINE: FIELD: REASON, on one line, for file
// path with its line in [1, lines], and returns FIELD.
func checkProblem(t *testing.T, s, path string, lines int) string {
	t.Helper()
	m := problemLine.FindStringSubmatch(s)
	if m == nil || strings.ContainsAny(s, "\r\n") || m[1] != path {
		t.Fatalf("problem %q is not %s:LINE: FIELD: REASON on one line", s, path)
	}
	if n, _ := strconv.Atoi(m[2]); n < 1 || n > lines {
		t.Fatalf("problem %q names line %d of a file of %d lines", s, n, lines)
	}
	return m[3]
}

// FuzzStress runs the offline stress command on a fuzzed network and values file: it
// computes (distress and R within [0, 1]) or points at the rows at fault, never both,
// and never fails otherwise.
func FuzzStress(f *testing.F) {
	f.Add([]byte("from,to,impact\nA,B,0.5\nB,C,0.5\n"), []byte(""), false, "A")
	f.Add([]byte("\ufeffimpact,to,from\n3,C,A\n0.8, C ,B\n0.5,D,C\n"), []byte("value,node\n1,A\n1,B\n2,C\n0,D\n"), true, "A=0.4")
	f.Add([]byte("impact,to,from\n3,C,A\n0.8,C,B\n0.5,D,C\n"), []byte("node,value\nA,1\nB,1\nC,2\nD,0\nE,4\n"), true, "E")
	f.Add([]byte("from,to,impact\nA,B,1\nB,C,1\nC,A,1\n"), []byte("node,value\nA,0\nB,0\nC,0\n"), true, "B=1")
	f.Add([]byte("from,to,impact\nA,B,NaN\nA,C,-1\n,E,1\nF,F,1\nA,G,0.5\nA,G,0.2\n"), []byte(""), false, "A")
	f.Add([]byte("from,to,impact\nA,B,1e308\nB,C,1e-320\n"), []byte("node,value\nA,1e308\nB,1e308\nC,1\n"), true, "A=0")
	f.Add([]byte("from,to,impact\nA,B,1\n"), []byte("node,value\nA,1\n"), true, "X")
	f.Add([]byte("from,to,impact\nA,B,1\n"), []byte(""), false, "A=2")
	f.Fuzz(func(t *testing.T, network, values []byte, useValues bool, shock string) {
		if strings.ContainsAny(shock, "\r\n") {
			return // one flag value, one line of messages
		}
		dir := t.TempDir()
		netPath, valPath := filepath.Join(dir, "network.csv"), filepath.Join(dir, "values.csv")
		args := []string{"--network", netPath, "--shock", shock, "--output", "json"}
		files := map[string][]byte{netPath: network}
		if useValues {
			args = append(args, "--values", valPath)
			files[valPath] = values
		}
		for path, data := range files {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		code, stdout, stderr := runCmd(runStressOffline, args...)
		var sf shockFlags
		if err := sf.Set(shock); err != nil {
			if code != exitUsage {
				t.Fatalf("--shock %q refused (%v), exit %d", shock, err, code)
			}
			return
		}
		switch code {
		case exitOK:
			var out stressJSON
			if err := json.Unmarshal([]byte(stdout), &out); err != nil || stderr != "" {
				t.Fatalf("exit 0 with output %q (%v) and messages %q", stdout, err, stderr)
			}
			if !inUnit(out.R) || out.Defaults < 0 || out.Defaults > len(out.H) || len(out.Top) > 10 {
				t.Fatalf("R %v, %d defaults of %d nodes, top %d", out.R, out.Defaults, len(out.H), len(out.Top))
			}
			for node, h := range out.H {
				if !inUnit(h) {
					t.Fatalf("h of %q is %v", node, h)
				}
			}
			if _, ok := out.H[sf[0].Node]; !ok {
				t.Fatalf("the shocked node %q has no h", sf[0].Node)
			}
		case exitError:
			if stdout != "" {
				t.Fatalf("exit 1 with output %q", stdout)
			}
			checkMessages(t, "stress", stderr, files)
		default:
			t.Fatalf("exit %d, messages %q", code, stderr)
		}
	})
}

// FuzzESRI runs the esri command on six fuzzed files: it computes (every index within
// [0, 1], firms listed once, gravest first) or points at the rows at fault.
func FuzzESRI(f *testing.F) {
	edges, sectors := []byte("supplier,customer,amount\nA,C,10\nB,C,30\nC,D,40\n"), []byte("firm,sector\nA,a\nB,b\nC,c\nD,d\n")
	ess := []byte("supplier_sector,customer_sector,level\na,c,2\n")
	f.Add(edges, sectors, ess, []byte("firm,value\n"), []byte("firm,value\n"), []byte("firm,market\n"))
	f.Add(edges, []byte("firm,sector\nA,a\nB,a\nC,c\nD,d\n"), ess, []byte(""), []byte("value,firm\n"), []byte("\ufefffirm,market\nA,m\nB,m\n"))
	f.Add([]byte("supplier,customer,amount\nS,F,10\nF,G,20\n"), []byte("firm,sector\nS,s\nF,f\nG,g\n"), []byte("supplier_sector,customer_sector,level\n"),
		[]byte("firm,value\nS,40\n"), []byte("value,firm\n40,F\n"), []byte("firm,market\n"))
	f.Add([]byte("supplier,customer,amount\nS,F,10\nF,G,20\n"), []byte("firm,sector\nS,s\nF,f\nG,g\n"), ess,
		[]byte("firm,value\nS,5\n"), []byte("firm,value\nF,1\n"), []byte("firm,market\nS,m\nF,m\nG,m\n"))
	f.Add([]byte("supplier,customer,amount\nA,B,-1\nA,A,1\nA,X,1\nA,B,1\nA,B,2\n"), []byte("firm,sector\nA,a\nA,b\nB,\n"),
		[]byte("supplier_sector,customer_sector,level\na,b,3\na,b,1\n"), []byte("firm,value\nA,x\nZ,1\n"), []byte("firm,costs\n"), []byte("firm,market\nA,\n"))
	f.Fuzz(func(t *testing.T, edges, sectors, ess, revenue, costs, market []byte) {
		dir := t.TempDir()
		files := map[string][]byte{}
		var args []string
		for _, in := range []struct {
			flag string
			data []byte
		}{{"edges", edges}, {"sectors", sectors}, {"ess", ess}, {"revenue", revenue}, {"costs", costs}, {"market", market}} {
			path := filepath.Join(dir, in.flag+".csv")
			if err := os.WriteFile(path, in.data, 0o600); err != nil {
				t.Fatal(err)
			}
			files[path] = in.data
			args = append(args, "--"+in.flag, path)
		}
		code, stdout, stderr := runCmd(runESRI, append(args, "--output", "json")...)
		switch code {
		case exitOK:
			var rows []struct {
				Firm       string  `json:"firm"`
				ESRI       float64 `json:"esri"`
				ESRId      float64 `json:"esri_d"`
				ESRIu      float64 `json:"esri_u"`
				Iterations int     `json:"iterations"`
			}
			if err := json.Unmarshal([]byte(stdout), &rows); err != nil || stderr != "" {
				t.Fatalf("exit 0 with output %q (%v) and messages %q", stdout, err, stderr)
			}
			seen := map[string]bool{}
			for i, r := range rows {
				if !inUnit(r.ESRI) || !inUnit(r.ESRId) || !inUnit(r.ESRIu) || r.Iterations < 0 || seen[r.Firm] {
					t.Fatalf("row %d: %+v", i, r)
				}
				seen[r.Firm] = true
				if i > 0 && (r.ESRI > rows[i-1].ESRI || r.ESRI == rows[i-1].ESRI && r.Firm < rows[i-1].Firm) {
					t.Fatalf("row %d %+v after %+v", i, r, rows[i-1])
				}
			}
		case exitError:
			if stdout != "" {
				t.Fatalf("exit 1 with output %q", stdout)
			}
			checkMessages(t, "esri", stderr, files)
		default:
			t.Fatalf("exit %d, messages %q", code, stderr)
		}
	})
}

// inUnit reports whether x is in [0, 1], give or take rounding.
func inUnit(x float64) bool { return x >= -1e-9 && x <= 1+1e-9 }

// checkMessages checks a command's messages after bad input: every line names a row of
// one of the files within that file, or is the command's own ("esri: ...").
func checkMessages(t *testing.T, cmd, stderr string, files map[string][]byte) {
	t.Helper()
	if stderr == "" {
		t.Fatal("exit 1 without a message")
	}
	for _, s := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if strings.HasPrefix(s, cmd+": ") {
			continue
		}
		path, _, _ := strings.Cut(s, ":")
		data, ok := files[path]
		if !ok {
			t.Fatalf("message %q names no input file", s)
		}
		if strings.HasPrefix(s, path+": no value for node ") {
			continue
		}
		checkProblem(t, s, path, bytes.Count(data, []byte("\n"))+1)
	}
}

// FuzzParseMatcher: an accepted --matcher names a silence label and an operator, and
// prints (as the CLI lists it) as a matcher that reads back the same.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{
		"rule=grade_downgrade", "severity!=info", `uscc=~"9123.*"`, "uscc=~'9123.*'", "leader!~91330000.*", "subscription=",
		` rule = "a b" `, `uscc="quoted \"inner\""`, "rule==x", "rule=!x",
		// Refused.
		"", "=x", "rule", "rule~x", "tier=1", "Rule=x", "rule<>x", "!=x", "rule!x",
	} {
		f.Add(s)
	}
	ops := []string{alerts.OpEqual, alerts.OpNotEqual, alerts.OpRegexp, alerts.OpNotRegex}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMatcher(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		if !slices.Contains(alerts.SilenceLabels, m.Name) || !slices.Contains(ops, m.Op) {
			t.Fatalf("%q = %+v", s, m)
		}
		text := m.String()
		if back, err := parseMatcher(text); err != nil || back != m {
			t.Fatalf("%q = %+v prints as %q, which reads back as %+v, %v", s, m, text, back, err)
		}
	})
}

// FuzzShock: --shock NODE[=ψ], offline and against the server, takes ψ in [0, 1] only;
// offline, an accepted shock prints as one that reads back the same and a node is
// shocked once.
func FuzzShock(f *testing.F) {
	for _, s := range []string{
		"A", "A=0.4", "B=1", "node=with=equals=0.5", " C = 0.25 ", "91330000MA27U8T41B=0", "X=1e-3", "A=-0",
		// Refused.
		"", "=0.5", "A=", "A=2", "A=-0.1", "A=abc", "A=Inf", "A=NaN", "A=0x1p-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var offline shockFlags
		if err := offline.Set(v); err == nil {
			s := offline[0]
			if s.Node == "" || s.Node != strings.TrimSpace(s.Node) || !(s.Psi >= 0 && s.Psi <= 1) {
				t.Fatalf("%q = %+v", v, s)
			}
			if err := offline.Set(v); err == nil {
				t.Fatalf("%q accepted twice", v)
			}
			var again shockFlags
			text := (&shockFlags{s}).String()
			if err := again.Set(text); err != nil || len(again) != 1 || again[0] != s {
				t.Fatalf("%q = %+v prints as %q, which reads back as %+v, %v", v, s, text, again, err)
			}
		}
		var online shockList
		if err := online.Set(v); err == nil {
			psi, _ := online[0]["psi"].(float64)
			if !(psi >= 0 && psi <= 1) {
				t.Fatalf("%q = %v", v, online[0])
			}
		}
	})
}

// FuzzGenAnchor: an accepted --anchor is midnight of the date written, in Shanghai.
func FuzzGenAnchor(f *testing.F) {
	for _, s := range []string{"2026-01-31", "2024-02-29", "0001-01-01", "9999-12-31", "today",
		"2026-02-29", "2026-13-01", "2026-1-5", "2026/01/05", "", "Today", "2026-01-31T00:00:00+08:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := genAnchor(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		if got.Location().String() != "Asia/Shanghai" || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("%q = %s", s, got)
		}
		if s != "today" && got.Format(time.DateOnly) != s {
			t.Fatalf("%q = %s", s, got)
		}
	})
}
