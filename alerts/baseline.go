package alerts

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// No alerts on first sight (docs/alerts.md, "A firm's first sight"). A firm is first
// seen by the first scan that scores it: that scan writes its first score history
// entry, which the store keeps for good, so the first sight outlives restarts. A firm
// first seen by any scan but a daemon's startup scan came in while the daemon ran,
// by an import, whose records of the firm may come in later batches than the firm:
// its records dated before its first sight are its history, not news. Its baseline
// is the result it would have now had nothing adverse happened to it since it was
// first seen — its status before the scan, its events dated before its first sight,
// and the favourable ones after. grade_downgrade and score_drop measure a fall from
// the previous values only as far as the baseline lets them.

// historyLimit bounds the score history read for one firm: more than any firm
// gathers, since an entry is written only when its score moves by a point.
const historyLimit = 1 << 20

// historyOf returns firm v's score history, newest first, read once per evaluation
// for the rules that need it.
func (e *evaluation) historyOf(ctx context.Context, v int32) ([]store.HistoryEntry, error) {
	if h, ok := e.hist[v]; ok {
		return h, nil
	}
	uscc := e.next.Snap.IDs[v]
	h, err := e.m.db.History(ctx, uscc, store.HistoryFilter{Limit: historyLimit})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", uscc, err)
	}
	if e.hist == nil {
		e.hist = make(map[int32][]store.HistoryEntry)
	}
	e.hist[v] = h
	return h, nil
}

// firstSight is when firm v was first seen — the time of its oldest score history
// entry (the scan's own time) — and the trigger of the scan that saw it. False when
// the store holds no history of it: a firm this scan scores for the first time, or
// results written without history.
func (e *evaluation) firstSight(ctx context.Context, v int32) (at time.Time, trigger string, ok bool, err error) {
	h, err := e.historyOf(ctx, v)
	if err != nil || len(h) == 0 {
		return time.Time{}, "", false, err
	}
	first := h[len(h)-1]
	return first.At, first.Trigger, true, nil
}

// baselineOf is firm v's baseline (see above) as the model in force scores it at the
// scan's clock. False when there is none to hold the fall against: the firm's first
// sight is unknown or was a daemon's startup scan, or the model changed since the
// previous values (a fall the model's change explains is announced as before).
func (e *evaluation) baselineOf(ctx context.Context, v int32) (risk.Result, bool, error) {
	if e.modelChanged(v) {
		return risk.Result{}, false, nil
	}
	first, trigger, ok, err := e.firstSight(ctx, v)
	if !ok || err != nil || trigger == monitor.TriggerStartup {
		return risk.Result{}, false, err
	}
	model, now := e.next.Params.Model, e.next.At.Unix()
	status := e.next.Firms[v].Status
	if pv, ok := e.prevIndex(v); ok {
		status = e.prev.Firms[pv].Status // a fall the status explains is news
	}
	none := model.ScoreRefs(status, nil, now)
	var kept []risk.EventRef
	for _, ev := range e.next.FirmEvents(v) {
		if ev.At < first.Unix() {
			kept = append(kept, ev)
			continue
		}
		if r := model.ScoreRefs(status, []risk.EventRef{ev}, now); r.Score >= none.Score && !r.Grade.Worse(none.Grade) {
			kept = append(kept, ev)
		}
	}
	return model.ScoreRefs(status, kept, now), true, nil
}

// modelChanged says whether firm v's previous values were computed with another
// model version than the scan's.
func (e *evaluation) modelChanged(v int32) bool {
	version := e.next.Params.Model.Version
	if e.prev != nil {
		return e.prev.Params.Model != nil && e.prev.Params.Model.Version != version
	}
	f, ok := e.held[e.next.Snap.IDs[v]]
	return ok && f.ModelVersion != "" && f.ModelVersion != version
}

// historyExplains says whether the fall of firm v to grade g is explained by its
// history: its baseline grade is g or worse.
func (e *evaluation) historyExplains(ctx context.Context, v int32, g risk.Grade) (bool, error) {
	b, ok, err := e.baselineOf(ctx, v)
	if !ok || err != nil {
		return false, err
	}
	return !g.Worse(b.Grade), nil
}

// baselineCap caps the peak a score fell from at firm v's baseline score: a peak the
// firm held before its history arrived does not count above what that history
// allows.
func (e *evaluation) baselineCap(ctx context.Context, v int32, peak float64) (float64, error) {
	b, ok, err := e.baselineOf(ctx, v)
	if !ok || err != nil {
		return peak, err
	}
	return math.Min(peak, b.Score), nil
}
