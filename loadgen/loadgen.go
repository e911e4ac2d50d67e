package loadgen

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Do performs request i and returns the HTTP status (0 on a transport error), the
// response header and the error.
//
// Paced and Closed call it with a context that keeps the run's values but is not
// cancelled when the run ends: a request that has started is measured to its end, so
// Do must bound its own time (Target's requests do, with the client's timeout).
type Do func(ctx context.Context, i int) (status int, h http.Header, err error)

// Result is what a run measured.
type Result struct {
	// Requests counts the calls that completed, failed ones included.
	Requests int
	// Errors counts the calls that returned an error (transport errors, status 0).
	Errors int
	// ByStatus counts the answers by HTTP status; failed calls are not in it.
	ByStatus map[int]int
	// Elapsed runs from the first scheduled start to the last completion.
	Elapsed time.Duration
	// Latencies holds every completed call's latency, sorted. Paced measures from the
	// scheduled start, Closed from the call.
	Latencies []time.Duration
	// LatenciesByStatus splits Latencies by status, each sorted; key 0 holds the
	// failed calls.
	LatenciesByStatus map[int][]time.Duration
	// MissingRetryAfter counts 429 and 503 answers without a valid Retry-After
	// (delay-seconds or an HTTP date).
	MissingRetryAfter int
	// Unsent counts, in a Paced run, the requests that were due before ctx ended but
	// never started: maxInFlight requests were still in progress, or the generator
	// itself fell behind. A run that ends at its count n has none. They are load that
	// was never offered, which the latencies alone would not show.
	Unsent int
	// ErrorSamples holds the first few distinct error messages.
	ErrorSamples []string
}

// maxErrorSamples bounds Result.ErrorSamples.
const maxErrorSamples = 5

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the latencies by the nearest-rank
// method: the smallest latency that at least q of all latencies do not exceed. It is
// 0 when nothing completed.
func (r *Result) Quantile(q float64) time.Duration {
	return quantile(r.Latencies, q)
}

// QuantileOf is Quantile over the answers with one status (0: failed calls).
func (r *Result) QuantileOf(status int, q float64) time.Duration {
	return quantile(r.LatenciesByStatus[status], q)
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 || math.IsNaN(q) {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Throughput is the completed requests per second of elapsed time.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Paced is open-loop: it starts requests at a fixed rate (per second) until n requests
// have started (n ≤ 0: no count bound) or ctx ends, never more than maxInFlight at
// once (at least 1). Request k is due at k/rate after the start and its latency is
// measured from then, not from when a slot let it start: a target that stalls shows
// the wait of every request it held up, so coordinated omission is not hidden. When
// ctx ends no more requests start; those in progress are waited for. A rate that is
// not a positive number runs nothing.
func Paced(ctx context.Context, rate float64, n int, maxInFlight int, do Do) *Result {
	rec := newRecorder()
	if !(rate > 0) || math.IsInf(rate, 1) {
		return rec.result(0)
	}
	rctx := context.WithoutCancel(ctx)
	slots := make(chan struct{}, max(maxInFlight, 1))
	var wg sync.WaitGroup
	start := time.Now()
	dueAt := func(k int) time.Time { return start.Add(time.Duration(float64(k) * float64(time.Second) / rate)) }
	timer := time.NewTimer(0)
	defer timer.Stop()
	started := 0
loop:
	for n <= 0 || started < n {
		due := dueAt(started)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		i := started
		started++
		wg.Go(func() {
			defer func() { <-slots }()
			status, h, err := do(rctx, i)
			rec.add(time.Since(due), status, h, err)
		})
	}
	// The run ended at its deadline, or now when it was cancelled; request k was due
	// before then when k/rate < t, which holds for ceil(t·rate) requests.
	end := time.Now()
	if dl, ok := ctx.Deadline(); ok && ctx.Err() != nil && dl.Before(end) {
		end = dl
	}
	unsent := 0
	if ctx.Err() != nil {
		unsent = max(int(math.Ceil(end.Sub(start).Seconds()*rate))-started, 0)
		if n > 0 {
			unsent = min(unsent, n-started)
		}
	}
	wg.Wait()
	res := rec.result(time.Since(start))
	res.Unsent = unsent
	return res
}

// Closed runs workers loops that each send a request as soon as their previous one is
// answered, until n requests have started (n ≤ 0: no count bound) or ctx ends; the
// requests in progress then are waited for. Latency is measured from each call, so a
// closed loop slows down with its target: use it to push a target to its limits, and
// Paced to measure latency at a given load.
func Closed(ctx context.Context, workers, n int, do Do) *Result {
	rec := newRecorder()
	rctx := context.WithoutCancel(ctx)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n {
					return
				}
				t0 := time.Now()
				status, h, err := do(rctx, i)
				rec.add(time.Since(t0), status, h, err)
			}
		})
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// recorder collects completions from concurrent requests.
type recorder struct {
	mu  sync.Mutex
	res Result
}

func newRecorder() *recorder {
	return &recorder{res: Result{ByStatus: map[int]int{}, LatenciesByStatus: map[int][]time.Duration{}}}
}

func (c *recorder) add(latency time.Duration, status int, h http.Header, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.res
	r.Requests++
	r.Latencies = append(r.Latencies, latency)
	if err != nil {
		r.Errors++
		r.LatenciesByStatus[0] = append(r.LatenciesByStatus[0], latency)
		if msg := err.Error(); len(r.ErrorSamples) < maxErrorSamples && !slices.Contains(r.ErrorSamples, msg) {
			r.ErrorSamples = append(r.ErrorSamples, msg)
		}
		return
	}
	r.ByStatus[status]++
	r.LatenciesByStatus[status] = append(r.LatenciesByStatus[status], latency)
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && !validRetryAfter(h.Get("Retry-After")) {
		r.MissingRetryAfter++
	}
}

func (c *recorder) result(elapsed time.Duration) *Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.res
	r.Elapsed = elapsed
	slices.Sort(r.Latencies)
	for _, l := range r.LatenciesByStatus {
		slices.Sort(l)
	}
	return &r
}

// validRetryAfter says whether v is a Retry-After value (RFC 9110 §10.2.3):
// delay-seconds or an HTTP date.
func validRetryAfter(v string) bool {
	if v == "" {
		return false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0 && v[0] != '+' && v[0] != '-'
	}
	_, err := http.ParseTime(v)
	return err == nil
}
