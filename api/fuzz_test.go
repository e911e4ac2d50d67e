package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

// The fuzz targets drive the whole handler stack (auth, limits, routing, decoding, the
// handler, the store) with arbitrary bodies and parameters. Whatever the input, the
// answer is never a 5xx (the backend is up), an error is the envelope of api/openapi.json, a
// success has the document's shape, the server keeps serving, and no goroutine
// outlives the request; each target adds what its endpoint promises. The seed corpora
// are the f.Add calls below and testdata/fuzz/Fuzz*.
//
// A request that writes makes the next one take other paths, so the targets that
// write find new coverage often, and minimizing each such input (60 s by default)
// takes most of a short run: -fuzzminimizetime 0, or a count such as 100x, keeps the
// fuzzer exploring.

// fuzzQuiet discards the server's logs: a fuzzer sends millions of requests.
var fuzzQuiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newFuzzHarness is newHarness for a fuzz target, which has no *testing.T to give it:
// the demo dataset in an embedded store, scanned, its alerts announced to the config
// file's webhook subscription, a silence, a subscription of tenant A's, and a token
// per role. Each input runs on what the earlier ones left, so the invariants checked
// must hold whatever the state.
func newFuzzHarness(f *testing.F) *harness {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	cfg := config.Default()
	sub := config.Subscription{Name: configSubscription, Subscriber: "risk-office", Scope: config.Scope{Kind: config.ScopeAll},
		Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret("https://hooks.example.com/notify?key=" + webhookURLKey),
			Secret: webhookSecret}}}
	if err := cfg.NormalizeSubscription(&sub); err != nil {
		f.Fatal(err)
	}
	cfg.Alerts.Subscriptions = []config.Subscription{sub}
	// A clock finer than the store's milliseconds: an answer must show what was stored.
	b := &testBackend{st: st, cfg: cfg, clock: demo.AnchorTime().Add(123456789)}
	for _, k := range credit.Kinds {
		fuzzImport(f, st, b, k, fuzzDemoRows(f, k))
	}
	b.eng = monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg), Logger: fuzzQuiet, Now: b.Now})
	b.alerts = alerts.NewManager(alerts.ManagerOptions{Store: st, Config: func() *config.Config { return b.cfg },
		Logger: fuzzQuiet, Clock: b, AnnounceFirst: true})
	b.eng.Observe(b.alerts.Observe)
	if _, err := b.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		f.Fatal(err)
	}
	h := &harness{b: b, s: NewServer(fuzzQueuedRescans{b}, Options{Logger: fuzzQuiet, Now: b.Now}), mux: http.NewServeMux(),
		tokens: map[string]string{}, secrets: []string{webhookURLKey, webhookSecret}}
	h.s.Register(h.mux)
	state := b.State()
	h.indexDemo(state)
	for _, tc := range []struct{ name, role, leader string }{
		{"admin", "admin", ""}, {"ingest", "ingest", ""}, {"analyst", "analyst", ""}, {"tenantA", "tenant", h.leaderA},
	} {
		if h.tokens[tc.name], _, err = tokens.Create(ctx, st, tc.name, tokens.Role(tc.role), tc.leader); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := b.alerts.CreateSilence(ctx, alerts.SilenceInput{CreatedBy: "fixture", EndsAt: b.clock.Add(time.Hour),
		Matchers: []store.SilenceMatcher{{Name: alerts.LabelRule, Op: alerts.OpEqual, Value: alerts.RuleStaleData}}}); err != nil {
		f.Fatal(err)
	}
	var tenantSub config.Subscription
	if err := json.Unmarshal([]byte(subscriptionBody(fuzzTenantSubscription, h.leaderA)), &tenantSub); err != nil {
		f.Fatal(err)
	}
	if _, err := b.alerts.CreateSubscription(ctx, h.leaderA, tenantSub); err != nil {
		f.Fatal(err)
	}
	return h
}

// fuzzTenantSubscription is tenant A's subscription in newFuzzHarness.
const fuzzTenantSubscription = "sub-a"

// fuzzQueuedRescans answers rescans as the daemon does before its scanner picks them
// up: recorded and queued. Running each would cost a full scan per input.
type fuzzQueuedRescans struct{ *testBackend }

func (b fuzzQueuedRescans) Rescan(ctx context.Context, scope, trigger string) (*store.Scan, error) {
	sc := &store.Scan{Kind: monitor.ScanFull, Scope: scope, Trigger: trigger, Status: store.ScanQueued}
	return sc, b.st.CreateScan(ctx, sc)
}

// fuzzTokens are the callers an input picks from by number.
var fuzzTokens = []string{"admin", "analyst", "tenantA", "ingest"}

func fuzzToken(who uint8) string { return fuzzTokens[int(who)%len(fuzzTokens)] }

// fuzzCall sends one request of an input and checks the answer (fuzzCheckAnswer),
// that the server still answers, and that no goroutine the request started outlives
// it. It returns nil for a target no HTTP server would take, and the pattern of the
// route that served the request ("" when none did).
func (h *harness) fuzzCall(t *testing.T, method, target, token, ctype string, body []byte, chunked bool) (*httptest.ResponseRecorder, string) {
	t.Helper()
	h.t = t
	if h.scopeA == nil && h.leaderA != "" {
		h.scopeA = h.chainSet(h.leaderA)
	}
	goroutines := runtime.NumGoroutine()
	hr := fuzzRequest(h, method, target, token, ctype, body, chunked)
	if hr == nil {
		return nil, ""
	}
	_, pattern := h.s.mux.Handler(hr)
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, hr)
	fuzzCheckAnswer(t, pattern, w)
	for _, secret := range h.secrets {
		if strings.Contains(w.Body.String(), secret) {
			t.Fatalf("%s %s: the answer holds the secret %q", method, target, secret)
		}
	}
	after := httptest.NewRecorder()
	h.mux.ServeHTTP(after, fuzzRequest(h, "GET", "/api/v1/scans?limit=1", "ingest", "", nil, false))
	if after.Code != http.StatusOK {
		t.Fatalf("after the input, GET /api/v1/scans: %d %s", after.Code, after.Body)
	}
	fuzzCheckGoroutines(t, goroutines)
	return w, pattern
}

// fuzzRequest builds a request as a client could send it: the target goes in raw (it
// is not escaped), the body's length announced or (chunked) not. It returns nil for a
// target that is no request URI (a server answers those itself).
func fuzzRequest(h *harness, method, target, token, ctype string, body []byte, chunked bool) *http.Request {
	if strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length
	}
	hr := httptest.NewRequest(method, "/", r)
	hr.URL, hr.RequestURI = u, target
	switch {
	case chunked:
		hr.ContentLength = -1
	case len(body) == 0:
		hr.Body, hr.ContentLength = http.NoBody, 0
	}
	if tok := h.tokens[token]; tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	return hr
}

