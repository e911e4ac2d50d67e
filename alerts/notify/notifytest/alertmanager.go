package notifytest

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// alertmanagerBinary finds a real Alertmanager: Debian's prometheus-alertmanager or an
// upstream alertmanager on PATH.
func alertmanagerBinary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager", "/usr/bin/prometheus-alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "!!! SKIPPING the real-Alertmanager test: no prometheus-alertmanager or alertmanager binary " +
		"(apt-get install -y prometheus-alertmanager); set CHAINRISK_REQUIRE_TOOLS=1 to make this a failure !!!"
	if os.Getenv("CHAINRISK_REQUIRE_TOOLS") == "1" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// StartAlertmanager runs a real Alertmanager on a free loopback port with clustering
// off and its storage in a temporary directory, and returns its base URL once ready.
func StartAlertmanager(t testing.TB) string {
	t.Helper()
	bin := alertmanagerBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		// Take a free port, release it and hand it to Alertmanager; if another process
		// grabs it meanwhile, Alertmanager exits and we try another.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		var out bytes.Buffer
		cmd := exec.Command(bin,
			"--config.file="+cfg,
			"--storage.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr,
			"--cluster.listen-address=",
			"--log.level=warn",
		)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() {
			cmd.Wait()
			close(exited)
		}()
		stop := func() {
			cmd.Process.Kill()
			<-exited
		}
		base := "http://" + addr
		if waitReady(base+"/-/ready", exited, 20*time.Second) {
			t.Cleanup(stop)
			return base
		}
		stop()
		if attempt == 3 {
			t.Fatalf("Alertmanager did not become ready:\n%s", out.String())
		}
	}
}

func waitReady(url string, exited <-chan struct{}, within time.Duration) bool {
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// AMAlert is an alert as Alertmanager lists it (GET /api/v2/alerts).
type AMAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// GetAlerts lists the alerts of the Alertmanager at base.
func GetAlerts(t testing.TB, base string) []AMAlert {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []AMAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
