package alerts

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// RuleScoreDrop fires when a score fell by a configured number of points within a
// window.
const RuleScoreDrop = "score_drop"

func init() {
	register(&rule{name: RuleScoreDrop, order: 40, enabled: true,
		title:    [2]string{"信用分下降", "Credit score dropped"},
		defaults: func() ruleParams { return &scoreDropParams{Points: 100, Window: 30 * 24 * time.Hour} },
		evaluate: (*evaluation).scoreDrop})
}

// scoreDropParams: how many points a score must fall within how long.
type scoreDropParams struct {
	Points float64       `yaml:"points"`
	Window time.Duration `yaml:"window"`
}

func (p *scoreDropParams) check(_ bool, problem func(key, format string, args ...any)) {
	if p.Points <= 0 || p.Points > 1000 {
		problem("points", "must be in (0,1000], got %g", p.Points)
	}
	if p.Window <= 0 {
		problem("window", "must be positive, got %s", config.FormatDuration(p.Window))
	}
}

// scoreDrop: the score fell by at least the configured points within the window:
// the highest score held in the window (the store's history, the previous result)
// minus the score now, the peak capped at the firm's baseline score (baseline.go).
// Firms whose score fell in this scan are examined, and the firing alerts on a full
// scan or when their firm's score moved.
func (e *evaluation) scoreDrop(ctx context.Context, emit func(*candidate)) error {
	rule := RuleScoreDrop
	rc := paramsOf[*scoreDropParams](e, rule)
	check := make(map[int32]*current)
	dropped := func(v int32) bool {
		s, ok := e.prevScore(v)
		return ok && e.next.Score[v] <= s-1
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			if a := e.firing.get(rule, fp); a != nil {
				e.judge(rule, fp)
				check[v] = a
			} else if dropped(v) {
				check[v] = nil
			}
		}
	} else {
		e.judgeAll(rule)
		for _, a := range e.firingOf(rule) {
			if v, ok := e.next.Index(a.USCC); ok {
				check[v] = a
			}
		}
		for v := range int32(e.next.Len()) {
			if _, held := check[v]; !held && dropped(v) {
				check[v] = nil
			}
		}
	}
	nodes := make([]int32, 0, len(check))
	for v := range check {
		nodes = append(nodes, v)
	}
	slices.Sort(nodes)
	start := e.next.At.Add(-rc.Window)
	for _, v := range nodes {
		hist, err := e.historyOf(ctx, v)
		if err != nil {
			return fmt.Errorf("score_drop: %w", err)
		}
		peak, ok := e.prevScore(v)
		for _, h := range hist { // newest first
			if !h.At.Before(start) {
				peak, ok = math.Max(peak, h.Score), true
				continue
			}
			peak, ok = math.Max(peak, h.Score), true // the score in force when the window opened
			break
		}
		if !ok || peak-e.next.Score[v] < rc.Points {
			continue
		}
		if peak, err = e.baselineCap(ctx, v, peak); err != nil {
			return fmt.Errorf("score_drop: %w", err)
		}
		if peak-e.next.Score[v] < rc.Points {
			continue // the firm's history explains the fall
		}
		prevGrade := ""
		if g, ok := e.prevGrade(v); ok {
			prevGrade = g.String()
		}
		if a := check[v]; a != nil && a.PreviousGrade != "" {
			prevGrade = a.PreviousGrade
		}
		c := e.firmCandidate(rule, v, config.AlertWarning, prevGrade)
		c.det.Values["previous_score"] = math.Round(peak)
		emit(c)
	}
	return nil
}
