package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/internal/testoutbox"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/tokens"
)

// The store-outage tests of docs/reliability.md: PostgreSQL goes away under load; the daemon
// reports not-ready, refuses what it cannot commit with 503, recovers by itself,
// leads again, and loses nothing it acknowledged.

// TestPostgresOutage cuts the daemon off its database through a loopback proxy: the
// proxy stops accepting, the daemon's server backends are terminated, the proxy drops
// every live connection; a few seconds later the proxy comes back.
func TestPostgresOutage(t *testing.T) {
	outageRun(t, &outageByProxy{downFor: 4 * time.Second})
}

// TestPostgresSessionsKilled terminates the daemon's pooled sessions on the server
// again and again under load while its leadership session lives on: the scans the
// kills interrupt are all recorded finished — no takeover comes to fail one left
// "running", since the leadership never changes — nothing acknowledged is lost, and
// scans still run.
func TestPostgresSessionsKilled(t *testing.T) {
	dsn, schema := outageURL(t, "")
	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(dsn)
	cfg.Store.LeaderCheckInterval = 250 * time.Millisecond
	log, logs := testlog.Text(slog.LevelInfo)
	d, stop := startWith(t, daemon.Options{Config: cfg, Demo: true, Logger: log})
	defer stop()
	ctx := context.Background()
	token, _, err := tokens.Create(ctx, d.Store(), "outage-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	load := &outageLoad{base: "http://" + d.Addr(), token: token, firms: slices.Clone(d.State().Snap.IDs), client: client,
		day: time.Now().AddDate(0, 0, -1).Format("2006-01-02")}
	conn, err := pgx.Connect(ctx, outageAdminURL(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	loadCtx, stopLoad := context.WithCancel(ctx)
	workers := load.run(loadCtx, 4, 1)
	defer func() {
		stopLoad()
		workers.Wait()
	}()
	started := time.Now()
	outageWait(t, 30*time.Second, "ingests acknowledged", func() bool { return load.acked(started) >= 10 })
	first := time.Now()
	killed := 0
	for range 10 {
		killed += outageKillPooled(t, conn, schema)
		time.Sleep(400 * time.Millisecond)
	}
	last := time.Now()
	if killed == 0 {
		t.Fatal("no session of the daemon was found to terminate")
	}
	outageWait(t, 30*time.Second, "ingests acknowledged after the kills", func() bool { return load.acked(last) >= 10 })
	stopLoad()
	workers.Wait()

	if logs.Contains("no longer the leader") {
		t.Fatal("the leadership session was lost: a takeover would hide scans left running")
	}
	outageDrained(t, d.Store())
	sc, err := d.Rescan(ctx, "all", "api:outage-admin")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, d.Store(), sc.ID)
	calls := load.snapshot()
	failed := map[string]int{}
	for _, c := range calls {
		outageCheckAnswer(t, c, first)
		if c.status != http.StatusOK && c.status != http.StatusUnprocessableEntity {
			failed[fmt.Sprintf("%d %s", c.status, c.code)]++
		}
	}
	checked, lost, ambiguous := outageCheckRows(t, outageAdminURL(t, dsn), calls, first)
	t.Logf("%d sessions killed in 10 rounds; %d requests, not acknowledged: %v", killed, len(calls), failed)
	t.Logf("acknowledged rows checked: %d, lost: %d; rows answered 503 yet committed: %d", checked, lost, ambiguous)
}

// outageKillPooled terminates the daemon's sessions (see outageURL) but the one
// holding the leader lock of schema, and returns how many.
func outageKillPooled(t *testing.T, conn *pgx.Conn, schema string) int {
	t.Helper()
	// The lock's bigint key shows in pg_locks as classid (high half) and objid (low).
	// The daemon's application_name is the schema's name (and its replica's suffix):
	// $1 is both.
	rows, err := conn.Query(context.Background(), `SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
		WHERE a.application_name LIKE $1 || '/%' AND a.pid <> pg_backend_pid() AND NOT EXISTS (
			SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objsubid = 1
			AND l.classid = ((hashtext('chainrisk-leader:' || $1) :: int8 >> 32) & 4294967295) :: oid
			AND l.objid = (hashtext('chainrisk-leader:' || $1) :: int8 & 4294967295) :: oid)`, schema)
	if err != nil {
		t.Fatalf("terminate the daemon's pooled sessions: %v", err)
	}
	n := 0
	for rows.Next() {
		var ok bool
		if err := rows.Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("terminate the daemon's pooled sessions: %v", err)
	}
	return n
}

// TestPostgresRestart restarts the PostgreSQL server itself. It interrupts every other
// client of the server, so it runs only when asked, alone:
// CHAINRISK_SOAK_PG_RESTART=1 go test -race -run TestPostgresRestart ./daemon
func TestPostgresRestart(t *testing.T) {
	if os.Getenv("CHAINRISK_SOAK_PG_RESTART") != "1" {
		t.Skip("restarts the shared PostgreSQL server, interrupting every other test using it: " +
			"set CHAINRISK_SOAK_PG_RESTART=1 and run it alone")
	}
	outageRun(t, &outageByRestart{})
}

// outageMode makes the database unreachable, then reachable again.
type outageMode interface {
	// dsn turns the test schema's direct URL into the one the daemon uses.
	dsn(t *testing.T, direct string) string
	// outage runs one outage and returns when the database is reachable again.
	outage(t *testing.T, direct string) outageWindow
}

// outageWindow times an outage. From cut on, only work already in flight may still
// commit; from down to until, nothing can reach the server; from up on, it is back.
// until and up differ when the server's return is seen by polling it: until is the
// start of the last attempt that failed.
type outageWindow struct {
	cut, down, until, up time.Time
}

// outageByProxy runs the daemon through a loopback TCP proxy it can cut.
type outageByProxy struct {
	downFor    time.Duration
	proxy      *outageProxy
	app        string // application_name of the daemon's connections
	terminated int    // server backends terminated
	dropped    int    // proxied connections dropped
}

func (m *outageByProxy) dsn(t *testing.T, direct string) string {
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	m.proxy = outageNewProxy(t, u.Host)
	m.app = u.Query().Get("application_name")
	u.Host = m.proxy.addr
	return u.String()
}

func (m *outageByProxy) outage(t *testing.T, direct string) outageWindow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, outageAdminURL(t, direct))
	if err != nil {
		t.Fatalf("direct connection: %v", err)
	}
	defer conn.Close(context.Background())
	var w outageWindow
	w.cut = time.Now()
	m.proxy.stopAccepting()
	// The server side goes first, as in a crash or a failover: the daemon's sessions
	// (the leadership lock's among them) end with an error from the server.
	// pg_terminate_backend in the select list runs only on the rows WHERE kept; in
	// WHERE, the planner could call it before the other conditions.
	rows, err := conn.Query(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name LIKE $1 || '/%' AND pid <> pg_backend_pid()`, m.app)
	if err != nil {
		t.Fatalf("terminate the daemon's backends: %v", err)
	}
	for rows.Next() {
		var ok bool
		if err := rows.Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			m.terminated++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("terminate the daemon's backends: %v", err)
	}
	m.dropped = m.proxy.dropAll()
	w.down = time.Now()
	// Nothing of the daemon's is left on the server.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 || '/%'`, m.app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends of the daemon still on the server after the cut", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m.terminated == 0 {
		t.Errorf("no backend with application_name %s was terminated: the daemon's connections were not found", m.app)
	}
	time.Sleep(time.Until(w.cut.Add(m.downFor)))
	w.until = time.Now()
	if err := m.proxy.listen(); err != nil {
		t.Fatalf("proxy back on %s: %v", m.proxy.addr, err)
	}
	w.up = time.Now()
	return w
}