// fuzzCheckAnswer checks what holds for every answer: no 5xx (the backend is up); an
// error in the envelope; a success, or an ingest summary, in the document's shape for
// the route; a redirect (the ServeMux's, to a clean path) with its Location.
func fuzzCheckAnswer(t *testing.T, pattern string, w *httptest.ResponseRecorder) {
	t.Helper()
	body := w.Body.Bytes()
	ct := w.Header().Get("Content-Type")
	switch {
	case w.Code >= 500:
		t.Fatalf("%s: status %d: %s", pattern, w.Code, body)
	case w.Code == http.StatusNoContent:
		if len(body) != 0 {
			t.Fatalf("%s: 204 with a body: %q", pattern, body)
		}
	case w.Code >= 300 && w.Code < 400:
		if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/api/v1/") {
			t.Fatalf("%s: redirect %d to %q", pattern, w.Code, loc)
		}
	case pattern == "GET /api/v1/chains/{leader}/graph" && strings.HasPrefix(ct, mediaDOT):
		if w.Code != http.StatusOK || !bytes.Contains(body, []byte("digraph {")) {
			t.Fatalf("%s: %d %s: %.200q", pattern, w.Code, ct, body)
		}
	case !strings.HasPrefix(ct, mediaJSON):
		t.Fatalf("%s: status %d with Content-Type %q: %.300q", pattern, w.Code, ct, body)
	case w.Code < 300 || w.Code == http.StatusUnprocessableEntity && fuzzIngestRoute(pattern):
		if errs := conformance(t, pattern, w.Code, body); len(errs) > 0 {
			t.Fatalf("%s %d: %s\nanswer: %.1000s", pattern, w.Code, strings.Join(errs, "\n"), body)
		}
	default:
		fuzzCheckEnvelope(t, pattern, w)
	}
}

// fuzzCheckEnvelope checks that an error answer is exactly the envelope
// {"error": {"code", "message", "details"}}.
func fuzzCheckEnvelope(t *testing.T, pattern string, w *httptest.ResponseRecorder) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	var e struct {
		Error struct {
			Code    *string   `json:"code"`
			Message *string   `json:"message"`
			Details *[]string `json:"details"`
		} `json:"error"`
	}
	if err := dec.Decode(&e); err != nil || dec.More() || e.Error.Code == nil || *e.Error.Code == "" ||
		e.Error.Message == nil || *e.Error.Message == "" || e.Error.Details == nil {
		t.Fatalf("%s: status %d is not in the error envelope (%v): %.300q", pattern, w.Code, err, w.Body)
	}
}

// fuzzIngestRoute reports whether pattern is an ingest endpoint's, which answers 422
// with its summary rather than an error.
func fuzzIngestRoute(pattern string) bool {
	for _, k := range credit.Kinds {
		if pattern == "POST /api/v1/"+string(k) {
			return true
		}
	}
	return false
}

// fuzzCheckGoroutines waits for the goroutines a request started to end: it fails
// when more than base are still running after a while.
func fuzzCheckGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the input:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// fuzzBody is fuzzCall for a body sent to pattern's route: it fails when the request
// did not reach it.
func (h *harness) fuzzBody(t *testing.T, pattern, target, token, ctype string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	method, _, _ := strings.Cut(pattern, " ")
	w, served := h.fuzzCall(t, method, target, token, ctype, body, false)
	if served != pattern {
		t.Fatalf("%s %s is served by %q", method, target, served)
	}
	return w
}

// fuzzCtypes are the Content-Types an input picks from: JSON most often.
var fuzzCtypes = []string{mediaJSON, "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain", "",
	"application/json;;", mediaJSON}

func fuzzCtype(n uint8) string { return fuzzCtypes[int(n)%len(fuzzCtypes)] }

// FuzzRescanBody posts a rescan. A 202 names the scan queued for the scope asked
// for, which GET /api/v1/rescans/{id} then shows.
func FuzzRescanBody(f *testing.F) {
	h := newFuzzHarness(f)
	for _, body := range []string{`{"scope":"all"}`, `{"scope":"chain:` + h.leaderA + `"}`, `{"scope":"enterprise:` + h.leaderB + `"}`,
		`{"scope":"chain:` + validUnknown() + `"}`, `{"scope":"everything"}`, `{}`, `{"scope":"chain:123"}`, `{"scope":"all"}{}`,
		`{"scope":`, `{"scope":"enterprise:91230100MA1ABCDEIO"}`, `{"scope":7}`, `[]`, `null`, ``, `{"scope":"all","x":1}`} {
		f.Add([]byte(body), uint8(0), uint8(0))
	}
	f.Add([]byte(`{"scope":"all"}`), uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, ctype, who uint8) {
		token := fuzzToken(who)
		w := h.fuzzBody(t, "POST /api/v1/rescans", "/api/v1/rescans", token, fuzzCtype(ctype), body)
		if w.Code != http.StatusAccepted {
			return
		}
		var in rescanRequest
		var out rescanJSON
		if err := json.Unmarshal(body, &in); err != nil || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("202 for %q: %v: %s", body, err, w.Body)
		}
		if out.ID <= 0 || out.Status != store.ScanQueued || out.Scope != in.Scope || out.Trigger != "api:"+token ||
			w.Header().Get("Location") != fmt.Sprintf("/api/v1/rescans/%d", out.ID) {
			t.Fatalf("202 for %q: %s, Location %q", body, w.Body, w.Header().Get("Location"))
		}
		r, _ := h.fuzzCall(t, "GET", fmt.Sprintf("/api/v1/rescans/%d", out.ID), "analyst", "", nil, false)
		var sc scanJSON
		if err := json.Unmarshal(r.Body.Bytes(), &sc); r.Code != http.StatusOK || err != nil || sc.Scope != in.Scope {
			t.Fatalf("the scan of %q: %d %s", body, r.Code, r.Body)
		}
	})
}

