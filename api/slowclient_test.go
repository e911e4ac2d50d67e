package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

// stalled is a connection that sent a request's headers and the start of its body,
// then stopped: a client on a bad network, or one holding the server on purpose.
type stalled struct {
	conn   net.Conn
	status atomic.Int32 // the answer's status once it came; 0 before
	code   atomic.Value // the answer's error code
	done   chan struct{}
}

// stall opens a connection to addr and sends method path with a body announced as
// declared bytes, of which only sent goes out.
func stall(t *testing.T, addr, method, path, token, ctype string, declared int, sent string) *stalled {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &stalled{conn: c, done: make(chan struct{})}
	t.Cleanup(func() { _ = c.Close(); <-s.done })
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: chainrisk\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		method, path, token, ctype, declared, sent)
	go func() {
		defer close(s.done)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var code string
		if i := strings.Index(string(b), `"code":"`); i >= 0 {
			code, _, _ = strings.Cut(string(b)[i+8:], `"`)
		}
		s.code.Store(code)
		s.status.Store(int32(resp.StatusCode))
	}()
	return s
}

// settle waits until each of conns has been answered or is counted in flight by the
// server, so that what follows meets a server holding every one of them.
func settle(t *testing.T, s *Server, conns []*stalled) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		answered := 0
		for _, c := range conns {
			if c.status.Load() != 0 {
				answered++
			}
		}
		inFlight := int(testutil.ToFloat64(s.m.inFlight))
		if answered+inFlight >= len(conns) {
			t.Logf("%d stalled requests in flight, %d answered", inFlight, answered)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d of %d stalled requests answered, %d in flight", answered, len(conns), inFlight)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// call sends one request to a real server and returns its status and body.
func call(t *testing.T, base, method, path, token, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	// Generous: a request blocked behind a stalled body would wait the store's busy
	// timeout (10 s on SQLite) or the request timeout (minutes on PostgreSQL).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStalledBodiesHoldNothing: 256 tenant connections that send a body's first
// byte and stop, and an ingest whose body stalls the same way, leave every role
// answering: admin and tenant reads, a token looked up for the first time (its use
// is recorded in the store), and an ingest, which commits while the stalled ingest
// has taken no lock. The tenant gets max_body_reads_per_token bodies in flight; the
// rest are refused at once, stalled as they are.
func TestStalledBodiesHoldNothing(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		srv := httptest.NewServer(h.mux)
		t.Cleanup(srv.Close) // after the stalled connections' cleanups close them
		addr := srv.Listener.Addr().String()
		var conns []*stalled
		for range 256 {
			conns = append(conns, stall(t, addr, "POST", "/api/v1/subscriptions", h.tokens["tenantA"], "application/json", 1000, "{"))
		}
		conns = append(conns, stall(t, addr, "POST", "/api/v1/events", h.tokens["ingest"], "text/csv", 1000, "e"))
		settle(t, h.s, conns)
		perToken := config.Default().HTTP.MaxBodyReadsPerToken
		waitFor(t, "the stalled bodies to be refused or reading", func() bool {
			return answered(conns) == 256-perToken && testutil.ToFloat64(h.s.m.bodiesReading) == float64(perToken+1)
		})
		for _, c := range conns {
			if st := c.status.Load(); st != 0 && (st != http.StatusTooManyRequests || c.code.Load() != codeTooManyBodies) {
				t.Errorf("a refused stalled body: %d %v, want 429 %s", st, c.code.Load(), codeTooManyBodies)
			}
		}
		if got := testutil.ToFloat64(h.s.m.rejected.WithLabelValues("body_reads_per_token")); got != float64(256-perToken) {
			t.Errorf("rejected{reason=body_reads_per_token} = %v, want %d", got, 256-perToken)
		}

		if code, body := call(t, srv.URL, "GET", "/api/v1/leaders", h.tokens["admin"], "", ""); code != 200 {
			t.Errorf("admin read beside 257 stalled bodies: %d %s", code, body)
		}
		// Refusals that need no body go out at once, however little of it came.
		refused := []*stalled{
			stall(t, addr, "POST", "/api/v1/subscriptions", h.tokens["bad"], "application/json", 1000, "{"),
			stall(t, addr, "POST", "/api/v1/no-such-thing", h.tokens["admin"], "application/json", 1000, "{"),
			stall(t, addr, "GET", "/api/v1/openapi.json", "", "application/json", 1000, "{"),
		}
		waitFor(t, "the refusals of stalled bodies", func() bool { return answered(refused) == len(refused) })
		for i, want := range []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusBadRequest} {
			if got := int(refused[i].status.Load()); got != want {
				t.Errorf("refusal %d of a stalled body: %d, want %d", i, got, want)
			}
		}
		if code, body := call(t, srv.URL, "GET", "/api/v1/enterprises/"+h.leaderB, h.tokens["tenantB"], "", ""); code != 200 {
			t.Errorf("tenant read: %d %s", code, body)
		}
		if code, body := call(t, srv.URL, "GET", "/api/v1/enterprises/"+h.leaderA, h.tokens["tenantA"], "", ""); code != 200 {
			t.Errorf("a read by the tenant whose bodies stall: %d %s", code, body)
		}
		fresh, _, err := tokens.Create(context.Background(), h.b.st, "fresh-analyst", tokens.RoleAnalyst, "")
		if err != nil {
			t.Fatal(err)
		}
		if code, body := call(t, srv.URL, "GET", "/api/v1/leaders", fresh, "", ""); code != 200 {
			t.Errorf("a token's first use: %d %s", code, body)
		}
		lastUsed(t, h, "fresh-analyst")
		event := "event_id,uscc,type,occurred_at,source\nSLOW-1," + h.leaderB + ",honor,2026-11-01,测试\n"
		if code, body := call(t, srv.URL, "POST", "/api/v1/events", h.tokens["ingest"], "text/csv", event); code != 200 {
			t.Errorf("ingest beside a stalled ingest: %d %s", code, body)
		}
		if !holdsEvent(t, h, h.leaderB, "SLOW-1") {
			t.Error("the ingested event is not held")
		}
	})
}

