package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// Scan kinds.
const (
	ScanFull        = "full"
	ScanIncremental = "incremental"
)

// Store is what the engine uses of the store: it scans the data, records the scans
// (the queue's too), writes their results, and keeps the chain ESRI of its cron job.
type Store interface {
	store.DataStore
	store.ScanStore
	store.ResultStore
	store.ESRIStore
}

// Engine runs scans over a store and publishes their results as a State.
type Engine struct {
	db     Store
	log    *slog.Logger
	now    func() time.Time
	params atomic.Pointer[Params]
	state  atomic.Pointer[State]
	// The state is stale — not what this process last persisted and announced — when
	// a demotion came after the last recorded scan began: a follower's state (built
	// from the store, which may hold events the leader had not scanned yet), or a
	// demoted leader's (another leader may have written since). The next scan that
	// records then compares with the store instead.
	demotions, synced atomic.Uint64
	mu                sync.Mutex // one scan at a time
	m                 *engineMetrics
	// Observers are called, in order, with each scan's previous and new state
	// before the new one is published (alert evaluation hooks in here).
	observers []func(ctx context.Context, prev, next *State, sc *store.Scan) error
	// rescored are called in incremental scans once the firms are rescored
	// (ObserveRescored, rescored.go).
	rescored []func(ctx context.Context, prev, next *State, sc *store.Scan) error
	// esri caches the stored chain ESRI summaries for the metrics (esri_job.go).
	esri esriSummaries
	// data is what the last full scan read, for the next one to re-read only what
	// changed (dataset.go); reread and margin are EngineOptions' FullReread and
	// ReadMargin.
	data   *dataset
	reread atomic.Int64 // a time.Duration, set on config reload while a scan runs
	margin time.Duration
}

// EngineOptions configure an Engine.
type EngineOptions struct {
	Store  Store
	Params Params
	Logger *slog.Logger
	Now    func() time.Time
	// Metrics receives the engine's metrics; nil registers none.
	Metrics *Metrics
	// FullReread is how often a full scan reads the store whole and compares it with
	// the dataset it holds (schedule.full_reread; 0: DefaultFullReread; negative:
	// every full scan reads whole). ReadMargin is how far before its previous read's
	// mark a full scan re-reads changed rows (0: DefaultReadMargin).
	FullReread, ReadMargin time.Duration
}

// NewEngine returns an engine without state; the first FullScan builds one.
func NewEngine(o EngineOptions) *Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReadMargin <= 0 {
		o.ReadMargin = DefaultReadMargin
	}
	e := &Engine{db: o.Store, log: o.Logger, now: o.Now, margin: o.ReadMargin}
	e.reread.Store(int64(fullReread(o.FullReread)))
	e.params.Store(&o.Params)
	if o.Metrics != nil {
		e.m = o.Metrics.engine
		o.Metrics.attach(e)
	}
	return e
}

// State returns the latest published state, or nil before the first scan.
func (e *Engine) State() *State { return e.state.Load() }

// SetParams replaces the parameters used by the next scans (config reload).
func (e *Engine) SetParams(p Params) { e.params.Store(&p) }

// SetFullReread replaces EngineOptions.FullReread (config reload); the next full
// scan applies it.
func (e *Engine) SetFullReread(d time.Duration) { e.reread.Store(int64(fullReread(d))) }

// fullReread applies EngineOptions.FullReread's default.
func fullReread(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultFullReread
	}
	return d
}

// Observe adds a hook run after each scan.
func (e *Engine) Observe(fn func(ctx context.Context, prev, next *State, sc *store.Scan) error) {
	e.observers = append(e.observers, fn)
}

// Stage names of a scan, in order; their durations go into the scan's stats.
const (
	StageLoad      = "load"
	StageScore     = "score"
	StageLists     = "lists"
	StagePropagate = "propagate"
	StageExposure  = "exposure"
	StageObserve   = "observe"
	StagePersist   = "persist"
)

// ScanStats is what a scan reports besides its status.
type ScanStats struct {
	Firms        int     `json:"firms"`
	Relations    int     `json:"relations"`
	ActiveEvents int     `json:"active_events"`
	Leaders      int     `json:"leaders"`
	Recomputed   int     `json:"recomputed"` // firms rescored (all, for a full scan)
	Chains       int     `json:"chains"`     // chain exposures computed
	Written      int     `json:"written"`    // firm results written
	Iterations   int     `json:"iterations"`
	Residual     float64 `json:"residual"`
	DistressMode string  `json:"distress_mode"`
	// Read says how a full scan read the store (ReadWhole, ReadChanges, ReadChecked),
	// ReadFirms how many firms it read.
	Read      string             `json:"read,omitempty"`
	ReadFirms int                `json:"read_firms,omitempty"`
	Stages    map[string]float64 `json:"stages_seconds"`
	Seconds   float64            `json:"seconds"`
}

