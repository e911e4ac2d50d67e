package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// alertmanagerBinary finds a real Alertmanager: Debian's prometheus-alertmanager or an
// upstream alertmanager on PATH.
func alertmanagerBinary(t *testing.T) string {
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

// startAlertmanager runs a real Alertmanager on a free loopback port with clustering
// off and its storage in a temporary directory, and returns its base URL once ready.
func startAlertmanager(t *testing.T) string {
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

// amAlerts reads GET /api/v2/alerts.
type amGettable struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

func getAlerts(t *testing.T, base string) []amGettable {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amGettable
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRealAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Alertmanager")
	}
	base := startAlertmanager(t)
	// Two replicas in the config: one URL given as the API endpoint, one as the base;
	// both reach the same Alertmanager, which de-duplicates.
	ch := config.Channel{Type: config.ChannelAlertmanager, URLs: []config.Secret{config.Secret(base), config.Secret(base + "/api/v2/alerts")}}
	opts := testOptions(t, nil, nil) // the system clock: Alertmanager judges endsAt by its own
	nt := mustNotifier(t, ch, opts)

	firing := firingDowngrade("zh")
	firing.StartedAt = time.Now().Add(-time.Minute).Truncate(time.Second)
	firing.URL = "" // exercises the chainrisk:// generator URL
	for i, r := range nt.Send(context.Background(), []*Notification{firing}) {
		if r.Err != nil {
			t.Fatalf("post firing %d: %v", i, r.Err)
		}
	}
	alerts := getAlerts(t, base)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts after the firing post, want 1: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	wantLabels := map[string]string{
		"alertname": "grade_downgrade", "severity": "warning", "uscc": castings.USCC,
		"leader": leaderRef.USCC, "subscription": "yuanhang-chain",
	}
	if fmt.Sprint(a.Labels) != fmt.Sprint(wantLabels) {
		t.Errorf("labels %v, want %v", a.Labels, wantLabels)
	}
	if a.Status.State != "active" {
		t.Errorf("state %q, want active", a.Status.State)
	}
	if a.Annotations["tier"] != "2" || !strings.Contains(a.Annotations["summary"], "信用等级下调") ||
		!strings.Contains(a.Annotations["path"], gearbox.USCC) || !strings.HasPrefix(a.GeneratorURL, "chainrisk://") {
		t.Errorf("annotations %v, generatorURL %q", a.Annotations, a.GeneratorURL)
	}
	if until := time.Until(a.EndsAt); until < 3*time.Minute || until > 5*time.Minute {
		t.Errorf("endsAt in %s, want about 4 × the 1 m resend interval", until)
	}

	resolved := firingDowngrade("zh")
	resolved.StartedAt, resolved.URL = firing.StartedAt, ""
	resolved.Status, resolved.EndedAt = StatusResolved, time.Now()
	for i, r := range nt.Send(context.Background(), []*Notification{resolved}) {
		if r.Err != nil {
			t.Fatalf("post resolved %d: %v", i, r.Err)
		}
	}
	for _, a := range getAlerts(t, base) {
		if a.Status.State == "active" && a.EndsAt.After(time.Now()) {
			t.Errorf("the alert is still active after the resolved post: %+v", a)
		}
	}
}

// TestAlertmanagerReplicas: success needs every Alertmanager; a refusal (4xx) is
// permanent, an outage retryable; either way every replica is tried.
func TestAlertmanagerReplicas(t *testing.T) {
	ok := newReceiver(t, nil, answer(200, ""))
	down := newReceiver(t, nil, answer(503, "starting"))
	refuses := newReceiver(t, nil, answer(400, `{"code":601,"message":"generatorURL in body must be of type uri"}`))
	for _, tc := range []struct {
		name      string
		urls      []*receiver
		ok        bool
		retryable bool
	}{
		{"all accept", []*receiver{ok, ok}, true, false},
		{"one down", []*receiver{down, ok}, false, true},
		{"one refuses", []*receiver{ok, refuses, down}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := map[*receiver]int{}
			var urls []config.Secret
			for _, rv := range tc.urls {
				before[rv] = len(rv.requests())
				urls = append(urls, config.Secret(rv.URL))
			}
			nt := mustNotifier(t, config.Channel{Type: config.ChannelAlertmanager, URLs: urls}, testOptions(t, newFakeClock(), nil))
			rs := nt.Send(context.Background(), batch3("en"))
			for i, r := range rs {
				if (r.Err == nil) != tc.ok || r.Retryable != tc.retryable {
					t.Errorf("notification %d: %+v", i, r)
				}
			}
			for _, rv := range tc.urls {
				if got := len(rv.requests()) - before[rv]; got < 1 {
					t.Errorf("a replica got %d posts", got)
				}
			}
		})
	}
}
