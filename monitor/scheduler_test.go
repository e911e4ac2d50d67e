package monitor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chainrisk/chainrisk/internal/testmetrics"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestSchedulerSetRejects(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ok := func(context.Context) error { return nil }
	cases := []struct {
		name string
		job  CronJob
		want string
	}{
		{"bare CRON_TZ", CronJob{Name: "source:bad", Spec: "CRON_TZ=", Run: ok}, `cron job "source:bad"`},
		{"bare CRON_TZ with space", CronJob{Name: "source:bad", Spec: "CRON_TZ= ", Run: ok}, `cron job "source:bad"`},
		{"bare TZ", CronJob{Name: "source:bad", Spec: "TZ=", Run: ok}, `cron job "source:bad"`},
		{"CRON_TZ without schedule", CronJob{Name: "source:bad", Spec: "CRON_TZ=Asia/Shanghai", Run: ok}, `cron job "source:bad"`},
		{"unknown zone", CronJob{Name: "source:bad", Spec: "CRON_TZ=Mars/Olympus 0 2 * * *", Run: ok}, `cron job "source:bad"`},
		{"malformed", CronJob{Name: "esri", Spec: "61 * * * *", Run: ok}, `cron job "esri": schedule "61 * * * *"`},
		{"six fields", CronJob{Name: "esri", Spec: "0 0 2 * * *", Run: ok}, `cron job "esri"`},
		{"empty spec", CronJob{Name: "esri", Spec: "", Run: ok}, `cron job "esri"`},
		{"never fires", CronJob{Name: "esri", Spec: "0 0 30 2 *", Run: ok}, `cron job "esri"`},
		{"every below 1s", CronJob{Name: "esri", Spec: "@every 10ms", Run: ok}, `cron job "esri"`},
		{"no name", CronJob{Spec: "@hourly", Run: ok}, `cron job #2: empty name`},
		{"duplicate", CronJob{Name: "full_scan", Spec: "@hourly", Run: ok}, `cron job "full_scan": defined twice`},
		{"no func", CronJob{Name: "esri", Spec: "@hourly"}, `cron job "esri": no function to run`},
		{"negative timeout", CronJob{Name: "esri", Spec: "@hourly", Timeout: -time.Second, Run: ok}, `cron job "esri": negative timeout`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var runs atomic.Int32
				s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
				good := CronJob{Name: "full_scan", Spec: "@every 1m", Run: func(context.Context) error { runs.Add(1); return nil }}
				if err := s.Set([]CronJob{good}); err != nil {
					t.Fatal(err)
				}
				s.Start()
				defer stopScheduler(t, s)
				time.Sleep(90 * time.Second)
				before, _ := s.Next("full_scan")

				err := s.Set([]CronJob{good, tc.job})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Set = %v, want an error containing %q", err, tc.want)
				}
				// The previous set stays, schedule included.
				if _, ok := s.Next(tc.job.Name); ok && tc.job.Name != "full_scan" {
					t.Errorf("rejected job %q was added", tc.job.Name)
				}
				if after, ok := s.Next("full_scan"); !ok || !after.Equal(before) {
					t.Errorf("Next(full_scan) = %s, %v after a failed Set, want %s", after, ok, before)
				}
				time.Sleep(time.Minute)
				synctest.Wait()
				if got := runs.Load(); got != 2 {
					t.Errorf("full_scan ran %d times, want 2", got)
				}
				if tc.job.Name != "" && tc.job.Name != "full_scan" {
					if _, ok := testmetrics.Value(t, reg, "chainrisk_cron_job_runs_total", "job", tc.job.Name); ok {
						t.Errorf("series of the rejected job %q exist", tc.job.Name)
					}
				}
			})
		})
	}
}

