package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/chainrisk/chainrisk/config"
)

// Errors returned by Scheduler.RunNow instead of running the job.
var (
	// ErrSkipped: the job's previous run has not finished.
	ErrSkipped = errors.New("cron job skipped: its previous run is still in progress")
	// ErrInactive: SchedulerOptions.Active reported this replica is not the leader.
	ErrInactive = errors.New("cron job not run: this replica is not active")
	// ErrSchedulerStopped: Stop has been called.
	ErrSchedulerStopped = errors.New("cron scheduler stopped")
	// ErrUnknownJob: no job of that name is in the current set.
	ErrUnknownJob = errors.New("unknown cron job")
)

// errCronTimeout is the cause of a run's context when the job's Timeout expires; it
// tells a timeout apart from a deadline of RunNow's caller or from Stop.
var errCronTimeout = errors.New("cron job timeout")

// CronJob is one scheduled job (docs/operations.md): full_scan, esri, expire_events,
// resend_alerts, or "source:" and a source's name.
type CronJob struct {
	Name    string
	Spec    string        // as in config; parsed with config.ParseSchedule
	Timeout time.Duration // per run; 0 means none
	Run     func(ctx context.Context) error
}

// SchedulerOptions configures a Scheduler. Every field may be left zero.
type SchedulerOptions struct {
	// Location is the zone of specs without CRON_TZ= or TZ=; nil means Asia/Shanghai.
	Location *time.Location
	// Registerer receives the chainrisk_cron_job_* metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Active, when set, is asked before every run, scheduled or RunNow: a replica
	// that is not the leader runs nothing. Such a run is neither a run nor a skip;
	// it counts in chainrisk_cron_job_gated_total and RunNow returns ErrInactive.
	Active func() bool
}

// Scheduler runs CronJobs on robfig/cron. The library only decides when; every run
// goes through execute, which adds what the library lacks: skip-if-running by job
// name, a context with the job's timeout that Stop cancels, panic recovery, leader
// gating and metrics.
type Scheduler struct {
	loc    *time.Location
	logger *slog.Logger
	active func() bool
	cron   *cron.Cron
	base   context.Context // cancelled by Stop
	cancel context.CancelFunc

	mu      sync.Mutex
	jobs    map[string]*cronEntry // the current set, by name
	running map[string]bool       // names with a run in progress, in the current set or not
	started bool
	stopped bool
	wg      sync.WaitGroup // runs in progress; Add only under mu while !stopped
}

// cronEntry is a job of the current set. Set keeps the entry (and so its place in
// the library's schedule) of a job whose name and spec are unchanged, updating job.
type cronEntry struct {
	job   CronJob
	sched cron.Schedule
	id    cron.EntryID
	stats *cronStats // kept across Set for as long as the name stays
}

// Run results, the values of the result label.
const (
	cronSuccess = iota
	cronFailure
	cronPanic
	cronTimeout
	cronResults
)

var cronResultNames = [cronResults]string{"success", "failure", "panic", "timeout"}

// cronDurationBuckets span resend_alerts (well under a second) to esri (timeout 2h).
var cronDurationBuckets = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}

// cronStats are the counters of one job, guarded by Scheduler.mu.
type cronStats struct {
	runs        [cronResults]uint64
	skipped     uint64
	gated       uint64
	durCount    uint64
	durSum      float64
	durBuckets  []uint64 // cumulative, parallel to cronDurationBuckets
	lastSuccess time.Time
}

func newCronStats() *cronStats {
	return &cronStats{durBuckets: make([]uint64, len(cronDurationBuckets))}
}

func (st *cronStats) record(result int, d time.Duration, end time.Time) {
	st.runs[result]++
	sec := d.Seconds()
	st.durCount++
	st.durSum += sec
	for i, b := range cronDurationBuckets {
		if sec <= b {
			st.durBuckets[i]++
		}
	}
	if result == cronSuccess {
		st.lastSuccess = end
	}
}

// NewScheduler returns a scheduler with no jobs; call Set, then Start.
func NewScheduler(opts SchedulerOptions) *Scheduler {
	loc := opts.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(config.DefaultTimezone); err != nil {
			loc = time.UTC // unreachable: config embeds time/tzdata
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		loc:     loc,
		logger:  logger,
		active:  opts.Active,
		jobs:    map[string]*cronEntry{},
		running: map[string]bool{},
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	// No cron.WithChain: recovery and skipping are done in execute, where they are
	// counted. No cron.WithParser: specs are parsed by config.ParseSchedule and added
	// with Schedule, so the library never parses (and never panics on) a spec.
	s.cron = cron.New(cron.WithLocation(loc), cron.WithLogger(cronLogger{logger}))
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(cronCollector{s})
	}
	return s
}

