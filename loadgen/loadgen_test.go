package loadgen

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// nearestRank is the quantile by its definition, found by counting rather than by
// index arithmetic: the smallest value v with #{x ≤ v} ≥ q·n.
func nearestRank(values []time.Duration, q float64) time.Duration {
	best := time.Duration(-1)
	for _, v := range values {
		le := 0
		for _, x := range values {
			if x <= v {
				le++
			}
		}
		if float64(le) >= q*float64(len(values)) && (best < 0 || v < best) {
			best = v
		}
	}
	return best
}

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.5, 5 * time.Millisecond},
		{"p90 of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9 * time.Millisecond},
		{"p91 of ten rounds up", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.91, 10 * time.Millisecond},
		{"p0 is the minimum", ms(3, 4, 9), 0, 3 * time.Millisecond},
		{"p100 is the maximum", ms(3, 4, 9), 1, 9 * time.Millisecond},
		{"q beyond 1", ms(3, 4, 9), 2, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Latencies: tc.lat}
			if got := r.Quantile(tc.q); got != tc.want {
				t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
	// Random samples with ties, against the definition.
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		n := 1 + rng.IntN(300)
		lat := make([]time.Duration, n)
		for i := range lat {
			lat[i] = time.Duration(rng.IntN(50)) * time.Millisecond
		}
		r := &Result{Latencies: slices.Sorted(slices.Values(lat))}
		for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1} {
			if got, want := r.Quantile(q), nearestRank(lat, q); got != want {
				t.Fatalf("round %d, n=%d: Quantile(%v) = %v, want %v", round, n, q, got, want)
			}
		}
	}
}

func TestThroughput(t *testing.T) {
	r := &Result{Requests: 300, Elapsed: 1500 * time.Millisecond}
	if got := r.Throughput(); got != 200 {
		t.Errorf("Throughput = %v, want 200", got)
	}
	if got := (&Result{Requests: 3}).Throughput(); got != 0 {
		t.Errorf("Throughput without elapsed time = %v", got)
	}
}

// okServer answers 200 to everything, on loopback.
func okServer(t *testing.T, h http.HandlerFunc) *Target {
	t.Helper()
	if h == nil {
		h = func(http.ResponseWriter, *http.Request) {}
	}
	srv := httptest.NewServer(h)
	tg, err := NewTarget(srv.URL, TargetOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close(); srv.Close() })
	return tg
}

// TestPacedHonoursTheRate runs the generator on synctest's clock, where time moves
// only when every goroutine waits: request i must start exactly when due, at i/rate,
// whatever else the machine is doing.
func TestPacedHonoursTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, n = 200.0, 200
		const service = 2 * time.Millisecond // each request's own time
		var mu sync.Mutex
		starts := make([]time.Duration, n)
		t0 := time.Now()
		r := Paced(context.Background(), rate, n, 16, func(ctx context.Context, i int) (int, http.Header, error) {
			mu.Lock()
			starts[i] = time.Since(t0)
			mu.Unlock()
			time.Sleep(service)
			return 200, nil, nil
		})
		if r.Requests != n || r.ByStatus[200] != n || r.Errors != 0 || r.Unsent != 0 {
			t.Fatalf("result: %+v", r)
		}
		for i, s := range starts {
			if due := time.Duration(float64(i) / rate * float64(time.Second)); s != due {
				t.Errorf("request %d started at %v, due at %v", i, s, due)
			}
		}
		// The last is due at 995 ms and takes 2 ms: 200 requests in 997 ms.
		if r.Elapsed != 997*time.Millisecond {
			t.Errorf("elapsed %v, want 997ms", r.Elapsed)
		}
		if got, want := r.Throughput(), float64(n)/0.997; math.Abs(got-want) > 1e-9 {
			t.Errorf("throughput %.3f/s, want %.3f/s", got, want)
		}
		for _, l := range r.Latencies {
			if l != service {
				t.Errorf("latency %v, want %v (nothing started late)", l, service)
				break
			}
		}
	})
}

// concurrency counts calls in progress and remembers the most at once.
type concurrency struct{ now, peak atomic.Int64 }

func (c *concurrency) enter() {
	v := c.now.Add(1)
	for p := c.peak.Load(); v > p && !c.peak.CompareAndSwap(p, v); p = c.peak.Load() {
	}
}
func (c *concurrency) leave() { c.now.Add(-1) }

