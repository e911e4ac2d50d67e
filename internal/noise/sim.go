package noise

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
)

// Phases of a run, as the report names them.
const (
	PhaseLoad    = "initial load"
	PhaseMonth   = "month: ingests, scans, jobs"
	PhaseRepeats = "month: resend_alerts repeats"
	// PhaseLastRepeat is the one resend_alerts run at the end of a month simulated
	// without repeats (Options.Repeats RepeatsEnd): one day's repeats.
	PhaseLastRepeat = "one day's repeats, at the month's end"
)

// Clock is the simulated clock: it stands still until the simulation moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Sleep moves the clock on by d at once.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Set(c.Now().Add(d))
	return ctx.Err()
}

// sim is the daemon's alert pipeline as a leader runs it — the store, the engine with
// the alert manager as its observer — driven step by step on a simulated clock.
// Nothing is delivered: notifications stay in the outbox, which is what is counted.
type sim struct {
	clock   *Clock
	cfg     *config.Config
	db      store.Store
	eng     *monitor.Engine
	mgr     *alerts.Manager
	marks   []Mark
	changes map[string]*Changes
	last    map[string]alertSnap
	// ingested counts rows accepted and rejected by phase.
	accepted, rejected map[string]int
	progress           func(msg string, args ...any)
}

// newSim opens a SQLite store in dir and builds the pipeline over it.
func newSim(ctx context.Context, dir string, cfg *config.Config, start time.Time, announceFirst bool,
	o Options) (*sim, error) {
	s := &sim{clock: &Clock{t: start}, cfg: cfg, changes: map[string]*Changes{}, last: map[string]alertSnap{},
		accepted: map[string]int{}, rejected: map[string]int{}, progress: o.Progress}
	log := o.Logger
	db, err := backend.OpenDaemon(ctx, "", dir, backend.Options{Now: s.clock.Now})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.db = db
	s.eng = monitor.NewEngine(monitor.EngineOptions{Store: db, Params: monitor.ParamsFromConfig(cfg), Logger: log,
		Now: s.clock.Now})
	s.mgr = alerts.NewManager(alerts.ManagerOptions{Store: db, Config: func() *config.Config { return cfg },
		Logger: log, Clock: s.clock, AnnounceFirst: announceFirst})
	s.eng.Observe(s.mgr.Observe)
	return s, nil
}

func (s *sim) close() error { return s.db.Close() }

// step runs fn at the simulated moment at, in phase, and counts the alert changes it
// made.
func (s *sim) step(ctx context.Context, phase string, at time.Time, fn func(ctx context.Context) error) error {
	s.clock.Set(at)
	if n := len(s.marks); n == 0 || s.marks[n-1].Phase != phase {
		s.marks = append(s.marks, Mark{At: at, Phase: phase})
	}
	if err := fn(ctx); err != nil {
		return err
	}
	if phase == PhaseRepeats || phase == PhaseLastRepeat {
		return nil // a resend changes no alert: not worth reading them all again
	}
	list, err := s.db.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		return fmt.Errorf("read alerts: %w", err)
	}
	after, rules := snapshot(list)
	if s.changes[phase] == nil {
		s.changes[phase] = &Changes{}
	}
	diffAlerts(s.changes[phase], s.last, after, rules, at)
	s.last = after
	return nil
}

// ingest imports inputs as one batch, as the API's ingest does, and scans what the
// batch touched, as the daemon's queue does next.
func (s *sim) ingest(ctx context.Context, phase string, inputs []ingest.Input, strict bool) error {
	sum, err := ingest.Import(ctx, s.db, inputs, ingest.ImportOptions{Strict: strict,
		Validator: &credit.Validator{Catalogue: s.cfg.Catalogue(), Now: s.clock.Now},
		MaxErrors: s.cfg.Ingest.MaxErrors})
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	s.accepted[phase] += sum.Accepted
	s.rejected[phase] += sum.Rejected
	if !sum.Committed {
		return nil
	}
	req := monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: sum.Applied.Touched,
		TouchedAll: sum.Applied.TouchedAll}
	if !req.TouchedAll && len(req.Touched) == 0 {
		return nil
	}
	_, err = s.eng.Run(ctx, req)
	return err
}

// input is one CSV file of kind k as an ingest input.
func input(name string, k credit.Kind, r io.Reader) ingest.Input {
	return ingest.Input{File: name, Kind: k, Format: ingest.CSV, R: r}
}