// Set validates every job, then replaces the job set at once; on error the previous
// set stays. A job whose name and spec are unchanged keeps its schedule (its next
// run does not move) and takes the new Run and Timeout from its next run on. A run
// in progress is never interrupted, and skip-if-running goes by name, so a job that
// is still running when Set re-adds it (with any spec) is skipped until it ends.
// The metric series of a removed job vanish; those of a kept name continue.
func (s *Scheduler) Set(jobs []CronJob) error {
	scheds := make([]cron.Schedule, len(jobs))
	seen := make(map[string]bool, len(jobs))
	var errs []error
	for i, j := range jobs {
		var err error
		switch {
		case j.Name == "":
			err = fmt.Errorf("cron job #%d: empty name", i+1)
		case seen[j.Name]:
			err = fmt.Errorf("cron job %q: defined twice", j.Name)
		case j.Run == nil:
			err = fmt.Errorf("cron job %q: no function to run", j.Name)
		case j.Timeout < 0:
			err = fmt.Errorf("cron job %q: negative timeout %s", j.Name, j.Timeout)
		default:
			if scheds[i], err = config.ParseSchedule(j.Spec, s.loc); err != nil {
				err = fmt.Errorf("cron job %q: schedule %q: %w", j.Name, j.Spec, err)
			}
		}
		seen[j.Name] = true
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("setting cron jobs: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*cronEntry, len(jobs))
	for i, j := range jobs {
		old := s.jobs[j.Name]
		if old != nil && old.job.Spec == j.Spec {
			old.job = j
			next[j.Name] = old
			continue
		}
		e := &cronEntry{job: j, sched: scheds[i], stats: newCronStats()}
		if old != nil {
			e.stats = old.stats
		}
		e.id = s.cron.Schedule(e.sched, cronTick{s, j.Name})
		next[j.Name] = e
	}
	for name, old := range s.jobs {
		if next[name] != old {
			s.cron.Remove(old.id)
		}
	}
	s.jobs = next
	return nil
}

// Start starts scheduling; it does nothing after the first call or after Stop.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	s.cron.Start()
}

// Stop stops scheduling, cancels the contexts of running jobs and waits for them to
// return until ctx ends. Later runs, RunNow included, return ErrSchedulerStopped.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	cronDone := s.cron.Stop()
	s.cancel()
	done := make(chan struct{})
	go func() {
		<-cronDone.Done() // goroutines the library started, some maybe not in wg yet
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping cron scheduler: waiting for running jobs: %w", context.Cause(ctx))
	}
}

// RunNow runs the named job at once, synchronously, through the same path as a
// scheduled run: it returns ErrSkipped when the job is still running, ErrInactive
// when gated off, the job's error, or an error for a panic. The run's context
// derives from ctx; Stop and the job's Timeout cancel it too.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	return s.execute(ctx, name)
}

// Next returns when the named job runs next: the library's schedule once started,
// otherwise the spec's next activation after now. It is false for an unknown job
// and after Stop.
func (s *Scheduler) Next(name string) (time.Time, bool) {
	s.mu.Lock()
	e, ok := s.jobs[name]
	if !ok || s.stopped {
		s.mu.Unlock()
		return time.Time{}, false
	}
	id := e.id
	s.mu.Unlock()
	t, ok := s.nextRuns()[id]
	return t, ok && !t.IsZero()
}

// nextRuns maps every entry of the library to its next activation. The library
// updates an entry's next time right after starting its run and serves Entries only
// afterwards, so a run that asks about its own schedule sees the new time.
func (s *Scheduler) nextRuns() map[cron.EntryID]time.Time {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	entries := s.cron.Entries()
	next := make(map[cron.EntryID]time.Time, len(entries))
	now := time.Now()
	for _, e := range entries {
		if started {
			next[e.ID] = e.Next
		} else {
			next[e.ID] = e.Schedule.Next(now)
		}
	}
	return next
}

// cronTick is what the library runs on a tick.
type cronTick struct {
	s    *Scheduler
	name string
}

func (t cronTick) Run() { _ = t.s.execute(t.s.base, t.name) }

// execute is the one wrapper around every run, scheduled or not.
func (s *Scheduler) execute(parent context.Context, name string) error {
	active := s.active == nil || s.active()
	s.mu.Lock()
	e, ok := s.jobs[name]
	switch {
	case s.stopped:
		s.mu.Unlock()
		return ErrSchedulerStopped
	case !ok:
		s.mu.Unlock()
		return fmt.Errorf("%w %q", ErrUnknownJob, name)
	case !active:
		e.stats.gated++
		s.mu.Unlock()
		s.logger.Debug("cron job not run: replica not active", "job", name)
		return ErrInactive
	case s.running[name]:
		e.stats.skipped++
		s.mu.Unlock()
		s.logger.Warn("cron job skipped: previous run still in progress", "job", name)
		return ErrSkipped
	}
	s.running[name] = true
	s.wg.Add(1)
	job, stats := e.job, e.stats
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, name)
		s.mu.Unlock()
		s.wg.Done()
	}()

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	if parent != s.base {
		defer context.AfterFunc(s.base, cancel)()
	}
	if job.Timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeoutCause(ctx, job.Timeout, errCronTimeout)
		defer cancelTimeout()
	}

	s.logger.Debug("cron job started", "job", name)
	start := time.Now()
	stack, err := callCronJob(ctx, job.Run)
	end := time.Now()
	d := end.Sub(start)

	result := cronSuccess
	switch {
	case stack != nil:
		result = cronPanic
		s.logger.Error("cron job panicked", "job", name, "duration", d, "err", err, "stack", string(stack))
	case err == nil:
		s.logger.Debug("cron job succeeded", "job", name, "duration", d)
	case errors.Is(context.Cause(ctx), errCronTimeout):
		result = cronTimeout
		s.logger.Error("cron job timed out", "job", name, "timeout", job.Timeout, "err", err)
	default:
		result = cronFailure
		if s.base.Err() != nil {
			s.logger.Warn("cron job interrupted by shutdown", "job", name, "duration", d, "err", err)
		} else {
			s.logger.Error("cron job failed", "job", name, "duration", d, "err", err)
		}
	}
	s.mu.Lock()
	stats.record(result, d, end)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cron job %s: %w", name, err)
	}
	return nil
}

