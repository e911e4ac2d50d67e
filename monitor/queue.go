package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Scan scopes (docs/operations.md). ScopeFirms is internal: the firms an ingest batch touched.
const (
	ScopeAll        = "all"
	ScopeChain      = "chain:"
	ScopeEnterprise = "enterprise:"
	ScopeFirms      = "firms"
)

// TriggerStartup triggers the full scan a daemon runs when it starts: the firms it
// scores first were in the store before the daemon ran.
const TriggerStartup = "startup"

// ErrUnknownFirm is returned for a scope naming a firm the engine does not hold.
var ErrUnknownFirm = errors.New("unknown firm")

// ParseScope checks a rescan scope: "all", "chain:<uscc>" or "enterprise:<uscc>".
func ParseScope(scope string) (kind, uscc string, err error) {
	switch {
	case scope == ScopeAll:
		return ScopeAll, "", nil
	case strings.HasPrefix(scope, ScopeChain):
		uscc = strings.TrimPrefix(scope, ScopeChain)
	case strings.HasPrefix(scope, ScopeEnterprise):
		uscc = strings.TrimPrefix(scope, ScopeEnterprise)
	default:
		return "", "", fmt.Errorf("scope %q: want all, chain:<uscc> or enterprise:<uscc>", scope)
	}
	if err := credit.CheckUSCC(uscc); err != nil {
		return "", "", fmt.Errorf("scope %q: %w", scope, err)
	}
	return scope[:len(scope)-len(uscc)], uscc, nil
}

// Queue holds the scans waiting to run and runs them one at a time. The store is the
// queue (scans rows with status queued), so a scan queued by any replica is run by
// the leader; triggers for a scope already waiting coalesce into that scan, so a
// storm of triggers while one scan runs yields one follow-up scan.
type Queue struct {
	e      *Engine
	log    *slog.Logger
	active func() bool
	poll   time.Duration

	mu      sync.Mutex
	waiting map[string]*store.Scan    // scope → queued scan, for coalescing
	touched map[int64]map[string]bool // queued firm scans → their firms

	// Owned by the goroutine of Run: scans that failed, to be queued again, and the
	// attempt number of the retries queued so far.
	retries  []retry
	attempts map[int64]int
	wake     chan struct{}
}

// QueueOptions configure a Queue.
type QueueOptions struct {
	// Active gates running (the leader runs scans; followers only queue them).
	Active func() bool
	// Poll is how often the store is checked for scans queued elsewhere (default 2 s).
	Poll time.Duration
}

// NewQueue returns a queue feeding e.
func NewQueue(e *Engine, o QueueOptions) *Queue {
	if o.Active == nil {
		o.Active = func() bool { return true }
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	return &Queue{e: e, log: e.log, active: o.Active, poll: o.Poll, waiting: make(map[string]*store.Scan),
		touched: make(map[int64]map[string]bool), wake: make(chan struct{}, 1), attempts: make(map[int64]int)}
}

// Submit queues a scan of scope (see ParseScope) and returns its record; a scan of
// the same scope already waiting absorbs the trigger. A chain or enterprise scope
// must name a firm of the current state.
func (q *Queue) Submit(ctx context.Context, scope, trigger string) (*store.Scan, error) {
	if _, uscc, err := ParseScope(scope); err != nil {
		return nil, err
	} else if uscc != "" {
		s := q.e.State()
		if s == nil {
			return nil, errors.New("no state yet: the first scan has not finished")
		}
		if _, ok := s.Index(uscc); !ok {
			return nil, fmt.Errorf("scope %q: %w %s", scope, ErrUnknownFirm, uscc)
		}
	}
	return q.submit(ctx, scope, trigger, nil)
}

// SubmitFirms queues an incremental scan of the firms an ingest batch touched; they
// join the firms of an ingest scan already waiting. all turns it into a full scan.
func (q *Queue) SubmitFirms(ctx context.Context, firms []string, all bool, trigger string) (*store.Scan, error) {
	if all {
		return q.submit(ctx, ScopeAll, trigger, nil)
	}
	if len(firms) == 0 {
		return nil, nil
	}
	return q.submit(ctx, ScopeFirms, trigger, firms)
}

// QueueFullScan records a full scan in db, queued, for the daemon leading on db to
// run: its Queue polls the store for scans queued elsewhere. Writers outside the
// daemon (chainriskctl import --store) call it after committing, since the daemon
// cannot know which firms they touched. A full scan already waiting absorbs the
// request: it has not started, and a scan reads the store only after it is marked
// running, so it will see what was committed before this call.
func QueueFullScan(ctx context.Context, db store.ScanStore, trigger string) (*store.Scan, error) {
	queued, err := db.QueuedScans(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue a full scan: %w", err)
	}
	for i := range queued {
		if queued[i].Scope == ScopeAll {
			return &queued[i], nil
		}
	}
	sc := &store.Scan{Kind: ScanFull, Scope: ScopeAll, Trigger: trigger, Status: store.ScanQueued}
	if err := db.CreateScan(ctx, sc); err != nil {
		return nil, fmt.Errorf("queue a full scan: %w", err)
	}
	return sc, nil
}

func (q *Queue) submit(ctx context.Context, scope, trigger string, firms []string) (*store.Scan, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if sc, ok := q.waiting[scope]; ok {
		// Another replica (the leader) may have run it since.
		if held, err := q.e.db.Scan(ctx, sc.ID); err == nil && held.Status == store.ScanQueued {
			for _, f := range firms {
				q.touched[sc.ID][f] = true
			}
			return sc, nil
		}
		delete(q.waiting, scope)
		delete(q.touched, sc.ID)
	}
	kind := ScanIncremental
	if scope == ScopeAll {
		kind = ScanFull
	}
	sc := &store.Scan{Kind: kind, Scope: scope, Trigger: trigger, Status: store.ScanQueued}
	if err := q.e.db.CreateScan(ctx, sc); err != nil {
		return nil, err
	}
	q.waiting[scope] = sc
	if firms != nil {
		set := make(map[string]bool, len(firms))
		for _, f := range firms {
			set[f] = true
		}
		q.touched[sc.ID] = set
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return sc, nil
}

// Run works the queue until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	t := time.NewTicker(q.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
		if q.active() {
			q.drain(ctx)
		}
	}
}