// FuzzChecksBody posts an investment-attraction check. A 200 reports on exactly the
// firms asked about, in order, with a verdict its reasons explain.
func FuzzChecksBody(f *testing.F) {
	h := newFuzzHarness(f)
	farm := h.firm(farmCompany)
	for _, body := range []string{
		`{"uscc":"` + h.leaderB + `","shareholders":["` + validUnknown() + `"]}`,
		`{"uscc":"` + h.leaderB + `","investees":["` + farm + `"]}`,
		`{"uscc":"` + h.leaderB + `","shareholders":["` + farm + `"]}`,
		`{"uscc":"` + validUnknown() + `"}`,
		`{"uscc":"` + farm + `","shareholders":["` + farm + `","bad"],"investees":["x"]}`,
		`{"investees":[]}`, `{"uscc":`, `{"usc":"x"}`, `{"uscc":null,"shareholders":null}`, `{"uscc":["x"]}`, `""`,
	} {
		f.Add([]byte(body), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype uint8) {
		w := h.fuzzBody(t, "POST /api/v1/checks", "/api/v1/checks", "analyst", fuzzCtype(ctype), body)
		if w.Code != http.StatusOK {
			return
		}
		var in checkRequest
		var out struct {
			Verdict      string
			Reasons      []string
			Target       struct{ USCC string }
			Shareholders []struct{ USCC string }
			Investees    []struct{ USCC string }
		}
		if err := json.Unmarshal(body, &in); err != nil || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("200 for %q: %v: %s", body, err, w.Body)
		}
		usccs := func(firms []struct{ USCC string }) []string {
			out := []string{}
			for _, f := range firms {
				out = append(out, f.USCC)
			}
			return out
		}
		if out.Target.USCC != in.USCC || !slices.Equal(usccs(out.Shareholders), in.Shareholders) ||
			!slices.Equal(usccs(out.Investees), in.Investees) ||
			!slices.Contains([]string{VerdictPass, VerdictCaution, VerdictReject}, out.Verdict) ||
			(out.Verdict == VerdictPass) != (len(out.Reasons) == 0) {
			t.Fatalf("200 for %q: %s", body, w.Body)
		}
	})
}

// FuzzStressBody posts a stress test, as an analyst or as tenant A. A 200 lists at
// most top firms, each with distress in [0, 1]; a tenant's names its chain's firms
// only.
func FuzzStressBody(f *testing.F) {
	h := newFuzzHarness(f)
	farm := h.firm(farmCompany)
	for _, body := range []string{
		`{"shocks":[{"uscc":"` + farm + `"}],"top":5}`, `{"shocks":[{"uscc":"` + farm + `","psi":0.5}]}`,
		`{"shocks":[{"uscc":"` + h.leaderA + `","psi":1},{"uscc":"` + h.leaderB + `","psi":0}],"top":0}`,
		`{"shocks":[]}`, `{"shocks":[}`, `{"shocks":"x"}`, `{"shocks":[{"uscc":"` + farm + `","psi":2}]}`,
		`{"shocks":[{"uscc":"` + farm + `"},{"uscc":"` + farm + `"}]}`, `{"shocks":[{"uscc":"` + farm + `"}],"top":5000}`,
		`{"shocks":[{"uscc":"` + validUnknown() + `"}]}`, `{"shocks":[{"uscc":"` + farm + `","psi":-0}],"top":-1}`,
		`{"shocks":[{"uscc":"` + farm + `","psi":1e-320}],"top":1.5}`, `{}`,
	} {
		f.Add([]byte(body), uint8(0), false)
		f.Add([]byte(body), uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype uint8, tenant bool) {
		token, scope := "analyst", "all"
		if tenant {
			token, scope = "tenantA", "chain"
		}
		w := h.fuzzBody(t, "POST /api/v1/stress", "/api/v1/stress", token, fuzzCtype(ctype), body)
		if w.Code != http.StatusOK {
			return
		}
		var in stressRequest
		var out stressJSON
		if err := json.Unmarshal(body, &in); err != nil || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("200 for %q: %v: %s", body, err, w.Body)
		}
		top := defaultTop
		if in.Top != nil {
			top = *in.Top
		}
		if out.Scope != scope || len(out.Top) > top ||
			len(out.Shocks) != len(in.Shocks) || !(out.R >= 0) || math.IsInf(out.R, 0) || out.Defaults < 0 || out.Defaults > out.Firms {
			t.Fatalf("200 for %q: %s", body, w.Body)
		}
		for _, im := range out.Top {
			if !(im.H >= 0 && im.H <= 1) || tenant && !h.scopeA[im.USCC] {
				t.Fatalf("200 for %q as %s: %+v", body, token, im)
			}
		}
	})
}

// FuzzSilenceBody posts a silence. A 201 is the silence made, by the token, ending
// after it starts, which GET /api/v1/silences/{id} then shows.
func FuzzSilenceBody(f *testing.F) {
	h := newFuzzHarness(f)
	until := h.b.clock.Add(24 * time.Hour).Format(time.RFC3339)
	for _, body := range []string{
		`{"matchers":[{"name":"rule","op":"=","value":"severe_event"}],"duration":"2h","comment":"maintenance"}`,
		`{"matchers":[{"name":"uscc","op":"=~","value":"9123.*"}],"ends_at":"` + until + `"}`,
		`{"matchers":[{"name":"leader","op":"!=","value":"` + h.leaderA + `"}],"starts_at":"2027-01-01T00:00:00+08:00","duration":"1d12h"}`,
		`{"matchers":[],"duration":"1h"}`, `{"matchers":[{"name":"rule","op":"~","value":"x"}],"duration":"1h"}`,
		`{"matchers":[{"name":"colour","op":"=","value":"x"}],"duration":"1h"}`,
		`{"matchers":[{"name":"rule","op":"=~","value":"("}],"duration":"1h"}`,
		`{"matchers":[{"name":"rule","op":"=","value":"x"}],"ends_at":"2020-01-01T00:00:00Z"}`,
		`{"matchers":[{"name":"rule","op":"=","value":"x"}]}`, `{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"-1h"}`,
		`{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"1h","ends_at":"` + until + `"}`,
		`{"matchers":[{"name":"rule","op":"=","value":"x"}],"duration":"1h","created_by":"someone"}`,
		`{"matchers":[{"name":"rule","op":"=","value":"x"}],"starts_at":"0000-01-01T00:00:00Z","ends_at":"` + until + `"}`,
	} {
		f.Add([]byte(body), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype uint8) {
		w := h.fuzzBody(t, "POST /api/v1/silences", "/api/v1/silences", "analyst", fuzzCtype(ctype), body)
		if w.Code != http.StatusCreated {
			return
		}
		var sl silenceJSON
		if err := json.Unmarshal(w.Body.Bytes(), &sl); err != nil || sl.ID == "" || sl.CreatedBy != "analyst" ||
			!sl.EndsAt.After(sl.StartsAt) || w.Header().Get("Location") != "/api/v1/silences/"+sl.ID {
			t.Fatalf("201 for %q: %v: %s, Location %q", body, err, w.Body, w.Header().Get("Location"))
		}
		r, _ := h.fuzzCall(t, "GET", "/api/v1/silences/"+url.PathEscape(sl.ID), "analyst", "", nil, false)
		if r.Code != http.StatusOK || !bytes.Equal(r.Body.Bytes(), w.Body.Bytes()) {
			t.Fatalf("silence %s: %d %s, created as %s", sl.ID, r.Code, r.Body, w.Body)
		}
	})
}

