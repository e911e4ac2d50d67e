package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// simTransport sends the worker's requests, stamps each with the bubble's time and
// keeps what came of it, refused connections included.
type simTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []sentRequest
}

// sentRequest is one request: when, which notifications it carried, and the answer's
// status and Retry-After (0 and 0 when it got none).
type sentRequest struct {
	at         time.Time
	ids        []string
	status     int
	retryAfter time.Duration
	err        error
}

func (s *simTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	at := time.Now()
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set(simTimeHeader, at.Format(time.RFC3339Nano))
	rec := sentRequest{at: at, ids: []string{req.Header.Get("Idempotency-Key")}}
	if rec.ids[0] == "" {
		rec.ids = requestIDs(body)
	}
	resp, err := s.base.RoundTrip(r)
	rec.err = err
	if resp != nil {
		rec.status = resp.StatusCode
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			rec.retryAfter = time.Duration(secs) * time.Second
		}
	}
	s.mu.Lock()
	s.sent = append(s.sent, rec)
	s.mu.Unlock()
	return resp, err
}

// byID returns the requests that carried each notification, in order.
func (s *simTransport) byID() map[string][]sentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]sentRequest{}
	for _, r := range s.sent {
		for _, id := range r.ids {
			out[id] = append(out[id], r)
		}
	}
	return out
}

// requestIDs returns the notification ids a request's body names, each once, in order.
func requestIDs(body []byte) []string {
	var ids []string
	for _, id := range outageID.FindAllString(string(body), -1) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// outcomeLog is the store the worker writes to, keeping every failed attempt and
// postponement it records.
type outcomeLog struct {
	store.Store
	mu    sync.Mutex
	calls map[string][]failCall
}

type failCall struct {
	attempts int
	next, at time.Time
	dead     bool
}

func (s *outcomeLog) NotificationFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool, at time.Time) error {
	err := s.Store.NotificationFailed(ctx, id, attempts, next, lastError, dead, at)
	if err == nil {
		s.mu.Lock()
		s.calls[id] = append(s.calls[id], failCall{attempts, next, at, dead})
		s.mu.Unlock()
	}
	return err
}

func (s *outcomeLog) of(id string) []failCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls[id])
}

// outageHook is the webhook receiver: a hookReceiver (signatures checked, a
// de-duplicated view) on a port that can stop listening and listen again.
type outageHook struct {
	*hookReceiver
	port *switchedListener
	// unavailable: answer 503 with Retry-After. It changes only while the port is closed.
	unavailable atomic.Bool
}

func newOutageHook(t *testing.T) *outageHook {
	t.Helper()
	h := &outageHook{port: newSwitchedListener(listenOutsideEphemeral(t))}
	h.unavailable.Store(true)
	h.hookReceiver = &hookReceiver{secret: hookSecret, bodies: map[string][]byte{}, status: func(int) int {
		if h.unavailable.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}}
	h.Server = &httptest.Server{Listener: h.port, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.unavailable.Load() {
			w.Header().Set("Retry-After", strconv.Itoa(int(outageRetry/time.Second)))
		}
		h.hookReceiver.ServeHTTP(w, r)
	})}}
	h.Start()
	t.Cleanup(h.Close)
	return h
}

// listenOutsideEphemeral listens on a loopback port below the kernel's ephemeral range.
// The receiver closes its port for a while and must get it back: a port from the
// ephemeral range may meanwhile become the local end of any outgoing connection on the
// machine (other test packages run beside this one), and the second listen would fail.
func listenOutsideEphemeral(t *testing.T) net.Listener {
	t.Helper()
	low := 32768 // Linux's default start of net.ipv4.ip_local_port_range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	const from = 20000
	if low <= from+100 {
		t.Fatalf("the ephemeral port range starts at %d; the outage test needs free ports below it", low)
	}
	var last error
	for range 200 {
		port := from + rand.IntN(low-from)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			return ln
		}
		last = err
	}
	t.Fatalf("no free loopback port between %d and %d: %v", from, low, last)
	return nil
}

