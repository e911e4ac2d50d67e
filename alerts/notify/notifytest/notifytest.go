// Package notifytest holds what the tests of package alerts and of its channels
// (package notify) share: a clock that moves only when told, and a receiver that
// records the requests it gets.
package notifytest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Clock stands still until advanced; Sleep advances it. It is a notify.Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep advances the clock by d at once, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Capture is a request a Receiver got.
type Capture struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	At       time.Time // by the test's clock, when it gave one
}

// Receiver is a test server that records requests and answers each with its handler.
type Receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []Capture
}

// Handler answers a request whose body was read already.
type Handler func(w http.ResponseWriter, r *http.Request, body []byte)

// NewReceiver starts a receiver, closed when the test ends; clock (may be nil) stamps
// the requests.
func NewReceiver(t testing.TB, clock interface{ Now() time.Time }, handle Handler) *Receiver {
	t.Helper()
	rv := &Receiver{}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := Capture{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body, time.Time{}}
		if clock != nil {
			c.At = clock.Now()
		}
		rv.mu.Lock()
		rv.reqs = append(rv.reqs, c)
		rv.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(rv.Close)
	return rv
}

// Requests returns the requests so far, in arrival order.
func (rv *Receiver) Requests() []Capture {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]Capture(nil), rv.reqs...)
}

// Answer writes a fixed JSON answer.
func Answer(status int, body string) Handler {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// LockedWriter serializes writes to W: a log written by several goroutines.
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