// callCronJob runs fn, turning a panic into an error and the panicking stack.
func callCronJob(ctx context.Context, fn func(context.Context) error) (stack []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			stack = debug.Stack()
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return nil, fn(ctx)
}

// cronLogger sends the library's chatter (schedule, wake, run) to Debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	c.l.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}

var (
	cronRunsDesc = prometheus.NewDesc("chainrisk_cron_job_runs_total",
		"Finished runs of a cron job, by result: success, failure, panic or timeout.",
		[]string{"job", "result"}, nil)
	cronSkippedDesc = prometheus.NewDesc("chainrisk_cron_job_skipped_total",
		"Runs of a cron job skipped because its previous run was still in progress.",
		[]string{"job"}, nil)
	cronGatedDesc = prometheus.NewDesc("chainrisk_cron_job_gated_total",
		"Runs of a cron job not started because this replica was not the leader.",
		[]string{"job"}, nil)
	cronRunningDesc = prometheus.NewDesc("chainrisk_cron_job_running",
		"Whether a run of the cron job is in progress (1) or not (0).",
		[]string{"job"}, nil)
	cronDurationDesc = prometheus.NewDesc("chainrisk_cron_job_duration_seconds",
		"Duration of finished runs of a cron job, whatever the result.",
		[]string{"job"}, nil)
	cronLastSuccessDesc = prometheus.NewDesc("chainrisk_cron_job_last_success_timestamp_seconds",
		"When a run of the cron job last succeeded; 0 if none has since it was added.",
		[]string{"job"}, nil)
	cronNextRunDesc = prometheus.NewDesc("chainrisk_cron_job_next_run_timestamp_seconds",
		"When the cron job is next due.",
		[]string{"job"}, nil)
)

// cronCollector emits the metrics of the current job set only, so the series of a
// job removed by Set vanish at the next scrape.
type cronCollector struct{ s *Scheduler }

func (c cronCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cronRunsDesc, cronSkippedDesc, cronGatedDesc, cronRunningDesc,
		cronDurationDesc, cronLastSuccessDesc, cronNextRunDesc} {
		ch <- d
	}
}

func (c cronCollector) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		name    string
		id      cron.EntryID
		stats   cronStats
		running bool
	}
	s := c.s
	s.mu.Lock()
	rows := make([]row, 0, len(s.jobs))
	for name, e := range s.jobs {
		st := *e.stats
		st.durBuckets = append([]uint64(nil), st.durBuckets...)
		rows = append(rows, row{name, e.id, st, s.running[name]})
	}
	stopped := s.stopped
	s.mu.Unlock()
	next := s.nextRuns()

	for _, r := range rows {
		for res, n := range r.stats.runs {
			ch <- prometheus.MustNewConstMetric(cronRunsDesc, prometheus.CounterValue, float64(n), r.name, cronResultNames[res])
		}
		ch <- prometheus.MustNewConstMetric(cronSkippedDesc, prometheus.CounterValue, float64(r.stats.skipped), r.name)
		ch <- prometheus.MustNewConstMetric(cronGatedDesc, prometheus.CounterValue, float64(r.stats.gated), r.name)
		running := 0.0
		if r.running {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(cronRunningDesc, prometheus.GaugeValue, running, r.name)
		buckets := make(map[float64]uint64, len(cronDurationBuckets))
		for i, b := range cronDurationBuckets {
			buckets[b] = r.stats.durBuckets[i]
		}
		ch <- prometheus.MustNewConstHistogram(cronDurationDesc, r.stats.durCount, r.stats.durSum, buckets, r.name)
		last := 0.0
		if !r.stats.lastSuccess.IsZero() {
			last = float64(r.stats.lastSuccess.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(cronLastSuccessDesc, prometheus.GaugeValue, last, r.name)
		if t := next[r.id]; !stopped && !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(cronNextRunDesc, prometheus.GaugeValue, float64(t.Unix()), r.name)
		}
	}
}
