package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// Lifecycle (SPEC §7). After every scan the rules name the alerts that should fire;
// compared with the alerts firing before, each is new (fires: notify), changed in
// severity (notify), held (nothing, or a quiet update of its figures) or gone
// (resolves: notify the resolve when the firing was announced). Every change and its
// notifications are written in one store transaction, before the scan's results:
// a crash in between re-evaluates the same change, which the store's alerts then
// make a no-op. The first scan on an empty store records a baseline: its alerts
// are stored firing but quiet, and are announced only once they change.

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Store store.Store
	// Config returns the config in force (it changes on reload); required.
	Config func() *config.Config
	Logger *slog.Logger
	// Clock stamps alerts and silences; nil means the system clock.
	Clock Clock
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
	st     store.Store
	cfg    func() *config.Config
	log    *slog.Logger
	clock  Clock
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
}

// NewManager returns a manager.
func NewManager(o ManagerOptions) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	return &Manager{st: o.Store, cfg: o.Config, log: o.Logger, clock: o.Clock, worker: o.Worker,
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
	list, err := m.st.Alerts(ctx, store.AlertFilter{State: store.AlertFiring})
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

// evaluation is one run of the rules over a scan.
type evaluation struct {
	m          *Manager
	cfg        *config.Config
	prev, next *monitor.State
	full       bool // a full scan: every rule judges every firm
	baseline   bool // nothing held before: record, announce nothing
	now        time.Time
	firing     firingSet
	sorted     map[string][]*current // firingOf's
	// judgedAll are the rules that judged every subject, judged the fingerprints
	// judged by the others (with their rule).
	judgedAll map[string]bool
	judged    map[string]string
	changed   []int32 // changedNodes', nil until needed
	// held are the stored results, the previous values when there is no prev.
	held    map[string]store.FirmResult
	sameIDs bool // next keeps prev's node indexes
	subs    []*subscriber
	watch   []bool // nil until needed
	// repairsSeen is repair_done's cursor after this evaluation.
	repairsSeen time.Time
	// announced is, per firm, when the latest repair announced by a repair_done alert
	// was recorded; read by the first evaluation of a process.
	announced map[string]time.Time
}

// Observe evaluates the rules on a scan's previous and new state (prev is nil on the
// first scan of a process: the store's results are the previous values) and writes
// the alert changes and their notifications in one transaction. It is registered
// with monitor.Engine.Observe and runs before the scan's results are written.
func (m *Manager) Observe(ctx context.Context, prev, next *monitor.State, sc *store.Scan) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg := m.cfg()
	e := &evaluation{m: m, cfg: cfg, prev: prev, next: next, now: m.clock.Now(), repairsSeen: m.repairsSeen,
		full: prev == nil || sc == nil || sc.Kind != monitor.ScanIncremental, judgedAll: map[string]bool{},
		judged: map[string]string{}, sorted: map[string][]*current{}}
	var err error
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
			any, err := m.st.Alerts(ctx, store.AlertFilter{Limit: 1})
			if err != nil {
				return fmt.Errorf("alerts: %w", err)
			}
			e.baseline = len(any) == 0 && !m.announceFirst
			// A scan that succeeded before saw the store empty (it left no results):
			// what came since — acknowledged ingests a kill kept from being scanned —
			// is news, as it would have been to the incremental scans.
			if e.baseline {
				if e.baseline, err = m.noScanBefore(ctx, next.ScanID); err != nil {
					return fmt.Errorf("alerts: %w", err)
				}
			}
		}
	} else {
		e.sameIDs = next.Snap == prev.Snap || next.Snap.Extends(prev.Snap)
	}
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
	rules := cfg.Alerts.Rules
	for _, name := range config.RuleNames {
		if !rules.Enabled(name) {
			e.judgeAll(name) // a disabled rule's alerts resolve, without a word
		}
	}
	if rules.GradeDowngrade.Enabled {
		e.ruleGradeDowngrade(emit)
	}
	if rules.SevereEvent.Enabled {
		e.ruleSevereEvent(emit)
	}
	if rules.ChainRisk.Enabled {
		e.ruleChainRisk(emit)
	}
	if rules.ScoreDrop.Enabled {
		if err := e.ruleScoreDrop(ctx, emit); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}
	if rules.SingleSource.Enabled {
		e.ruleSingleSource(emit)
	}
	if rules.RepairDone.Enabled {
		if err := e.ruleRepairDone(ctx, emit); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}
	if rules.StaleData.Enabled {
		e.ruleStaleData(emit)
	}

	r := &router{m: m, cfg: cfg, subs: e.subs, sil: sil, states: []*monitor.State{next, prev}}
	changes, put, gone, st, err := e.transitions(cands, order, r)
	if err != nil {
		return err
	}
	if err := m.st.ApplyAlerts(ctx, changes); err != nil {
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

// noScanBefore reports whether no scan but id (among the latest) ever succeeded.
func (m *Manager) noScanBefore(ctx context.Context, id int64) (bool, error) {
	scans, err := m.st.Scans(ctx, 100)
	if err != nil {
		return false, err
	}
	for _, sc := range scans {
		if sc.Status == store.ScanSucceeded && sc.ID != id {
			return false, nil
		}
	}
	return true, nil
}

type transitionStats struct{ fired, changed, resolved int }

// transitions compares the candidates with the firing alerts. It returns the store
// changes (with their notifications), the alerts firing anew or changed (put), and
// those resolved (gone).
func (e *evaluation) transitions(cands map[string]*candidate, order []string, r *router) (
	ch *store.AlertChanges, put, gone []*current, st transitionStats, err error) {
	ch = &store.AlertChanges{At: e.now}
	notify := func(row *store.Alert, det details, status string) error {
		if e.baseline {
			return nil
		}
		res, err := r.route(notice{a: row, det: det, status: status})
		if err != nil {
			return err
		}
		ch.Notifications = append(ch.Notifications, res.entries...)
		// Nothing sent because every subscriber in scope was silenced: leave the alert
		// unannounced, so that the resend job tells them once the silence is over.
		if status == StatusFiring && (len(res.entries) > 0 || res.silenced == 0) {
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
			if err := notify(&row, c.det, StatusFiring); err != nil {
				return nil, nil, nil, st, err
			}
		case cur.Severity != c.severity || c.renotify:
			st.changed++
			row.StartedAt, row.Quiet = cur.StartedAt, e.baseline && cur.Quiet
			if err := notify(&row, c.det, StatusFiring); err != nil {
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
	// The alerts judged and not named again resolve.
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
	gone = append(gone, more...)
	for _, cur := range gone {
		st.resolved++
		row := cur.Alert
		row.State, row.ResolvedAt, row.UpdatedAt, row.ScanID = store.AlertResolved, e.now, e.now, e.next.ScanID
		if v, ok := e.next.Index(row.USCC); ok {
			row.Grade = e.next.Grade[v].String()
		}
		quiet := row.Quiet || row.NotifiedAt.IsZero() || row.Rule == config.RuleRepairDone || !e.cfg.Alerts.Rules.Enabled(row.Rule)
		if !quiet {
			if err := notify(&row, cur.det, StatusResolved); err != nil {
				return nil, nil, nil, st, err
			}
		}
		ch.Upserts = append(ch.Upserts, store.AlertUpsert{Alert: row})
	}
	return ch, put, gone, st, nil
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
	for v := range int32(e.next.Len()) {
		pv, ok := e.prevIndex(v)
		if !ok || e.next.Grade[v] != e.prev.Grade[pv] || e.next.Score[v] != e.prev.Score[pv] ||
			!e.next.Firms[v].UpdatedAt.Equal(e.prev.Firms[pv].UpdatedAt) ||
			!slices.Equal(e.next.FirmEvents(v), e.prev.FirmEvents(pv)) {
			e.changed = append(e.changed, v)
		}
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

// repairCursor is the time after which repairs are new to repair_done. The first
// evaluation of a process starts from the last successful scan (its evaluation saw
// the repairs recorded before it); a baseline skips the repairs already held. That
// start may lie behind what was announced — the scan's evaluation also saw repairs
// recorded while it ran, and a process killed after writing its alerts left no
// successful scan — so the first evaluation also skips, per firm, the repairs its
// repair_done alert announced already.
func (e *evaluation) repairCursor(ctx context.Context) (time.Time, error) {
	if !e.repairsSeen.IsZero() {
		return e.repairsSeen, nil
	}
	if e.baseline {
		e.repairsSeen = e.now
		return time.Time{}, nil
	}
	scans, err := e.m.st.Scans(ctx, 100)
	if err != nil {
		return time.Time{}, fmt.Errorf("repair_done: %w", err)
	}
	done, err := e.m.st.Alerts(ctx, store.AlertFilter{Rule: config.RuleRepairDone})
	if err != nil {
		return time.Time{}, fmt.Errorf("repair_done: %w", err)
	}
	e.announced = make(map[string]time.Time, len(done))
	for _, a := range done {
		c, err := decodeAlert(a)
		if err != nil {
			return time.Time{}, err
		}
		e.announced[a.USCC] = c.det.Announced
	}
	for _, sc := range scans {
		if sc.Status == store.ScanSucceeded && sc.ID != e.next.ScanID && !sc.StartedAt.IsZero() {
			e.repairsSeen = sc.StartedAt
			return sc.StartedAt, nil
		}
	}
	e.repairsSeen = e.now
	return time.Time{}, nil
}

// Alert is an alert as the API lists it.
type Alert struct {
	ID          string             `json:"id"`
	Fingerprint string             `json:"fingerprint"`
	Rule        string             `json:"rule"`
	Severity    string             `json:"severity"`
	State       string             `json:"state"` // firing | resolved
	Subject     AlertFirm          `json:"subject"`
	Leader      *AlertFirm         `json:"leader,omitempty"`
	Labels      map[string]string  `json:"labels"`
	Values      map[string]float64 `json:"values"`
	Reasons     []string           `json:"reasons"`
	// Path is the rule's own path from the subject to the leader (single_source).
	Path       []string  `json:"path,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	// AckedAt and AckedBy are the reader's own acknowledgement (its audience's: staff,
	// or its tenant); another principal's is never shown.
	AckedAt time.Time `json:"acked_at,omitzero"`
	AckedBy string    `json:"acked_by,omitempty"`
	// Silenced is set while a silence matches the alert's labels (a silence that
	// names a subscription mutes that subscription only and is not counted here).
	Silenced   bool     `json:"silenced"`
	SilencedBy []string `json:"silenced_by,omitempty"`
	// Baseline marks an alert recorded by the first scan on an empty store, never
	// announced.
	Baseline bool  `json:"baseline"`
	ScanID   int64 `json:"scan_id"`
}

// AlertFirm names a firm of an alert.
type AlertFirm struct {
	USCC          string `json:"uscc"`
	Name          string `json:"name"`
	Grade         string `json:"grade,omitempty"`
	PreviousGrade string `json:"previous_grade,omitempty"`
}

// AlertQuery selects alerts (GET /api/v1/alerts); zero fields select everything.
type AlertQuery struct {
	State    string // firing | resolved
	Severity string // info | warning | critical
	Rule     string
	// Leader keeps the alerts about a leader's chain: those whose own leader it is
	// (chain_risk, single_source), and — with Chain, that leader's chain — those
	// about one firm of it.
	Leader string
	Chain  *visibility.View
	USCC   string
	// View is the reader's: it lists only the alerts the reader may see, cut to its
	// view, with its own acknowledgement. Nil means staff.
	View *visibility.View
	// Limit bounds the list (0 means 500).
	Limit int
	// Language words the reasons: zh or en (empty: the config's).
	Language string
}

// Alerts lists alerts, the most recently changed first, marked when silenced.
func (m *Manager) Alerts(ctx context.Context, q AlertQuery) ([]Alert, error) {
	cfg := m.cfg()
	switch {
	case q.State != "" && q.State != store.AlertFiring && q.State != store.AlertResolved:
		return nil, inputErrorf("state", "%q is not one of firing, resolved", q.State)
	case q.Severity != "" && severityRank(q.Severity) < 0:
		return nil, inputErrorf("severity", "%q is not one of info, warning, critical", q.Severity)
	case q.Rule != "" && !slices.Contains(config.RuleNames, q.Rule):
		return nil, inputErrorf("rule", "unknown rule %q", q.Rule)
	}
	if q.Limit <= 0 {
		q.Limit = 500
	}
	if q.Language == "" {
		q.Language = cfg.Alerts.Language
	}
	f := store.AlertFilter{State: q.State, Severity: q.Severity, Rule: q.Rule, USCC: q.USCC}
	if q.View == nil {
		q.View = staffView
	}
	// Alerts kept or dropped here are read in full; the store bounds the rest.
	filtered := !q.View.IsStaff() || q.Chain != nil
	if !filtered {
		f.Leader, f.Limit = q.Leader, q.Limit
	}
	list, err := m.st.Alerts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	sil, err := m.activeSilences(ctx, m.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("alerts: silences: %w", err)
	}
	r := &router{m: m, cfg: cfg}
	out := []Alert{}
	for _, a := range list {
		if !q.View.SeesAlert(a.USCC, a.Leader) {
			continue
		}
		if q.Chain != nil && a.Leader != q.Leader && (a.Leader != "" || !q.Chain.Sees(a.USCC)) {
			continue
		}
		if len(out) == q.Limit {
			break
		}
		c, err := decodeAlert(a)
		if err != nil {
			return nil, err
		}
		out = append(out, m.present(c, sil, r, q.Language, q.View))
	}
	return out, nil
}

// staffView is the view of the platform's staff, who see everything.
var staffView = new(visibility.Views).Of(nil, visibility.Staff(), 0, 0)

// GetAlert returns one alert as view (nil: staff) sees it; store.ErrNotFound also
// for one it may not see.
func (m *Manager) GetAlert(ctx context.Context, id, lang string, view *visibility.View) (*Alert, error) {
	if view == nil {
		view = staffView
	}
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return nil, err
	}
	if !view.SeesAlert(a.USCC, a.Leader) {
		return nil, fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	c, err := decodeAlert(*a)
	if err != nil {
		return nil, err
	}
	sil, err := m.activeSilences(ctx, m.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("alerts: silences: %w", err)
	}
	cfg := m.cfg()
	if lang == "" {
		lang = cfg.Alerts.Language
	}
	v := m.present(c, sil, &router{m: m, cfg: cfg}, lang, view)
	return &v, nil
}

// present is an alert as view sees it.
func (m *Manager) present(c *current, sil silences, r *router, lang string, view *visibility.View) Alert {
	a := &c.Alert
	det := c.det.cut(view)
	v := Alert{
		ID: a.ID, Fingerprint: a.Fingerprint, Rule: a.Rule, Severity: a.Severity, State: a.State,
		Subject: AlertFirm{USCC: a.USCC, Name: a.Name, Grade: a.Grade, PreviousGrade: a.PreviousGrade},
		Labels:  alertLabels(a), Values: det.Values, Reasons: r.words(det.Reasons, lang), Path: det.Path,
		StartedAt: a.StartedAt, UpdatedAt: a.UpdatedAt, ResolvedAt: a.ResolvedAt, NotifiedAt: a.NotifiedAt,
		Baseline: a.Quiet, ScanID: a.ScanID,
	}
	if k, ok := a.Ack(view.Audience()); ok {
		v.AckedAt, v.AckedBy = k.At, k.By
	}
	if a.Leader != "" {
		v.Leader = &AlertFirm{USCC: a.Leader, Name: a.LeaderName}
	} else {
		delete(v.Labels, LabelLeader)
	}
	if v.Values == nil {
		v.Values = map[string]float64{}
	}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	if a.State == store.AlertFiring {
		v.SilencedBy = sil.match(alertLabels(a))
		v.Silenced = len(v.SilencedBy) > 0
	}
	return v
}

// Ack acknowledges a firing alert in the name of by, for view's audience (staff, or
// the tenant): no more repeats to that audience's subscriptions until it resolves
// (its resolve is still notified); nobody else's notifications change. Errors:
// store.ErrNotFound (also for an alert view may not see), store.ErrAlertResolved.
func (m *Manager) Ack(ctx context.Context, id string, view *visibility.View, by string) error {
	if view == nil {
		view = staffView
	}
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return err
	}
	if !view.SeesAlert(a.USCC, a.Leader) {
		return fmt.Errorf("alert %s: %w", id, store.ErrNotFound)
	}
	return m.st.AckAlert(ctx, id, view.Audience(), by, m.clock.Now())
}
