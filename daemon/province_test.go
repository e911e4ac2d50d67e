package daemon_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/loadgen"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

// The province latency benchmark (docs/performance.md): on a store holding a generated province,
// the time from POSTing one severe event to receiving its signed webhook, and the
// latency of GET /api/v1/enterprises/{uscc} at 500 requests/s. It is a measurement,
// not a timed unit test: it fails only when an alert is lost or a GET fails, and
// reports the figures against their targets.
//
//	scripts/province.sh DIR [FIRMS]     # generates, imports, runs this for each store
//
// Environment:
//
//	CHAINRISK_PROVINCE_STORE       the prepared store: a SQLite data directory or its
//	                               chainrisk.db, or a postgres:// URL with search_path
//	CHAINRISK_PROVINCE_REPORT      a file to write the figures to (markdown)
//	CHAINRISK_PROVINCE_PROFILES    a directory to write CPU profiles of the events
//	                               phase (events-cpu.prof) and the GETs (get-cpu.prof) to
//	CHAINRISK_PROVINCE_EVENTS      the number of events posted (100 unless set)

const (
	provinceEvents     = 100
	provinceGetRate    = 500 // requests per second
	provinceGetSeconds = 15
	provinceSecret     = "whsec-province-0123456789"
	// docs/performance.md targets.
	provinceAlertTarget = 500 * time.Millisecond
	provinceGetTarget   = 20 * time.Millisecond
)