// FuzzSubscriptionBody posts a subscription, or puts one under a name, as an admin or
// tenant A. A 2xx is what GET /api/v1/subscriptions/{name} then shows; it never shows
// a channel's URL or secret in full, and a tenant's subscription stays in its chain.
func FuzzSubscriptionBody(f *testing.F) {
	h := newFuzzHarness(f)
	farm := h.firm(farmCompany)
	for _, body := range []string{
		subscriptionBody("soy-chain", h.leaderA), subscriptionBody("", h.leaderA), subscriptionBody("other", h.leaderB),
		`{"name":"soy-watch","subscriber":"x","scope":{"kind":"watchlist","usccs":["` + h.leaderA + `","` + farm + `"]},"channels":[{"type":"log"}]}`,
		`{"name":"x","subscriber":"x","scope":{"kind":"chain","leader":"` + h.leaderA + `","depth_up":4},"channels":[{"type":"log"}]}`,
		`{"name":"x","subscriber":"x","scope":{"kind":"all"},"channels":[{"type":"log"}]}`,
		`{"name":"bad name!","subscriber":"","scope":{"kind":"chain","leader":"` + h.leaderA + `"},"channels":[]}`,
		strings.Replace(subscriptionBody("x", h.leaderA), tenantHookSecret, config.Redacted, 1),
		`{"name":"am","subscriber":"x","scope":{"kind":"chain","leader":"` + h.leaderA + `"},"rules":["chain_risk"],"language":"en",` +
			`"channels":[{"type":"alertmanager","urls":["http://am.example.com:9093","https://hooks.example.com/<redacted>"]}]}`,
		`{"subscriber":"x","scope":{"kind":"chain","leader":"` + h.leaderA + `","depth_up":-1,"depth_down":99},"channels":[{"type":"dingtalk","url":"x","secret":"y"}]}`,
	} {
		for _, put := range []bool{false, true} {
			for _, tenant := range []bool{false, true} {
				f.Add(put, tenant, fuzzTenantSubscription, []byte(body), uint8(0))
			}
		}
	}
	f.Add(true, false, configSubscription, []byte(subscriptionBody("", h.leaderA)), uint8(0))
	f.Add(true, false, "no such/sub", []byte(subscriptionBody("", h.leaderA)), uint8(0))
	depths := h.b.cfg.Chain
	f.Fuzz(func(t *testing.T, put, tenant bool, name string, body []byte, ctype uint8) {
		token := "admin"
		if tenant {
			token = "tenantA"
		}
		var w *httptest.ResponseRecorder
		if put {
			w, _ = h.fuzzCall(t, "PUT", "/api/v1/subscriptions/"+url.PathEscape(name), token, fuzzCtype(ctype), body, false)
		} else {
			w = h.fuzzBody(t, "POST /api/v1/subscriptions", "/api/v1/subscriptions", token, fuzzCtype(ctype), body)
		}
		if w == nil || w.Code >= 300 {
			return
		}
		var sub alerts.Subscription
		if err := json.Unmarshal(w.Body.Bytes(), &sub); err != nil {
			t.Fatalf("%d for %q: %v: %s", w.Code, body, err, w.Body)
		}
		r, _ := h.fuzzCall(t, "GET", "/api/v1/subscriptions/"+url.PathEscape(sub.Name), token, "", nil, false)
		if r.Code != http.StatusOK || !bytes.Equal(r.Body.Bytes(), w.Body.Bytes()) {
			t.Fatalf("subscription %q: %d %s, answered %s", sub.Name, r.Code, r.Body, w.Body)
		}
		for _, ch := range sub.Channels {
			for _, v := range append([]config.Secret{ch.URL, ch.Secret}, ch.URLs...) {
				if s := v.Reveal(); s != "" && !strings.HasSuffix(s, config.Redacted) {
					t.Fatalf("%d for %q shows a channel value: %s", w.Code, body, w.Body)
				}
			}
		}
		if !tenant && sub.Owner == "" {
			return
		}
		// A tenant's subscription, whoever made or edited it: the tenant's, in its chain.
		sc := sub.Scope
		if sub.Owner != h.leaderA || sc.Kind == config.ScopeAll || sc.Kind == config.ScopeChain &&
			(sc.Leader != h.leaderA || sc.DepthUp == nil || *sc.DepthUp > depths.DepthUp || sc.DepthDown == nil || *sc.DepthDown > depths.DepthDown) ||
			slices.ContainsFunc(sc.USCCs, func(u string) bool { return !h.scopeA[u] }) {
			t.Fatalf("%d for %q as %s: a tenant's subscription beyond its chain: %s", w.Code, body, token, w.Body)
		}
	})
}

// FuzzAckBody acknowledges an alert, with or without a body, its length announced
// or not. An empty body is no body; a 200 is the alert asked about, acknowledged.
func FuzzAckBody(f *testing.F) {
	h := newFuzzHarness(f)
	list, err := h.b.alerts.Alerts(context.Background(), alerts.AlertQuery{State: store.AlertFiring, Limit: 1})
	if err != nil || len(list) == 0 {
		f.Fatalf("no firing alert: %v", err)
	}
	id := list[0].ID
	for _, body := range []string{`{"comment":"called the supplier"}`, ``, `{}`, `{"comment":1}`, `{"by":"someone else"}`,
		`{"comment":"` + strings.Repeat("x", maxComment+1) + `"}`, `{"comment":null}`, `null`} {
		for _, chunked := range []bool{false, true} {
			f.Add(id, []byte(body), uint8(0), chunked, uint8(0))
		}
	}
	f.Add("nope", []byte(``), uint8(0), false, uint8(2))
	f.Add(id, []byte(`{}`), uint8(3), false, uint8(1))
	f.Fuzz(func(t *testing.T, alert string, body []byte, ctype uint8, chunked bool, who uint8) {
		token := fuzzToken(who)
		w, _ := h.fuzzCall(t, "POST", "/api/v1/alerts/"+url.PathEscape(alert)+"/ack", token, fuzzCtype(ctype), body, chunked)
		if w == nil {
			return
		}
		if len(body) == 0 && (w.Code == http.StatusBadRequest || w.Code == http.StatusUnsupportedMediaType) {
			t.Fatalf("an empty body (chunked: %v) is no body, yet: %d %s", chunked, w.Code, w.Body)
		}
		if w.Code != http.StatusOK {
			return
		}
		var a alerts.Alert
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.ID != alert || a.AckedBy == "" || a.AckedAt.IsZero() {
			t.Fatalf("200 for %q on %q: %v: %s", body, alert, err, w.Body)
		}
	})
}

