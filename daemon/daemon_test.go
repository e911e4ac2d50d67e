package daemon_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs a daemon in-process on a loopback port and waits until it is ready.
func start(t *testing.T, cfg *config.Config, demo bool) (*daemon.Daemon, func()) {
	t.Helper()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, daemon.Options{
		Config: cfg, Demo: demo, Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
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
