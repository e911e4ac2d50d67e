package alerts

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// TestWorkerOutage: a receiver that answers 503, then refuses connections, then
// comes back gets every notification, in order, exactly once in its de-duplicated
// view and at least once in raw; nothing dies.
func TestWorkerOutage(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		reg := prometheus.NewRegistry()
		mt := NewMetrics(reg, st)
		rv := newHookReceiver(t, hookSecret, func(n int) int {
			if n <= 4 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		// A second destination that is down (connection refused) at first.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		downAddr := ln.Addr().String()
		ln.Close()
		ids := enqueue(t, st, hookChannel(rv.URL), 8, "a", time.Now())
		downIDs := enqueue(t, st, hookChannel("http://"+downAddr), 3, "b", time.Now())
		cfg := config.Default()
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
		cfg.Alerts.MaxAttempts = 10000 // tiny backoffs: the outage must not outlast the attempts
		w := newTestWorker(t, st, workerSetup{cfg: cfg, metrics: mt})
		start(t, w)

		eventually(t, 10*time.Second, "all delivered to the 503 receiver", func() bool { return len(rv.unique()) == len(ids) })
		if got := rv.unique(); !slices.Equal(got, ids) {
			t.Errorf("first deliveries in order %v, want %v", got, ids)
		}
		if n := rv.bad(); n > 0 {
			t.Errorf("%d bad signatures", n)
		}
		for _, id := range ids {
			if rv.rawCount(id) < 1 {
				t.Errorf("%s never arrived", id)
			}
		}
		if rv.rawCount(ids[0]) != 5 {
			t.Errorf("the first notification arrived %d times, want 5 (4 × 503, then 200)", rv.rawCount(ids[0]))
		}
		var body notify.WebhookBody
		if err := json.Unmarshal(rv.body(ids[3]), &body); err != nil || body.ID != ids[3] || body.Subject.USCC != castings.USCC || body.Tier != 2 {
			t.Errorf("body of %s: %+v, %v", ids[3], body, err)
		}

		// The refused destination is retried meanwhile; bring it up.
		eventually(t, 10*time.Second, "the refused destination retried", func() bool {
			return states(t, st)[downIDs[0]].Attempts >= 2
		})
		for _, o := range states(t, st) {
			if strings.HasPrefix(o.ID, "b-") && o.State != store.DeliveryPending {
				t.Errorf("%s is %s while its receiver is down", o.ID, o.State)
			}
		}
		l2, err := net.Listen("tcp", downAddr)
		if err != nil {
			t.Skipf("cannot listen on %s again: %v", downAddr, err)
		}
		back := &hookReceiver{secret: hookSecret, bodies: map[string][]byte{}}
		back.Server = &httptest.Server{Listener: l2, Config: &http.Server{Handler: back}}
		back.Start()
		t.Cleanup(back.Close)
		eventually(t, 10*time.Second, "the refused destination drains", func() bool { return len(back.unique()) == len(downIDs) })
		if got := back.unique(); !slices.Equal(got, downIDs) {
			t.Errorf("after coming back: %v, want %v", got, downIDs)
		}
		eventually(t, 5*time.Second, "all marked delivered", func() bool {
			return countState(t, st, store.DeliveryDelivered) == len(ids)+len(downIDs)
		})
		if n := countState(t, st, store.DeliveryDead); n != 0 {
			t.Errorf("%d dead", n)
		}
		// The counter follows the store's mark: the last one may come a moment after.
		delivered := func() float64 { return testutil.ToFloat64(mt.notifications.WithLabelValues("webhook", "delivered")) }
		eventually(t, 5*time.Second, "the delivered counter", func() bool { return delivered() >= float64(len(ids)+len(downIDs)) })
		if v := delivered(); v != float64(len(ids)+len(downIDs)) {
			t.Errorf("delivered counter %v", v)
		}
		if v := testutil.ToFloat64(mt.notifications.WithLabelValues("webhook", "failed")); v < 5 {
			t.Errorf("failed counter %v, want ≥ 5", v)
		}
	})
}