// answered counts the connections that got an answer.
func answered(conns []*stalled) int {
	n := 0
	for _, c := range conns {
		if c.status.Load() != 0 {
			n++
		}
	}
	return n
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting 30 s for %s", what)
		}
	}
}

// trickle sends a request whose body goes out one byte every every, and returns
// the answer's status and error code.
func trickle(t *testing.T, addr, path, token, ctype, body string, declared int, every time.Duration) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: chainrisk\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, token, ctype, declared)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; i < len(body); i++ {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	code := ""
	if i := strings.Index(string(b), `"code":"`); i >= 0 {
		code, _, _ = strings.Cut(string(b)[i+8:], `"`)
	}
	if resp.StatusCode >= 400 && !resp.Close { // Connection: close
		t.Errorf("%d answer to an unread body without Connection: close", resp.StatusCode)
	}
	return resp.StatusCode, code
}

// TestBodyDeadlines: a body that stalls longer than body_read_timeout is answered
// 408; one that keeps coming, each byte within the timeout, is served however long
// it takes, up to request_timeout; and the deadline ends with the body, so that a
// long ingest after it is not cut off.
func TestBodyDeadlines(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out body deadlines for about 14 s")
	}
	// request_timeout leaves the steady body 5.5 s beyond its 2.5 s of trickling for
	// the ingest itself, so a loaded machine does not turn it into a 503.
	const idle = time.Second
	h := newHarness(t, "sqlite", Options{HTTP: config.HTTPConfig{BodyReadTimeout: idle, RequestTimeout: 8 * idle}})
	srv := httptest.NewServer(h.mux)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	event := func(id string) string {
		return "event_id,uscc,type,occurred_at,source\n" + id + "," + h.leaderB + ",honor,2026-11-01,测试\n"
	}

	start := time.Now()
	status, code := trickle(t, addr, "/api/v1/events", h.tokens["ingest"], "text/csv", "e", 1000, time.Millisecond)
	if status != http.StatusRequestTimeout || code != codeBodyTimeout {
		t.Errorf("stalled body: %d %s, want 408 %s", status, code, codeBodyTimeout)
	}
	t.Logf("a stalled body was answered after %v (body_read_timeout %v)", time.Since(start).Round(time.Millisecond), idle)

	// 2.5 × body_read_timeout in all, 50 ms between bytes.
	body := event("TRICKLE-1")
	every := 5 * idle / 2 / time.Duration(len(body))
	if status, code := trickle(t, addr, "/api/v1/events", h.tokens["ingest"], "text/csv", body, len(body), every); status != 200 {
		t.Errorf("a slow but steady body: %d %s, want 200", status, code)
	}
	if !holdsEvent(t, h, h.leaderB, "TRICKLE-1") {
		t.Error("the slowly sent event is not held")
	}

	// Steady, but slower in all than request_timeout.
	long := strings.Repeat("x", 1000)
	if status, code := trickle(t, addr, "/api/v1/events", h.tokens["ingest"], "text/csv", long, len(long), idle/5); status != http.StatusRequestTimeout || code != codeBodyTimeout {
		t.Errorf("a body slower than request_timeout: %d %s, want 408 %s", status, code, codeBodyTimeout)
	}
	if got := testutil.ToFloat64(h.s.m.rejected.WithLabelValues("body_timeout")); got != 2 {
		t.Errorf("rejected{reason=body_timeout} = %v, want 2", got)
	}

	// The ingest itself takes twice body_read_timeout after its body arrived.
	entered, release := holdIngest(h.b)
	go func() {
		<-entered
		time.Sleep(2 * idle)
		release()
	}()
	if code, body := call(t, srv.URL, "POST", "/api/v1/events", h.tokens["ingest"], "text/csv", event("SLOW-HANDLER-1")); code != 200 {
		t.Errorf("an ingest slower than body_read_timeout once its body arrived: %d %s", code, body)
	}
}