// fuzzQueryRoutes are the routes that take path or query parameters; "{}" is where
// the path parameter goes.
var fuzzQueryRoutes = []struct{ method, path string }{
	{"GET", "/api/v1/enterprises/{}"},
	{"GET", "/api/v1/enterprises/{}/events"},
	{"GET", "/api/v1/chains/{}"},
	{"GET", "/api/v1/chains/{}/graph"},
	{"GET", "/api/v1/leaders"},
	{"GET", "/api/v1/esri"},
	{"GET", "/api/v1/rescans/{}"},
	{"GET", "/api/v1/scans"},
	{"GET", "/api/v1/alerts"},
	{"GET", "/api/v1/alerts/{}"},
	{"GET", "/api/v1/silences"},
	{"GET", "/api/v1/silences/{}"},
	{"DELETE", "/api/v1/silences/{}"},
	{"GET", "/api/v1/subscriptions"},
	{"GET", "/api/v1/subscriptions/{}"},
	{"DELETE", "/api/v1/subscriptions/{}"},
	{"GET", "/api/v1/deliveries"},
	// Without a body or its type: the strict parameter is read, nothing imported.
	{"POST", "/api/v1/events"},
	{"GET", "/api/v1/enterprises/{}/history"},
	{"GET", "/api/v1/chains/{}/history"},
	{"GET", "/api/v1/enterprises{}"}, // the search: {} is empty or a suffix of the path
	{"GET", "/api/v1/feedback"},
}

// FuzzQuery sends a route's path parameter and query string as they come, as any of
// the callers. Beyond what holds for every answer: a list is no longer than its
// limit, and tenant A reads nothing outside its chain.
func FuzzQuery(f *testing.F) {
	h := newFuzzHarness(f)
	farm := h.firm(farmCompany)
	wrong := farm[:17] + "0"
	if wrong == farm {
		wrong = farm[:17] + "1"
	}
	ctx := context.Background()
	list, err := h.b.alerts.Alerts(ctx, alerts.AlertQuery{Limit: 1})
	if err != nil || len(list) == 0 {
		f.Fatalf("no alert: %v", err)
	}
	silences, err := h.b.alerts.Silences(ctx)
	if err != nil || len(silences) == 0 {
		f.Fatalf("no silence: %v", err)
	}
	route := func(path string) uint8 {
		i := slices.IndexFunc(fuzzQueryRoutes, func(r struct{ method, path string }) bool { return r.path == path })
		if i < 0 {
			f.Fatalf("no route %s", path)
		}
		return uint8(i)
	}
	for _, s := range []struct {
		path, param, query string
	}{
		{"/api/v1/enterprises/{}", farm, ""}, {"/api/v1/enterprises/{}", "9123", ""}, {"/api/v1/enterprises/{}", "91230100MA1ABCDEIO", ""},
		{"/api/v1/enterprises/{}", farm, "verbose=1"}, {"/api/v1/enterprises/{}", validUnknown(), ""},
		{"/api/v1/enterprises/{}/events", farm, ""}, {"/api/v1/enterprises/{}/events", "x", ""},
		{"/api/v1/chains/{}", h.leaderA, "depth_up=1&depth_down=0"}, {"/api/v1/chains/{}", h.leaderA, "depth_up=11"},
		{"/api/v1/chains/{}", h.leaderA, "depth_down=-1"}, {"/api/v1/chains/{}", wrong, ""}, {"/api/v1/chains/{}", h.leaderB, "depth_up=4"},
		{"/api/v1/chains/{}/graph", h.leaderA, "format=dot"}, {"/api/v1/chains/{}/graph", h.leaderA, "format=svg"},
		{"/api/v1/chains/{}/graph", h.leaderA, "format=json&depth_up=2"},
		{"/api/v1/leaders", "", "sort=uscc&limit=2"}, {"/api/v1/leaders", "", "sortt=uscc"}, {"/api/v1/leaders", "", "sort=uscc&sort=chain_risk"},
		{"/api/v1/leaders", "", "sort=%zz"}, {"/api/v1/leaders", "", "sort=chain_risk&order=asc&limit=1"},
		{"/api/v1/esri", "", "leader=" + h.leaderA}, {"/api/v1/esri", "", "leader=abc"}, {"/api/v1/esri", "", ""},
		{"/api/v1/rescans/{}", "1", ""}, {"/api/v1/rescans/{}", "abc", ""}, {"/api/v1/rescans/{}", "999", ""},
		{"/api/v1/rescans/{}", "-1", ""}, {"/api/v1/scans", "", "limit=1"}, {"/api/v1/scans", "", "limit=501"}, {"/api/v1/scans", "", "limit=0"},
		{"/api/v1/alerts", "", "state=firing&rule=severe_event&severity=critical&limit=3&language=en"},
		{"/api/v1/alerts", "", "leader=" + h.leaderA}, {"/api/v1/alerts", "", "uscc=" + farm + "&limit=1000"},
		{"/api/v1/alerts", "", "state=gone&limit=1001"}, {"/api/v1/alerts", "", "status=open&assignee=%20x%20&limit=2"},
		{"/api/v1/alerts", "", "status=done"}, {"/api/v1/feedback", "", "verdict=wrong_entity&rule=severe_event&limit=1"},
		{"/api/v1/feedback", "", "uscc=" + farm}, {"/api/v1/feedback", "", "verdict=meh"},
		{"/api/v1/alerts/{}", list[0].ID, "language=zh"}, {"/api/v1/alerts/{}", "nope", ""},
		{"/api/v1/silences", "", "state=active"}, {"/api/v1/silences", "", "state=gone"},
		{"/api/v1/silences/{}", silences[0].ID, ""}, {"/api/v1/silences/{}", "nope", ""},
		{"/api/v1/subscriptions", "", ""}, {"/api/v1/subscriptions/{}", fuzzTenantSubscription, ""},
		{"/api/v1/subscriptions/{}", configSubscription, ""}, {"/api/v1/subscriptions/{}", "a/../b", ""},
		{"/api/v1/deliveries", "", "state=dead"}, {"/api/v1/deliveries", "", "subscription=" + configSubscription + "&limit=2"},
		{"/api/v1/events", "", "strict=true"}, {"/api/v1/events", "", "strict=yes"}, {"/api/v1/events", "", "strict=true&dry=1"},
		{"/api/v1/enterprises/{}/history", farm, "from=2026-01-01&to=2026-12-31&limit=2"},
		{"/api/v1/enterprises/{}/history", farm, "from=2026-02-30"}, {"/api/v1/chains/{}/history", h.leaderA, "limit=1"},
		{"/api/v1/chains/{}/history", h.leaderB, "to=2026-11-20T08:00:00Z"}, {"/api/v1/chains/{}/history", farm, "from=x"},
		{"/api/v1/enterprises{}", "", "q=%E5%A4%A7%E8%B1%86&limit=2"}, {"/api/v1/enterprises{}", "", "q=9123&sort=-score&grade=D"},
		{"/api/v1/enterprises{}", "", "region=2301&industry=C13&tag=leading&status=active"},
		{"/api/v1/enterprises{}", "", "cursor=eyJxIjoiIiwibiI6IngiLCJ1IjoieCJ9"}, {"/api/v1/enterprises{}", "", "q=%FF&sort=x"},
	} {
		for _, who := range []uint8{0, 2} {
			f.Add(route(s.path), who, s.param, s.query)
		}
	}
	f.Add(route("/api/v1/silences/{}"), uint8(1), silences[0].ID, "")
	f.Add(route("/api/v1/subscriptions/{}"), uint8(2), fuzzTenantSubscription, "")
	f.Fuzz(func(t *testing.T, r, who uint8, param, query string) {
		rt := fuzzQueryRoutes[int(r)%len(fuzzQueryRoutes)]
		target := strings.Replace(rt.path, "{}", param, 1)
		if query != "" {
			target += "?" + query
		}
		token := fuzzToken(who)
		w, pattern := h.fuzzCall(t, rt.method, target, token, "", nil, false)
		if w == nil || w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), mediaJSON) {
			return
		}
		var out struct {
			USCC, Leader string
			Leaders      []json.RawMessage
			Scans        []json.RawMessage
			Alerts       []alerts.Alert
			Deliveries   []json.RawMessage
			History      []json.RawMessage
			Feedback     []json.RawMessage
			Members      []struct{ USCC string }
			Nodes        []struct{ USCC string }
			Firms        []struct{ USCC string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		n := len(out.Leaders) + len(out.Scans) + len(out.Alerts) + len(out.Deliveries) + len(out.History) + len(out.Firms) +
			len(out.Feedback)
		if u, err := url.ParseRequestURI(target); err == nil {
			if v, err := url.ParseQuery(u.RawQuery); err == nil {
				if limit, err := strconv.Atoi(v.Get("limit")); err == nil && n > limit {
					t.Fatalf("%s %s: %d items for limit %d", rt.method, target, n, limit)
				}
			}
		}
		if token != "tenantA" {
			return
		}
		seen := []string{out.USCC}
		for _, m := range out.Members {
			seen = append(seen, m.USCC)
		}
		for _, m := range out.Nodes {
			seen = append(seen, m.USCC)
		}
		for _, m := range out.Firms {
			seen = append(seen, m.USCC)
		}
		for _, a := range out.Alerts {
			seen = append(seen, a.Subject.USCC)
		}
		if slices.ContainsFunc(seen, func(u string) bool { return u != "" && !h.scopeA[u] }) ||
			out.Leader != "" && out.Leader != h.leaderA {
			t.Fatalf("%s %s (%s) as tenant A shows a firm outside its chain: %.500s", rt.method, target, pattern, w.Body)
		}
	})
}