// TestPacedBoundsInFlight runs on synctest's clock: requests due every millisecond
// that take 20 ms each fill the 4 slots whatever the machine's speed.
func TestPacedBoundsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c concurrency
		r := Paced(context.Background(), 1000, 40, 4, func(context.Context, int) (int, http.Header, error) {
			c.enter()
			defer c.leave()
			time.Sleep(20 * time.Millisecond)
			return 200, nil, nil
		})
		if r.Requests != 40 {
			t.Fatalf("%d requests, want 40", r.Requests)
		}
		if p := c.peak.Load(); p != 4 {
			t.Errorf("at most %d in flight, want exactly the bound 4", p)
		}
		// Each slot runs ten requests of 20 ms back to back; the last slot's first was
		// due at 3 ms.
		if r.Elapsed != 203*time.Millisecond {
			t.Errorf("elapsed %v, want 203ms", r.Elapsed)
		}
	})
}

// A target that stalls holds up the requests due meanwhile; their latency counts from
// when they were due, as their users would see it.
func TestPacedCoordinatedOmission(t *testing.T) {
	const stall = 300 * time.Millisecond
	var first atomic.Bool
	tg := okServer(t, func(http.ResponseWriter, *http.Request) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(stall)
		}
	})
	get := tg.GetEnterprise([]string{"912301099436075960"})
	// Every 10 ms, one at a time: request k ≥ 1 is due at 10k ms but cannot start
	// before the stalled request 0 ends at ≥ 300 ms, so it waits ≥ 300−10k ms, which
	// is ≥ 100 ms for k ≤ 20: with request 0, 21 of 40 latencies are ≥ 100 ms.
	r := Paced(context.Background(), 100, 40, 1, get)
	if r.Requests != 40 || r.ByStatus[200] != 40 {
		t.Fatalf("result: %+v", r.ByStatus)
	}
	slow := 0
	for _, l := range r.Latencies {
		if l >= 100*time.Millisecond {
			slow++
		}
	}
	if slow < 21 {
		t.Errorf("%d latencies ≥ 100 ms, want ≥ 21: the wait behind the stall is hidden", slow)
	}
	if p50 := r.Quantile(0.5); p50 < 100*time.Millisecond {
		t.Errorf("p50 %v, want ≥ 100 ms", p50)
	}
	if max := r.Quantile(1); max < stall {
		t.Errorf("max %v, want ≥ the stall %v", max, stall)
	}

	// A closed loop measures each call from its own start and so sees one slow call.
	first.Store(false)
	c := Closed(context.Background(), 1, 40, get)
	if p50 := c.Quantile(0.5); p50 >= 100*time.Millisecond {
		t.Errorf("closed loop p50 %v: only one call stalled", p50)
	}
	if max := c.Quantile(1); max < stall {
		t.Errorf("closed loop max %v, want ≥ %v", max, stall)
	}
}

// Requests due while every slot is held count as unsent when the run ends; the one
// in progress is still waited for and measured. On synctest's clock the counts are
// exact.
func TestPacedUnsent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		r := Paced(ctx, 100, 0, 1, func(ctx context.Context, _ int) (int, http.Header, error) {
			time.Sleep(time.Second)
			return 200, nil, ctx.Err()
		})
		if r.Requests != 1 || r.ByStatus[200] != 1 {
			t.Fatalf("result: %+v", r)
		}
		// Due before 200 ms at 100/s: 0, 10, …, 190 ms, 20 requests, of which one started.
		if r.Unsent != 19 {
			t.Errorf("unsent %d, want 19", r.Unsent)
		}
		if r.Elapsed != time.Second || r.Latencies[0] != time.Second {
			t.Errorf("elapsed %v, latency %v: the request in progress was not waited for", r.Elapsed, r.Latencies)
		}
	})
}

// Every request due before the deadline is either sent or counted unsent, whether the
// target or the generator held it up.
func TestPacedAccountsForEveryDueRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 225*time.Millisecond)
	defer cancel()
	r := Paced(ctx, 20, 0, 8, func(context.Context, int) (int, http.Header, error) { return 200, nil, nil })
	// Due at 0, 50, 100, 150 and 200 ms.
	if r.Requests+r.Unsent != 5 {
		t.Errorf("%d sent + %d unsent, want the 5 due before the deadline", r.Requests, r.Unsent)
	}
}

func TestPacedRefusesNonsenseRates(t *testing.T) {
	called := false
	do := func(context.Context, int) (int, http.Header, error) { called = true; return 200, nil, nil }
	for _, rate := range []float64{0, -5} {
		if r := Paced(context.Background(), rate, 10, 1, do); r.Requests != 0 || called {
			t.Errorf("rate %v ran %d requests", rate, r.Requests)
		}
	}
}

