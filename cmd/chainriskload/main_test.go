package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestUsage(t *testing.T) {
	t.Setenv("CHAINRISK_SERVER", "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unbounded", []string{}, "bounded"},
		{"too many", []string{"-n", "10000001"}, "-n"},
		{"too long", []string{"-duration", "2h"}, "-duration"},
		{"negative duration", []string{"-duration", "-1s"}, "-duration"},
		{"mode", []string{"-n", "1", "-mode", "burst"}, "-mode"},
		{"rate", []string{"-n", "1", "-rate", "0"}, "-rate"},
		{"rate cap", []string{"-n", "1", "-rate", "60000"}, "-rate"},
		{"workers", []string{"-n", "1", "-workers", "5000"}, "-workers"},
		{"mix kind", []string{"-n", "1", "-mix", "read=9,write=1"}, "unknown kind"},
		{"mix weight", []string{"-n", "1", "-mix", "read=x"}, "weight"},
		{"mix zero", []string{"-n", "1", "-mix", "read=0"}, "every weight"},
		{"mix twice", []string{"-n", "1", "-mix", "read=1,read=2"}, "twice"},
		{"output", []string{"-n", "1", "-output", "yaml"}, "-output"},
		{"remote server", []string{"-n", "1", "-server", "http://10.1.2.3:8480"}, "loopback"},
		{"named server", []string{"-n", "1", "-server", "http://chainrisk.example.com"}, "loopback"},
		{"argument", []string{"-n", "1", "extra"}, "unexpected"},
		{"unknown flag", []string{"-n", "1", "-qps", "3"}, "not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr %q, want it to mention %q", errb.String(), tc.want)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "-duration") {
		t.Errorf("-h: exit %d, %q", code, errb.String())
	}
}

// fakeDaemon answers like chainriskd: leaders, chains, enterprises, ingests.
type fakeDaemon struct {
	mu       sync.Mutex
	paths    map[string]int
	auth     map[string]bool
	overload string // "": answer 200; else answer 503 with this Retry-After ("-" for none)
}

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	key := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/api/v1/enterprises/") {
		key = r.Method + " /api/v1/enterprises/{uscc}"
	}
	f.paths[key]++
	f.auth[r.Header.Get("Authorization")] = true
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/api/v1/leaders":
		_, _ = io.WriteString(w, `{"leaders":[{"uscc":"912301099436075960"}]}`)
	case strings.HasPrefix(r.URL.Path, "/api/v1/chains/"):
		_, _ = io.WriteString(w, `{"members":[{"uscc":"912301099436075960"},{"uscc":"91231100843841844D"}]}`)
	case f.overload != "":
		if f.overload != "-" {
			w.Header().Set("Retry-After", f.overload)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		_, _ = io.WriteString(w, `{}`)
	}
}

func newFake(t *testing.T, overload string) (*fakeDaemon, string) {
	f := &fakeDaemon{paths: map[string]int{}, auth: map[string]bool{}, overload: overload}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func TestRunAgainstAFakeDaemon(t *testing.T) {
	f, url := newFake(t, "")
	t.Setenv("CHAINRISK_TOKEN", "crk_from_env")
	var out, errb bytes.Buffer
	code := run([]string{"-server", url, "-mode", "closed", "-workers", "4", "-n", "40", "-mix", "read=3,ingest=1",
		"-output", "json"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Requests != 40 || rep.ByStatus["200"] != 40 || rep.Firms != 2 || rep.Failed != 0 || rep.Throughput <= 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.LatencyMS.P50 > rep.LatencyMS.P99 || rep.LatencyMS.P99 > rep.LatencyMS.Max {
		t.Errorf("quantiles out of order: %+v", rep.LatencyMS)
	}
	if f.paths["GET /api/v1/enterprises/{uscc}"] != 30 || f.paths["POST /api/v1/events"] != 10 {
		t.Errorf("requests by path %v, want 30 reads and 10 ingests", f.paths)
	}
	if len(f.auth) != 1 || !f.auth["Bearer crk_from_env"] {
		t.Errorf("authorization %v, want the token of CHAINRISK_TOKEN", f.auth)
	}
}

func TestRunWithAFileOfFirmsAndATable(t *testing.T) {
	f, url := newFake(t, "")
	file := filepath.Join(t.TempDir(), "usccs.txt")
	if err := os.WriteFile(file, []byte("# firms\n912301099436075960\n\n91230200MA1YJ9AK5N\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-server", url, "-token", "crk_flag", "-rate", "200", "-n", "20", "-usccs", file}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"paced, 200/s", "2 firms", "requests", "20 in", "200: 20", "unsent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if f.paths["GET /api/v1/leaders"] != 0 || f.paths["GET /api/v1/enterprises/{uscc}"] != 20 {
		t.Errorf("requests by path %v: the file's firms should be read, not discovered", f.paths)
	}
}

func TestRunFailsOnSheddingWithoutRetryAfter(t *testing.T) {
	_, with := newFake(t, "1")
	var out, errb bytes.Buffer
	if code := run([]string{"-server", with, "-mode", "closed", "-n", "10", "-usccs", writeFirms(t)}, &out, &errb); code != exitOK {
		t.Errorf("503 with Retry-After: exit %d, %s", code, errb.String())
	}
	_, without := newFake(t, "-")
	out.Reset()
	errb.Reset()
	if code := run([]string{"-server", without, "-mode", "closed", "-n", "10", "-usccs", writeFirms(t)}, &out, &errb); code != exitError ||
		!strings.Contains(errb.String(), "10 answers 429/503 without Retry-After") {
		t.Errorf("503 without Retry-After: exit %d, %q", code, errb.String())
	}
}

func TestRunFailsWhenTheDaemonIsDown(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-server", "http://127.0.0.1:1", "-n", "5", "-usccs", writeFirms(t), "-rate", "1000"}, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "5 calls failed") {
		t.Errorf("exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-server", "http://127.0.0.1:1", "-n", "5"}, &out, &errb); code != exitError ||
		!strings.Contains(errb.String(), "discover firms") {
		t.Errorf("discovery: exit %d, %q", code, errb.String())
	}
}

func writeFirms(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "usccs.txt")
	if err := os.WriteFile(file, []byte("912301099436075960\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