// TestWorkerDeadLetters: a notification dies after max_attempts retryable failures
// or at once on a permanent refusal; the destination's next ones go on.
func TestWorkerDeadLetters(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		reg := prometheus.NewRegistry()
		mt := NewMetrics(reg, st)
		cfg := config.Default()
		cfg.Alerts.MaxAttempts = 3
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: time.Millisecond, Max: 5 * time.Millisecond}
		down := newHookReceiver(t, hookSecret, func(int) int { return http.StatusServiceUnavailable })
		refuses := newHookReceiver(t, hookSecret, func(n int) int {
			if n == 1 {
				return http.StatusBadRequest
			}
			return http.StatusOK
		})
		downIDs := enqueue(t, st, hookChannel(down.URL), 2, "down", time.Now())
		refIDs := enqueue(t, st, hookChannel(refuses.URL), 2, "ref", time.Now())
		w := newTestWorker(t, st, workerSetup{cfg: cfg, metrics: mt})
		stop := start(t, w)
		eventually(t, 10*time.Second, "both of the down receiver's notifications dead", func() bool {
			return countState(t, st, store.DeliveryDead) == 3
		})
		stop()
		all := states(t, st)
		for _, id := range downIDs {
			if o := all[id]; o.State != store.DeliveryDead || o.Attempts != 3 || !strings.Contains(o.LastError, "HTTP 503") ||
				strings.Contains(o.LastError, webhookToken) || down.rawCount(id) != 3 {
				t.Errorf("%s: %+v, %d requests", id, o, down.rawCount(id))
			}
		}
		if o := all[refIDs[0]]; o.State != store.DeliveryDead || o.Attempts != 1 || !strings.Contains(o.LastError, "HTTP 400") {
			t.Errorf("refused: %+v", o)
		}
		if o := all[refIDs[1]]; o.State != store.DeliveryDelivered {
			t.Errorf("the one after the refused one: %+v", o)
		}
		if v := testutil.ToFloat64(mt.notifications.WithLabelValues("webhook", "dead")); v != 3 {
			t.Errorf("dead counter %v", v)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP chainrisk_outbox_dead Notifications dead-lettered after max_attempts or a permanent refusal.
# TYPE chainrisk_outbox_dead gauge
chainrisk_outbox_dead 3
`), "chainrisk_outbox_dead"); err != nil {
			t.Error(err)
		}
	})
}

// TestWorkerKilledMidFlight: the worker stopped while a receiver holds a request
// leaves the notification pending; the next worker sends it again, so nothing is
// lost (the receiver sees the same Idempotency-Key twice).
func TestWorkerKilledMidFlight(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		arrived := make(chan struct{}, 10)
		release := make(chan struct{})
		var mu sync.Mutex
		var keys []string
		first := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			hold := first
			first = false
			mu.Unlock()
			arrived <- struct{}{}
			if hold {
				<-release
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
		ids := enqueue(t, st, hookChannel(srv.URL), 2, "k", time.Now())
		w := newTestWorker(t, st, workerSetup{timeout: time.Minute})
		stop := start(t, w)
		<-arrived
		stop() // killed mid-flight
		all := states(t, st)
		for _, id := range ids {
			if o := all[id]; o.State != store.DeliveryPending || o.Attempts != 0 {
				t.Errorf("after the kill %s: %+v", id, o)
			}
		}
		close(release)
		w2 := newTestWorker(t, st, workerSetup{})
		start(t, w2)
		eventually(t, 10*time.Second, "delivered after the restart", func() bool {
			return countState(t, st, store.DeliveryDelivered) == 2
		})
		mu.Lock()
		defer mu.Unlock()
		if keys[0] != ids[0] || slices.Index(keys[1:], ids[0]) < 0 || !slices.Contains(keys, ids[1]) {
			t.Errorf("requests %v", keys)
		}
	})
}

// TestWorkerSlowChannelBlocksNobody: a receiver that holds its request does not delay
// another destination.
func TestWorkerSlowChannelBlocksNobody(t *testing.T) {
	st := openSQLite(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	fast := newHookReceiver(t, hookSecret, nil)
	enqueue(t, st, hookChannel(slow.URL), 3, "slow", time.Now())
	fastIDs := enqueue(t, st, hookChannel(fast.URL), 3, "fast", time.Now())
	w := newTestWorker(t, st, workerSetup{timeout: time.Minute})
	stop := start(t, w)
	eventually(t, 5*time.Second, "the fast destination served", func() bool { return len(fast.unique()) == len(fastIDs) })
	release <- struct{}{}
	stop()
}

// TestWorkerBatchesRateLimitedBot: notifications held back by a robot's rate limit
// are not attempts, and go out together in one message when the limit allows.
func TestWorkerBatchesRateLimitedBot(t *testing.T) {
	st := openSQLite(t)
	clock := notifytest.NewClock(time.Now())
	var mu sync.Mutex
	var msgs []string
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		msgs = append(msgs, string(b))
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(bot.Close)
	cfg := config.Default()
	cfg.Alerts.RateLimits[notify.TypeWeCom] = []config.Rate{{Count: 1, Per: time.Minute}}
	ch := config.Channel{Type: notify.TypeWeCom, URL: config.Secret(bot.URL + "/cgi-bin/webhook/send?key=" + wecomKey)}
	enqueue(t, st, ch, 1, "first", clock.Now())
	w := newTestWorker(t, st, workerSetup{cfg: cfg, clock: clock})
	start(t, w)
	eventually(t, 5*time.Second, "the first message", func() bool { return countState(t, st, store.DeliveryDelivered) == 1 })
	ids := enqueue(t, st, ch, 3, "more", clock.Now())
	w.Wake()
	eventually(t, 5*time.Second, "the rest postponed by the limiter", func() bool {
		all := states(t, st)
		for _, id := range ids {
			if o := all[id]; !o.NextAttemptAt.After(clock.Now()) || o.Attempts != 0 {
				return false
			}
		}
		return true
	})
	clock.Advance(61 * time.Second)
	w.Wake()
	eventually(t, 5*time.Second, "the rest delivered", func() bool { return countState(t, st, store.DeliveryDelivered) == 4 })
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) != 2 || !strings.Contains(msgs[1], "（3 条）") && !strings.Contains(msgs[1], "(3)") {
		t.Errorf("messages: %d, the second: %.300s", len(msgs), msgs[len(msgs)-1])
	}
}

// TestWorkerOnlyOnTheLeader: a follower delivers nothing.
func TestWorkerOnlyOnTheLeader(t *testing.T) {
	st := openSQLite(t)
	rv := newHookReceiver(t, hookSecret, nil)
	var leader sync.Map
	var asked atomic.Int64
	enqueue(t, st, hookChannel(rv.URL), 1, "l", time.Now())
	w := newTestWorker(t, st, workerSetup{active: func() bool {
		asked.Add(1)
		_, ok := leader.Load("me")
		return ok
	}})
	start(t, w)
	eventually(t, 10*time.Second, "ten polls as a follower", func() bool { return asked.Load() > 10 })
	if n := len(rv.unique()); n != 0 {
		t.Fatalf("a follower delivered %d", n)
	}
	leader.Store("me", true)
	eventually(t, 5*time.Second, "delivered once leading", func() bool { return len(rv.unique()) == 1 })
}

// TestBackoff: full jitter over initial × 2^(attempts−1), capped at max.
func TestBackoff(t *testing.T) {
	w := NewWorker(WorkerOptions{Jitter: func(n int64) int64 { return n }}) // the ceiling itself
	b := config.BackoffConfig{Initial: 10 * time.Second, Max: 30 * time.Minute}
	for attempts, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 4: 80 * time.Second,
		8: 1280 * time.Second, 9: 30 * time.Minute, 12: 30 * time.Minute, 200: 30 * time.Minute} {
		if got := w.backoff(b, attempts); got != want {
			t.Errorf("backoff after %d attempts = %s, want %s", attempts, got, want)
		}
	}
	w = NewWorker(WorkerOptions{})
	for range 100 {
		if d := w.backoff(b, 3); d < 0 || d > 40*time.Second {
			t.Fatalf("jittered backoff %s outside [0, 40s]", d)
		}
	}
}

// TestWorkerHonoursRetryAfter: a receiver's Retry-After pushes the next attempt back
// beyond the backoff.
func TestWorkerHonoursRetryAfter(t *testing.T) {
	st := openSQLite(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	ids := enqueue(t, st, hookChannel(srv.URL), 1, "ra", time.Now())
	w := newTestWorker(t, st, workerSetup{})
	stop := start(t, w)
	eventually(t, 5*time.Second, "one attempt", func() bool { return states(t, st)[ids[0]].Attempts == 1 })
	stop()
	o := states(t, st)[ids[0]]
	if wait := time.Until(o.NextAttemptAt); o.State != store.DeliveryPending || wait < 110*time.Second || wait > 121*time.Second {
		t.Errorf("after a 429 with Retry-After 120: %+v (next in %s)", o, wait)
	}
}

// TestWorkerRecordsAHang: a receiver that holds the request until the request timeout,
// longer than recording an outcome may take. The attempt is recorded all the same —
// one attempt, "no answer within …", the next a backoff away — and the notification
// is not sent again at once: the context it is recorded with is made after the send.
func TestWorkerRecordsAHang(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 10 s record timeout")
	}
	t.Parallel()
	st := openSQLite(t)
	hang := newHangingServer(t)
	clock := notifytest.NewClock(time.Now().Truncate(time.Millisecond))
	cfg := config.Default()
	cfg.Alerts.Backoff = config.BackoffConfig{Initial: time.Hour, Max: 2 * time.Hour}
	hold := recordTimeout + time.Second
	ids := enqueue(t, st, hookChannel(hang.URL), 1, "hang", clock.Now())
	w := newTestWorker(t, st, workerSetup{cfg: cfg, clock: clock, timeout: hold, sendTimeout: hold + time.Second,
		jitter: func(n int64) int64 { return n }})
	began := time.Now()
	stop := start(t, w)
	eventually(t, hold+20*time.Second, "the hang recorded", func() bool { return states(t, st)[ids[0]].Attempts > 0 })
	t.Logf("the attempt was recorded %s after the worker started", time.Since(began).Round(time.Millisecond))
	settle(t, w, 10) // a notification sent again at once is recorded by now
	stop()
	o := states(t, st)[ids[0]]
	if want := "no answer within " + hold.String(); o.State != store.DeliveryPending || o.Attempts != 1 ||
		!o.NextAttemptAt.Equal(clock.Now().Add(time.Hour)) || !strings.Contains(o.LastError, want) {
		t.Errorf("after the hang: %+v; want one attempt, the next at %s, %q", o, clock.Now().Add(time.Hour), want)
	}
	if n := hang.requests(); n != 1 {
		t.Errorf("the receiver got %d requests, want 1", n)
	}
}

// TestWorkerHangBacksOffAndDies: a receiver that never answers costs one request
// timeout per attempt, and takes the path of any failure: attempts counted, the next
// one after 1 min, then 2 min (full jitter taken at its ceiling), dead after
// max_attempts = 3. The notification behind it waits without attempts, then goes.
func TestWorkerHangBacksOffAndDies(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		hang := newHangingServer(t)
		clock := notifytest.NewClock(time.Now().Truncate(time.Millisecond))
		mt := NewMetrics(prometheus.NewRegistry(), st)
		cfg := config.Default()
		cfg.Alerts.MaxAttempts = 3
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: time.Minute, Max: 10 * time.Minute}
		ids := enqueue(t, st, hookChannel(hang.URL), 2, "h", clock.Now())
		w := newTestWorker(t, st, workerSetup{cfg: cfg, clock: clock, metrics: mt, timeout: 100 * time.Millisecond,
			jitter: func(n int64) int64 { return n }})
		start(t, w)
		at := clock.Now()
		for k, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
			attempts := k + 1
			eventually(t, 10*time.Second, fmt.Sprintf("attempt %d recorded", attempts), func() bool {
				return states(t, st)[ids[0]].Attempts == attempts
			})
			settle(t, w, 10) // ten reads of the outbox: a wrong retry shows
			all := states(t, st)
			if o := all[ids[0]]; o.State != store.DeliveryPending || !o.NextAttemptAt.Equal(at.Add(wait)) ||
				!strings.Contains(o.LastError, "no answer within 100ms") {
				t.Errorf("after attempt %d: %+v; want pending until %s", attempts, o, at.Add(wait))
			}
			if o := all[ids[1]]; o.Attempts != 0 || o.State != store.DeliveryPending {
				t.Errorf("the notification behind it: %+v", o)
			}
			if n := hang.requests(); n != attempts {
				t.Errorf("after attempt %d the receiver got %d requests", attempts, n)
			}
			at = at.Add(wait)
			clock.Advance(wait)
			w.Wake()
		}
		eventually(t, 10*time.Second, "the head dead and the next one tried", func() bool {
			all := states(t, st)
			return all[ids[0]].State == store.DeliveryDead && all[ids[1]].Attempts == 1
		})
		if o := states(t, st)[ids[0]]; o.Attempts != 3 || !strings.Contains(o.LastError, "no answer within 100ms") {
			t.Errorf("dead: %+v", o)
		}
		if n := hang.requests(); n != 4 {
			t.Errorf("the receiver got %d requests, want 3 + 1", n)
		}
		// The counters follow the store's marks: the last may come a moment after.
		counts := func() (failed, dead float64) {
			return testutil.ToFloat64(mt.notifications.WithLabelValues("webhook", "failed")),
				testutil.ToFloat64(mt.notifications.WithLabelValues("webhook", "dead"))
		}
		eventually(t, 5*time.Second, "the counters", func() bool { f, d := counts(); return f+d >= 4 })
		if f, d := counts(); f != 3 || d != 1 {
			t.Errorf("failed %v, dead %v; want 3 and 1", f, d)
		}
	})
}

// TestHangingDestinationsDelayNobody: one tenant's 100 destinations that never answer,
// with a backlog of 2 notifications each, older than anything else and more than one
// read of the outbox takes (4 × 8 slots × 1 per destination = 32; a small read keeps
// the test's polls cheap under the race detector). Another tenant's destination, an
// admin's and the tenant's own log channel are each served within 2 s (the bound
// asked for; the delay measured is logged), and the tenant holds no more than its
// share of the send slots (8 / 8 = 1).
func TestHangingDestinationsDelayNobody(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		hang := newHangingServer(t)
		other := newHookReceiver(t, hookSecret, nil)
		admin := newHookReceiver(t, hookSecret, nil)
		cfg := config.Default()
		cfg.Alerts.AllowPrivateTargets = []string{"127.0.0.1"} // the receivers listen on loopback
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: time.Hour, Max: time.Hour}
		const tenant = "91330000MA27U8T41B"
		now := time.Now()
		for i := range 100 {
			enqueueFor(t, st, tenant, hookChannel(fmt.Sprintf("%s/d%03d", hang.URL, i)), 2, fmt.Sprintf("hang%03d", i), now)
		}
		w := newTestWorker(t, st, workerSetup{cfg: cfg, timeout: 5 * time.Second, sendTimeout: 6 * time.Second, concurrency: 8,
			batchSize: 1})
		start(t, w)
		eventually(t, 10*time.Second, "hanging sends in flight", func() bool { return hang.requests() > 0 })
		readsMore(t, w, 20) // the tenant takes every slot it may
		since := time.Now()
		enqueueFor(t, st, "91330100MA28XY7L29", hookChannel(other.URL), 1, "other", time.Now())
		enqueueFor(t, st, "", hookChannel(admin.URL), 1, "admin", time.Now())
		enqueueFor(t, st, tenant, config.Channel{Type: notify.TypeLog}, 1, "log", time.Now())
		w.Wake()
		delay := map[string]time.Duration{}
		eventually(t, 30*time.Second, "the others delivered", func() bool {
			for _, name := range []string{"other", "admin", "log"} {
				if _, done := delay[name]; !done && entry(t, st, name).State == store.DeliveryDelivered {
					delay[name] = time.Since(since)
				}
			}
			return len(delay) == 3
		})
		for name, d := range delay {
			t.Logf("%s delivered %s after it was enqueued", name, d.Round(time.Millisecond))
			if d >= 2*time.Second {
				t.Errorf("%s waited %s behind the hanging destinations", name, d)
			}
		}
		if n := hang.peakHeld(); n != 1 {
			t.Errorf("the tenant held %d send slots at once, want 1", n)
		}
	})
}
