package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// Lifecycle (docs/alerts.md). After every scan the rules name the alerts that should fire;
// compared with the alerts firing before, each is new (fires: notify), changed in
// severity (notify), held (nothing, or a quiet update of its figures) or gone
// (resolves: notify the resolve when the firing was announced). Every change and its
// notifications are written in one store transaction, before the scan's results:
// a crash in between re-evaluates the same change, which the store's alerts then
// make a no-op. The first scan on an empty store records a baseline: its alerts
// are stored firing but quiet, and are announced only once they change.

// Store is what the Manager uses of the store: the alerts, what principals record
// about them (workflow.go), their outbox, the digests' items (digest.go), silences and
// subscriptions, and for the rules the scans, the score history (ResultStore) and
// the repairs (DataStore).
type Store interface {
	store.AlertStore
	store.WorkflowStore
	store.OutboxStore
	store.DigestStore
	store.SilenceStore
	store.SubscriptionStore
	store.ScanStore
	store.ResultStore
	store.DataStore
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Store Store
	// Config returns the config in force (it changes on reload); required.
	Config func() *config.Config
	Logger *slog.Logger
	// Clock stamps alerts and silences; nil means the system clock.
	Clock notify.Clock
	// Worker, when set, is woken when notifications were enqueued, and its notifiers
	// post the Alertmanager refreshes of Resend.
	Worker *Worker
	// AnnounceFirst announces what the first scan on an empty store finds instead of
	// recording it as a quiet baseline. chainriskd -demo sets it: its data was just
	// loaded to be shown.
	AnnounceFirst bool
}

// Manager evaluates the alert rules after each scan and runs the alert lifecycle:
// it is the engine's observer, the resend_alerts job, and what the API calls to
// list and acknowledge alerts and to manage silences and subscriptions. Only the
// leader replica evaluates and resends.
type Manager struct {
	db     Store
	cfg    func() *config.Config
	log    *slog.Logger
	clock  notify.Clock
	worker *Worker
	// announceFirst: see ManagerOptions.AnnounceFirst.
	announceFirst bool

	mu sync.Mutex // one evaluation or resend at a time
	// firing caches the firing alerts; nil means "read the store", which every full
	// scan does anyway (another replica may have led meanwhile).
	firing      firingSet
	repairsSeen time.Time // repair_done's cursor: repairs recorded up to here are done
	scopes      scopeCache
	views       visibility.Views // subscription owners' views (visibility.go)
	pruned      time.Time        // when the outbox was last pruned
	// snapshotted holds the names of the subscriptions known to have had their first
	// snapshot (snapshot.go), so that scans stop asking the store once all have.
	snapshotted sync.Map
	// rescored is the state whose rules but the chain rules ObserveRescored
	// evaluated; Observe then evaluates the chain rules alone on it.
	rescored *monitor.State
}

// NewManager returns a manager.
func NewManager(o ManagerOptions) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = notify.SystemClock{}
	}
	return &Manager{db: o.Store, cfg: o.Config, log: o.Logger, clock: o.Clock, worker: o.Worker,
		announceFirst: o.AnnounceFirst}
}

// AlertID is the id of the alert with a fingerprint: 16 hex characters of its
// SHA-256, the same on every replica and across episodes.
func AlertID(fingerprint string) string {
	h := sha256.Sum256([]byte(fingerprint))
	return hex.EncodeToString(h[:8])
}

// current is a firing alert with its details decoded.
type current struct {
	store.Alert
	det details
}

func decodeAlert(a store.Alert) (*current, error) {
	c := &current{Alert: a}
	if len(a.Details) > 0 {
		if err := json.Unmarshal(a.Details, &c.det); err != nil {
			return nil, fmt.Errorf("alerts: alert %s: details: %w", a.ID, err)
		}
	}
	return c, nil
}

// firingSet holds firing alerts by rule, then fingerprint.
type firingSet map[string]map[string]*current

func (f firingSet) get(rule, fp string) *current { return f[rule][fp] }