// load runs the initial load of w: the demo's single batch and announced first scan,
// or a daemon started on an empty store that receives the kinds one batch each.
func (s *sim) load(ctx context.Context, w *world) error {
	at := w.start
	if w.demo {
		return s.step(ctx, PhaseLoad, at, func(ctx context.Context) error {
			var inputs []ingest.Input
			for _, k := range credit.Kinds {
				f, err := w.files.Open(demo.FileName(k))
				if err != nil {
					return err
				}
				defer f.Close()
				inputs = append(inputs, input(demo.FileName(k), k, f))
			}
			sum, err := ingest.Import(ctx, s.db, inputs, ingest.ImportOptions{Strict: true,
				Validator: &credit.Validator{Catalogue: s.cfg.Catalogue(), Now: s.clock.Now}})
			if err != nil || !sum.OK() {
				return fmt.Errorf("demo load: %v (%d rows refused)", err, sum.Rejected)
			}
			s.accepted[PhaseLoad] += sum.Accepted
			_, err = s.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
			return err
		})
	}
	err := s.step(ctx, PhaseLoad, at, func(ctx context.Context) error {
		_, err := s.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
		return err
	})
	for _, k := range credit.Kinds {
		if err != nil {
			return err
		}
		at = at.Add(10 * time.Minute)
		began := time.Now()
		err = s.step(ctx, PhaseLoad, at, func(ctx context.Context) error {
			f, err := w.files.Open(demo.FileName(k))
			if err != nil {
				return err
			}
			defer f.Close()
			return s.ingest(ctx, PhaseLoad, []ingest.Input{input(demo.FileName(k), k, f)}, false)
		})
		if c := s.changes[PhaseLoad]; c != nil {
			s.progress("batch loaded and scanned", "kind", k, "took", time.Since(began).Round(time.Millisecond),
				"raw changes so far", c.Raw(), "by rule", c.ByRule)
		}
	}
	return err
}

// daySteps are the steps of one simulated day, as a daemon with the default schedule
// lives it: expire_events, the 02:00 full scan, repair_eligible at 08:00, the day's
// batches at 10:00 (events, repairs, relations, each scanned), send_digests hourly at
// minute 1 when subscriptions take digests, and resend_alerts —
// which repeats every firing alert last notified more than repeat_interval ago —
// every half hour (the default runs it every minute: repeats come within 30 minutes
// of falling due instead of one).
type dayStep struct {
	at    time.Duration
	phase string
	fn    func(ctx context.Context) error
}

func (s *sim) daySteps(b *dayBatch, repeats, digests bool) []dayStep {
	batch := func(k credit.Kind, data []byte) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			return s.ingest(ctx, PhaseMonth, []ingest.Input{input(demo.FileName(k), k, bytes.NewReader(data))}, false)
		}
	}
	steps := []dayStep{
		{5 * time.Minute, PhaseMonth, func(ctx context.Context) error {
			_, err := s.eng.ExpireEvents(ctx, "cron:"+config.JobExpireEvents)
			return err
		}},
		{2 * time.Hour, PhaseMonth, func(ctx context.Context) error {
			_, err := s.eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:" + config.JobFullScan})
			return err
		}},
		{8 * time.Hour, PhaseMonth, func(ctx context.Context) error { return s.mgr.RepairEligible(ctx, s.eng.State()) }},
		{10 * time.Hour, PhaseMonth, batch(credit.KindEvents, b.events)},
		{10*time.Hour + 10*time.Minute, PhaseMonth, batch(credit.KindRepairs, b.repairs)},
		{10*time.Hour + 20*time.Minute, PhaseMonth, batch(credit.KindRelations, b.relations)},
	}
	for at := 15 * time.Minute; repeats && at < 24*time.Hour; at += 30 * time.Minute {
		steps = append(steps, dayStep{at, PhaseRepeats, s.resend})
	}
	for at := time.Minute; digests && at < 24*time.Hour; at += time.Hour {
		steps = append(steps, dayStep{at, PhaseMonth, s.mgr.SendDigests})
	}
	slices.SortStableFunc(steps, func(a, b dayStep) int { return cmp.Compare(a.at, b.at) })
	return steps
}

// resend is a resend_alerts run.
func (s *sim) resend(ctx context.Context) error { return s.mgr.Resend(ctx, s.eng.State()) }

// day runs the steps of the day starting at midnight day, with resend_alerts runs
// when repeats is set.
func (s *sim) day(ctx context.Context, day time.Time, b *dayBatch, repeats, digests bool) error {
	for _, st := range s.daySteps(b, repeats, digests) {
		if err := s.step(ctx, st.phase, day.Add(st.at), st.fn); err != nil {
			return fmt.Errorf("%s %s: %w", day.Format(time.DateOnly), st.phase, err)
		}
	}
	return nil
}
