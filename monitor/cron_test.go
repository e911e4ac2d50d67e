package monitor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/internal/testmetrics"
)

// newCronTestScheduler returns a scheduler with a fresh pedantic registry and a log
// buffer. Inside a synctest bubble it must be called inside the bubble.
func newCronTestScheduler(t *testing.T, opts SchedulerOptions) (*Scheduler, *prometheus.Registry, *testlog.Buffer) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	log, logs := testlog.Text(slog.LevelDebug)
	opts.Registerer, opts.Logger = reg, log
	return NewScheduler(opts), reg, logs
}

func wantCronMetric(t *testing.T, reg prometheus.Gatherer, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := testmetrics.Value(t, reg, name, labels...)
	if !ok {
		t.Errorf("%s%v: no such series", name, labels)
	} else if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func wantRuns(t *testing.T, reg prometheus.Gatherer, job string, success, failure, panics, timeout float64) {
	t.Helper()
	for result, want := range map[string]float64{"success": success, "failure": failure, "panic": panics, "timeout": timeout} {
		wantCronMetric(t, reg, want, "chainrisk_cron_job_runs_total", "job", job, "result", result)
	}
}

func stopScheduler(t *testing.T, s *Scheduler) {
	t.Helper()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestCronDailyInShanghai(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		shanghai, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		ran := map[string][]time.Time{}
		record := func(name string) func(context.Context) error {
			return func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				ran[name] = append(ran[name], time.Now())
				return nil
			}
		}
		// No Location: the default zone must be Asia/Shanghai.
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
		if err := s.Set([]CronJob{
			{Name: "full_scan", Spec: "0 2 * * *", Timeout: 30 * time.Minute, Run: record("full_scan")},
			{Name: "utc", Spec: "CRON_TZ=UTC 0 2 * * *", Run: record("utc")},
		}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer stopScheduler(t, s)

		const days = 5
		time.Sleep(days * 24 * time.Hour)
		synctest.Wait()

		mu.Lock()
		defer mu.Unlock()
		for name, loc := range map[string]*time.Location{"full_scan": shanghai, "utc": time.UTC} {
			runs := ran[name]
			if len(runs) != days {
				t.Fatalf("%s ran %d times in %d days, want %d: %v", name, len(runs), days, days, runs)
			}
			for i, r := range runs {
				local := r.In(loc)
				if local.Hour() != 2 || local.Minute() != 0 || local.Second() != 0 || local.Nanosecond() != 0 {
					t.Errorf("%s run %d at %s, want 02:00:00 %s", name, i, local, loc)
				}
				if i > 0 {
					if d := r.Sub(runs[i-1]); d != 24*time.Hour {
						t.Errorf("%s runs %d and %d are %s apart, want 24h", name, i-1, i, d)
					}
				}
			}
			last := runs[len(runs)-1].In(loc)
			want := time.Date(last.Year(), last.Month(), last.Day()+1, 2, 0, 0, 0, loc)
			next, ok := s.Next(name)
			if !ok || !next.Equal(want) {
				t.Errorf("Next(%s) = %s, %v; want %s", name, next, ok, want)
			}
			wantCronMetric(t, reg, float64(want.Unix()), "chainrisk_cron_job_next_run_timestamp_seconds", "job", name)
			wantCronMetric(t, reg, float64(last.Unix()), "chainrisk_cron_job_last_success_timestamp_seconds", "job", name)
			wantRuns(t, reg, name, days, 0, 0, 0)
			wantCronMetric(t, reg, 0, "chainrisk_cron_job_skipped_total", "job", name)
		}
		// The bubble starts at 2000-01-01 00:00 UTC, 08:00 in Shanghai: the first
		// Shanghai run is on the 2nd, the first UTC run on the 1st.
		if got := ran["full_scan"][0].In(shanghai).Day(); got != 2 {
			t.Errorf("first full_scan on day %d, want 2", got)
		}
		if got := ran["utc"][0].In(time.UTC).Day(); got != 1 {
			t.Errorf("first utc run on day %d, want 1", got)
		}
	})
}