// fuzzIngestEnv serves the ingest endpoints over a small store per kind, which holds
// none of that kind's rows (only the firms and events they name): every row accepted
// is a new one, and the kind's count grows by exactly the rows accepted. After each
// input the kind's rows are deleted again.
type fuzzIngestEnv struct {
	h      *harness
	b      *testBackend
	stores map[credit.Kind]*fuzzIngestStore
}

type fuzzIngestStore struct {
	st    store.Store
	empty store.Counts // what it holds between inputs
	// raw is a second handle on the file, and reset the statements that delete what
	// an input may have added; the store has no way to delete rows.
	raw   *sql.DB
	reset []string
}

// fuzzIngestFirms is how many demo firms the small stores hold (the leaders come first).
const fuzzIngestFirms = 24

func newFuzzIngestEnv(f *testing.F) *fuzzIngestEnv {
	f.Helper()
	ctx := context.Background()
	dir := f.TempDir()
	b := &testBackend{cfg: config.Default(), clock: demo.AnchorTime()}
	x := &fuzzIngestEnv{b: b, stores: map[credit.Kind]*fuzzIngestStore{}}
	ents, events, _ := fuzzIngestData(f)
	var token *store.Token
	plain := ""
	open := func(name string, data map[credit.Kind][][]string, reset ...string) *fuzzIngestStore {
		path := filepath.Join(dir, name+".db")
		st, err := sqlite.Open(ctx, path, b.Now)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = st.Close() })
		if token == nil {
			if plain, token, err = tokens.Create(ctx, st, "ingest", tokens.RoleIngest, ""); err != nil {
				f.Fatal(err)
			}
		} else if err := st.CreateToken(ctx, token); err != nil { // the same token in every store
			f.Fatal(err)
		}
		for _, k := range credit.Kinds {
			if rows := data[k]; rows != nil {
				fuzzImport(f, st, b, k, rows)
			}
		}
		// Resets need not survive a crash: no fsync for them.
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = raw.Close() })
		s := &fuzzIngestStore{st: st, raw: raw, reset: reset}
		if s.empty, err = st.Counts(ctx); err != nil {
			f.Fatal(err)
		}
		return s
	}
	x.stores[credit.KindEnterprises] = open("enterprises", nil, "DELETE FROM enterprises")
	firms := open("firms", map[credit.Kind][][]string{credit.KindEnterprises: ents}, "DELETE FROM relations", "DELETE FROM events",
		"DELETE FROM shareholdings")
	x.stores[credit.KindRelations], x.stores[credit.KindEvents], x.stores[credit.KindShareholdings] = firms, firms, firms
	x.stores[credit.KindRepairs] = open("events", map[credit.Kind][][]string{credit.KindEnterprises: ents, credit.KindEvents: events},
		"DELETE FROM repairs", "UPDATE events SET state = 'active', repaired_at = NULL")
	x.h = &harness{b: b, s: NewServer(fuzzShadowScans{b}, Options{Logger: fuzzQuiet, Now: b.Now}), mux: http.NewServeMux(),
		tokens: map[string]string{"ingest": plain}}
	x.h.s.Register(x.h.mux)
	return x
}