// drain runs every queued scan, oldest first. A scan that fails (the store went
// away under it, say) is queued again with backoff, so the firms an acknowledged
// ingest touched are not left stale until the next full scan; draining stops until
// the next tick, so that an outage does not spin.
func (q *Queue) drain(ctx context.Context) {
	q.resubmit(ctx, time.Now())
	for ctx.Err() == nil {
		queued, err := q.e.db.QueuedScans(ctx)
		if err != nil {
			q.log.Warn("cannot read the scan queue", "err", err)
			return
		}
		if len(queued) == 0 {
			return
		}
		sc := queued[0]
		req := q.take(&sc)
		attempt := q.attempts[sc.ID]
		delete(q.attempts, sc.ID)
		if _, err := q.e.Run(ctx, req); err != nil && ctx.Err() == nil {
			if attempt+1 >= maxScanAttempts {
				q.log.Error("queued scan failed; giving up, the next full scan covers its firms",
					"id", sc.ID, "scope", sc.Scope, "attempts", attempt+1, "err", err)
				continue
			}
			r := retry{scope: sc.Scope, firms: req.Touched, attempt: attempt + 1,
				at: time.Now().Add(retryBackoff(attempt + 1))}
			if req.Kind == ScanFull {
				r.firms = nil
			}
			q.retries = append(q.retries, r)
			q.log.Warn("queued scan failed; it will be queued again", "id", sc.ID, "scope", sc.Scope,
				"attempt", r.attempt, "retry_in", time.Until(r.at).Round(time.Millisecond), "err", err)
			return
		}
	}
}

// retry is a failed scan waiting to be queued again.
type retry struct {
	scope   string
	firms   []string // the firms of a firms scan, nil for a full one
	attempt int
	at      time.Time
}

// maxScanAttempts bounds the runs of one failing scan (the first and its retries).
const maxScanAttempts = 12

// retryBackoff is the wait before a scan's attempt-th retry: 2 s doubling, at most 5 min.
func retryBackoff(attempt int) time.Duration {
	return min(2*time.Second<<min(attempt-1, 20), 5*time.Minute)
}

// resubmit queues the retries that are due; one that cannot be queued yet waits on.
func (q *Queue) resubmit(ctx context.Context, now time.Time) {
	kept := q.retries[:0]
	for _, r := range q.retries {
		if now.Before(r.at) {
			kept = append(kept, r)
			continue
		}
		var sc *store.Scan
		var err error
		if r.scope == ScopeFirms {
			sc, err = q.SubmitFirms(ctx, r.firms, r.firms == nil, "retry")
		} else {
			sc, err = q.submit(ctx, r.scope, "retry", nil)
		}
		if err != nil {
			r.at = now.Add(retryBackoff(r.attempt))
			kept = append(kept, r)
			continue
		}
		if sc != nil {
			q.attempts[sc.ID] = max(q.attempts[sc.ID], r.attempt)
		}
	}
	q.retries = kept
}

// take turns a queued scan into a request and stops it from absorbing triggers:
// from now on, a trigger of its scope queues a follow-up.
func (q *Queue) take(sc *store.Scan) Request {
	q.mu.Lock()
	if w, ok := q.waiting[sc.Scope]; ok && w.ID == sc.ID {
		delete(q.waiting, sc.Scope)
	}
	firms := q.touched[sc.ID]
	delete(q.touched, sc.ID)
	q.mu.Unlock()

	req := Request{Kind: ScanFull, Trigger: sc.Trigger, Scope: sc.Scope, Scan: sc}
	state := q.e.State()
	switch kind, uscc, _ := ParseScope(sc.Scope); {
	case sc.Scope == ScopeFirms && firms != nil:
		req.Kind = ScanIncremental
		for f := range firms {
			req.Touched = append(req.Touched, f)
		}
		slices.Sort(req.Touched)
	case kind == ScopeEnterprise:
		req.Kind, req.Touched = ScanIncremental, []string{uscc}
	case kind == ScopeChain && state != nil:
		if v, ok := state.Index(uscc); ok {
			if ch, err := state.ChainOf(v, state.Params.Exposure.Chain); err == nil {
				req.Kind = ScanIncremental
				for _, m := range ch.Members {
					req.Touched = append(req.Touched, state.Snap.IDs[m.Node])
				}
			}
		}
	}
	// A firms scan queued by another replica (its firms unknown here) and anything
	// that cannot be narrowed runs as a full scan.
	return req
}
