package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

func TestMain(m *testing.M) {
	code := m.Run()
	closeChainBench() // the benchmarks' store, shared by all of them
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testBackend is the daemon's part for the API tests: a real store holding the demo
// dataset, a real engine with the alert rules, ingest with an incremental scan, and
// synchronous rescans. Notifications stay in the outbox (no worker delivers them).
type testBackend struct {
	st     store.Store
	eng    *monitor.Engine
	alerts *alerts.Manager
	cfg    *config.Config
	clock  time.Time
	// ingestHook, when set, runs inside Ingest before the import (to hold a slot).
	ingestHook func()
}

func (b *testBackend) State() *monitor.State   { return b.eng.State() }
func (b *testBackend) Store() Store            { return b.st }
func (b *testBackend) Config() *config.Config  { return b.cfg }
func (b *testBackend) Alerts() *alerts.Manager { return b.alerts }

// Now is the clock of everything in the tests; with Sleep the backend is the alert
// pipeline's clock too.
func (b *testBackend) Now() time.Time { return b.clock }
func (b *testBackend) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *testBackend) validator() *credit.Validator {
	return &credit.Validator{Catalogue: b.cfg.Catalogue(), AcceptBadChecksums: b.cfg.Ingest.AcceptBadChecksums, Now: b.Now}
}

func (b *testBackend) Ingest(ctx context.Context, kind credit.Kind, format ingest.Format, body io.Reader, strict bool, trigger string) (ingest.Summary, error) {
	if b.ingestHook != nil {
		b.ingestHook()
	}
	sum, err := ingest.Import(ctx, b.st, []ingest.Input{{Kind: kind, Format: format, R: body}},
		ingest.ImportOptions{Strict: strict, Validator: b.validator(), MaxErrors: b.cfg.Ingest.MaxErrors})
	if err != nil || !sum.Committed || (sum.Changed == 0 && !sum.Applied.TouchedAll) {
		return sum, err
	}
	_, err = b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: sum.Applied.Touched,
		TouchedAll: sum.Applied.TouchedAll, Trigger: trigger})
	return sum, err
}

// Supply imports a tenant's own relations for its leader and runs the incremental
// scan, as Ingest.
func (b *testBackend) Supply(ctx context.Context, leader string, format ingest.Format, body io.Reader, strict bool, trigger string) (ingest.Summary, error) {
	sum, err := ingest.Import(ctx, b.st, []ingest.Input{{Kind: credit.KindRelations, Format: format, R: body}},
		ingest.ImportOptions{Strict: strict, Validator: b.validator(), MaxErrors: b.cfg.Ingest.MaxErrors,
			Source: leader, DefaultSalesShare: b.cfg.Onboarding.DefaultSalesShare})
	if err != nil || !sum.Committed || (sum.Changed == 0 && !sum.Applied.TouchedAll) {
		return sum, err
	}
	_, err = b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: sum.Applied.Touched,
		TouchedAll: sum.Applied.TouchedAll, Trigger: trigger})
	return sum, err
}

// Withdraw deletes a leader's own relation and runs the incremental scan.
func (b *testBackend) Withdraw(ctx context.Context, leader, supplier, trigger string) error {
	if err := b.st.WithdrawSupplied(ctx, leader, supplier); err != nil {
		return err
	}
	_, err := b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Touched: []string{leader, supplier}, Trigger: trigger})
	return err
}

// Rescan records the scan queued, runs it to the end, and answers the record as it
// was when queued: the daemon's answers before the scan starts.
func (b *testBackend) Rescan(ctx context.Context, scope, trigger string) (*store.Scan, error) {
	sc := &store.Scan{Kind: monitor.ScanFull, Scope: scope, Trigger: trigger, Status: store.ScanQueued}
	if err := b.st.CreateScan(ctx, sc); err != nil {
		return nil, err
	}
	queued := *sc
	if _, err := b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Scope: scope, Trigger: trigger, Scan: sc}); err != nil {
		return nil, err
	}
	return &queued, nil
}

// harness is one API over one store, with a token per role.
type harness struct {
	t       *testing.T
	b       *testBackend
	s       *Server
	mux     *http.ServeMux
	tokens  map[string]string // role name of the matrix → plain token
	leaderA string            // the soybean leader (tenant A)
	leaderB string            // the dairy leader (tenant B)
	all     []string          // every demo USCC
	scopeA  map[string]bool   // tenant A's chain
	scopeB  map[string]bool
	// secrets must never appear in an answer: do checks every one.
	secrets []string
}

// The config file's subscription of the harness: every alert to a webhook whose URL
// carries a key and which signs with a secret; neither may ever be served.
const (
	configSubscription = "ops-webhook"
	webhookURLKey      = "ROBOTKEY-7f3a9c"
	webhookSecret      = "WEBHOOK-SECRET-d41e8b"
	// The channel of the tenants' subscriptions (subscriptionBody).
	tenantHookKey    = "TENANTKEY-0c72e5"
	tenantHookSecret = "TENANT-SECRET-9b18fa"
)

const (
	soybeanLeader = "黑龙江松花江大豆产业集团股份有限公司"
	dairyLeader   = "齐齐哈尔鹤乡乳业集团股份有限公司"
	farmCompany   = "黑河兴安丰泽农业发展有限公司" // grade D, tier 2 of soybeans
)

// eachStore runs fn against the embedded store and PostgreSQL.
func eachStore(t *testing.T, opts Options, fn func(t *testing.T, h *harness)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) { fn(t, newHarness(t, kind, opts)) })
	}
}

