package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// ESRIRun is what one run of the esri job did.
type ESRIRun struct {
	ScanID int64 // the scan whose state the cascades ran on
	At     time.Time
	// Leaders counts the leaders whose results were written; Failed those whose
	// computation failed (each logged; the others are still written).
	Leaders, Failed int
	// Members counts the members computed, NotConverged those stopped by
	// esri.max_steps.
	Members, NotConverged int
	// Dropped counts the stored results removed because their firm no longer leads.
	Dropped int
}

// RunESRI is the esri cron job (docs/models.md): the ESRI of every leading firm's chain
// members, on the chain subgraph plus one hop (NewChainESRI), from the latest
// published state. Each leader's result is written to the store as soon as it is
// computed, so a run cut short by its timeout keeps what it finished, and so that
// the results survive restarts and every replica serves them. Results of firms no
// longer leading are deleted first. Leaders run in parallel, one per core, those
// with the oldest results (or none) first.
//
// A leader whose computation fails is logged and counted; the run goes on with
// the others and then returns an error naming how many failed. A cancelled ctx
// stops the run.
func (e *Engine) RunESRI(ctx context.Context, p risk.ESRIParams) (ESRIRun, error) {
	st := e.State()
	if st == nil {
		return ESRIRun{}, errors.New("esri: no scan has finished yet")
	}
	run := ESRIRun{ScanID: st.ScanID, At: e.now()}
	start := time.Now()
	defer e.esri.invalidate()

	leading := make(map[string]bool, len(st.Leaders))
	for _, v := range st.Leaders {
		leading[st.Snap.IDs[v]] = true
	}
	var drop []string
	held := map[string]time.Time{}
	err := e.db.ESRIResults(ctx, func(r *store.ESRIResult) error {
		if !leading[r.Leader] {
			drop = append(drop, r.Leader)
		}
		held[r.Leader] = r.ComputedAt
		return nil
	})
	if err == nil && len(drop) > 0 {
		err = e.db.SaveESRI(ctx, nil, drop)
	}
	if err != nil {
		return run, fmt.Errorf("esri: %w", err)
	}
	run.Dropped = len(drop)

	next := make(chan int32)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range max(1, min(runtime.GOMAXPROCS(0), len(st.Leaders))) {
		wg.Go(func() {
			for v := range next {
				rec, res, err := e.chainESRIRecord(ctx, st, v, p, run.At)
				if err == nil {
					err = retryStore(ctx, func() error { return e.db.SaveESRI(ctx, []store.ESRIResult{rec}, nil) })
				}
				mu.Lock()
				if err != nil {
					run.Failed++
					errs = append(errs, err)
				} else {
					run.Leaders++
					run.Members += len(res.Members)
					run.NotConverged += res.NotConverged
				}
				mu.Unlock()
				if err != nil && ctx.Err() == nil {
					e.log.Error("esri of a chain failed", "leader", st.Snap.IDs[v], "err", err)
				}
			}
		})
	}
feed:
	for _, v := range stalestFirst(st, held) {
		select {
		case next <- v:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return run, fmt.Errorf("esri: stopped after %d of %d leaders: %w", run.Leaders, len(st.Leaders), err)
	}
	if run.Failed > 0 {
		return run, fmt.Errorf("esri: %d of %d leaders failed: %w", run.Failed, len(st.Leaders), errors.Join(errs...))
	}
	if run.NotConverged > 0 {
		e.log.Warn("esri: some cascades stopped at esri.max_steps; their indices are lower bounds",
			"members", run.NotConverged, "max_steps", p.MaxSteps)
	}
	e.log.Info("esri done", "scan", run.ScanID, "leaders", run.Leaders, "members", run.Members,
		"not_converged", run.NotConverged, "dropped", run.Dropped, "seconds", time.Since(start).Seconds())
	return run, nil
}

// stalestFirst orders the leaders for a run: those without a stored result, then
// by the age of their stored result, oldest first (USCC order among equals). A run
// cut short by its timeout then leaves the freshest results unrefreshed, and the
// next run starts where this one stopped, instead of redoing the same first leaders
// every night.
func stalestFirst(st *State, held map[string]time.Time) []int32 {
	order := slices.Clone(st.Leaders) // in USCC order
	slices.SortStableFunc(order, func(a, b int32) int {
		ta, tb := held[st.Snap.IDs[a]], held[st.Snap.IDs[b]]
		return ta.Compare(tb) // the zero time of a leader without a result sorts first
	})
	return order
}

// chainESRIRecord computes one leader's chain ESRI and its store row.
func (e *Engine) chainESRIRecord(ctx context.Context, st *State, v int32, p risk.ESRIParams,
	at time.Time) (store.ESRIResult, *risk.ChainESRI, error) {
	res, err := NewChainESRI(ctx, st, v, p)
	if err != nil {
		return store.ESRIResult{}, nil, err
	}
	detail, err := json.Marshal(res)
	if err != nil {
		return store.ESRIResult{}, nil, fmt.Errorf("esri of %s: %w", res.Leader, err)
	}
	return store.ESRIResult{Leader: res.Leader, ScanID: st.ScanID, ComputedAt: at, Members: int64(len(res.Members)),
		ESRIMax: res.Max(), NotConverged: int64(res.NotConverged), Detail: detail}, res, nil
}

// esriSummaryTTL is how long the metrics trust the ESRI summaries they read from
// the store. The job runs rarely and on the leader only; followers see its
// results within this time.
const esriSummaryTTL = 30 * time.Second

// esriSummaries caches the stored chain ESRI summaries (no detail) for the metrics.
type esriSummaries struct {
	mu     sync.Mutex
	loaded time.Time // zero: load at the next use
	rows   []store.ESRIResult
}

func (b *esriSummaries) invalidate() {
	b.mu.Lock()
	b.loaded = time.Time{}
	b.mu.Unlock()
}

// get returns the summaries, reading them again when older than esriSummaryTTL.
// When the store does not answer, the previous ones stay.
func (b *esriSummaries) get(e *Engine) []store.ESRIResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.loaded.IsZero() && time.Since(b.loaded) < esriSummaryTTL {
		return b.rows
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var rows []store.ESRIResult
	err := e.db.ESRIResults(ctx, func(r *store.ESRIResult) error {
		rows = append(rows, *r)
		return nil
	})
	b.loaded = time.Now() // a failed read is retried after the TTL too
	if err != nil {
		e.log.Warn("esri summaries for the metrics not read", "err", err)
		return b.rows
	}
	b.rows = rows
	return rows
}
