package alerts

import (
	"context"

	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// Alerts about the rescored firms first (docs/alerts.md, "When an alert is sent").
// An incremental scan rescores the firms an ingest touched, then updates the network
// distress of every firm and the leaders' chains — most of its time at a province's
// size. Only chain_risk and single_source read the chains (rule.chains); the other
// rules judge the firms' grades, scores, events, records and owners, all known once
// the firms are rescored. So the scan is evaluated in two steps: ObserveRescored runs
// every rule but the chain rules before the propagation, Observe the chain rules
// after it, each writing its alert changes and notifications in one transaction.
// An alert of a chain rule about a firm is thus sent in a message of its own, not
// in the firm's message of the first step.
//
// A crash between the two steps, or between either and the scan's results, is what
// a crash between the evaluation and the results always was: the next scan — the
// first of a process is a full one, compared with the stored results and alerts —
// finds the first step's alerts firing as it would name them, and sends nothing again
// for them; the chain rules judge then what they had not judged yet.

// evalPhase names the rules an evaluation runs.
type evalPhase uint8

const (
	phaseAll      evalPhase = iota // every rule (one evaluation per scan)
	phaseRescored                  // all but the chain rules, before the propagation
	phaseChains                    // the chain rules, after the propagation
)

// ObserveRescored evaluates the rules that do not read the chains on an incremental
// scan's state as soon as its firms are rescored (before next holds the distress and
// chains: see monitor.Engine.ObserveRescored), and writes their alert changes and
// notifications in one transaction, waking the worker; Observe then evaluates the
// chain rules alone on the same state. The first scan of a process (prev nil) is
// evaluated whole by Observe.
func (m *Manager) ObserveRescored(ctx context.Context, prev, next *monitor.State, sc *store.Scan) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rescored = nil
	if prev == nil || sc == nil || sc.Kind != monitor.ScanIncremental {
		return nil
	}
	if err := m.observe(ctx, prev, next, sc, phaseRescored); err != nil {
		return err
	}
	m.rescored = next
	return nil
}