func openStore(t *testing.T, kind string) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if kind == "postgres" {
		st, err = postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{MaxConns: 8})
	} else {
		st, err = sqlite.OpenDir(context.Background(), t.TempDir(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newHarness(t *testing.T, kind string, opts Options) *harness {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, kind)
	cfg := config.Default()
	sub := config.Subscription{Name: configSubscription, Subscriber: "risk-office", Scope: config.Scope{Kind: config.ScopeAll},
		Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret("https://hooks.example.com/notify?key=" + webhookURLKey),
			Secret: webhookSecret}}}
	if err := cfg.NormalizeSubscription(&sub); err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Subscriptions = []config.Subscription{sub}
	b := &testBackend{st: st, cfg: cfg, clock: demo.AnchorTime()}
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f})
	}
	sum, err := ingest.Import(ctx, st, inputs, ingest.ImportOptions{Strict: true, Validator: b.validator()})
	if err != nil || !sum.OK() {
		t.Fatalf("demo: %v %v", err, sum.Errors)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.eng = monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: quiet, Now: b.Now})
	// As with chainriskd -demo, the first scan announces its alerts: the outbox has
	// deliveries to list.
	b.alerts = alerts.NewManager(alerts.ManagerOptions{Store: st, Config: func() *config.Config { return b.cfg },
		Logger: quiet, Clock: b, AnnounceFirst: true})
	b.eng.Observe(b.alerts.Observe)
	if _, err := b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.Now == nil {
		opts.Now = b.Now // the alert pipeline's clock, as in the daemon
	}
	h := &harness{t: t, b: b, s: NewServer(b, opts), mux: http.NewServeMux(), tokens: map[string]string{},
		secrets: []string{webhookURLKey, webhookSecret, tenantHookKey, tenantHookSecret}}
	h.s.Register(h.mux)

	state := b.State()
	h.indexDemo(state)
	if h.leaderA == "" || h.leaderB == "" {
		t.Fatal("demo leaders not found")
	}
	h.scopeA, h.scopeB = h.chainSet(h.leaderA), h.chainSet(h.leaderB)
	for _, tc := range []struct {
		name, role, leader string
	}{
		{"admin", "admin", ""}, {"ingest", "ingest", ""}, {"analyst", "analyst", ""},
		{"tenantA", "tenant", h.leaderA}, {"tenantB", "tenant", h.leaderB}, {"revoked", "analyst", ""},
	} {
		plain, _, err := tokens.Create(ctx, st, tc.name, tokens.Role(tc.role), tc.leader)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[tc.name] = plain
	}
	if err := st.RevokeToken(ctx, "revoked"); err != nil {
		t.Fatal(err)
	}
	h.tokens["none"] = ""
	h.tokens["bad"] = tokens.Prefix + strings.Repeat("x", 43)
	return h
}

// chainSet is the set of USCCs of a firm's chain with the config's depths.
func (h *harness) chainSet(uscc string) map[string]bool {
	st := h.b.State()
	v, _ := st.Index(uscc)
	ch, err := st.Snap.Chain(v, graph.ChainOptions{DepthUp: h.b.cfg.Chain.DepthUp, DepthDown: h.b.cfg.Chain.DepthDown})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ch.Members {
		out[m.ID] = true
	}
	return out
}

// firm returns the USCC of the demo firm called name.
func (h *harness) firm(name string) string {
	st := h.b.State()
	for v, f := range st.Firms {
		if f.Name == name {
			return st.Snap.IDs[v]
		}
	}
	h.t.Fatalf("no demo firm %s", name)
	return ""
}

// req is one request to send.
type req struct {
	method, path string
	token        string // a key of harness.tokens
	body         string
	ctype        string
	header       map[string]string
}

func (h *harness) do(r req) *httptest.ResponseRecorder {
	h.t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.body == "" {
		hr = httptest.NewRequest(r.method, r.path, nil)
	}
	if tok := h.tokens[r.token]; tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, hr)
	for _, secret := range h.secrets {
		if strings.Contains(w.Body.String(), secret) {
			h.t.Errorf("%s %s as %s: the answer holds the secret %q", r.method, r.path, r.token, secret)
		}
	}
	return w
}

// get sends a GET as admin and decodes a 200 answer.
func (h *harness) get(path string, into any) {
	h.t.Helper()
	h.call(req{method: "GET", path: path, token: "admin"}, http.StatusOK, into)
}

// call sends r, wants status, and decodes the JSON answer into into (when non-nil).
func (h *harness) call(r req, status int, into any) *httptest.ResponseRecorder {
	h.t.Helper()
	w := h.do(r)
	if w.Code != status {
		h.t.Fatalf("%s %s as %s: status %d, want %d: %s", r.method, r.path, r.token, w.Code, status, w.Body.String())
	}
	if into != nil {
		if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
			h.t.Fatalf("%s %s: %v: %s", r.method, r.path, err, w.Body.String())
		}
	}
	return w
}

// demoRow returns the header and the first row of a demo file, as CSV.
func demoRow(t *testing.T, k credit.Kind) string {
	t.Helper()
	f, err := demo.Open(k)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows[:2])
	return buf.String()
}

// indexDemo lists every firm of state in h.all and finds the two demo leaders.
func (h *harness) indexDemo(state *monitor.State) {
	for v, f := range state.Firms {
		id := state.Snap.IDs[v]
		h.all = append(h.all, id)
		switch f.Name {
		case soybeanLeader:
			h.leaderA = id
		case dairyLeader:
			h.leaderB = id
		}
	}
}