// fuzzShadowScans is the test backend whose ingests score what they committed without
// writing the results: a scan's writes would cost most of an input's time, and the
// property fuzzed here is the batch's.
type fuzzShadowScans struct{ *testBackend }

func (b fuzzShadowScans) Ingest(ctx context.Context, kind credit.Kind, format ingest.Format, body io.Reader, strict bool, trigger string) (ingest.Summary, error) {
	sum, err := ingest.Import(ctx, b.st, []ingest.Input{{Kind: kind, Format: format, R: body}},
		ingest.ImportOptions{Strict: strict, Validator: b.validator(), MaxErrors: b.cfg.Ingest.MaxErrors})
	if err != nil || !sum.Committed || sum.Changed == 0 {
		return sum, err
	}
	_, err = b.eng.Run(ctx, monitor.Request{Shadow: true})
	return sum, err
}

// fuzzIngestData is the small stores' data, header first: the first fuzzIngestFirms
// demo firms, their events, and the repairs of those.
func fuzzIngestData(tb testing.TB) (ents, events, repairs [][]string) {
	tb.Helper()
	ents = fuzzDemoRows(tb, credit.KindEnterprises)[:fuzzIngestFirms+1]
	firms := map[string]bool{}
	for _, r := range ents[1:] {
		firms[r[0]] = true
	}
	all := fuzzDemoRows(tb, credit.KindEvents)
	events = all[:1]
	ids := map[string]bool{}
	for _, r := range all[1:] {
		if firms[r[1]] {
			events, ids[r[0]] = append(events, r), true
		}
	}
	all = fuzzDemoRows(tb, credit.KindRepairs)
	repairs = all[:1]
	for _, r := range all[1:] {
		if ids[r[0]] {
			repairs = append(repairs, r)
		}
	}
	return ents, events, repairs
}