// Request asks for a scan.
type Request struct {
	Kind    string // ScanFull or ScanIncremental
	Trigger string // cron:<job>, api:<token>, startup, ingest
	Scope   string // all, chain:<uscc>, enterprise:<uscc>
	// Touched lists the firms an incremental scan must re-read; TouchedAll turns it
	// into a full scan.
	Touched    []string
	TouchedAll bool
	// Scan, when set, is an already recorded (queued) scan to run.
	Scan *store.Scan
	// Shadow computes a full state for reading only: nothing is recorded, written
	// or observed. Follower replicas build their state this way; only the leader
	// runs scans (docs/operations.md).
	Shadow bool
	// Interrupt, when set, first fails the scans recorded as running, with this
	// reason: those a dead process (or a predecessor as leader) left. It is done
	// under the engine's lock, so a scan of this engine is never among them.
	Interrupt string
}

// ReasonInterrupted is the error of a scan a takeover failed (Request.Interrupt):
// the process running it died, or stopped leading, before it finished.
const ReasonInterrupted = "interrupted: the process running the scan stopped, or stopped leading, before it finished"

// LatestSucceeded returns the id of the newest scan among the latest 100 that
// succeeded, other than except; 0 when there is none. Until a scan succeeds, what the
// store holds is a first sight: the first scan on record takes it for the quiet
// baseline of the alerts, and what is written after it is news.
func LatestSucceeded(ctx context.Context, db store.ScanStore, except int64) (int64, error) {
	scans, err := db.Scans(ctx, 100)
	if err != nil {
		return 0, err
	}
	for _, sc := range scans {
		if sc.Status == store.ScanSucceeded && sc.ID != except {
			return sc.ID, nil
		}
	}
	return 0, nil
}

// Demote says this process stopped leading: what it holds may no longer be what the
// store holds, so the next recorded scan is a full one compared with the store.
func (e *Engine) Demote() { e.demotions.Add(1) }

// Run runs one scan: it records it, computes, persists, publishes and returns it.
// An incremental request without a previous state runs as a full scan.
func (e *Engine) Run(ctx context.Context, req Request) (*store.Scan, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.state.Load()
	if req.Shadow {
		return nil, e.shadow(ctx, prev)
	}
	if req.Scan != nil {
		// The queue reads rows without the engine's lock, so it may have read, as
		// queued, a row the engine was just recording for a scan of its own (created
		// queued, then marked running). Under the lock, a row no longer queued has run.
		held, err := e.db.Scan(ctx, req.Scan.ID)
		if err != nil {
			return nil, fmt.Errorf("scan %d: %w", req.Scan.ID, err)
		}
		if held.Status != store.ScanQueued {
			return held, nil
		}
	}
	if req.Interrupt != "" {
		if err := e.interrupt(ctx, req.Interrupt); err != nil {
			return nil, err
		}
	}
	// What a leader announces and writes is measured against what was last
	// persisted and announced, never against a view it did not write itself.
	gen := e.demotions.Load()
	if gen != e.synced.Load() {
		prev = nil
	}
	kind := req.Kind
	params := *e.params.Load()
	// An incremental scan carries the previous state's events over: they must
	// index the same catalogue and be those the lists look back on now.
	if kind != ScanIncremental || prev == nil || req.TouchedAll || !carriesOver(prev.Params, params) {
		kind = ScanFull
	}
	sc, err := e.record(ctx, req, kind)
	if err != nil {
		return sc, err
	}
	if prev == nil {
		e.data = nil // a first scan, or one after a demotion: nothing held to build on
	}
	run := &scanRun{e: e, sc: sc, params: params, stats: ScanStats{Stages: map[string]float64{}}, start: time.Now(), data: e.data}
	next, err := run.compute(ctx, prev, kind, req.Touched)
	if err == nil {
		next.Held = nil // served its scan; the state need not carry it
		e.state.Store(next)
		e.synced.Store(gen)
		if kind == ScanFull {
			e.data = run.next
		}
	}
	return sc, e.finish(ctx, run, kind, err)
}

// shadow computes a full state for reading only and publishes it (Request.Shadow).
func (e *Engine) shadow(ctx context.Context, prev *State) error {
	run := &scanRun{e: e, sc: &store.Scan{}, params: *e.params.Load(), stats: ScanStats{Stages: map[string]float64{}},
		start: time.Now(), shadow: true}
	next, err := run.full(ctx, prev)
	if err != nil {
		return err
	}
	e.data = nil
	e.Demote()
	e.state.Store(next)
	return nil
}