func TestSchedulerSetReplaces(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var oldRuns, newRuns, hourly, slowRuns atomic.Int32
		release := make(chan struct{})
		slow := CronJob{Name: "full_scan", Spec: "@every 1m", Run: func(ctx context.Context) error {
			slowRuns.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}}
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
		t0 := time.Now()
		err := s.Set([]CronJob{
			{Name: "resend_alerts", Spec: "@every 1m", Timeout: time.Minute, Run: func(context.Context) error { oldRuns.Add(1); return nil }},
			{Name: "expire_events", Spec: "0 * * * *", Run: func(context.Context) error { hourly.Add(1); return nil }},
			slow,
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer stopScheduler(t, s)

		time.Sleep(90 * time.Second) // resend_alerts ran at 1m; full_scan runs since 1m
		synctest.Wait()
		if _, ok := testmetrics.Value(t, reg, "chainrisk_cron_job_runs_total", "job", "expire_events"); !ok {
			t.Fatal("no series for expire_events before Set")
		}

		err = s.Set([]CronJob{
			// Same name and spec, new function: keeps its schedule and its series.
			{Name: "resend_alerts", Spec: "@every 1m", Timeout: time.Minute, Run: func(context.Context) error { newRuns.Add(1); return nil }},
			{Name: "source:tax_feed", Spec: "@every 5m", Run: func(context.Context) error { return nil }},
			slow,
		})
		if err != nil {
			t.Fatal(err)
		}
		if next, ok := s.Next("resend_alerts"); !ok || !next.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("Next(resend_alerts) = %s, %v; want %s (schedule kept, not restarted at Set)", next, ok, t0.Add(2*time.Minute))
		}
		if next, ok := s.Next("source:tax_feed"); !ok || !next.Equal(t0.Add(6*time.Minute+30*time.Second)) {
			t.Errorf("Next(source:tax_feed) = %s, %v; want %s", next, ok, t0.Add(6*time.Minute+30*time.Second))
		}
		if _, ok := s.Next("expire_events"); ok {
			t.Error("removed job still has a next run")
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "job" && lp.GetValue() == "expire_events" {
						t.Errorf("series %s{job=expire_events} of the removed job remains", mf.GetName())
					}
				}
			}
		}
		wantRuns(t, reg, "resend_alerts", 1, 0, 0, 0)
		wantCronMetric(t, reg, 0, "chainrisk_cron_job_runs_total", "job", "source:tax_feed", "result", "success")

		// The running full_scan was not interrupted, and skip-if-running holds
		// across the replacement.
		if err := s.RunNow(context.Background(), "full_scan"); !errors.Is(err, ErrSkipped) {
			t.Errorf("RunNow(full_scan) during a run kept by Set = %v, want ErrSkipped", err)
		}
		wantCronMetric(t, reg, 1, "chainrisk_cron_job_running", "job", "full_scan")

		time.Sleep(time.Minute) // to 2m30s
		synctest.Wait()
		if o, n := oldRuns.Load(), newRuns.Load(); o != 1 || n != 1 {
			t.Errorf("resend_alerts: old function ran %d times, new %d; want 1 and 1", o, n)
		}
		wantRuns(t, reg, "resend_alerts", 2, 0, 0, 0)
		wantCronMetric(t, reg, 2, "chainrisk_cron_job_skipped_total", "job", "full_scan") // RunNow and the 2m tick
		if got := slowRuns.Load(); got != 1 {
			t.Errorf("full_scan started %d times, want 1", got)
		}
		close(release)
		synctest.Wait()
		wantRuns(t, reg, "full_scan", 1, 0, 0, 0)
		if got := hourly.Load(); got != 0 {
			t.Errorf("removed hourly job ran %d times", got)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := hourly.Load(); got != 0 {
			t.Errorf("removed hourly job ran %d times", got)
		}
	})
}

func TestSchedulerInactive(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var leader atomic.Bool
		var runs atomic.Int32
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{Active: leader.Load})
		if err := s.Set([]CronJob{{Name: "full_scan", Spec: "@every 1m", Run: func(context.Context) error { runs.Add(1); return nil }}}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer stopScheduler(t, s)

		time.Sleep(5*time.Minute + 30*time.Second)
		synctest.Wait()
		if got := runs.Load(); got != 0 {
			t.Fatalf("inactive replica ran %d jobs", got)
		}
		if err := s.RunNow(context.Background(), "full_scan"); !errors.Is(err, ErrInactive) {
			t.Errorf("RunNow on an inactive replica = %v, want ErrInactive", err)
		}
		wantRuns(t, reg, "full_scan", 0, 0, 0, 0)
		wantCronMetric(t, reg, 6, "chainrisk_cron_job_gated_total", "job", "full_scan")
		wantCronMetric(t, reg, 0, "chainrisk_cron_job_skipped_total", "job", "full_scan")
		wantCronMetric(t, reg, 0, "chainrisk_cron_job_duration_seconds", "job", "full_scan")

		leader.Store(true)
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := runs.Load(); got != 1 {
			t.Errorf("leader ran %d jobs in a minute, want 1", got)
		}
		wantRuns(t, reg, "full_scan", 1, 0, 0, 0)
	})
}

