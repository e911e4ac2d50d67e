package noise

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestNoise is the measurement behind `make noise`: it runs only with
// CHAINRISK_NOISE=1, and writes its report to CHAINRISK_NOISE_REPORT when set.
//
//	CHAINRISK_NOISE_FIRMS   firms of the generated province (default 100,000)
//	CHAINRISK_NOISE_LEADERS leading firms of the province, each subscribing to its
//	                        chain (default 10; 0: the generator's one per thousand)
//	CHAINRISK_NOISE_DAYS    days of the simulated month (default 30)
//	CHAINRISK_NOISE_DIGEST  a digest period to give every subscription (e.g. daily)
//	CHAINRISK_NOISE_REPEATS daily: run resend_alerts through the month, not once at
//	                        its end (Options.Repeats; far longer in a large province)
//
// It fails only when the pipeline fails; the figures are for people to read.
func TestNoise(t *testing.T) {
	if os.Getenv("CHAINRISK_NOISE") != "1" {
		t.Skip("the noise measurement runs with CHAINRISK_NOISE=1 (make noise)")
	}
	o := Options{Dir: t.TempDir(), Firms: envInt(t, "CHAINRISK_NOISE_FIRMS", 100_000),
		Leaders: envInt(t, "CHAINRISK_NOISE_LEADERS", 10), Days: envInt(t, "CHAINRISK_NOISE_DAYS", 30), Seed: 1,
		Digest:   os.Getenv("CHAINRISK_NOISE_DIGEST"),
		Repeats:  cmp.Or(os.Getenv("CHAINRISK_NOISE_REPEATS"), RepeatsEnd),
		Progress: func(msg string, args ...any) { t.Log(append([]any{msg}, args...)...) }}
	if o.Repeats != RepeatsDaily && o.Repeats != RepeatsEnd {
		t.Fatalf("CHAINRISK_NOISE_REPEATS=%q: want %s or %s", o.Repeats, RepeatsDaily, RepeatsEnd)
	}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	report := res.Markdown()
	t.Logf("\n%s", report)
	for _, w := range res.Worlds {
		t.Logf("%s took %s", w.Name, w.Elapsed.Round(time.Second))
	}
	if path := os.Getenv("CHAINRISK_NOISE_REPORT"); path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, report, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number ≥ 0", name, s)
	}
	return n
}