// outageByRestart restarts the PostgreSQL cluster (fast shutdown: every session
// ends) and polls the server directly to see when it was down.
type outageByRestart struct {
	took time.Duration // pg_ctlcluster's run
}

func (m *outageByRestart) dsn(_ *testing.T, direct string) string { return direct }

func (m *outageByRestart) outage(t *testing.T, direct string) outageWindow {
	t.Helper()
	versions, err := filepath.Glob("/etc/postgresql/*/main")
	if err != nil || len(versions) != 1 {
		t.Fatalf("want one cluster under /etc/postgresql, got %v (%v)", versions, err)
	}
	version := filepath.Base(filepath.Dir(versions[0]))
	t.Cleanup(func() {
		// Whatever happened, leave the server up for everyone else.
		if out, err := exec.Command("pg_isready", "-h", "127.0.0.1", "-t", "30").CombinedOutput(); err != nil {
			t.Errorf("PostgreSQL not ready after the test: %v: %s", err, out)
			_ = exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start").Run()
		}
	})
	admin := outageAdminURL(t, direct)
	var w outageWindow
	polled := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() {
		defer close(polled)
		for ctx.Err() == nil {
			from := time.Now()
			cctx, ccancel := context.WithTimeout(ctx, time.Second)
			conn, err := pgx.Connect(cctx, admin)
			if err == nil {
				err = conn.Ping(cctx)
				_ = conn.Close(cctx)
			}
			ccancel()
			switch {
			case err != nil && w.down.IsZero():
				// New sessions are refused once the backends were told to end: a
				// request that starts later has nothing that could still commit.
				w.down = time.Now()
				w.until = from
			case err != nil:
				w.until = from
			case !w.down.IsZero():
				w.up = time.Now()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	w.cut = time.Now()
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart").CombinedOutput()
	m.took = time.Since(w.cut)
	if err != nil {
		cancel()
		<-polled
		t.Fatalf("pg_ctlcluster restart: %v: %s", err, out)
	}
	<-polled
	if w.down.IsZero() || w.up.IsZero() {
		t.Fatalf("the restart was not seen: down at %v, up at %v", w.down, w.up)
	}
	return w
}

// outageProxy forwards loopback TCP connections to PostgreSQL until it is cut.
type outageProxy struct {
	target string
	addr   string // kept across cuts, so that the daemon's DSN stays valid
	mu     sync.Mutex
	ln     net.Listener
	live   bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func outageNewProxy(t *testing.T, target string) *outageProxy {
	t.Helper()
	p := &outageProxy{target: target, addr: "127.0.0.1:0", conns: make(map[net.Conn]struct{})}
	if err := p.listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stopAccepting()
		p.dropAll()
		p.wg.Wait()
	})
	return p
}

// listen (re)opens the listener on the proxy's address.
func (p *outageProxy) listen() error {
	var ln net.Listener
	var err error
	for range 100 { // the closed listener's port may take a moment to free
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln, p.addr, p.live = ln, ln.Addr().String(), true
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
	return nil
}

func (p *outageProxy) forward(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if !p.live { // cut while dialling
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
	}
	wg.Go(func() { pipe(up, c) })
	wg.Go(func() { pipe(c, up) })
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// stopAccepting closes the listener: new connections are refused.
func (p *outageProxy) stopAccepting() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live = false
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
}

// dropAll closes every forwarded connection, both ends, and returns how many pairs.
func (p *outageProxy) dropAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	return len(p.conns) / 2
}

// outageAdminURL is the direct URL without the daemon's application_name, for the
// test's own connections.
func outageAdminURL(t *testing.T, direct string) string {
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("application_name")
	u.RawQuery = q.Encode()
	return u.String()
}

// outageCall is one request of the load and what came of it.
type outageCall struct {
	kind       credit.Kind // "" for reads
	path       string
	start, end time.Time
	status     int
	code       string // the error envelope's code
	retryAfter string
	err        error // the request got no answer
	scanID     int64 // the id of a rescan answered 202
	accepted   int
	rejected   int
	good, bad  []string // keys of the rows sent valid and invalid
}

// outageLoad posts ingest batches and reads, recording every answer.
type outageLoad struct {
	base, token string
	firms       []string
	client      *http.Client
	day         string // occurred_at of the events sent

	mu    sync.Mutex
	calls []outageCall
	seq   int
}

func (l *outageLoad) next() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

func (l *outageLoad) record(c outageCall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// acked counts the ingests acknowledged (200 or 422) that were sent after since.
func (l *outageLoad) acked(since time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.calls {
		if c.kind != "" && c.start.After(since) && (c.status == http.StatusOK || c.status == http.StatusUnprocessableEntity) {
			n++
		}
	}
	return n
}

func (l *outageLoad) snapshot() []outageCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// do sends one request and decodes the summary or the error envelope.
func (l *outageLoad) do(method, path, ctype, body string) outageCall {
	c := outageCall{path: path, start: time.Now()}
	req, err := http.NewRequest(method, l.base+path, strings.NewReader(body))
	if err != nil {
		c.err = err
		return c
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := l.client.Do(req)
	c.end = time.Now()
	if err != nil {
		c.err = err
		return c
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.status, c.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	var env struct {
		Error    struct{ Code string }
		ID       int64 `json:"id"`
		Accepted int   `json:"accepted"`
		Rejected int   `json:"rejected"`
	}
	if err := json.Unmarshal(b, &env); err == nil {
		c.code, c.scanID, c.accepted, c.rejected = env.Error.Code, env.ID, env.Accepted, env.Rejected
	}
	return c
}

// events posts a batch of low-severity events as NDJSON; every third batch carries
// a row of an unknown type, which is rejected while the others commit (422).
func (l *outageLoad) events(worker int) outageCall {
	n := l.next()
	var body strings.Builder
	var good, bad []string
	for i := range 5 {
		id := fmt.Sprintf("OUTAGE-%d-%d-%d", worker, n, i)
		typ := []string{"honor", "utility_arrears", "commitment_kept"}[i%3]
		if n%3 == 0 && i == 4 {
			typ = "no_such_type"
			bad = append(bad, id)
		} else {
			good = append(good, id)
		}
		row, _ := json.Marshal(map[string]any{"event_id": id, "uscc": l.firms[(n*5+i)%len(l.firms)], "type": typ,
			"occurred_at": l.day, "source": "outage test", "description": "load"})
		body.Write(row)
		body.WriteByte('\n')
	}
	c := l.do("POST", "/api/v1/events", "application/x-ndjson", body.String())
	c.kind, c.good, c.bad = credit.KindEvents, good, bad
	return c
}

// enterprises posts three new firms as CSV.
func (l *outageLoad) enterprises() outageCall {
	n := l.next()
	body := "uscc,name,region,industry,tags,status,revenue\n"
	var good []string
	for i := range 3 {
		uscc, err := credit.MakeUSCC(fmt.Sprintf("91230100MC%07d", n*3+i))
		if err != nil {
			return outageCall{err: err}
		}
		good = append(good, uscc)
		body += fmt.Sprintf("%s,断网测试企业%d,230100,C1331,sme,active,%d\n", uscc, n*3+i, 1000000+n)
	}
	c := l.do("POST", "/api/v1/enterprises", "text/csv", body)
	c.kind, c.good = credit.KindEnterprises, good
	return c
}

// read is one of the API's reads, in turn.
func (l *outageLoad) read(i int) outageCall {
	firm := l.firms[i%len(l.firms)]
	paths := []string{"/api/v1/enterprises/" + firm, "/api/v1/enterprises/" + firm + "/events",
		"/api/v1/scans?limit=5", "/api/v1/leaders?limit=5"}
	return l.do("GET", paths[i%len(paths)], "", "")
}

// run keeps ingest and read workers busy until ctx ends.
func (l *outageLoad) run(ctx context.Context, ingesters, readers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range ingesters {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if (w+i)%2 == 0 {
					l.record(l.events(w))
				} else {
					l.record(l.enterprises())
				}
				outageNap(ctx, 10*time.Millisecond)
			}
		})
	}
	for w := range readers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				l.record(l.read(i))
				outageNap(ctx, 20*time.Millisecond)
			}
		})
	}
	return &wg
}