func TestSchedulerStopCancelsRunningJob(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		var cause atomic.Value
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
		err := s.Set([]CronJob{{Name: "full_scan", Spec: "@every 1m", Run: func(ctx context.Context) error {
			runs.Add(1)
			<-ctx.Done()
			cause.Store(ctx.Err())
			time.Sleep(10 * time.Second) // cleaning up
			return ctx.Err()
		}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if runs.Load() != 1 {
			t.Fatal("job not running")
		}

		start := time.Now()
		if err := s.Stop(context.Background()); err != nil {
			t.Fatalf("Stop = %v", err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("Stop returned after %s, want when the job ended (10s)", d)
		}
		if c, _ := cause.Load().(error); !errors.Is(c, context.Canceled) {
			t.Errorf("job's context ended with %v, want context.Canceled", c)
		}
		wantRuns(t, reg, "full_scan", 0, 1, 0, 0)
		wantCronMetric(t, reg, 0, "chainrisk_cron_job_running", "job", "full_scan")
		if _, ok := testmetrics.Value(t, reg, "chainrisk_cron_job_next_run_timestamp_seconds", "job", "full_scan"); ok {
			t.Error("a stopped scheduler exports a next run")
		}
		if _, ok := s.Next("full_scan"); ok {
			t.Error("Next after Stop reports a run")
		}
		if err := s.RunNow(context.Background(), "full_scan"); !errors.Is(err, ErrSchedulerStopped) {
			t.Errorf("RunNow after Stop = %v, want ErrSchedulerStopped", err)
		}
		time.Sleep(10 * time.Minute)
		if got := runs.Load(); got != 1 {
			t.Errorf("job ran %d times, want no run after Stop", got)
		}
		s.Start() // no restart after Stop
		time.Sleep(10 * time.Minute)
		if got := runs.Load(); got != 1 {
			t.Errorf("job ran %d times, want no run after Start following Stop", got)
		}
		stopScheduler(t, s) // a second Stop is harmless
	})
}

func TestSchedulerStopDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		s, _, _ := newCronTestScheduler(t, SchedulerOptions{})
		running := make(chan struct{})
		err := s.Set([]CronJob{{Name: "esri", Spec: "@daily", Run: func(context.Context) error {
			close(running)
			time.Sleep(time.Hour) // ignores its context
			return nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- s.RunNow(context.Background(), "esri") }()
		<-running

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("Stop gave up after %s, want 5s", d)
		}
		if err := <-done; err != nil {
			t.Errorf("RunNow = %v", err)
		}
	})
}

// TestSchedulerRealClock runs the scheduler outside a bubble, where goleak is the
// only check that Stop leaves no goroutine behind.
func TestSchedulerRealClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, reg, _ := newCronTestScheduler(t, SchedulerOptions{Location: time.UTC})
	running := make(chan struct{}, 1)
	if err := s.Set([]CronJob{{Name: "full_scan", Spec: "@every 1s", Run: func(ctx context.Context) error {
		select {
		case running <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("job did not start within 10s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if got, _ := testmetrics.Value(t, reg, "chainrisk_cron_job_runs_total", "job", "full_scan", "result", "failure"); got < 1 {
		t.Errorf("cancelled run not counted as a failure")
	}
}

func TestCronMetricsExposition(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		s, reg, _ := newCronTestScheduler(t, SchedulerOptions{})
		err := s.Set([]CronJob{{Name: "expire_events", Spec: "@every 1h", Run: func(context.Context) error {
			time.Sleep(2 * time.Second)
			return nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		// The bubble starts at 2000-01-01 00:00:00 UTC = 946684800.
		if err := s.RunNow(context.Background(), "expire_events"); err != nil {
			t.Fatal(err)
		}
		// Not started: the next run is the spec's next activation after now.
		want := `
# HELP chainrisk_cron_job_duration_seconds Duration of finished runs of a cron job, whatever the result.
# TYPE chainrisk_cron_job_duration_seconds histogram
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="0.1"} 0
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="0.5"} 0
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="1"} 0
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="2.5"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="5"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="10"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="30"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="60"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="120"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="300"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="600"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="1200"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="1800"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="3600"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="7200"} 1
chainrisk_cron_job_duration_seconds_bucket{job="expire_events",le="+Inf"} 1
chainrisk_cron_job_duration_seconds_sum{job="expire_events"} 2
chainrisk_cron_job_duration_seconds_count{job="expire_events"} 1
# HELP chainrisk_cron_job_gated_total Runs of a cron job not started because this replica was not the leader.
# TYPE chainrisk_cron_job_gated_total counter
chainrisk_cron_job_gated_total{job="expire_events"} 0
# HELP chainrisk_cron_job_last_success_timestamp_seconds When a run of the cron job last succeeded; 0 if none has since it was added.
# TYPE chainrisk_cron_job_last_success_timestamp_seconds gauge
chainrisk_cron_job_last_success_timestamp_seconds{job="expire_events"} 9.46684802e+08
# HELP chainrisk_cron_job_next_run_timestamp_seconds When the cron job is next due.
# TYPE chainrisk_cron_job_next_run_timestamp_seconds gauge
chainrisk_cron_job_next_run_timestamp_seconds{job="expire_events"} 9.46688402e+08
# HELP chainrisk_cron_job_running Whether a run of the cron job is in progress (1) or not (0).
# TYPE chainrisk_cron_job_running gauge
chainrisk_cron_job_running{job="expire_events"} 0
# HELP chainrisk_cron_job_runs_total Finished runs of a cron job, by result: success, failure, panic or timeout.
# TYPE chainrisk_cron_job_runs_total counter
chainrisk_cron_job_runs_total{job="expire_events",result="failure"} 0
chainrisk_cron_job_runs_total{job="expire_events",result="panic"} 0
chainrisk_cron_job_runs_total{job="expire_events",result="success"} 1
chainrisk_cron_job_runs_total{job="expire_events",result="timeout"} 0
# HELP chainrisk_cron_job_skipped_total Runs of a cron job skipped because its previous run was still in progress.
# TYPE chainrisk_cron_job_skipped_total counter
chainrisk_cron_job_skipped_total{job="expire_events"} 0
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
			t.Error(err)
		}
		problems, err := testutil.GatherAndLint(reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
		if n, err := testutil.GatherAndCount(reg, "chainrisk_cron_job_runs_total"); err != nil || n != 4 {
			t.Errorf("%d runs_total series (%v), want 4", n, err)
		}
		stopScheduler(t, s)
	})
}
