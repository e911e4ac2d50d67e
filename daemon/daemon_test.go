package daemon_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs a daemon in-process on a loopback port and waits until it is ready.
func start(t *testing.T, cfg *config.Config, demo bool) (*daemon.Daemon, func()) {
	t.Helper()
	return startWith(t, daemon.Options{Config: cfg, Demo: demo})
}

func startWith(t *testing.T, opts daemon.Options) (*daemon.Daemon, func()) {
	t.Helper()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	opts.Listen = "127.0.0.1:0"
	if opts.Config != nil && opts.Config.DataDir == config.Default().DataDir {
		opts.Config.DataDir = t.TempDir() // the demo's token file stays out of the source tree
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}
	d, err := daemon.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	waitReady(t, "http://"+d.Addr())
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	return d, stop
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200", base)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func testDemo(t *testing.T, cfg *config.Config) {
	d, stop := start(t, cfg, true)
	base := "http://" + d.Addr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, metrics := get(t, base+"/metrics")
	if code != 200 || !strings.Contains(metrics, "chainrisk_build_info{") || !strings.Contains(metrics, "go_goroutines") {
		t.Errorf("/metrics = %d, missing build info or Go collector", code)
	}
	c, err := d.Store().Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Enterprises < 150 || c.Relations < 150 || c.Events < 100 || c.Repairs == 0 {
		t.Errorf("demo not loaded: %+v", c)
	}
	stop()

	// A second start on the same store does not load the demo twice.
	d, stop = start(t, cfg, true)
	c2, err := d.Store().Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c2 != c {
		t.Errorf("second demo start changed counts: %+v → %+v", c, c2)
	}
	stop()
}

func TestDemoSQLite(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	testDemo(t, cfg)
}

func TestDemoPostgres(t *testing.T) {
	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(pgtest.URL(t))
	testDemo(t, cfg)
}

func TestSecondDaemonOnSameDataDirRefused(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	_, stop := start(t, cfg, false)
	defer stop()
	_, err := daemon.New(context.Background(), daemon.Options{Config: cfg, Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), cfg.DataDir) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second daemon: err = %v, want a refusal naming %s and the pid", err, cfg.DataDir)
	}
}

func TestReadyzFollowsTheStore(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, false)
	defer stop()
	_ = d.Store().Close() // the store goes away under the daemon
	if code, body := get(t, "http://"+d.Addr()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store unreachable") {
		t.Errorf("/readyz with a closed store = %d %q", code, body)
	}
}

func TestReloadKeepsOldConfigWhenInvalid(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chainrisk.yaml")
	write := func(text string) {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("data_dir: " + dir + "\nmodel:\n  base: 800\n")
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	reload := make(chan struct{})
	d, stop := startWith(t, daemon.Options{Config: cfg, ConfigFile: file, Demo: true, Reload: reload})
	defer stop()
	metric := func() string {
		_, body := get(t, "http://"+d.Addr()+"/metrics")
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "chainrisk_config_reload_success ") {
				return line
			}
		}
		return ""
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for metric() != want {
			if time.Now().After(deadline) {
				t.Fatalf("metric %q, want %q", metric(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	write("model:\n  bsae: 900\n") // a typo: invalid
	reload <- struct{}{}
	waitFor("chainrisk_config_reload_success 0")
	if got := d.Config().Model.Base; got != 800 {
		t.Errorf("base after a failed reload = %v", got)
	}
	write("data_dir: " + dir + "\nmodel:\n  base: 900\n")
	reload <- struct{}{}
	waitFor("chainrisk_config_reload_success 1")
	if got := d.Config().Model.Base; got != 900 {
		t.Errorf("base after reload = %v, want 900", got)
	}
	// The next scan uses the new model: a firm without events now scores 900.
	if _, err := d.Rescan(context.Background(), "all", "test"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := d.State()
		if s.Params.Model.Base == 900 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no scan with the reloaded model")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The alert rules' settings are checked too: thresholds out of order keep the
	// config in force.
	write("data_dir: " + dir + "\nmodel:\n  base: 950\nalerts:\n  rules:\n    chain_risk: {warning: 0.5, critical: 0.4}\n")
	reload <- struct{}{}
	waitFor("chainrisk_config_reload_success 0")
	if got := d.Config().Model.Base; got != 900 {
		t.Errorf("base after a reload the rules refuse = %v, want 900", got)
	}
}

func TestDirSourceOnSchedule(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	drop := t.TempDir()
	cfg.Sources = []config.Source{{Name: "drop", Kind: config.SourceDir, Data: "events", Dir: drop, Schedule: "@every 1s"}}
	d, stop := start(t, cfg, true)
	defer stop()
	// A new event for a demo firm, dropped as a file.
	var firm string
	for _, f := range d.State().Snap.IDs {
		firm = f
		break
	}
	text := "event_id,uscc,type,occurred_at\nDROP-1," + firm + ",tax_arrears," + time.Now().Format("2006-01-02") + "\n"
	if err := os.WriteFile(filepath.Join(drop, "e.csv"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(drop, "done", "e.csv")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dropped file was not imported")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var found bool
	_ = d.Store().Events(context.Background(), store.EventFilter{USCC: firm}, func(e *credit.Event) error {
		found = found || e.ID == "DROP-1"
		return nil
	})
	if !found {
		t.Error("event DROP-1 not in the store")
	}
}