// fuzzDemoRows reads a demo file, header first.
func fuzzDemoRows(tb testing.TB, k credit.Kind) [][]string {
	tb.Helper()
	f, err := demo.Open(k)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

func fuzzImport(tb testing.TB, st store.Store, b *testBackend, k credit.Kind, rows [][]string) {
	tb.Helper()
	var buf bytes.Buffer
	_ = csv.NewWriter(&buf).WriteAll(rows)
	sum, err := ingest.Import(context.Background(), st, []ingest.Input{{Kind: k, Format: ingest.CSV, R: &buf}},
		ingest.ImportOptions{Strict: true, Validator: b.validator()})
	if err != nil || !sum.OK() {
		tb.Fatalf("%s: %v %v", k, err, sum.Errors)
	}
}

// open starts an input on the kind's store, with an engine without state.
func (x *fuzzIngestEnv) open(k credit.Kind) *fuzzIngestStore {
	s := x.stores[k]
	x.b.st = s.st
	x.b.eng = monitor.NewEngine(monitor.EngineOptions{Store: s.st, Params: monitor.ParamsFromConfig(x.b.cfg), Logger: fuzzQuiet,
		Now: x.b.Now})
	return s
}

// close deletes what an input added.
func (s *fuzzIngestStore) close(t *testing.T) {
	for _, q := range s.reset {
		if _, err := s.raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// fuzzProblemLine is how a rejected row is reported: "line: field: reason", the field
// quoted (and cut short) when it is a key the input made up.
var fuzzProblemLine = regexp.MustCompile(`^[1-9][0-9]*: ([^:"]+|"(?:[^"\\]|\\.)*"(?:\.\.\.)?): .`)

// FuzzIngest posts a body to an ingest endpoint, as CSV or NDJSON, strict or not. An
// answer with a summary counts exactly the rows the store gained; a strict batch with
// a bad row, or any other answer, changes nothing.
func FuzzIngest(f *testing.F) {
	x := newFuzzIngestEnv(f)
	kinds := map[credit.Kind]uint8{}
	for i, k := range credit.Kinds {
		kinds[k] = uint8(i)
	}
	for _, s := range fuzzIngestSeeds(f) {
		f.Add(kinds[s.kind], s.csv, s.strict, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, asCSV, strict bool, body []byte) {
		k := credit.Kinds[int(kind)%len(credit.Kinds)]
		ctx := context.Background()
		s := x.open(k)
		defer s.close(t)
		st := s.st
		before, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before != s.empty {
			t.Fatalf("the %s store holds %+v before the input, want %+v", k, before, s.empty)
		}
		ctype := "application/x-ndjson"
		if asCSV {
			ctype = "text/csv"
		}
		w := x.h.fuzzBody(t, "POST /api/v1/"+string(k), fmt.Sprintf("/api/v1/%s?strict=%v", k, strict), "ingest", ctype, body)
		after, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusOK && w.Code != http.StatusUnprocessableEntity {
			if after != before {
				t.Fatalf("answered %d, yet the store changed: %+v → %+v", w.Code, before, after)
			}
		} else {
			fuzzCheckSummary(t, k, strict, w, before, after)
		}
	})
}

// fuzzCheckSummary compares an ingest summary with what the store gained.
func fuzzCheckSummary(t *testing.T, k credit.Kind, strict bool, w *httptest.ResponseRecorder, before, after store.Counts) {
	t.Helper()
	var sum struct {
		Accepted, Rejected int
		Errors             []string
		Committed          bool
	}
	if err := json.Unmarshal(w.Body.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	switch {
	case w.Code == http.StatusOK && (sum.Rejected != 0 || !sum.Committed || len(sum.Errors) != 0):
		t.Fatalf("200 with rows rejected or nothing committed: %s", w.Body)
	case w.Code == http.StatusUnprocessableEntity && sum.Rejected == 0 && sum.Committed:
		t.Fatalf("422 with every row committed: %s", w.Body)
	case sum.Accepted < 0 || sum.Rejected < 0 || (sum.Rejected == 0) != (len(sum.Errors) == 0):
		t.Fatalf("counts do not match the errors listed: %s", w.Body)
	case strict && sum.Rejected > 0 && (sum.Committed || sum.Accepted != 0):
		t.Fatalf("strict batch with rejected rows committed: %s", w.Body)
	case !sum.Committed && sum.Accepted != 0:
		t.Fatalf("rows accepted, nothing committed: %s", w.Body)
	}
	for i, e := range sum.Errors {
		if !fuzzProblemLine.MatchString(e) && !(i == len(sum.Errors)-1 && strings.HasPrefix(e, "... and ")) {
			t.Fatalf("error %d does not say where and why: %q", i, e)
		}
	}
	// What the store gained: the kind's rows, one per accepted row; a repair moves its
	// event to repaired, and changes nothing else.
	gained := map[credit.Kind]int64{
		credit.KindEnterprises:   after.Enterprises - before.Enterprises,
		credit.KindRelations:     after.Relations - before.Relations,
		credit.KindEvents:        after.Events - before.Events,
		credit.KindRepairs:       after.Repairs - before.Repairs,
		credit.KindShareholdings: after.Shareholdings - before.Shareholdings,
	}
	for kind, n := range gained {
		want := int64(0)
		if kind == k {
			want = int64(sum.Accepted)
		}
		if n != want {
			t.Fatalf("%s: the store gained %d %s for %d accepted: %s", k, n, kind, sum.Accepted, w.Body)
		}
	}
	active := after.ActiveEvents - before.ActiveEvents
	if k == credit.KindRepairs {
		active = -active
	}
	if active < 0 || active > int64(sum.Accepted) || active != 0 && k != credit.KindEvents && k != credit.KindRepairs {
		t.Fatalf("%s: active events %d → %d for %d accepted", k, before.ActiveEvents, after.ActiveEvents, sum.Accepted)
	}
}

type fuzzIngestSeed struct {
	kind        credit.Kind
	csv, strict bool
	body        string
}

// fuzzIngestSeeds are good and bad bodies of each kind, over the small store's firms.
func fuzzIngestSeeds(tb testing.TB) []fuzzIngestSeed {
	ents, events, repairs := fuzzIngestData(tb)
	leaderA, leaderB, firm := ents[1][0], ents[2][0], ents[5][0]
	wrong := leaderA[:17] + "0"
	if wrong == leaderA {
		wrong = leaderA[:17] + "1"
	}
	csvOf := func(rows [][]string) string {
		var buf bytes.Buffer
		_ = csv.NewWriter(&buf).WriteAll(rows)
		return buf.String()
	}
	ndjsonOf := func(rows [][]string) string {
		var buf bytes.Buffer
		for _, r := range rows[1:] {
			m := map[string]string{}
			for i, name := range rows[0] {
				if r[i] != "" {
					m[name] = r[i]
				}
			}
			line, _ := json.Marshal(m)
			buf.Write(append(line, '\n'))
		}
		return buf.String()
	}
	var seeds []fuzzIngestSeed
	add := func(k credit.Kind, rows [][]string) {
		for _, strict := range []bool{false, true} {
			seeds = append(seeds, fuzzIngestSeed{k, true, strict, csvOf(rows)}, fuzzIngestSeed{k, false, strict, ndjsonOf(rows)})
		}
	}
	add(credit.KindEnterprises, ents[:3])
	bad := append([]string{wrong, "x", "230109", "C1331", "", "active", "1"}, make([]string, len(ents[0])-7)...)
	add(credit.KindEnterprises, [][]string{ents[0], ents[1], ents[1], bad})
	add(credit.KindRelations, [][]string{
		{"supplier", "customer", "purchase_share", "sales_share", "substitutability", "amount", "product", "valid_from", "valid_to"},
		{firm, leaderA, "0.5", "0.2", "0.3", "1000000", "大豆", "2024-01-01", ""},
		{leaderB, leaderA, "0.7", "0.1", "0.9", "", "", "2024-01-01", "2030-12-31"},
		{leaderA, leaderB, "x", "0.1", "0.9", "", "", "", ""},
	})
	add(credit.KindEvents, [][]string{
		{"event_id", "uscc", "type", "occurred_at", "publish_until", "source", "amount", "description"},
		{"FZ-1", leaderA, "honor", "2026-11-01", "", "测试", "", "省级荣誉"},
		{"FZ-2", leaderA, "no_such_type", "2026-11-01", "", "测试", "", "x"},
		{"FZ-3", wrong, "honor", "2026-11-01", "", "测试", "", "x"},
		{"FZ-4", leaderB, "penalty_minor", "2026-11-02T10:00:00+08:00", "2027-11-02", "测试", "50000", "一般"},
		{"FZ-4", leaderB, "penalty_minor", "2026-11-02", "", "测试", "", "重复"},
	})
	add(credit.KindShareholdings, [][]string{
		{"holder", "holder_kind", "holder_name", "investee", "share", "subscribed_capital", "since", "until"},
		{leaderB, "firm", "", firm, "0.6", "6000000", "2015-03-01", ""},
		{"5f2c9a0e7d", "person", "张三", firm, "0.3", "", "", ""},
		{"11010519491231002X", "person", "李四", leaderA, "0.3", "", "", ""},
		{"5f2c9a0e7d", "person", "张三", leaderB, "0.8", "", "", "2025-01-01"},
		{wrong, "firm", "", leaderA, "0.2", "", "", ""},
		{"7c1e", "person", "", firm, "0.2", "", "", ""},
	})
	if len(repairs) < 3 {
		tb.Fatalf("the small store's events have %d repairs", len(repairs)-1)
	}
	add(credit.KindRepairs, append(repairs[:3:3], []string{"NO-SUCH-EVENT", "2026-03-05", "x", "y"},
		[]string{events[1][0], "1999-01-01", "x", "y"}))
	first := map[credit.Kind][][]string{credit.KindEnterprises: ents[:2], credit.KindEvents: events[:2], credit.KindRepairs: repairs[:2],
		credit.KindRelations:     {{"supplier", "customer", "purchase_share", "sales_share"}, {firm, leaderB, "0.1", "0.1"}},
		credit.KindShareholdings: {{"holder", "holder_kind", "investee", "share"}, {"7c1e", "person", leaderA, "0.1"}}}
	for _, k := range credit.Kinds {
		seeds = append(seeds,
			fuzzIngestSeed{k, true, false, "uscc,nmae\n" + leaderA + ",x\n"},
			fuzzIngestSeed{k, true, true, "\ufeff" + csvOf(first[k])},
			fuzzIngestSeed{k, false, false, "{\"uscc\":1}\n{\n"},
			fuzzIngestSeed{k, true, false, ""})
	}
	return seeds
}
