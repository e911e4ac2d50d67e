package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

// holdIngest makes the next ingest wait inside the backend until release is called;
// entered is closed once it waits.
func holdIngest(b *testBackend) (entered <-chan struct{}, release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.ingestHook = func() {
		once.Do(func() {
			close(in)
			<-out
		})
	}
	return in, func() { close(out) }
}

func TestConcurrencyLimits(t *testing.T) {
	h := newHarness(t, "sqlite", Options{HTTP: config.HTTPConfig{MaxConcurrentRequests: 2, MaxConcurrentIngests: 1}})
	entered, release := holdIngest(h.b)
	body := demoRow(t, credit.KindEnterprises)
	var wg sync.WaitGroup
	var first int
	wg.Go(func() {
		first = h.do(req{method: "POST", path: "/api/v1/enterprises", token: "ingest", ctype: "text/csv", body: body}).Code
	})
	<-entered
	// The ingest slot is taken: a second ingest is told to come back.
	w := h.do(req{method: "POST", path: "/api/v1/enterprises", token: "ingest", ctype: "text/csv", body: body})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || errorOf(t, w.Body.Bytes()).Code != codeTooManyIngests {
		t.Errorf("second ingest: %d %s %s", w.Code, w.Header(), w.Body)
	}
	// One request slot is left: reads go on.
	if w := h.do(req{method: "GET", path: "/api/v1/leaders", token: "analyst"}); w.Code != 200 {
		t.Errorf("read beside an ingest: %d", w.Code)
	}
	// A server with a single slot turns everything else away while the ingest runs.
	one := NewServer(h.b, Options{HTTP: config.HTTPConfig{MaxConcurrentRequests: 1}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	one.sem <- struct{}{}
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest("GET", "/api/v1/leaders", nil)
	hr.Header.Set("Authorization", "Bearer "+h.tokens["analyst"])
	one.ServeHTTP(rec, hr)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || errorOf(t, rec.Body.Bytes()).Code != codeOverloaded {
		t.Errorf("overloaded: %d %s %s", rec.Code, rec.Header(), rec.Body)
	}
	<-one.sem
	release()
	wg.Wait()
	if first != 200 {
		t.Errorf("held ingest: %d", first)
	}
	// Both slots are free again.
	if w := h.do(req{method: "POST", path: "/api/v1/enterprises", token: "ingest", ctype: "text/csv", body: body}); w.Code != 200 {
		t.Errorf("ingest after release: %d %s", w.Code, w.Body)
	}
}

func TestRequestTimeout(t *testing.T) {
	h := newHarness(t, "sqlite", Options{HTTP: config.HTTPConfig{RequestTimeout: time.Nanosecond}})
	w := h.do(req{method: "GET", path: "/api/v1/enterprises/" + h.leaderA, token: "admin"})
	if w.Code != http.StatusServiceUnavailable || errorOf(t, w.Body.Bytes()).Code != codeTimeout || w.Header().Get("Retry-After") == "" {
		t.Errorf("timed out request: %d %s", w.Code, w.Body)
	}
}

// notReady is a backend before its first scan.
type notReady struct{ *testBackend }

func (notReady) State() *monitor.State { return nil }

func TestNotReady(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	s := NewServer(notReady{h.b}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, path := range []string{"/api/v1/enterprises/" + h.leaderA, "/api/v1/leaders", "/api/v1/chains/" + h.leaderA,
		"/api/v1/enterprises?q=" + h.leaderA} {
		rec := httptest.NewRecorder()
		hr := httptest.NewRequest("GET", path, nil)
		hr.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
		s.ServeHTTP(rec, hr)
		if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec.Body.Bytes()).Code != codeNotReady {
			t.Errorf("%s before the first scan: %d %s", path, rec.Code, rec.Body)
		}
	}
	// Scans can be read before results exist.
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest("GET", "/api/v1/scans", nil)
	hr.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
	s.ServeHTTP(rec, hr)
	if rec.Code != 200 {
		t.Errorf("scans before the first scan: %d", rec.Code)
	}
}

// downStore fails every read, as a store whose database went away.
type downStore struct{ store.Store }

func (downStore) Enterprise(context.Context, string) (*credit.Enterprise, error) {
	return nil, io.ErrUnexpectedEOF
}

func (downStore) TokenByHash(context.Context, string) (*store.Token, error) {
	return nil, io.ErrUnexpectedEOF
}

type downBackend struct{ *testBackend }

func (b downBackend) Store() Store { return downStore{b.st} }

func TestStoreDown(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	s := NewServer(downBackend{h.b}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest("GET", "/api/v1/enterprises/"+h.leaderA, nil)
	hr.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
	s.ServeHTTP(rec, hr)
	if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec.Body.Bytes()).Code != codeStoreUnavailable ||
		strings.Contains(rec.Body.String(), "EOF") {
		t.Errorf("store down: %d %s", rec.Code, rec.Body)
	}
}

// TestStoreDownLogsOnce: a store outage fails every request, but the log gets one
// line per period, counting the ones it stands for.
func TestStoreDownLogsOnce(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var logs bytes.Buffer
	s := NewServer(downBackend{h.b}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 50 {
		rec := httptest.NewRecorder()
		hr := httptest.NewRequest("GET", "/api/v1/enterprises/"+h.leaderA, nil)
		hr.Header.Set("Authorization", "Bearer "+h.tokens["admin"])
		s.ServeHTTP(rec, hr)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("store down: %d", rec.Code)
		}
	}
	if n := strings.Count(logs.String(), "api request failed"); n != 1 {
		t.Errorf("%d failure lines for 50 failed requests within %v, want 1:\n%s", n, storeErrorEvery, logs.String())
	}
	var th logThrottle
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, credit.Shanghai)
	for i, c := range []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{{0, true, 0}, {time.Second, false, 0}, {9 * time.Second, false, 0}, {10 * time.Second, true, 2}, {11 * time.Second, false, 0}, {time.Minute, true, 1}} {
		n, ok := th.allow(t0.Add(c.at), 10*time.Second)
		if ok != c.ok || n != c.suppressed {
			t.Errorf("step %d at +%v: allow = %d, %v; want %d, %v", i, c.at, n, ok, c.suppressed, c.ok)
		}
	}
}

func TestTokenCacheAndRevocation(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, credit.Shanghai)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, "sqlite", Options{Now: clock, TokenCacheTTL: 5 * time.Second})
	ctx := context.Background()
	get := func() int { return h.do(req{method: "GET", path: "/api/v1/leaders", token: "analyst"}).Code }
	if c := get(); c != 200 {
		t.Fatalf("fresh token: %d", c)
	}
	// The use is recorded in the background.
	if used := lastUsed(t, h, "analyst"); !used.Equal(now) {
		t.Errorf("last used %v, want %v", used, now)
	}
	if err := h.b.st.RevokeToken(ctx, "analyst"); err != nil {
		t.Fatal(err)
	}
	if c := get(); c != 200 {
		t.Errorf("within the cache's lifetime: %d", c)
	}
	mu.Lock()
	now = now.Add(6 * time.Second)
	mu.Unlock()
	if c := get(); c != 401 {
		t.Errorf("after the cache's lifetime: %d, want 401", c)
	}
}