// okCount is how many requests with key were answered 2xx.
func (h *outageHook) okCount(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return countOf(h.ok, key)
}

// switchedListener is a port that can be closed, so that connections are refused, and
// opened again at the same address. Accept waits while it is closed.
type switchedListener struct {
	addr net.Addr
	mu   sync.Mutex
	ln   net.Listener // nil while closed
	next chan net.Listener
	done chan struct{}
}

func newSwitchedListener(ln net.Listener) *switchedListener {
	return &switchedListener{addr: ln.Addr(), ln: ln, next: make(chan net.Listener, 1), done: make(chan struct{})}
}

func (l *switchedListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		ln := l.ln
		l.mu.Unlock()
		if ln != nil {
			c, err := ln.Accept()
			l.mu.Lock()
			current := l.ln == ln
			l.mu.Unlock()
			if err == nil || current {
				return c, err
			}
		}
		select {
		case ln := <-l.next:
			l.mu.Lock()
			l.ln = ln
			l.mu.Unlock()
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

// down closes the port.
func (l *switchedListener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
}

// up listens at the address again.
func (l *switchedListener) up() error {
	ln, err := net.Listen("tcp", l.addr.String())
	if err != nil {
		return err
	}
	l.next <- ln
	return nil
}

func (l *switchedListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return nil
	default:
	}
	close(l.done)
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	select {
	case ln := <-l.next:
		ln.Close()
	default:
	}
	return nil
}

func (l *switchedListener) Addr() net.Addr { return l.addr }

// outageBot is a WeCom group robot: it reads the markdown message, answers "system
// busy" while busy, and counts every request against its 20 a minute (failed ones
// included) as WeCom does, answering 45009 beyond it.
type outageBot struct {
	*httptest.Server
	busy atomic.Bool
	mu   sync.Mutex
	reqs []botRequest
}

type botRequest struct {
	at   time.Time // the bubble's
	ids  []string
	code int // the errcode answered
}

func newOutageBot(t *testing.T) *outageBot {
	t.Helper()
	b := &outageBot{}
	b.busy.Store(true)
	b.Server = httptest.NewServer(b)
	t.Cleanup(b.Close)
	return b
}

func (b *outageBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	at, err := time.Parse(time.RFC3339Nano, r.Header.Get(simTimeHeader))
	if err != nil {
		http.Error(w, "no "+simTimeHeader, http.StatusBadRequest)
		return
	}
	var msg struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	code, errmsg := 0, "ok"
	b.mu.Lock()
	recent := 0
	for _, q := range b.reqs {
		if at.Sub(q.at) < time.Minute {
			recent++
		}
	}
	switch {
	case r.URL.Query().Get("key") != wecomKey:
		code, errmsg = 93000, "invalid webhook url"
	case json.Unmarshal(body, &msg) != nil || msg.MsgType != "markdown":
		code, errmsg = 40008, "invalid message type"
	case recent >= 20:
		code, errmsg = 45009, "api freq out of limit"
	case len(msg.Markdown.Content) > 4096:
		code, errmsg = 45002, "content size out of limit"
	case b.busy.Load():
		code, errmsg = -1, "system busy"
	}
	b.reqs = append(b.reqs, botRequest{at: at, ids: requestIDs([]byte(msg.Markdown.Content)), code: code})
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"errcode":%d,"errmsg":%q}`, code, errmsg)
}

func (b *outageBot) requests() []botRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.reqs)
}

// delivered returns the notifications the robot accepted, in the order of their first
// acceptance, and how many acceptances repeated an earlier one.
func (b *outageBot) delivered() (order []string, dupes int) {
	for _, r := range b.requests() {
		if r.code != 0 {
			continue
		}
		for _, id := range r.ids {
			if slices.Contains(order, id) {
				dupes++
				continue
			}
			order = append(order, id)
		}
	}
	return order, dupes
}
