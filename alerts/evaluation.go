package alerts

import (
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// evaluation is one run of the rules over a scan.
type evaluation struct {
	m          *Manager
	cfg        *config.Config
	rules      ruleSettings
	prev, next *monitor.State
	full       bool // a full scan: every rule judges every firm
	// clock is a run of the repair_eligible job between scans (prev and next are the
	// latest state): only the clock rules run, and they judge every firm.
	clock    bool
	phase    evalPhase // the rules run: all, or one side of a split scan
	baseline bool      // nothing held before: record, announce nothing
	now      time.Time
	firing   firingSet
	sorted   map[string][]*current // firingOf's
	// judgedAll are the rules that judged every subject, judged the fingerprints
	// judged by the others (with their rule).
	judgedAll map[string]bool
	judged    map[string]string
	changed   []int32 // changedNodes', nil until needed
	// held are the stored results, the previous values when there is no prev.
	held map[string]store.FirmResult
	// hist holds the score histories read (historyOf), by node; nil until needed.
	hist    map[int32][]store.HistoryEntry
	sameIDs bool // next keeps prev's node indexes
	subs    []*subscriber
	watch   []bool // nil until needed
	// repairWatch are the firms watched for repair_eligible (repairWatched); nil
	// until needed.
	repairWatch []bool
	// repairsSeen is repair_done's cursor after this evaluation.
	repairsSeen time.Time
	// announced is, per firm, when the latest repair announced by a repair_done alert
	// was recorded; read by the first evaluation of a process.
	announced map[string]time.Time
}

// judge records that a rule judged the alert with fingerprint fp.
func (e *evaluation) judge(rule, fp string) { e.judged[fp] = rule }

// judgeAll records that a rule judged every subject.
func (e *evaluation) judgeAll(rule string) { e.judgedAll[rule] = true }

// incremental says the scan recomputed some firms only: the rules judge those.
func (e *evaluation) incremental() bool { return e.prev != nil && !e.full }

// changedNodes lists the firms whose inputs to the rules changed since the previous
// state: grade, score, record (updated_at) or events; new firms too.
func (e *evaluation) changedNodes() []int32 {
	if e.changed != nil {
		return e.changed
	}
	e.changed = []int32{}
	check := func(v int32) {
		pv, ok := e.prevIndex(v)
		if !ok || e.next.Grade[v] != e.prev.Grade[pv] || e.next.Score[v] != e.prev.Score[pv] ||
			!e.next.Firms[v].UpdatedAt.Equal(e.prev.Firms[pv].UpdatedAt) ||
			!slices.Equal(e.next.FirmEvents(v), e.prev.FirmEvents(pv)) {
			e.changed = append(e.changed, v)
		}
	}
	// An incremental scan names the firms it re-read: the others hold prev's inputs.
	if nodes, ok := e.next.Rescored(e.prev); ok {
		for _, v := range nodes {
			check(v)
		}
		return e.changed
	}
	for v := range int32(e.next.Len()) {
		check(v)
	}
	return e.changed
}

// firingOf returns the firing alerts of a rule, by fingerprint.
func (e *evaluation) firingOf(rule string) []*current {
	list, ok := e.sorted[rule]
	if !ok {
		for _, a := range e.firing[rule] {
			list = append(list, a)
		}
		slices.SortFunc(list, func(a, b *current) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
		e.sorted[rule] = list
	}
	return list
}

// prevIndex is v's node in the previous state.
func (e *evaluation) prevIndex(v int32) (int32, bool) {
	switch {
	case e.prev == nil:
		return -1, false
	case e.sameIDs:
		return v, int(v) < e.prev.Len()
	}
	return e.prev.Snap.Index(e.next.Snap.IDs[v])
}

// prevGrade is v's grade before this scan: the previous state's, or the store's.
func (e *evaluation) prevGrade(v int32) (risk.Grade, bool) {
	if e.prev == nil {
		f, ok := e.held[e.next.Snap.IDs[v]]
		return parseGrade(f.Grade), ok
	}
	pv, ok := e.prevIndex(v)
	if !ok {
		return risk.GradeNone, false
	}
	return e.prev.Grade[pv], true
}

// prevScore is v's score before this scan.
func (e *evaluation) prevScore(v int32) (float64, bool) {
	if e.prev == nil {
		f, ok := e.held[e.next.Snap.IDs[v]]
		return f.Score, ok
	}
	pv, ok := e.prevIndex(v)
	if !ok {
		return 0, false
	}
	return e.prev.Score[pv], true
}

// scoreFell says v's score fell by a point or more since the previous values, or v
// has none (a new firm).
func (e *evaluation) scoreFell(v int32) bool {
	s, ok := e.prevScore(v)
	return !ok || e.next.Score[v] <= s-1
}

// name is a firm's name in the new state ("" when unknown).
func (e *evaluation) name(uscc string) string {
	if uscc == "" {
		return ""
	}
	if v, ok := e.next.Index(uscc); ok {
		return e.next.Firms[v].Name
	}
	return ""
}

// watched says whether firm v is watched: a leader, or inside the scope of some
// subscription.
func (e *evaluation) watched(v int32) bool {
	if e.watch == nil {
		n := e.next.Len()
		e.watch = make([]bool, n)
		for _, l := range e.next.Leaders {
			e.watch[l] = true
		}
		for _, sub := range e.subs {
			switch sub.Scope.Kind {
			case config.ScopeAll:
				for i := range e.watch {
					e.watch[i] = true
				}
			case config.ScopeWatchlist:
				for u := range sub.watch {
					if x, ok := e.next.Index(u); ok {
						e.watch[x] = true
					}
				}
			case config.ScopeChain:
				if ch := e.m.scopes.chain(e.next, chainKey{sub.Scope.Leader, sub.up, sub.down}); ch != nil {
					for _, mem := range ch.Members {
						e.watch[mem.Node] = true
					}
				}
			}
		}
	}
	return e.watch[v]
}