// touchBlocked is a store whose token use writes wait until released, as behind
// another process's write transaction.
type touchBlocked struct {
	store.Store
	release chan struct{}
	touched chan int64
}

func (s touchBlocked) TouchToken(ctx context.Context, id int64, at time.Time) error {
	<-s.release
	s.touched <- id
	return s.Store.TouchToken(ctx, id, at)
}

type touchBackend struct {
	*testBackend
	st touchBlocked
}

func (b touchBackend) Store() Store { return b.st }

// TestTokenUseRecordedOffThePath: a request whose token is looked up in the store
// is answered while recording the token's use still waits for the store.
func TestTokenUseRecordedOffThePath(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	st := touchBlocked{Store: h.b.st, release: make(chan struct{}), touched: make(chan int64, 1)}
	s := NewServer(touchBackend{h.b, st}, Options{Logger: h.s.log})
	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		hr := httptest.NewRequest("GET", "/api/v1/leaders", nil)
		hr.Header.Set("Authorization", "Bearer "+h.tokens["analyst"])
		s.ServeHTTP(rec, hr)
		done <- rec.Code
	}()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("status %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the request waits for the token's use to be written")
	}
	close(st.release)
	select {
	case <-st.touched:
	case <-time.After(30 * time.Second):
		t.Fatal("the token's use was never written")
	}
	if used := lastUsed(t, h, "analyst"); used.IsZero() {
		t.Error("no use recorded")
	}
}

// holdsEvent reports whether the store holds the event id of firm uscc.
func holdsEvent(t *testing.T, h *harness, uscc, id string) bool {
	t.Helper()
	found := false
	err := h.b.st.Events(context.Background(), store.EventFilter{USCC: uscc}, func(e *credit.Event) error {
		found = found || e.ID == id
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