func TestProvinceLatency(t *testing.T) {
	dsn := os.Getenv("CHAINRISK_PROVINCE_STORE")
	if dsn == "" {
		t.Skip("CHAINRISK_PROVINCE_STORE names no prepared province store; " +
			"scripts/province.sh DIR [FIRMS] generates and imports one, then runs this test on it")
	}
	ctx := context.Background()
	cfg := config.Default()
	storeDSN := dsn
	if backend.IsPostgres(dsn) {
		cfg.Store.DatabaseURL = config.Secret(dsn)
	} else {
		if filepath.Base(dsn) == sqlite.FileName {
			cfg.DataDir = filepath.Dir(dsn)
		} else {
			cfg.DataDir = dsn
		}
		storeDSN = filepath.Join(cfg.DataDir, sqlite.FileName)
		if _, err := os.Stat(storeDSN); err != nil {
			t.Fatalf("CHAINRISK_PROVINCE_STORE: %v (want a data directory holding %s, or that file)", err, sqlite.FileName)
		}
	}
	run := time.Now().UTC().Format("20060102T150405")
	tokenName := "province-" + run
	token, leader := provincePrepare(t, storeDSN, tokenName)

	rv := provinceNewReceiver(t, provinceSecret)
	sub := config.Subscription{Name: "province", Subscriber: leader,
		Scope: config.Scope{Kind: config.ScopeChain, Leader: leader}, MinSeverity: config.AlertWarning,
		Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret(rv.URL + "/hooks/chainrisk"),
			Secret: provinceSecret}}}
	if err := cfg.NormalizeSubscription(&sub); err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Subscriptions = append(cfg.Alerts.Subscriptions, sub)

	// The daemon, in-process, over the prepared store.
	began := time.Now()
	dctx, cancel := context.WithCancel(ctx)
	d, err := daemon.New(dctx, daemon.Options{Config: cfg, Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	base := "http://" + d.Addr()
	provinceWaitReady(t, base, 20*time.Minute)
	state := d.State()
	rep := &provinceReport{Store: provinceStoreKind(dsn), Firms: state.Len(), Relations: state.Snap.NumEdges(),
		Leaders: len(state.Leaders), Leader: leader, Ready: time.Since(began)}
	t.Logf("ready in %s: %d firms, %d relations, %d leaders", rep.Ready.Round(time.Millisecond), rep.Firms,
		rep.Relations, rep.Leaders)

	// A previous run on the same store may have left notifications to deliver (the
	// first scan of a process re-judges held alerts): let them drain first.
	provinceDrain(t, d.Store(), 2*time.Minute)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()

	rep.Load = []string{provinceLoadAvg()}
	firms, chainSize := provinceFirms(t, state, leader, provinceEventCount(t))
	rep.ChainMembers = chainSize
	provinceEventPhase(t, d, client, base, token, tokenName, rv, firms, rep)
	rep.Load = append(rep.Load, provinceLoadAvg())
	provinceGetPhase(t, base, token, state, rep)
	rep.Load = append(rep.Load, provinceLoadAvg())
	if n := rv.badSignatures(); n != 0 {
		t.Errorf("%d deliveries with a bad signature", n)
	}
	rep.Deliveries = rv.count()
	rep.log(t)
	if path := os.Getenv("CHAINRISK_PROVINCE_REPORT"); path != "" {
		if err := os.WriteFile(path, rep.markdown(), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// provincePrepare creates an admin token in the store and picks the leader whose
// chain the subscription covers: the first leading firm by USCC.
func provincePrepare(t *testing.T, dsn, name string) (token, leader string) {
	t.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, dsn, backend.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	defer st.Close()
	token, _, err = tokens.Create(ctx, st, name, tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	err = st.Enterprises(ctx, func(e *credit.Enterprise) error {
		if e.HasTag(credit.TagLeading) && (leader == "" || e.USCC < leader) {
			leader = e.USCC
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if leader == "" {
		t.Fatal("the store holds no leading firm; generate the province with chainriskctl gen --leaders N")
	}
	return token, leader
}

// provinceEventCount is CHAINRISK_PROVINCE_EVENTS, or provinceEvents.
func provinceEventCount(t *testing.T) int {
	t.Helper()
	v := os.Getenv("CHAINRISK_PROVINCE_EVENTS")
	if v == "" {
		return provinceEvents
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("CHAINRISK_PROVINCE_EVENTS=%q: want a positive number", v)
	}
	return n
}

func provinceStoreKind(dsn string) string {
	if backend.IsPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

// provinceLoadAvg is the machine's load average over 1, 5 and 15 minutes: the
// figures mean little on a machine busy with other work.
func provinceLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func provinceWaitReady(t *testing.T, base string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s/readyz did not answer 200 within %s", base, limit)
}

func provinceDrain(t *testing.T, st store.Store, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c, err := st.OutboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications still pending after %s", c.Pending, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// provinceFirms picks n members of the leader's chain without active events (a new
// severe event fires an alert for each), spread over the tiers at random.
func provinceFirms(t *testing.T, s *monitor.State, leader string, n int) ([]string, int) {
	t.Helper()
	lv, ok := s.Index(leader)
	if !ok {
		t.Fatalf("leader %s not in the state", leader)
	}
	o := s.Params.Exposure.Chain
	ch, err := s.Snap.Chain(lv, graph.ChainOptions{DepthUp: o.DepthUp, DepthDown: o.DepthDown})
	if err != nil {
		t.Fatal(err)
	}
	var pool []string
	for _, m := range ch.Members {
		if m.Node != lv && len(s.FirmEvents(m.Node)) == 0 {
			pool = append(pool, m.ID)
		}
	}
	if len(pool) < n {
		t.Fatalf("the chain of %s has %d members without events, want %d: generate a larger province", leader, len(pool), n)
	}
	slices.Sort(pool)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	return pool[:n], len(ch.Members)
}

// provinceEventPhase posts the events one at a time and times each from just before
// its POST until the receiver holds the severe_event alert about its firm.
func provinceEventPhase(t *testing.T, d *daemon.Daemon, client *http.Client, base, token, tokenName string,
	rv *provinceReceiver, firms []string, rep *provinceReport) {
	t.Helper()
	ctx := context.Background()
	defer provinceProfile(t, "events")()
	// The import's queued full scan, when the daemon has not run it yet, must not
	// hold the first event's scan back.
	provinceSettle(t, d.Store(), 0, 20*time.Minute)
	var lastScan int64
	if scans, err := d.Store().Scans(ctx, 1); err == nil && len(scans) > 0 {
		lastScan = scans[0].ID
	} else if err != nil {
		t.Fatal(err)
	}
	types := []string{"dishonest_judgment_debtor", "consumption_restriction"} // critical, high
	occurred := d.State().At.Add(-24 * time.Hour).Format(time.DateOnly)
	var lost []string
	var arrivals []time.Time
	for i, uscc := range firms {
		line, _ := json.Marshal(map[string]string{"event_id": fmt.Sprintf("%s-%03d", tokenName, i), "uscc": uscc,
			"type": types[i%len(types)], "occurred_at": occurred, "source": "province latency benchmark"})
		arrived := rv.expect(uscc)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/events", bytes.NewReader(append(line, '\n')))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		posted := time.Now()
		var sum struct {
			Accepted  int  `json:"accepted"`
			Committed bool `json:"committed"`
		}
		if err := json.Unmarshal(body, &sum); resp.StatusCode != http.StatusOK || err != nil || sum.Accepted != 1 || !sum.Committed {
			t.Fatalf("event %d: POST = %d %s", i, resp.StatusCode, body)
		}
		select {
		case at := <-arrived:
			rep.Alert = append(rep.Alert, at.Sub(start))
			rep.Post = append(rep.Post, posted.Sub(start))
			arrivals = append(arrivals, at)
		case <-time.After(time.Minute):
			lost = append(lost, uscc)
		}
		// Each event meets an idle pipeline: the alert may arrive while its scan
		// still writes its results.
		provinceSettle(t, d.Store(), lastScan, 2*time.Minute)
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d alerts never reached the webhook within a minute: %v", len(lost), len(firms), lost)
	}
	rep.Stages, rep.Chains, rep.Written = provinceScanStages(t, d.Store(), lastScan, "api:"+tokenName, arrivals)
	if loads := rep.Stages[monitor.StageLoad]; len(loads) == len(firms) && len(lost) == 0 {
		csr := d.State().Snap.CSR()
		for i, u := range firms {
			v, _ := d.State().Index(u)
			rep.Loads = append(rep.Loads, provinceLoad{uscc: u, at: i, d: loads[i],
				relations: int(csr.OutStart[v+1] - csr.OutStart[v] + csr.InStart[v+1] - csr.InStart[v])})
		}
	}
}

// provinceSettle waits until no scan after the given one is queued or running, for
// at most limit.
func provinceSettle(t *testing.T, st store.Store, after int64, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
		scans, err := st.Scans(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(scans, func(sc store.Scan) bool {
			return sc.ID > after && (sc.Status == store.ScanQueued || sc.Status == store.ScanRunning)
		}) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scans still queued or running after %s", limit)
		}
	}
}

// provinceProfile starts a CPU profile of a phase into CHAINRISK_PROVINCE_PROFILES
// (when set) and returns its stop.
func provinceProfile(t *testing.T, phase string) (stop func()) {
	t.Helper()
	dir := os.Getenv("CHAINRISK_PROVINCE_PROFILES")
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, phase+"-cpu.prof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// provinceScanStages reads the stage durations of the incremental scans the events
// caused (trigger) from the scans' records, with the chains each recomputed and the
// firm results each wrote. With one scan per alert, the time from the end of the
// observe stage (the outbox written, the worker woken) to the alert's arrival is
// the delivery.
func provinceScanStages(t *testing.T, st store.Store, after int64, trigger string, arrivals []time.Time) (
	stages map[string][]time.Duration, chains, written []int) {
	t.Helper()
	provinceSettle(t, st, after, 2*time.Minute)
	scans, err := st.Scans(context.Background(), 10*max(provinceEvents, len(arrivals)))
	if err != nil {
		t.Fatal(err)
	}
	scans = slices.DeleteFunc(scans, func(sc store.Scan) bool {
		return sc.ID <= after || sc.Trigger != trigger || sc.Kind != monitor.ScanIncremental || sc.Status != store.ScanSucceeded
	})
	slices.SortFunc(scans, func(a, b store.Scan) int { return cmp.Compare(a.ID, b.ID) })
	stages = make(map[string][]time.Duration)
	for i, sc := range scans {
		var stats monitor.ScanStats
		if err := json.Unmarshal(sc.Stats, &stats); err != nil {
			t.Fatalf("scan %d stats: %v", sc.ID, err)
		}
		for name, s := range stats.Stages {
			stages[name] = append(stages[name], time.Duration(s*float64(time.Second)))
		}
		stages["queued"] = append(stages["queued"], sc.StartedAt.Sub(sc.CreatedAt))
		stages["scan"] = append(stages["scan"], time.Duration(stats.Seconds*float64(time.Second)))
		chains, written = append(chains, stats.Chains), append(written, stats.Written)
		if len(scans) == len(arrivals) {
			// The firm's alert is written by the observe stage, or by the earlier one
			// when the scan has it (monitor.Engine.ObserveRescored).
			before := []string{monitor.StageLoad, monitor.StageScore, monitor.StageLists, monitor.StagePropagate,
				monitor.StageExposure, monitor.StageObserve}
			if _, ok := stats.Stages[monitor.StageObserveRescored]; ok {
				before = []string{monitor.StageLoad, monitor.StageScore, monitor.StageLists, monitor.StageObserveRescored}
			}
			observed := sc.StartedAt
			for _, name := range before {
				observed = observed.Add(time.Duration(stats.Stages[name] * float64(time.Second)))
			}
			stages["deliver"] = append(stages["deliver"], arrivals[i].Sub(observed))
		}
	}
	return stages, chains, written
}

// provinceGetPhase reads random firms at provinceGetRate for provinceGetSeconds, open
// loop: latency counts from each request's scheduled start.
func provinceGetPhase(t *testing.T, base, token string, s *monitor.State, rep *provinceReport) {
	t.Helper()
	n := provinceGetRate * provinceGetSeconds
	r := rand.New(rand.NewPCG(3, 4))
	targets := make([]string, n)
	for i := range targets {
		targets[i] = s.Snap.IDs[r.IntN(s.Len())]
	}
	target, err := loadgen.NewTarget(base, loadgen.TargetOptions{Token: token, Conns: 256, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	stop := provinceProfile(t, "get")
	res := loadgen.Paced(context.Background(), provinceGetRate, n, 1024, target.GetEnterprise(targets))
	stop()
	rep.Get = res
	if ok := res.ByStatus[http.StatusOK]; ok != n {
		t.Errorf("GET: %d of %d answered 200: %v, %d errors %q, %d unsent", ok, n, res.ByStatus, res.Errors,
			res.ErrorSamples, res.Unsent)
	}
}

// provinceReceiver is a webhook receiver that checks signatures as a subscriber
// would and notes when each firm's severe_event alert arrived.
type provinceReceiver struct {
	*httptest.Server
	secret string

	mu      sync.Mutex
	waiting map[string]chan time.Time // subject USCC → its arrival
	n, bad  int
}

func provinceNewReceiver(t *testing.T, secret string) *provinceReceiver {
	t.Helper()
	rv := &provinceReceiver{secret: secret, waiting: map[string]chan time.Time{}}
	rv.Server = httptest.NewServer(rv)
	t.Cleanup(rv.Close)
	return rv
}

// expect registers interest in the next severe_event alert about uscc.
func (rv *provinceReceiver) expect(uscc string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	rv.mu.Lock()
	rv.waiting[uscc] = ch
	rv.mu.Unlock()
	return ch
}

func (rv *provinceReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	at := time.Now()
	good := r.Header.Get("Idempotency-Key") != "" && notifytest.WebhookSigned(rv.secret, r.Header, body)
	var b struct {
		Alerts []struct {
			Rule    string `json:"rule"`
			Status  string `json:"status"`
			Subject struct {
				USCC string `json:"uscc"`
			} `json:"subject"`
		} `json:"alerts"`
	}
	rv.mu.Lock()
	rv.n++
	if !good {
		rv.bad++
		rv.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if json.Unmarshal(body, &b) == nil {
		for _, a := range b.Alerts {
			if a.Rule != alerts.RuleSevereEvent || a.Status != "firing" {
				continue
			}
			if ch, ok := rv.waiting[a.Subject.USCC]; ok {
				ch <- at
				delete(rv.waiting, a.Subject.USCC)
			}
		}
	}
	rv.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (rv *provinceReceiver) badSignatures() int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.bad
}

func (rv *provinceReceiver) count() int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.n
}