// lastUsed waits until the store records a use of token name, and returns it.
func lastUsed(t *testing.T, h *harness, name string) time.Time {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		toks, err := h.b.st.Tokens(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range toks {
			if tok.Name == name && !tok.LastUsedAt.IsZero() {
				return tok.LastUsedAt
			}
		}
	}
	t.Fatalf("no use of token %s recorded after 30 s", name)
	return time.Time{}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, "sqlite", Options{Registerer: reg})
	h.do(req{method: "GET", path: "/api/v1/leaders", token: "analyst"})
	h.do(req{method: "GET", path: "/api/v1/leaders", token: "bad"})
	h.do(req{method: "GET", path: "/api/v1/enterprises/" + h.leaderA, token: "analyst"})
	h.do(req{method: "GET", path: "/api/v1/nope/" + h.leaderA, token: "analyst"})
	for _, tc := range []struct {
		route, code string
		want        float64
	}{
		{"GET /api/v1/leaders", "200", 1},
		{"GET /api/v1/leaders", "401", 1},
		{"GET /api/v1/enterprises/{uscc}", "200", 1},
		{"unmatched", "404", 1},
	} {
		if got := testutil.ToFloat64(h.s.m.requests.WithLabelValues(tc.route, tc.code)); got != tc.want {
			t.Errorf("requests{route=%q,code=%q} = %v, want %v", tc.route, tc.code, got, tc.want)
		}
	}
	if got := testutil.ToFloat64(h.s.m.authFailures.WithLabelValues("unknown")); got != 1 {
		t.Errorf("auth failures (unknown) = %v", got)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// No series names a firm: routes are patterns.
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), h.leaderA) {
					t.Errorf("%s has a label naming a firm: %s", mf.GetName(), l.GetValue())
				}
			}
		}
	}
}

// Routes mounted with Handle get the same auth and roles, and the caller.
func TestHandleExtension(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	h.s.Handle("GET /api/v1/extension", []tokens.Role{tokens.RoleAnalyst, tokens.RoleTenant}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			WriteError(w, 500, "internal", "no principal")
			return
		}
		_, _ = io.WriteString(w, p.Name+" "+string(p.Role)+" "+strconv.FormatBool(p.Sees(h.leaderA))+","+strconv.FormatBool(p.Sees(h.leaderB)))
	}))
	for role, want := range map[string]string{
		"analyst": "analyst analyst true,true", "tenantB": "tenantB tenant true,true", "tenantA": "tenantA tenant true,false",
		"admin": "admin admin true,true",
	} {
		w := h.do(req{method: "GET", path: "/api/v1/extension?state=firing", token: role})
		if w.Code != 200 || w.Body.String() != want {
			t.Errorf("%s: %d %q, want %q", role, w.Code, w.Body, want)
		}
	}
	if w := h.do(req{method: "GET", path: "/api/v1/extension", token: "ingest"}); w.Code != 403 {
		t.Errorf("ingest: %d", w.Code)
	}
	if w := h.do(req{method: "GET", path: "/api/v1/extension"}); w.Code != 401 {
		t.Errorf("no token: %d", w.Code)
	}
}
