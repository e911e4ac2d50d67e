package daemon_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMetricsCatalogue pins the daemon's /metrics catalogue — every chainrisk_ family
// with its type and help — against testdata/metrics.golden: dashboards, rules and
// users depend on these names. Values vary from run to run and are left out.
func TestMetricsCatalogue(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, true)
	defer stop()
	_, body := get(t, "http://"+d.Addr()+"/metrics")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "# HELP chainrisk_") || strings.HasPrefix(l, "# TYPE chainrisk_") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 40 {
		t.Fatalf("only %d catalogue lines in the scrape", len(lines))
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./daemon/ -run MetricsCatalogue -update)", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for _, l := range g {
			if !slices.Contains(w, l) {
				t.Errorf("new or changed: %s", l)
			}
		}
		for _, l := range w {
			if !slices.Contains(g, l) {
				t.Errorf("missing: %s", l)
			}
		}
	}
	// The docs/operations.md names are all there.
	for _, name := range []string{"enterprises", "relations", "events_active", "leader_chain_risk",
		"leader_supply_at_risk", "leader_chain_members", "scan_duration_seconds", "scan_last_success_timestamp_seconds",
		"scan_firms_per_second", "propagation_iterations", "cron_job_runs_total", "cron_job_skipped_total",
		"alerts_firing", "alert_feedback_total", "notifications_total", "outbox_pending", "outbox_dead", "ingest_rows_total",
		"config_reload_success", "leader", "build_info", "leader_series_truncated"} {
		if !strings.Contains(got, "# TYPE chainrisk_"+name+" ") {
			t.Errorf("docs/operations.md metric chainrisk_%s missing", name)
		}
	}
}
