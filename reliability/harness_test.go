package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
)

// The binaries under test are built once per test run, from this module's source.
var build struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// binaries builds chainriskd and chainriskctl (once) and returns their paths.
func binaries(t *testing.T) (daemon, ctl string) {
	t.Helper()
	build.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			build.err = fmt.Errorf("the go command is needed to build the binaries under test: %w", err)
			return
		}
		gomod, err := exec.Command(goTool, "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
			build.err = fmt.Errorf("go env GOMOD: %q, %v", gomod, err)
			return
		}
		dir, err := os.MkdirTemp("", "chainrisk-reliability-")
		if err != nil {
			build.err = err
			return
		}
		cmd := exec.Command(goTool, "build", "-o", dir+string(filepath.Separator), "./cmd/chainriskd", "./cmd/chainriskctl")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		build.dir = dir
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return filepath.Join(build.dir, "chainriskd"), filepath.Join(build.dir, "chainriskctl")
}

// childEnv is the test's environment without the variables that would override the
// config file's store.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CHAINRISK_DATABASE_URL=") || strings.HasPrefix(kv, "CHAINRISK_DATA_DIR=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// createToken makes an admin token directly in the store, as an operator would
// before the first start.
func createToken(t *testing.T, ctl, dsn string) string {
	t.Helper()
	cmd := exec.Command(ctl, "token", "create", "--role", "admin", "--name", "crash-harness", "--store", dsn, "--create", "--output", "json")
	cmd.Env = childEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chainriskctl token create: %v\n%s", err, stderr.String())
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.Token == "" {
		t.Fatalf("chainriskctl token create printed %q: %v", out, err)
	}
	return tok.Token
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// daemonProc runs chainriskd as a child process, again and again on the same config
// and address; its output goes to one log file kept for failure reports.
type daemonProc struct {
	t       *testing.T
	bin     string
	config  string
	addr    string
	logPath string
	starts  int
	args    []string // more flags (-demo)

	// mu guards what a goroutine of the test beside the one driving the daemon reads:
	// the process and the address.
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func newDaemonProc(t *testing.T, bin, config, logPath string) *daemonProc {
	d := &daemonProc{t: t, bin: bin, config: config, addr: freeAddr(t), logPath: logPath}
	t.Cleanup(func() {
		if d.running() {
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
	return d
}

func (d *daemonProc) base() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return "http://" + d.addr
}

func (d *daemonProc) running() bool {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if cmd == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// start launches the daemon without waiting for it.
func (d *daemonProc) start() {
	d.t.Helper()
	if d.running() {
		d.t.Fatal("start: the daemon runs already")
	}
	d.starts++
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	fmt.Fprintf(logf, "===== start %d on %s at %s =====\n", d.starts, d.addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(d.bin, append([]string{"-config", d.config, "-listen", d.addr}, d.args...)...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		d.t.Fatalf("start chainriskd: %v", err)
	}
	exited := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
}

// startReady starts the daemon and waits for /readyz; a port taken meanwhile by
// someone else is replaced.
func (d *daemonProc) startReady(timeout time.Duration) {
	d.t.Helper()
	for try := 0; ; try++ {
		d.start()
		err := d.waitReady(timeout)
		if err == nil {
			return
		}
		if try < 3 && !d.running() && strings.Contains(d.logTail(5), "address already in use") {
			addr := freeAddr(d.t)
			d.mu.Lock()
			d.addr = addr
			d.mu.Unlock()
			continue
		}
		d.t.Fatalf("start %d: %v\n%s", d.starts, err, d.logTail(60))
	}
}

// waitReady polls /readyz until it answers 200, the process exits, or timeout.
func (d *daemonProc) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(d.base() + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("chainriskd exited (%v) before it was ready", d.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz not 200 within %s", timeout)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemonProc) kill() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		d.t.Fatalf("SIGKILL: %v", err)
	}
	<-d.exited
}

// terminate sends SIGTERM and returns the exit code of the graceful shutdown.
func (d *daemonProc) terminate(timeout time.Duration) (int, error) {
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, err
	}
	select {
	case <-d.exited:
		return d.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return -1, fmt.Errorf("no exit within %s of SIGTERM", timeout)
	}
}

// logTail returns the last n lines of the daemon's log.
func (d *daemonProc) logTail(n int) string {
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- chainriskd log (last lines) ---\n" + strings.Join(lines, "\n")
}

// apiClient calls the daemon's API with a token.
type apiClient struct {
	base, token string
	hc          *http.Client
}

func newAPIClient(base, token string) *apiClient {
	return &apiClient{base: base, token: token, hc: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}}
}

func (c *apiClient) close() { c.hc.CloseIdleConnections() }

// do sends one request and returns the status and body; err is set when no answer
// came back.
func (c *apiClient) do(ctx context.Context, method, path, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// getJSON GETs path and decodes a 200 answer into v; it returns the status.
func (c *apiClient) getJSON(path string, v any) (int, error) {
	status, body, err := c.do(context.Background(), http.MethodGet, path, "", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return status, nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return status, fmt.Errorf("GET %s: %v: %.200s", path, err, body)
	}
	return status, nil
}

// metric reads one unlabelled sample from /metrics.
func (c *apiClient) metric(name string) (float64, error) {
	status, body, err := c.do(context.Background(), http.MethodGet, "/metrics", "", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("/metrics answered %d", status)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no %s", name)
}

// hookBody is the part of the webhook body (docs/alerts.md) the checks read: the
// message's most severe alert at the top, and every alert of the message under
// alerts, that one first.
type hookBody struct {
	ID string `json:"id"`
	hookAlert
	Subscription string      `json:"subscription"`
	Kind         string      `json:"kind"`
	Alerts       []hookAlert `json:"alerts"`
}

// hookAlert is one alert of a webhook body.
type hookAlert struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Status      string `json:"status"`
	Subject     struct {
		USCC string `json:"uscc"`
	} `json:"subject"`
	Reasons   []string  `json:"reasons"`
	StartedAt time.Time `json:"started_at"`
}

// equal compares two alerts field by field (the instants as instants).
func (a hookAlert) equal(b hookAlert) bool {
	return a.Fingerprint == b.Fingerprint && a.Rule == b.Rule && a.Severity == b.Severity && a.Status == b.Status &&
		a.Subject.USCC == b.Subject.USCC && slices.Equal(a.Reasons, b.Reasons) && a.StartedAt.Equal(b.StartedAt)
}

// wellFormed says what is wrong with the shape of a message's body: an alert message
// lists first the alert its top-level fields describe; a snapshot (each subscription
// is sent one) has no alert of its own.
func (b hookBody) wellFormed() string {
	if b.Kind == "snapshot" {
		if b.Fingerprint != "" || b.Rule != "" || b.Subject.USCC != "" {
			return fmt.Sprintf("snapshot body about %s %s %s: a snapshot has no alert of its own", b.Fingerprint, b.Rule, b.Subject.USCC)
		}
		return ""
	}
	if b.Kind != "alert" || len(b.Alerts) == 0 || !b.Alerts[0].equal(b.hookAlert) {
		return fmt.Sprintf("body of kind %q about %s lists %d alerts, the first %+v; want an alert message led by its own alert",
			b.Kind, b.Fingerprint, len(b.Alerts), b.Alerts)
	}
	return ""
}

// has reports whether the message announces an alert of rule about the firm uscc
// with status.
func (b hookBody) has(rule, uscc, status string) bool {
	return slices.ContainsFunc(b.Alerts, func(a hookAlert) bool {
		return a.Rule == rule && a.Subject.USCC == uscc && a.Status == status
	})
}

// receiver is a webhook receiver that outlives the daemon's kills. It checks every
// signature with its own HMAC code, answers every 7th request 503 and makes every
// 5th wait, and records each delivery by Idempotency-Key, as a receiver that
// de-duplicates would.
type receiver struct {
	srv     *httptest.Server
	secrets map[string]string // URL path → the subscription's secret
	// arrivals gets a tick (never blocking) when a request starts, so that a kill can
	// aim at a delivery in flight.
	arrivals chan struct{}

	mu       sync.Mutex
	requests int
	inFlight int
	refused  int // answered 503 on purpose
	// cut counts requests whose body ended early: the daemon was killed while it
	// sent them (a message listing many alerts takes several writes).
	cut      int
	badSigs  int
	problems []string
	raw      map[string]int      // requests per key, whatever the answer
	accepted map[string]int      // 2xx answers per key
	bodies   map[string]hookBody // first accepted body per key
	paths    map[string]string   // path of the first accepted request per key
}

func newReceiver(t *testing.T, secrets map[string]string) *receiver {
	rv := &receiver{secrets: secrets, arrivals: make(chan struct{}, 1), raw: map[string]int{},
		accepted: map[string]int{}, bodies: map[string]hookBody{}, paths: map[string]string{}}
	rv.srv = httptest.NewServer(rv)
	t.Cleanup(rv.srv.Close)
	return rv
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case rv.arrivals <- struct{}{}:
	default:
	}
	body, err := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	rv.mu.Lock()
	rv.requests++
	n := rv.requests
	rv.inFlight++
	rv.raw[key]++
	rv.mu.Unlock()
	defer func() {
		rv.mu.Lock()
		rv.inFlight--
		rv.mu.Unlock()
	}()

	secret, known := rv.secrets[r.URL.Path]
	var b hookBody
	problem := ""
	switch {
	case err != nil:
		rv.mu.Lock()
		rv.cut++
		rv.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	case !known:
		problem = "POST to unknown path " + r.URL.Path
	case !notifytest.WebhookSigned(secret, r.Header, body):
		rv.mu.Lock()
		rv.badSigs++
		rv.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	case key == "":
		problem = "delivery without an Idempotency-Key"
	case json.Unmarshal(body, &b) != nil:
		problem = fmt.Sprintf("key %s: body is not JSON: %.200s", key, body)
	case b.ID != key:
		problem = fmt.Sprintf("key %s: body id %q differs from the Idempotency-Key", key, b.ID)
	case b.wellFormed() != "":
		problem = fmt.Sprintf("key %s: %s", key, b.wellFormed())
	}
	if problem != "" {
		rv.mu.Lock()
		rv.problems = append(rv.problems, problem)
		rv.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch {
	case n%7 == 0:
		rv.mu.Lock()
		rv.refused++
		rv.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case n%5 == 0:
		time.Sleep(150 * time.Millisecond) // a slow receiver: kills land mid-delivery
	}
	rv.mu.Lock()
	rv.accepted[key]++
	if _, seen := rv.bodies[key]; !seen {
		rv.bodies[key], rv.paths[key] = b, r.URL.Path
	}
	rv.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (rv *receiver) busy() bool {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.inFlight > 0
}

// drainArrivals forgets arrivals seen so far.
func (rv *receiver) drainArrivals() {
	select {
	case <-rv.arrivals:
	default:
	}
}