func TestCronPanicRecovered(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		s, reg, logs := newCronTestScheduler(t, SchedulerOptions{})
		err := s.Set([]CronJob{{Name: "resend_alerts", Spec: "@every 1m", Run: func(context.Context) error {
			if calls.Add(1) == 1 {
				panic("boom")
			}
			return nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer stopScheduler(t, s)

		time.Sleep(2*time.Minute + 30*time.Second)
		synctest.Wait()
		if got := calls.Load(); got != 2 {
			t.Fatalf("job ran %d times, want 2 (the tick after the panic must run)", got)
		}
		wantRuns(t, reg, "resend_alerts", 1, 0, 1, 0)
		if n := logs.Count("level=ERROR", `msg="cron job panicked"`); n != 1 {
			t.Errorf("%d panic log lines, want 1; logs:\n%s", n, logs)
		}
		if l := logs.String(); !strings.Contains(l, "boom") || !strings.Contains(l, "cron_test.go") {
			t.Errorf("panic log lacks the value or the stack:\n%s", l)
		}

		// RunNow reports a panic as an error.
		calls.Store(0)
		if err := s.RunNow(context.Background(), "resend_alerts"); err == nil || !strings.Contains(err.Error(), "panic: boom") {
			t.Errorf("RunNow of a panicking job = %v, want the panic as an error", err)
		}
		wantRuns(t, reg, "resend_alerts", 1, 0, 2, 0)
	})
}

func TestCronOverrunSkipped(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var current, maxCurrent, started atomic.Int32
		s, reg, logs := newCronTestScheduler(t, SchedulerOptions{})
		err := s.Set([]CronJob{{Name: "source:tax_feed", Spec: "@every 1m", Run: func(ctx context.Context) error {
			started.Add(1)
			n := current.Add(1)
			defer current.Add(-1)
			for {
				if m := maxCurrent.Load(); n <= m || maxCurrent.CompareAndSwap(m, n) {
					break
				}
			}
			select {
			case <-time.After(150 * time.Second):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer stopScheduler(t, s)

		// Ticks at 1m..10m: runs start at 1m, 4m, 7m and 10m (each lasting 2m30s),
		// the six ticks in between are skipped.
		time.Sleep(10*time.Minute + 30*time.Second)
		synctest.Wait()
		if got := started.Load(); got != 4 {
			t.Errorf("%d runs started, want 4", got)
		}
		if got := maxCurrent.Load(); got != 1 {
			t.Errorf("%d runs at once, want 1", got)
		}
		wantRuns(t, reg, "source:tax_feed", 3, 0, 0, 0)
		wantCronMetric(t, reg, 6, "chainrisk_cron_job_skipped_total", "job", "source:tax_feed")
		wantCronMetric(t, reg, 1, "chainrisk_cron_job_running", "job", "source:tax_feed")
		if n := logs.Count("level=WARN", `msg="cron job skipped: previous run still in progress"`); n != 6 {
			t.Errorf("%d skip warnings, want 6", n)
		}
		if err := s.RunNow(context.Background(), "source:tax_feed"); !errors.Is(err, ErrSkipped) {
			t.Errorf("RunNow while running = %v, want ErrSkipped", err)
		}
		wantCronMetric(t, reg, 7, "chainrisk_cron_job_skipped_total", "job", "source:tax_feed")
	})
}

func TestCronTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var sawDeadline atomic.Bool
		errInner := errors.New("upstream: context deadline exceeded")
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
		err := s.Set([]CronJob{
			{Name: "esri", Spec: "@every 1h", Timeout: 30 * time.Second, Run: func(ctx context.Context) error {
				<-ctx.Done()
				sawDeadline.Store(errors.Is(ctx.Err(), context.DeadlineExceeded))
				return ctx.Err()
			}},
			// Not a timeout of ours: a failure.
			{Name: "expire_events", Spec: "@hourly", Timeout: time.Minute, Run: func(context.Context) error {
				return errInner
			}},
		})
		if err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		err = s.RunNow(context.Background(), "esri")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RunNow = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("run lasted %s, want the 30s timeout", d)
		}
		if !sawDeadline.Load() {
			t.Error("job did not see its context's deadline")
		}
		wantRuns(t, reg, "esri", 0, 0, 0, 1)
		wantCronMetric(t, reg, 1, "chainrisk_cron_job_duration_seconds", "job", "esri")

		if err := s.RunNow(context.Background(), "expire_events"); !errors.Is(err, errInner) {
			t.Errorf("RunNow(expire_events) = %v, want %v", err, errInner)
		}
		wantRuns(t, reg, "expire_events", 0, 1, 0, 0)

		// A deadline of RunNow's caller is not the job's timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.RunNow(ctx, "esri"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RunNow with caller deadline = %v", err)
		}
		wantRuns(t, reg, "esri", 0, 1, 0, 1)

		// Scheduled runs time out the same way.
		s.Start()
		defer stopScheduler(t, s)
		time.Sleep(time.Hour + time.Minute)
		synctest.Wait()
		wantRuns(t, reg, "esri", 0, 1, 0, 2)
		wantRuns(t, reg, "expire_events", 0, 2, 0, 0)
	})
}