func outageNap(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// outageProbe is one poll of /readyz, /healthz and the leader gauge.
type outageProbe struct {
	at, end        time.Time // the /readyz request's
	ready, healthy int       // statuses; 0 when no answer came
	leader         string    // chainrisk_leader, scraped from leaderFrom to leaderAt
	leaderFrom     time.Time
	leaderAt       time.Time
}

// outagePoll polls /readyz, /healthz and /metrics every 50 ms until ctx ends.
func outagePoll(ctx context.Context, client *http.Client, base string) func() []outageProbe {
	var mu sync.Mutex
	var probes []outageProbe
	status := func(path string) int {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			p := outageProbe{at: time.Now(), ready: status("/readyz")}
			p.end = time.Now()
			p.healthy = status("/healthz")
			p.leaderFrom = time.Now()
			p.leader = outageMetric(client, base, "chainrisk_leader")
			p.leaderAt = time.Now()
			mu.Lock()
			probes = append(probes, p)
			mu.Unlock()
			outageNap(ctx, 50*time.Millisecond)
		}
	}()
	return func() []outageProbe {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(probes)
	}
}

// outageURL creates a test schema and returns its URL, with password when one is
// given, and the schema's name, which is also the application_name of the sessions
// opened with the URL: the test finds them on the server by it.
func outageURL(t *testing.T, password string) (dsn, schema string) {
	t.Helper()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// outageRun runs the daemon on PostgreSQL under a load of ingests and reads, has mode
// make one outage, and checks what docs/reliability.md asks: /readyz follows the store, the
// refusals are 503s with Retry-After, nothing acknowledged is lost, the replica
// leads again by itself and its scans and deliveries run, and the logs tell the
// story without the database password.
func outageRun(t *testing.T, mode outageMode) {
	// Trust auth accepts any password: one in the DSN shows whether it leaks to the logs.
	password := "outage-pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	direct, _ := outageURL(t, password)
	dsn := mode.dsn(t, direct)

	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(dsn)
	cfg.DataDir = t.TempDir() // the demo's token file
	cfg.Store.LeaderCheckInterval = 250 * time.Millisecond
	log, logs := testlog.Text(slog.LevelInfo)
	t.Cleanup(func() {
		if t.Failed() {
			for _, line := range strings.Split(logs.String(), "\n") {
				if !strings.Contains(line, `msg="api request"`) && !strings.Contains(line, `msg="alert notification"`) {
					t.Log(line)
				}
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Demo: true, Listen: "127.0.0.1:0",
		Logger: log})
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	var runErr error
	done := make(chan struct{})
	go func() {
		runErr = d.Run(ctx)
		close(done)
	}()
	stop := sync.OnceValue(func() bool {
		cancel()
		select {
		case <-done:
			return true
		case <-time.After(45 * time.Second):
			return false
		}
	})
	t.Cleanup(func() { stop() }) // also when the test fails half-way
	base := "http://" + d.Addr()
	waitReady(t, base)
	token, _, err := tokens.Create(ctx, d.Store(), "outage-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	load := &outageLoad{base: base, token: token, firms: slices.Clone(d.State().Snap.IDs), client: client,
		day: time.Now().AddDate(0, 0, -1).Format("2006-01-02")}

	pollCtx, stopPoll := context.WithCancel(ctx)
	probes := outagePoll(pollCtx, client, base)
	loadCtx, stopLoad := context.WithCancel(ctx)
	workers := load.run(loadCtx, 4, 2)
	t.Cleanup(func() {
		stopLoad()
		workers.Wait()
		stopPoll()
		probes()
	})
	started := time.Now()
	outageWait(t, 30*time.Second, "ingests acknowledged before the outage", func() bool { return load.acked(started) >= 10 })

	w := mode.outage(t, direct)
	select {
	case <-done:
		t.Fatalf("Run returned during the outage: %v", runErr)
	default:
	}

	// Recovery without help: /readyz answers 200 again.
	recovered := outageWait(t, 30*time.Second, "/readyz back to 200", func() bool {
		return outageStatus(client, base+"/readyz") == http.StatusOK
	})
	// Leadership comes back (docs/operations.md: within 30 s), and with it scans and deliveries.
	leaderBack := outageWait(t, 30*time.Second, "leadership re-acquired", func() bool {
		return outageMetric(client, base, "chainrisk_leader") == "1"
	})
	outageWait(t, 30*time.Second, "ingests acknowledged after the outage", func() bool { return load.acked(w.up) >= 10 })
	stopLoad()
	workers.Wait()
	stopPoll()
	samples := probes()
	calls := load.snapshot()

	rescan := load.do("POST", "/api/v1/rescans", "application/json", `{"scope":"all"}`)
	if rescan.status != http.StatusAccepted || rescan.scanID == 0 {
		t.Fatalf("rescan after recovery: %d %s %v", rescan.status, rescan.code, rescan.err)
	}
	scanID := rescan.scanID
	outageWait(t, 60*time.Second, "rescan after recovery succeeded", func() bool {
		sc, err := d.Store().Scan(ctx, scanID)
		if err == nil && sc.Status == store.ScanFailed {
			t.Fatalf("rescan %d after recovery failed: %s", scanID, sc.Error)
		}
		return err == nil && sc.Status == store.ScanSucceeded
	})
	outageSevereEvent(t, ctx, load, d)
	outageDrained(t, d.Store())

	checked, lost, ambiguous := outageCheckRows(t, outageAdminURL(t, direct), calls, w.cut)
	outageCheckCalls(t, calls, w)
	to503, toFollower, to200, toLeader := outageCheckProbes(t, samples, w, recovered, leaderBack)

	select {
	case <-done:
		t.Fatalf("Run returned after the outage: %v", runErr)
	default:
	}
	if !stop() {
		t.Fatal("the daemon did not stop")
	}
	if runErr != nil {
		t.Errorf("Run: %v", runErr)
	}

	text := logs.String()
	if strings.Contains(text, password) || strings.Contains(text, dsn) {
		t.Error("the database password appears in the daemon's logs")
	}
	lostAt := strings.Index(text, "this replica is no longer the leader")
	wonAt := strings.LastIndex(text, "this replica is now the leader")
	if lostAt < 0 || wonAt < lostAt {
		t.Error("the logs do not show the leadership lost in the outage and won back after it")
	}

	during := map[string]int{}
	n := 0
	for _, c := range calls {
		if c.start.Before(w.up) && c.end.After(w.cut) {
			n++
			what := "read"
			if c.kind != "" {
				what = "ingest"
			}
			during[fmt.Sprintf("%s %d %s", what, c.status, c.code)]++
		}
	}
	switch m := mode.(type) {
	case *outageByProxy:
		t.Logf("proxy cut: %d backends terminated, %d proxied connections dropped", m.terminated, m.dropped)
	case *outageByRestart:
		t.Logf("pg_ctlcluster restart took %v", m.took.Round(time.Millisecond))
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	t.Logf("outage %v from the cut, server unreachable %v; readyz 503 %v after the cut, leader gauge 0 %v after the cut; "+
		"readyz 200 %v after the return, leader again %v after the return",
		ms(w.up.Sub(w.cut)), ms(w.up.Sub(w.down)), ms(to503), ms(toFollower),
		ms(to200), ms(toLeader))
	t.Logf("%d requests overlapped the outage: %v; %d requests in all", n, during, len(calls))
	t.Logf("acknowledged rows checked: %d, lost: %d; rows answered 503 yet committed: %d", checked, lost, ambiguous)
}

// outageDrained waits until the scan queue holds nothing queued or running: no scan
// was left behind as running, which nothing would ever finish.
func outageDrained(t *testing.T, st store.Store) {
	t.Helper()
	var left []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		scans, err := st.Scans(context.Background(), 1000)
		left = left[:0]
		for _, sc := range scans {
			if sc.Status == store.ScanRunning || sc.Status == store.ScanQueued {
				left = append(left, fmt.Sprintf("%d (%s, %s)", sc.ID, sc.Scope, sc.Status))
			}
		}
		if err == nil && len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scans still unfinished 30 s after the load: %v (%v)", left, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outageWait polls cond every 50 ms until it holds, failing after limit; it returns
// when it held.
func outageWait(t *testing.T, limit time.Duration, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Now()
}

func outageStatus(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// outageMetric is the value of an unlabelled series on /metrics ("" when absent).
func outageMetric(client *http.Client, base, name string) string {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// outageSevereEvent ingests a high-severity event after the recovery and waits for
// its alert to be delivered: the scan, the alert rules and the outbox worker run again.
func outageSevereEvent(t *testing.T, ctx context.Context, l *outageLoad, d *daemon.Daemon) {
	t.Helper()
	posted := time.Now().Truncate(time.Millisecond)
	firm := l.firms[len(l.firms)/2]
	row, _ := json.Marshal(map[string]any{"event_id": "OUTAGE-SEVERE", "uscc": firm, "type": "tax_arrears",
		"occurred_at": l.day, "source": "outage test", "amount": 1000000, "description": "after the outage"})
	c := l.do("POST", "/api/v1/events", "application/x-ndjson", string(row)+"\n")
	if c.status != http.StatusOK {
		t.Fatalf("severe event after recovery: %d %s %v", c.status, c.code, c.err)
	}
	outageWait(t, 30*time.Second, "severe_event alert delivered after recovery", func() bool {
		entries, err := d.Store().Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered, Limit: 1000})
		if err != nil {
			return false
		}
		msgs, err := testoutbox.DecodeAll(entries)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(msgs, func(m testoutbox.Message) bool {
			return m.Has(alerts.RuleSevereEvent, firm, notify.StatusFiring) && !m.CreatedAt.Before(posted)
		})
	})
}

// outageCheckRows reads the store directly (not through the proxy) and checks that
// every row of a batch answered 200 or 422 is there, and no rejected row is. It
// returns the acknowledged rows checked, those missing, and the rows of batches
// answered 503 during the outage that committed all the same (the commit raced the
// cut: allowed, the client retries and the batch is idempotent).
func outageCheckRows(t *testing.T, direct string, calls []outageCall, cut time.Time) (checked, lost, ambiguous int) {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, direct, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatalf("open the store directly: %v", err)
	}
	defer st.Close()
	held := map[string]bool{}
	if err := st.Events(ctx, store.EventFilter{}, func(e *credit.Event) error {
		held[e.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Enterprises(ctx, func(e *credit.Enterprise) error {
		held[e.USCC] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.kind == "" {
			continue
		}
		switch c.status {
		case http.StatusOK, http.StatusUnprocessableEntity:
			for _, k := range c.good {
				checked++
				if !held[k] {
					lost++
					t.Errorf("%s %s answered %d at %v but not in the store", c.kind, k, c.status, c.end.Sub(cut).Round(time.Millisecond))
				}
			}
			for _, k := range c.bad {
				if held[k] {
					t.Errorf("rejected row %s is in the store", k)
				}
			}
		default:
			n := 0
			for _, k := range c.good {
				if held[k] {
					n++
				}
			}
			if n > 0 {
				ambiguous += n
				t.Logf("%s batch answered %d %s %v after the cut (%v long) committed %d of its rows",
					c.kind, c.status, c.code, c.end.Sub(cut).Round(time.Millisecond), c.end.Sub(c.start).Round(time.Millisecond), n)
			}
		}
	}
	if checked == 0 {
		t.Error("no acknowledged rows to check")
	}
	return checked, lost, ambiguous
}

// outageCheckAnswer checks one answer of the load: there is one; a 503 says why
// and when to retry; no other 5xx; reads succeed unless refused; an acknowledged
// batch's summary matches what was sent. It reports whether the batch was
// acknowledged (200 or 422).
func outageCheckAnswer(t *testing.T, c outageCall, cut time.Time) (acked bool) {
	t.Helper()
	what := fmt.Sprintf("%s %s at %+v", map[bool]string{true: "POST", false: "GET"}[c.kind != ""], c.path,
		c.start.Sub(cut).Round(time.Millisecond))
	switch {
	case c.err != nil:
		t.Errorf("%s: no answer: %v", what, c.err)
	case c.status == http.StatusServiceUnavailable:
		if c.retryAfter == "" || c.code != "store_unavailable" {
			t.Errorf("%s: 503 with code %q, Retry-After %q", what, c.code, c.retryAfter)
		}
	case c.status >= 500:
		t.Errorf("%s: %d %s", what, c.status, c.code)
	case c.kind == "":
		if c.status != http.StatusOK {
			t.Errorf("%s: %d %s", what, c.status, c.code)
		}
	case c.status == http.StatusOK || c.status == http.StatusUnprocessableEntity:
		want := http.StatusOK
		if len(c.bad) > 0 {
			want = http.StatusUnprocessableEntity
		}
		if c.status != want || c.accepted != len(c.good) || c.rejected != len(c.bad) {
			t.Errorf("%s: %d accepted %d rejected %d, want %d with %d and %d", what, c.status, c.accepted,
				c.rejected, want, len(c.good), len(c.bad))
		}
		return true
	case c.status != http.StatusTooManyRequests:
		t.Errorf("%s: %d %s", what, c.status, c.code)
	}
	return false
}

// outageCheckCalls checks every answer of the load (outageCheckAnswer); requests
// entirely inside the window where nothing can commit are refused; ingests are
// acknowledged before and after the outage.
func outageCheckCalls(t *testing.T, calls []outageCall, w outageWindow) {
	t.Helper()
	var before, after, refused, inside int
	for _, c := range calls {
		if outageCheckAnswer(t, c, w.cut) {
			if c.end.Before(w.cut) {
				before++
			}
			if c.start.After(w.up) {
				after++
			}
		}
		if c.status == http.StatusServiceUnavailable && c.start.Before(w.up) && c.end.After(w.cut) {
			refused++
		}
		if c.kind != "" && c.start.After(w.down) && c.end.Before(w.until) {
			inside++
			if c.status != http.StatusServiceUnavailable && c.status != http.StatusTooManyRequests {
				t.Errorf("%s at %v: answered %d while the store was unreachable", c.path, c.start.Sub(w.cut).Round(time.Millisecond), c.status)
			}
		}
	}
	if before == 0 || after == 0 {
		t.Errorf("ingests acknowledged before the outage: %d, after it: %d; want some of each", before, after)
	}
	if refused == 0 {
		t.Error("no request was refused with 503 during the outage")
	}
	if w.until.Sub(w.down) > time.Second && inside == 0 {
		t.Error("no ingest was sent while the store was unreachable")
	}
}

// outageCheckProbes checks /readyz and /healthz: healthz always 200; readyz 503 soon
// after the cut and as long as the server was unreachable, then 200 by itself and
// for good; the leader gauge drops during the outage (the replica knows it no longer
// holds the lock). It returns the times from the cut to the first 503 and to the
// gauge's drop, and from the server's return to the first 200 and to the gauge's
// return (the waits' times when the polls had stopped before).
func outageCheckProbes(t *testing.T, probes []outageProbe, w outageWindow, recovered, leading time.Time) (to503, toFollower, to200, toLeader time.Duration) {
	t.Helper()
	var first503, first200, follower, leader time.Time
	for _, p := range probes {
		if p.healthy != http.StatusOK {
			t.Errorf("/healthz answered %d at %v", p.healthy, p.at.Sub(w.cut).Round(time.Millisecond))
		}
		if p.leaderFrom.After(w.cut) && p.leaderAt.Before(w.until) && p.leader == "0" && follower.IsZero() {
			follower = p.leaderAt
		}
		if p.leaderFrom.After(w.up) && p.leader == "1" && leader.IsZero() {
			leader = p.leaderAt
		}
		switch {
		case p.end.Before(w.cut):
			if p.ready != http.StatusOK {
				t.Errorf("/readyz %d before the outage", p.ready)
			}
		case p.ready == http.StatusServiceUnavailable && first503.IsZero():
			first503 = p.end
		case p.ready == http.StatusOK && p.at.After(w.up) && first200.IsZero():
			first200 = p.end
		}
		if !first503.IsZero() && p.end.Before(w.until) && p.ready != http.StatusServiceUnavailable {
			t.Errorf("/readyz answered %d during the outage, %v after the cut", p.ready, p.at.Sub(w.cut).Round(time.Millisecond))
		}
		if !first200.IsZero() && p.ready != http.StatusOK {
			t.Errorf("/readyz answered %d after it recovered, %v after the return", p.ready, p.at.Sub(w.up).Round(time.Millisecond))
		}
	}
	if first503.IsZero() || first503.After(w.up) {
		t.Fatal("/readyz never answered 503 during the outage")
	}
	if to503 = first503.Sub(w.cut); to503 > 5*time.Second {
		t.Errorf("/readyz went 503 %v after the cut, want within 5 s", to503)
	}
	if follower.IsZero() {
		t.Error("chainrisk_leader stayed 1 throughout the outage: the lost lock went unnoticed")
	}
	if first200.IsZero() {
		first200 = recovered
	}
	if leader.IsZero() {
		leader = leading
	}
	return to503, follower.Sub(w.cut), max(first200.Sub(w.up), 0), max(leader.Sub(w.up), 0)
}