func (f firingSet) put(c *current) {
	byFP := f[c.Rule]
	if byFP == nil {
		byFP = make(map[string]*current)
		f[c.Rule] = byFP
	}
	byFP[c.Fingerprint] = c
}

func (f firingSet) remove(c *current) { delete(f[c.Rule], c.Fingerprint) }

func (f firingSet) count() int {
	n := 0
	for _, byFP := range f {
		n += len(byFP)
	}
	return n
}

func (m *Manager) loadFiring(ctx context.Context) (firingSet, error) {
	list, err := m.db.Alerts(ctx, store.AlertFilter{State: store.AlertFiring})
	if err != nil {
		return nil, err
	}
	out := make(firingSet)
	for _, a := range list {
		c, err := decodeAlert(a)
		if err != nil {
			return nil, err
		}
		out.put(c)
	}
	return out, nil
}

// Observe evaluates the rules on a scan's previous and new state (prev is nil on the
// first scan of a process: the store's results are the previous values) and writes
// the alert changes and their notifications in one transaction. It is registered
// with monitor.Engine.Observe and runs before the scan's results are written.
func (m *Manager) Observe(ctx context.Context, prev, next *monitor.State, sc *store.Scan) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	phase := phaseAll
	if m.rescored != nil && m.rescored == next {
		phase = phaseChains // ObserveRescored judged the rest
	}
	m.rescored = nil
	return m.observe(ctx, prev, next, sc, phase)
}

// observe runs one evaluation of a scan: of the rules of a phase.
func (m *Manager) observe(ctx context.Context, prev, next *monitor.State, sc *store.Scan, phase evalPhase) error {
	e, err := m.newEvaluation(prev, next, prev == nil || sc == nil || sc.Kind != monitor.ScanIncremental)
	if err != nil {
		return err
	}
	e.phase = phase
	if m.firing == nil || e.full {
		if m.firing, err = m.loadFiring(ctx); err != nil {
			m.firing = nil
			return fmt.Errorf("alerts: %w", err)
		}
	}
	e.firing = m.firing
	if prev == nil {
		e.held = next.Held // the store's results, read once by the engine
		if len(e.held) == 0 && e.firing.count() == 0 {
			any, err := m.db.Alerts(ctx, store.AlertFilter{Limit: 1})
			if err != nil {
				return fmt.Errorf("alerts: %w", err)
			}
			e.baseline = len(any) == 0 && !m.announceFirst
			// A scan that succeeded before saw the store empty (it left no results):
			// what came since — acknowledged ingests a kill kept from being scanned —
			// is news, as it would have been to the incremental scans.
			if e.baseline {
				last, err := monitor.LatestSucceeded(ctx, m.db, next.ScanID)
				if err != nil {
					return fmt.Errorf("alerts: %w", err)
				}
				e.baseline = last == 0
			}
		}
	} else {
		e.sameIDs = next.Snap == prev.Snap || next.Snap.Extends(prev.Snap)
	}
	return m.evaluate(ctx, e)
}

// RepairEligible is the repair_eligible job (daily by default, schedule.repair_eligible):
// it evaluates the rules that follow the clock rather than the scans — those
// registered with clock set, repair_eligible — on the latest state, with the
// manager's clock, so that an event is announced on the day it becomes eligible for
// repair even when no scan runs. The other rules' alerts stay as they are. Nothing
// happens before the first scan.
func (m *Manager) RepairEligible(ctx context.Context, state *monitor.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if state == nil {
		return nil
	}
	e, err := m.newEvaluation(state, state, false)
	if err != nil {
		return err
	}
	e.clock, e.sameIDs = true, true
	if m.firing == nil {
		if m.firing, err = m.loadFiring(ctx); err != nil {
			m.firing = nil
			return fmt.Errorf("alerts: %w", err)
		}
	}
	e.firing = m.firing
	return m.evaluate(ctx, e)
}