// TestClosed runs on synctest's clock: the 4 workers' calls overlap whatever the
// machine's speed.
func TestClosed(t *testing.T) {
	var c concurrency
	var mu sync.Mutex
	seen := map[int]int{}
	var r *Result
	synctest.Test(t, func(t *testing.T) {
		r = Closed(context.Background(), 4, 100, func(_ context.Context, i int) (int, http.Header, error) {
			c.enter()
			defer c.leave()
			mu.Lock()
			seen[i]++
			mu.Unlock()
			time.Sleep(time.Millisecond)
			return 200 + i%2, nil, nil
		})
		// 25 rounds of 4 calls of 1 ms.
		if r.Elapsed != 25*time.Millisecond {
			t.Errorf("elapsed %v, want 25ms", r.Elapsed)
		}
	})
	if r.Requests != 100 || r.ByStatus[200] != 50 || r.ByStatus[201] != 50 || len(r.Latencies) != 100 {
		t.Fatalf("result: requests %d, statuses %v", r.Requests, r.ByStatus)
	}
	for i := range 100 {
		if seen[i] != 1 {
			t.Errorf("request %d sent %d times", i, seen[i])
		}
	}
	if p := c.peak.Load(); p != 4 {
		t.Errorf("peak concurrency %d, want 4 workers", p)
	}
	if !slices.IsSorted(r.Latencies) || !slices.IsSorted(r.LatenciesByStatus[201]) || len(r.LatenciesByStatus[201]) != 50 {
		t.Errorf("latencies not sorted or not split by status")
	}
}

func TestClosedStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	r := Closed(ctx, 3, 0, func(ctx context.Context, _ int) (int, http.Header, error) {
		if calls.Add(1) == 50 {
			cancel()
		}
		return 204, nil, ctx.Err() // the run's end does not cancel a call
	})
	if int64(r.Requests) != calls.Load() || r.Requests < 50 || r.Requests > 52 || r.Errors != 0 {
		t.Errorf("requests %d, calls %d, errors %d; want 50–52 calls, all answered", r.Requests, calls.Load(), r.Errors)
	}
}

func TestStatusAndErrorAccounting(t *testing.T) {
	answers := []struct {
		status int
		retry  string
		err    error
	}{
		{200, "", nil},
		{429, "1", nil},
		{429, "", nil}, // missing
		{503, "Wed, 21 Oct 2026 07:28:00 GMT", nil}, // a date is valid
		{503, "soon", nil},                          // missing: not a delay
		{503, "-1", nil},                            // missing: negative
		{500, "", nil},                              // not a shedding answer
		{0, "", errors.New("connection refused")},
		{0, "", errors.New("connection refused")},
		{0, "", errors.New("timeout")},
	}
	r := Closed(context.Background(), 1, len(answers), func(_ context.Context, i int) (int, http.Header, error) {
		a := answers[i]
		h := http.Header{}
		if a.retry != "" {
			h.Set("Retry-After", a.retry)
		}
		return a.status, h, a.err
	})
	if r.Requests != 10 || r.Errors != 3 || r.MissingRetryAfter != 3 {
		t.Errorf("requests %d errors %d missing Retry-After %d, want 10 3 3", r.Requests, r.Errors, r.MissingRetryAfter)
	}
	want := map[int]int{200: 1, 429: 2, 503: 3, 500: 1}
	if !mapsEqual(r.ByStatus, want) {
		t.Errorf("by status %v, want %v", r.ByStatus, want)
	}
	if len(r.LatenciesByStatus[0]) != 3 {
		t.Errorf("%d failed-call latencies, want 3", len(r.LatenciesByStatus[0]))
	}
	if !slices.Equal(r.ErrorSamples, []string{"connection refused", "timeout"}) {
		t.Errorf("error samples %q", r.ErrorSamples)
	}
}

func mapsEqual(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMix(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	var order []string
	part := func(name string) Do {
		return func(_ context.Context, i int) (int, http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			got[name] = append(got[name], i)
			order = append(order, name)
			return 200, nil, nil
		}
	}
	do := Mix(Weighted{9, part("read")}, Weighted{1, part("ingest")}, Weighted{0, part("never")})
	for i := range 100 {
		_, _, _ = do(context.Background(), i)
	}
	if len(got["read"]) != 90 || len(got["ingest"]) != 10 || len(got["never"]) != 0 {
		t.Fatalf("split read %d ingest %d never %d, want 90 10 0", len(got["read"]), len(got["ingest"]), len(got["never"]))
	}
	// Each part numbers its own requests 0, 1, 2, … once each.
	for name, is := range got {
		for k, i := range is {
			if i != k {
				t.Errorf("%s got request numbers %v", name, is)
				break
			}
		}
	}
	// Interleaved: one ingest in every ten.
	for c := 0; c < 100; c += 10 {
		n := 0
		for _, name := range order[c : c+10] {
			if name == "ingest" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("requests %d–%d hold %d ingests", c, c+9, n)
		}
	}
	if _, _, err := Mix()(context.Background(), 0); err == nil {
		t.Error("an empty mix sent a request")
	}
}