// interrupt fails the scans recorded as running (Request.Interrupt).
func (e *Engine) interrupt(ctx context.Context, reason string) error {
	interrupted, err := e.db.InterruptScans(ctx, reason)
	if err != nil {
		return fmt.Errorf("interrupt scans: %w", err)
	}
	for _, sc := range interrupted {
		e.log.Warn("scan interrupted: the process running it stopped, or stopped leading; this scan redoes it",
			"id", sc.ID, "trigger", sc.Trigger)
	}
	return nil
}

// record creates the scan's row, unless the request brings a queued one, and marks
// it running.
func (e *Engine) record(ctx context.Context, req Request, kind string) (*store.Scan, error) {
	if req.Scope == "" {
		req.Scope = "all"
	}
	sc := req.Scan
	if sc == nil {
		sc = &store.Scan{Kind: kind, Scope: req.Scope, Trigger: req.Trigger, Status: store.ScanQueued}
		if err := e.db.CreateScan(ctx, sc); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
	}
	sc.Kind, sc.Status, sc.StartedAt = kind, store.ScanRunning, e.now()
	if err := e.db.UpdateScan(ctx, sc); err != nil {
		return sc, fmt.Errorf("scan %d: %w", sc.ID, err)
	}
	return sc, nil
}

// compute runs the scan's stages: the new state, the observers, the results written.
func (r *scanRun) compute(ctx context.Context, prev *State, kind string, touched []string) (*State, error) {
	e := r.e
	var next *State
	var err error
	if kind == ScanFull {
		next, err = r.full(ctx, prev)
	} else {
		next, err = r.incremental(ctx, prev, touched)
	}
	// The first scan of a process compares with the results the store holds: read
	// them once for the observers and for persist.
	if err == nil && prev == nil {
		err = r.stage(StageLoad, func() error { return e.loadHeld(ctx, next) })
	}
	// Observers (alert rules) run before the results are written, so that they can
	// compare with what the store held; a crash between the two re-evaluates the
	// same change, which alert fingerprints make harmless.
	if err == nil {
		err = r.stage(StageObserve, func() error {
			for _, fn := range e.observers {
				if err := fn(ctx, prev, next, r.sc); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		err = r.stage(StagePersist, func() error { return r.persist(ctx, prev, next, r.written.nodes, r.written.leaders) })
	}
	return next, err
}

// finish records the scan's outcome and stats on its row, logs it and returns err
// (joined with a failure to record).
func (e *Engine) finish(ctx context.Context, run *scanRun, kind string, err error) error {
	sc := run.sc
	run.stats.Seconds = time.Since(run.start).Seconds()
	stats, _ := json.Marshal(run.stats)
	sc.Stats, sc.FinishedAt = stats, e.now()
	sc.Status = store.ScanSucceeded
	if err != nil {
		sc.Status, sc.Error = store.ScanFailed, err.Error()
	}
	// The scan's record must land even when ctx was cancelled mid-way, and through a
	// blip of the store (the pooled connection killed under it): a record left
	// "running" is never finished, unless a takeover fails it.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if uerr := retryStore(wctx, func() error { return e.db.UpdateScan(wctx, sc) }); uerr != nil {
		err = errors.Join(err, uerr)
	}
	e.m.observeScan(kind, run.stats, err == nil, sc.FinishedAt)
	if err != nil {
		e.log.Error("scan failed", "id", sc.ID, "kind", kind, "trigger", sc.Trigger, "err", err)
		return err
	}
	e.log.Info("scan done", "id", sc.ID, "kind", kind, "trigger", sc.Trigger, "firms", run.stats.Firms,
		"recomputed", run.stats.Recomputed, "chains", run.stats.Chains, "written", run.stats.Written,
		"seconds", run.stats.Seconds)
	return nil
}

// retryStore calls write until it succeeds or ctx ends, backing off from 50 ms to
// 2 s between attempts; a missing row is final.
func retryStore(ctx context.Context, write func() error) error {
	wait := 50 * time.Millisecond
	for {
		err := write()
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrFenced) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// scanRun is one scan in progress.
type scanRun struct {
	e      *Engine
	sc     *store.Scan
	params Params
	stats  ScanStats
	start  time.Time
	shadow bool // compute only: no progress, no results written
	// written says which results persist considers: nodes (nil: all) and the
	// leaders whose chains were recomputed.
	written written
	// data is what the engine held of its last read when the scan began, next what
	// this full scan read (dataset.go); seen collects the clock's bounds during a
	// whole read, and onSubset sees what an incremental read returned.
	data, next *dataset
	seen       *boundsSeen
	onSubset   func(*store.Subset)
	// change is what a full scan's read from the store's changes found (nil after a
	// whole read): its chains are then patched as an incremental scan's are.
	change *change
}

type written struct{ nodes, leaders []int32 }

func (r *scanRun) stage(name string, fn func() error) error {
	t := time.Now()
	err := fn()
	r.stats.Stages[name] += time.Since(t).Seconds()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// progress records firms done out of total on the scan row.
func (r *scanRun) progress(ctx context.Context, done, total int) {
	r.sc.Done, r.sc.Total = int64(done), int64(total)
	if r.shadow {
		return
	}
	if err := r.e.db.UpdateScan(ctx, r.sc); err != nil {
		r.e.log.Warn("scan progress not recorded", "id", r.sc.ID, "err", err)
	}
}

// full builds a new state from everything the store holds, with the scan's start
// as its clock.
func (r *scanRun) full(ctx context.Context, prev *State) (*State, error) {
	at := r.sc.StartedAt
	if at.IsZero() { // a shadow scan, which has no record
		at = r.e.now()
	}
	s := &State{ScanID: r.sc.ID, At: at, Params: r.params}
	if err := r.stage(StageLoad, func() error { return r.read(ctx, prev, s) }); err != nil {
		return nil, err
	}
	n := s.Len()
	r.stats.Firms, r.stats.Relations, r.stats.ActiveEvents = n, s.Snap.NumEdges(), len(s.Events)
	r.progress(ctx, 0, n)
	all := make([]int32, n)
	for v := range all {
		all[v] = int32(v)
	}
	s.Score, s.P, s.D, s.Grade = make([]float64, n), make([]float64, n), make([]float64, n), make([]risk.Grade, n)
	if err := r.stage(StageScore, func() error { return r.score(ctx, s, all) }); err != nil {
		return nil, err
	}
	r.stats.Recomputed = n
	r.progress(ctx, n, n)
	_ = r.stage(StageLists, func() error {
		s.Lists = lists.Compute(r.params.Lists, s.ListInput())
		return nil
	})
	err := r.stage(StagePropagate, func() error {
		// A snapshot carried over from prev (no relation changed) keeps its propagator.
		var err error
		pr := prev.propagatorFor(s.Snap, r.params.Distress)
		if pr == nil {
			if pr, err = risk.NewPropagator(s.Snap, r.params.Distress); err != nil {
				return err
			}
		}
		s.Prop = pr
		s.D, s.Distress, err = pr.Distress(ctx, s.P)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Leaders = leadersOf(s.Snap, s.Firms)
	if err := r.stage(StageExposure, func() error { return r.fullExposures(ctx, prev, s) }); err != nil {
		return nil, err
	}
	return s, nil
}

// fullExposures computes every leader's chain of a full scan. After a read from the
// store's changes, every firm rescored and d propagated from scratch, the chains are
// taken as an incremental scan takes them (rechain): recomputed where a relation, a
// leader's list or its parameters changed, patched from walks where a member's p or
// grade moved, and only their distress figures refreshed elsewhere — which equals a
// recompute (TestFullScanFromChangesEqualsWholeRead, TestIncrementalEqualsFull).
// A whole read recomputes every chain.
func (r *scanRun) fullExposures(ctx context.Context, prev, s *State) error {
	if r.change == nil || prev == nil {
		s.Chains = make(map[int32]*risk.Exposure, len(s.Leaders))
		r.written = written{nodes: nil, leaders: s.Leaders}
		return r.exposures(ctx, s, s.Leaders)
	}
	_, rescored := movedFirms(prev, s)
	leaders, err := r.rechain(ctx, prev, s, *r.change, rescored)
	r.written = written{nodes: nil, leaders: leaders}
	return err
}

// score computes score, grade and p of the given nodes, in parallel.
func (r *scanRun) score(ctx context.Context, s *State, nodes []int32) error {
	model, now := r.params.Model, s.At.Unix()
	workers := min(runtime.GOMAXPROCS(0), max(1, len(nodes)/4096))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(nodes); i += workers {
				v := nodes[i]
				res := model.ScoreRefs(s.Firms[v].Status, s.FirmEvents(v), now)
				s.Score[v], s.Grade[v], s.P[v] = res.Score, res.Grade, res.P
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// ExpireEvents ends the publicity of every event whose period is over and rescans
// the firms they concern (the hourly expire_events job). It returns nil when no event
// expired.
func (e *Engine) ExpireEvents(ctx context.Context, trigger string) (*store.Scan, error) {
	touched, err := e.db.ExpireEvents(ctx, e.now())
	if err != nil || len(touched) == 0 {
		return nil, err
	}
	e.log.Info("events expired", "firms", len(touched))
	return e.Run(ctx, Request{Kind: ScanIncremental, Trigger: trigger, Touched: touched})
}
