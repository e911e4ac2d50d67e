package alerts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// hookReceiver is a webhook receiver that checks every signature with its own HMAC
// code and keeps both the raw deliveries and the de-duplicated view (by
// Idempotency-Key) a careful receiver would.
type hookReceiver struct {
	*httptest.Server
	secret string
	status func(n int) int // the answer to the n-th request (1-based)

	mu      sync.Mutex
	n       int
	raw     []string          // Idempotency-Key of every request, in arrival order
	ok      []string          // keys of the requests answered 2xx, in order
	bodies  map[string][]byte // first accepted body per key
	badSigs int
}

func newHookReceiver(t *testing.T, secret string, status func(n int) int) *hookReceiver {
	t.Helper()
	rv := &hookReceiver{secret: secret, status: status, bodies: map[string][]byte{}}
	rv.Server = httptest.NewUnstartedServer(rv)
	rv.Start()
	t.Cleanup(rv.Close)
	return rv
}

func (rv *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	rv.mu.Lock()
	rv.n++
	status := 200
	if rv.status != nil {
		status = rv.status(rv.n)
	}
	rv.raw = append(rv.raw, key)
	good := notifytest.WebhookSigned(rv.secret, r.Header, body)
	if !good {
		rv.badSigs++
		status = http.StatusUnauthorized
	}
	if status/100 == 2 {
		rv.ok = append(rv.ok, key)
		if _, seen := rv.bodies[key]; !seen {
			rv.bodies[key] = body
		}
	}
	rv.mu.Unlock()
	w.WriteHeader(status)
}

// unique returns the keys accepted, first acceptance order, without repeats.
func (rv *hookReceiver) unique() []string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	var out []string
	for _, k := range rv.ok {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// body returns the first accepted body of a key.
func (rv *hookReceiver) body(key string) []byte {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.bodies[key]
}

// bad returns how many requests carried a bad signature.
func (rv *hookReceiver) bad() int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.badSigs
}

func (rv *hookReceiver) rawCount(key string) int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return countOf(rv.raw, key)
}

// countOf counts key in keys.
func countOf(keys []string, key string) int {
	n := 0
	for _, k := range keys {
		if k == key {
			n++
		}
	}
	return n
}

const hookSecret = "whsec-worker-test-0123"

func hookChannel(base string) config.Channel {
	return config.Channel{Type: notify.TypeWebhook, URL: config.Secret(base + "/hook?token=" + webhookToken), Secret: hookSecret}
}

// enqueue writes n notifications to ch into the outbox, for an admin's subscription,
// and returns their ids.
func enqueue(t *testing.T, st store.Store, ch config.Channel, n int, prefix string, at time.Time) []string {
	t.Helper()
	return enqueueFor(t, st, "", ch, n, prefix, at)
}

// enqueueFor is enqueue for a subscription of owner (a tenant's USCC; "" for an admin).
func enqueueFor(t *testing.T, st store.Store, owner string, ch config.Channel, n int, prefix string, at time.Time) []string {
	t.Helper()
	a := &store.Alert{ID: "alert-" + prefix, Fingerprint: "grade_downgrade:" + castings.USCC + ":", Rule: "grade_downgrade",
		USCC: castings.USCC}
	changes := &store.AlertChanges{At: at}
	var ids []string
	for i := range n {
		nt := firingDowngrade("en")
		nt.ID = fmt.Sprintf("%s-%03d", prefix, i)
		e, err := outboxEntry(nt, a, owner, 0, ch)
		if err != nil {
			t.Fatal(err)
		}
		changes.Notifications = append(changes.Notifications, e)
		ids = append(ids, nt.ID)
	}
	if err := st.ApplyAlerts(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	return ids
}

type workerSetup struct {
	cfg         *config.Config
	clock       notify.Clock
	metrics     *Metrics
	active      func() bool
	timeout     time.Duration // one request's; 0: 10 s
	sendTimeout time.Duration // one batch's; 0: 1 s
	concurrency int
	batchSize   int
	jitter      func(n int64) int64
	logger      *slog.Logger
	resolver    *net.Resolver
}

func newTestWorker(t *testing.T, st store.Store, ws workerSetup) *Worker {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	if ws.cfg == nil {
		ws.cfg = config.Default()
		ws.cfg.Alerts.Backoff = config.BackoffConfig{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	}
	if ws.sendTimeout == 0 {
		ws.sendTimeout = time.Second
	}
	if ws.logger == nil {
		ws.logger = discardLogger()
	}
	return NewWorker(WorkerOptions{Store: st, Config: func() *config.Config { return ws.cfg }, Logger: ws.logger,
		Clock: ws.clock, HTTPClient: &http.Client{Transport: tr}, Timeout: ws.timeout, Metrics: ws.metrics,
		Active: ws.active, PollInterval: 10 * time.Millisecond, SendTimeout: ws.sendTimeout,
		Concurrency: ws.concurrency, BatchSize: ws.batchSize, Jitter: ws.jitter, Resolver: ws.resolver})
}

// hangingServer accepts requests and never answers them: it holds each until the
// client gives up. It counts the requests by path.
type hangingServer struct {
	*httptest.Server
	mu       sync.Mutex
	paths    []string
	inflight int
	peak     int // the most requests held at once
}

func newHangingServer(t *testing.T) *hangingServer {
	t.Helper()
	h := &hangingServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.paths = append(h.paths, r.URL.Path)
		h.inflight++
		h.peak = max(h.peak, h.inflight)
		h.mu.Unlock()
		<-r.Context().Done()
		h.mu.Lock()
		h.inflight--
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hangingServer) peakHeld() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

func (h *hangingServer) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.paths)
}

// start runs the worker until the returned stop is called (or the test ends).
func start(t *testing.T, w *Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reads returns how many times the worker has read the outbox.
func reads(w *Worker) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.epoch
}

// readsMore waits until the worker has finished n more reads of the outbox: the sends
// they started are under way. A test gives the worker its chances this way rather than
// by sleeping, which on a slow machine may give it none.
func readsMore(t *testing.T, w *Worker, n uint64) {
	t.Helper()
	from := reads(w)
	// Read from+n+1 has begun: read from+n, and every one before, has returned.
	eventually(t, 30*time.Second, fmt.Sprintf("%d more reads of the outbox", n), func() bool { return reads(w) > from+n })
}

// settle is readsMore, then waits until no send is in flight: whatever those reads
// started is recorded. A wrong retry shows after it, whatever the machine's speed.
func settle(t *testing.T, w *Worker, n uint64) {
	t.Helper()
	readsMore(t, w, n)
	eventually(t, 30*time.Second, "no send in flight", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.busy) == 0
	})
}

func states(t *testing.T, st store.Store) map[string]store.OutboxEntry {
	t.Helper()
	list, err := st.Deliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.OutboxEntry)
	for _, o := range list {
		out[o.ID] = o
	}
	return out
}

func countState(t *testing.T, st store.Store, state string) int {
	n := 0
	for _, o := range states(t, st) {
		if o.State == state {
			n++
		}
	}
	return n
}

// entry returns the outbox row of the notification enqueued as prefix's first.
func entry(t *testing.T, st store.Store, prefix string) store.OutboxEntry {
	t.Helper()
	list, err := st.Deliveries(context.Background(), store.DeliveryFilter{AlertID: "alert-" + prefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list {
		if o.ID == prefix+"-000" {
			return o
		}
	}
	t.Fatalf("no notification %s-000", prefix)
	return store.OutboxEntry{}
}
