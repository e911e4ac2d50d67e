// Package notifytest holds what the tests of package alerts and of its channels
// (package notify) share: a clock that moves only when told, and a receiver that
// records the requests it gets.
package notifytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"
)

// T0 is the fixtures' "now".
var T0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// Firm names a firm of the fixtures: a valid USCC and a name. It converts to
// notify.FirmRef.
type Firm struct{ USCC, Name string }

// Firms of the fixtures: a tier-2 supplier (castings) of the leader through a tier-1
// (gearbox), another tier-1 (bearings), and a firm on a watch-list (sensors).
var (
	Castings = Firm{"91330206MA2AHK5R3T", "宁波精工铸件有限公司"}
	Gearbox  = Firm{"91330100MA28XY7L29", "杭州恒力变速箱有限公司"}
	Leader   = Firm{"91330000MA27U8T41B", "浙江远航汽车集团有限公司"}
	Bearings = Firm{"91330281MA2GQW8N6C", "余姚华瑞轴承有限公司"}
	Sensors  = Firm{"91320500MA1NPL2E7X", "苏州微感传感器有限公司"}
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

// Golden compares got with the golden file at path, or rewrites the file when update
// is set (its package's -update flag: a reviewer then reads the change in the diff).
func Golden(t testing.TB, update bool, path string, got []byte) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update in its package creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update in its package rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// WebhookSigned says whether a webhook request carries the signature its secret
// makes: X-Chainrisk-Signature is "sha256=" and the hex HMAC-SHA256, keyed by the
// secret, of X-Chainrisk-Timestamp, ".", and the body. Receivers in tests check it
// here, apart from the channel's own code.
func WebhookSigned(secret string, h http.Header, body []byte) bool {
	ts, sig := h.Get("X-Chainrisk-Timestamp"), h.Get("X-Chainrisk-Signature")
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, ts+"."+string(body))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return ts != "" && hmac.Equal([]byte(sig), []byte(want))
}