// newEvaluation starts an evaluation with the config in force and its rules.
func (m *Manager) newEvaluation(prev, next *monitor.State, full bool) (*evaluation, error) {
	cfg := m.cfg()
	e := &evaluation{m: m, cfg: cfg, prev: prev, next: next, now: m.clock.Now(), repairsSeen: m.repairsSeen,
		full: full, judgedAll: map[string]bool{}, judged: map[string]string{}, sorted: map[string][]*current{}}
	// A few small decodes: read anew each time, as the config in force says.
	rules, errs := settingsOf(cfg)
	if len(errs) > 0 {
		return nil, fmt.Errorf("alerts: the config's rules: %w", errors.Join(errs...))
	}
	e.rules = rules
	return e, nil
}

// evaluate runs the rules of an evaluation (the clock rules only for a clock run)
// and writes the alert changes and their notifications in one transaction.
func (m *Manager) evaluate(ctx context.Context, e *evaluation) error {
	cfg, prev, next := e.cfg, e.prev, e.next
	var err error
	if e.subs, err = m.subscribers(ctx, cfg); err != nil {
		return err
	}
	sil, err := m.activeSilences(ctx, e.now)
	if err != nil {
		return fmt.Errorf("alerts: silences: %w", err)
	}

	cands := make(map[string]*candidate)
	var order []string
	emit := func(c *candidate) {
		fp := c.fingerprint()
		if c.keep != nil {
			fp = c.keep.Fingerprint
			e.judge(c.keep.Rule, fp)
		}
		if _, dup := cands[fp]; !dup {
			order = append(order, fp)
		}
		cands[fp] = c
	}
	for _, s := range e.rules {
		switch {
		case e.clock && !s.clock:
			continue // judged by the scans only
		case e.phase == phaseRescored && s.chains, e.phase == phaseChains && !s.chains:
			continue // judged by the scan's other evaluation
		case !s.on:
			e.judgeAll(s.name) // a disabled rule's alerts resolve (rule_disabled)
			continue
		}
		if err := s.evaluate(e, ctx, emit); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}

	ms, err := m.loadMutes(ctx)
	if err != nil {
		return err
	}
	r := &router{m: m, cfg: cfg, subs: e.subs, sil: sil, mutes: ms, states: []*monitor.State{next, prev}}
	changes, put, gone, st, err := e.transitions(ctx, cands, order, r)
	if err != nil {
		return err
	}
	if err := m.db.ApplyAlerts(ctx, changes); err != nil {
		m.firing = nil // the store decides again
		return fmt.Errorf("alerts: %w", err)
	}
	for _, c := range put {
		m.firing.put(c)
	}
	for _, c := range gone {
		m.firing.remove(c)
	}
	m.repairsSeen = e.repairsSeen
	if len(changes.Notifications) > 0 && m.worker != nil {
		m.worker.Wake()
	}
	if st.fired+st.changed+st.resolved > 0 || e.baseline {
		m.log.Info("alerts evaluated", "scan", next.ScanID, "baseline", e.baseline, "fired", st.fired,
			"changed", st.changed, "resolved", st.resolved, "firing", m.firing.count(), "notifications", len(changes.Notifications))
	}
	return nil
}

type transitionStats struct{ fired, changed, resolved int }

// resolving lists the firing alerts that resolve: those judged and not named again
// among the candidates, the rules that judged everything first.
func (e *evaluation) resolving(cands map[string]*candidate) []*current {
	var gone []*current
	for _, rule := range slices.Sorted(maps.Keys(e.judgedAll)) {
		for _, a := range e.firingOf(rule) {
			if cands[a.Fingerprint] == nil {
				gone = append(gone, a)
			}
		}
	}
	var more []*current
	for fp, rule := range e.judged {
		if a := e.firing.get(rule, fp); a != nil && !e.judgedAll[rule] && cands[fp] == nil {
			more = append(more, a)
		}
	}
	slices.SortFunc(more, func(a, b *current) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
	return append(gone, more...)
}

// transitions compares the candidates with the firing alerts. It returns the store
// changes (with their notifications), the alerts firing anew or changed (put), and
// those resolved (gone).
func (e *evaluation) transitions(ctx context.Context, cands map[string]*candidate, order []string, r *router) (
	ch *store.AlertChanges, put, gone []*current, st transitionStats, err error) {
	ch = &store.AlertChanges{At: e.now}
	announce := func(row *store.Alert, det details, status string) error {
		if e.baseline {
			return nil
		}
		res, err := r.route(notice{a: row, det: det, status: status})
		if err != nil {
			return err
		}
		// Nothing sent because every subscriber in scope was silenced: leave the alert
		// unannounced, so that the resend job tells them once the silence is over.
		if status == notify.StatusFiring && (res.channels > 0 || res.silenced == 0) {
			row.NotifiedAt = e.now
		}
		return nil
	}
	for _, fp := range order {
		c := cands[fp]
		if c.keep != nil {
			continue
		}
		cur := e.firing.get(c.rule, fp)
		detJSON, err := json.Marshal(c.det)
		if err != nil {
			return nil, nil, nil, st, fmt.Errorf("alerts: %s: %w", fp, err)
		}
		row := store.Alert{
			ID: AlertID(fp), Fingerprint: fp, Rule: c.rule, Severity: c.severity, State: store.AlertFiring,
			USCC: c.uscc, Name: e.name(c.uscc), Leader: c.leader, LeaderName: e.name(c.leader),
			Grade: c.grade, PreviousGrade: c.prevGrade, Details: detJSON, ScanID: e.next.ScanID,
			StartedAt: e.now, UpdatedAt: e.now,
		}
		up := store.AlertUpsert{}
		switch {
		case cur == nil:
			st.fired++
			row.Quiet, up.NewEpisode = e.baseline, true
			if err := announce(&row, c.det, notify.StatusFiring); err != nil {
				return nil, nil, nil, st, err
			}
		case cur.Severity != c.severity || c.renotify:
			st.changed++
			row.StartedAt, row.Quiet = cur.StartedAt, e.baseline && cur.Quiet
			if err := announce(&row, c.det, notify.StatusFiring); err != nil {
				return nil, nil, nil, st, err
			}
		case cur.Grade != row.Grade || cur.PreviousGrade != row.PreviousGrade || cur.Name != row.Name ||
			cur.LeaderName != row.LeaderName || string(cur.Details) != string(row.Details):
			row.StartedAt, row.Quiet, row.NotifiedAt = cur.StartedAt, cur.Quiet, cur.NotifiedAt
		default:
			continue
		}
		if row.NotifiedAt.IsZero() && cur != nil {
			row.NotifiedAt = cur.NotifiedAt // what the store keeps (COALESCE)
		}
		up.Alert = row
		ch.Upserts = append(ch.Upserts, up)
		put = append(put, &current{Alert: row, det: c.det})
	}
	gone = e.resolving(cands)
	for _, cur := range gone {
		st.resolved++
		row := cur.Alert
		row.State, row.ResolvedAt, row.UpdatedAt, row.ScanID = store.AlertResolved, e.now, e.now, e.next.ScanID
		if v, ok := e.next.Index(row.USCC); ok {
			row.Grade = e.next.Grade[v].String()
		}
		det, err := e.resolution(ctx, cur)
		if err != nil {
			return nil, nil, nil, st, fmt.Errorf("alerts: resolve %s: %w", cur.Fingerprint, err)
		}
		if row.Details, err = json.Marshal(det); err != nil {
			return nil, nil, nil, st, fmt.Errorf("alerts: %s: %w", cur.Fingerprint, err)
		}
		r := ruleNamed(row.Rule)
		quiet := row.Quiet || row.NotifiedAt.IsZero() || r == nil || r.oneOff
		if !quiet {
			if err := announce(&row, det, notify.StatusResolved); err != nil {
				return nil, nil, nil, st, err
			}
		}
		ch.Upserts = append(ch.Upserts, store.AlertUpsert{Alert: row})
	}
	if ch.Notifications, ch.DigestItems, err = r.flush(); err != nil {
		return nil, nil, nil, st, err
	}
	return ch, put, gone, st, nil
}
