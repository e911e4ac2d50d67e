package alerts

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// A rule looks at a scan's previous and new state and names the alerts that should
// be firing now, each a candidate. It sees the alerts of its own that fire already
// (e.firing), so that it can hold them (hysteresis, "until back at the old grade").
// A rule judges some subjects (e.judge) or all of them (e.judgeAll): a firing alert
// it judged and did not name again resolves; one it did not judge is carried over
// as it is. Incremental scans judge only the firms whose inputs changed, so that
// their cost follows the change, not the number of firing alerts.

// candidate is an alert a rule wants firing.
type candidate struct {
	rule, uscc, leader string
	severity           string
	grade, prevGrade   string
	det                details
	// renotify asks for a notification although neither the state nor the severity
	// changed: a new severe event on a firm whose severe_event alert fires already.
	renotify bool
	// keep names a firing alert judged still firing as it is: nothing to write.
	keep *current
}

func (c *candidate) fingerprint() string { return Fingerprint(c.rule, c.uscc, c.leader) }

// Fingerprint is an alert's identity: rule, subject and leader ("" for the rules
// about one firm), joined by ':'.
func Fingerprint(rule, uscc, leader string) string { return rule + ":" + uscc + ":" + leader }

// details is what an alert keeps besides its row's columns (store.Alert.Details).
type details struct {
	// Values holds figures the summaries quote: score, previous_score, chain_risk,
	// supply_at_risk, threshold, age_days.
	Values  map[string]float64 `json:"values,omitempty"`
	Reasons []reason           `json:"reasons,omitempty"`
	// Path is the rule's own path from the subject to the alert's leader
	// (single_source: the supplier, the firm it solely supplies, the leader) and
	// Shares the purchase share of each hop.
	Path   []string  `json:"path,omitempty"`
	Shares []float64 `json:"shares,omitempty"`
	// Announced is, for repair_done, when the latest repair it announced was
	// recorded: the first evaluation of a process skips the firm's repairs recorded
	// up to then (see repairCursor).
	Announced time.Time `json:"announced,omitzero"`
	// Events are, for severe_event, the firm's active severe events as of the alert's
	// last evaluation ("type@unix seconds"): the first evaluation of a process
	// announces those added since, which the stopped process took in but never
	// announced.
	Events []string `json:"events,omitempty"`
}

// Reason kinds.
const (
	reasonEvent       = "event"
	reasonContributor = "contributor"
	reasonSoleSource  = "single_source"
	reasonRepair      = "repair"
	reasonStale       = "stale"
)

// reason is one reason of an alert, worded per language when notified.
type reason struct {
	Kind   string    `json:"kind"`
	Type   string    `json:"type,omitempty"`   // event type
	Points float64   `json:"points,omitempty"` // event points after decay
	At     time.Time `json:"at,omitzero"`      // event date, repair date, last update
	USCC   string    `json:"uscc,omitempty"`   // a contributor, or the firm solely supplied
	Name   string    `json:"name,omitempty"`
	Tier   int       `json:"tier,omitempty"`
	Value  float64   `json:"value,omitempty"` // contribution, or purchase share
	P      float64   `json:"p,omitempty"`     // p of a contributor, or substitutability
	By     string    `json:"by,omitempty"`    // who decided a repair
}

const maxReasons = 3

// Alert severities by the grade reached.
func gradeSeverity(g risk.Grade) string {
	if g == risk.GradeD {
		return config.AlertCritical
	}
	return config.AlertWarning
}

func parseGrade(s string) risk.Grade {
	if s == "" {
		return risk.GradeNone
	}
	return risk.Grade(s[0])
}

// ruleGradeDowngrade: the grade worsened to C (warning) or D (critical); the alert
// holds until the grade is back at the level it fell from, or better.
func (e *evaluation) ruleGradeDowngrade(emit func(*candidate)) {
	rule := config.RuleGradeDowngrade
	judge := func(v int32, a *current) {
		g := e.next.Grade[v]
		if a != nil {
			if g.Worse(parseGrade(a.PreviousGrade)) {
				c := e.firmCandidate(rule, v, gradeSeverity(g), a.PreviousGrade)
				c.sticky(a)
				emit(c)
			}
			return
		}
		if old, ok := e.prevGrade(v); ok && g >= risk.GradeC && old != risk.GradeNone && g.Worse(old) {
			emit(e.firmCandidate(rule, v, gradeSeverity(g), old.String()))
		}
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			e.judge(rule, fp)
			judge(v, e.firing.get(rule, fp))
		}
		return
	}
	e.judgeAll(rule)
	held := make(map[int32]bool)
	for _, a := range e.firingOf(rule) {
		if v, ok := e.next.Index(a.USCC); ok { // a firm that is gone resolves
			held[v] = true
			judge(v, a)
		}
	}
	for v := range int32(e.next.Len()) {
		if e.next.Grade[v] >= risk.GradeC && !held[v] {
			judge(v, nil)
		}
	}
}

// sticky keeps the score a held alert fired from: its previous_score stays what it
// was before the change that fired it.
func (c *candidate) sticky(held *current) {
	if held == nil {
		return
	}
	delete(c.det.Values, "previous_score")
	if p, ok := held.det.Values["previous_score"]; ok {
		c.det.Values["previous_score"] = p
	}
}

// firmCandidate is an alert about firm v with its score figures and the events that
// weigh most on it.
func (e *evaluation) firmCandidate(rule string, v int32, severity, prevGrade string) *candidate {
	c := &candidate{rule: rule, uscc: e.next.Snap.IDs[v], severity: severity, grade: e.next.Grade[v].String(),
		prevGrade: prevGrade, det: details{Values: map[string]float64{"score": math.Round(e.next.Score[v])}}}
	if s, ok := e.prevScore(v); ok && math.Abs(s-e.next.Score[v]) >= 0.5 {
		c.det.Values["previous_score"] = math.Round(s)
	}
	c.det.Reasons = e.eventReasons(v, nil)
	return c
}

// ruleSevereEvent: a new active event of a configured severity (critical, high) on a
// watched firm; critical when any such event is critical. The alert holds while the
// firm has such an event. New events are those the previous state did not hold —
// per firm, as a multiset of (type, date). Without a previous state (the first scan
// of a process) a firm's events are new when no alert of this rule fires for it and
// its score fell since the stored result: they were not scored before.
func (e *evaluation) ruleSevereEvent(emit func(*candidate)) {
	rule := config.RuleSevereEvent
	sevs := e.cfg.Alerts.Rules.SevereEvent.Severities
	model := e.next.Params.Model
	// The configured severities by type index, looked up once: a province holds
	// millions of events.
	var table []credit.Severity // "" when not severe
	for i := uint16(0); model.TypeName(i) != ""; i++ {
		ty, _ := model.Catalogue.Lookup(model.TypeName(i))
		if !slices.Contains(sevs, ty.Severity) {
			ty.Severity = ""
		}
		table = append(table, ty.Severity)
	}
	severe := func(t uint16) (credit.Severity, bool) {
		if int(t) >= len(table) || table[t] == "" {
			return "", false
		}
		return table[t], true
	}
	translate := e.typeTranslation()
	// Without a previous state, or when the catalogue changed, every firm is judged;
	// otherwise those whose events changed.
	all := e.prev == nil || translate != nil
	if all {
		e.judgeAll(rule)
	}
	judge := func(v int32, prevEvs []risk.EventRef) {
		evs := e.next.FirmEvents(v)
		fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
		if !all {
			e.judge(rule, fp)
		}
		var active, fresh []risk.EventRef
		critical := false
		for _, ev := range evs {
			if s, ok := severe(ev.Type); ok {
				active = append(active, ev)
				critical = critical || s == credit.SeverityCritical
			}
		}
		if len(active) == 0 {
			return
		}
		firing := e.firing.get(rule, fp)
		switch {
		case e.prev != nil:
			fresh = newEvents(active, prevEvs, translate)
		case firing != nil:
			if firing.det.Events != nil { // nil: recorded before alerts kept their events
				fresh = newEvents(active, e.eventRefs(firing.det.Events), nil)
			}
		case e.scoreFell(v):
			fresh = active
		}
		if firing == nil && (len(fresh) == 0 || !e.watched(v)) {
			return
		}
		severity := config.AlertWarning
		if critical {
			severity = config.AlertCritical
		}
		prevGrade := ""
		if g, ok := e.prevGrade(v); ok {
			prevGrade = g.String()
		}
		if firing != nil {
			prevGrade = firing.PreviousGrade
		}
		c := e.firmCandidate(rule, v, severity, prevGrade)
		c.sticky(firing)
		c.det.Reasons = e.eventReasons(v, fresh)
		c.det.Events = e.eventKeys(active)
		c.renotify = firing != nil && len(fresh) > 0
		emit(c)
	}
	prevEvents := func(v int32) []risk.EventRef {
		if pv, ok := e.prevIndex(v); ok {
			return e.prev.FirmEvents(pv)
		}
		return nil
	}
	if e.incremental() && !all {
		for _, v := range e.changedNodes() {
			judge(v, prevEvents(v))
		}
		return
	}
	for v := range int32(e.next.Len()) {
		evs := e.next.FirmEvents(v)
		if all {
			if len(evs) > 0 {
				judge(v, prevEvents(v))
			}
			continue
		}
		if prevEvs := prevEvents(v); !slices.Equal(prevEvs, evs) {
			judge(v, prevEvs)
		}
	}
}

// newEvents returns the events of next that prev does not hold (as multisets).
// translate maps prev's type indexes to next's when the catalogue changed.
func newEvents(next, prev []risk.EventRef, translate []uint16) []risk.EventRef {
	count := make(map[risk.EventRef]int, len(prev))
	for _, ev := range prev {
		if translate != nil && int(ev.Type) < len(translate) {
			ev.Type = translate[ev.Type]
		}
		count[ev]++
	}
	var out []risk.EventRef
	for _, ev := range next {
		if count[ev] > 0 {
			count[ev]--
			continue
		}
		out = append(out, ev)
	}
	return out
}

// eventKeys names events as details.Events keeps them, sorted.
func (e *evaluation) eventKeys(evs []risk.EventRef) []string {
	model := e.next.Params.Model
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = model.TypeName(ev.Type) + "@" + strconv.FormatInt(ev.At, 10)
	}
	slices.Sort(out)
	return out
}

// eventRefs reads details.Events back; a type the catalogue no longer has, or a
// malformed key, reads as NoType and so matches no event.
func (e *evaluation) eventRefs(keys []string) []risk.EventRef {
	model := e.next.Params.Model
	out := make([]risk.EventRef, 0, len(keys))
	for _, k := range keys {
		name, at, _ := strings.Cut(k, "@")
		sec, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			out = append(out, risk.EventRef{Type: risk.NoType})
			continue
		}
		out = append(out, risk.EventRef{Type: model.TypeIndex(name), At: sec})
	}
	return out
}

// typeTranslation maps the previous state's event type indexes to the new state's
// when a config reload changed the catalogue; nil when they agree.
func (e *evaluation) typeTranslation() []uint16 {
	if e.prev == nil || e.prev.Params.Model == e.next.Params.Model {
		return nil
	}
	pm, nm := e.prev.Params.Model, e.next.Params.Model
	var out []uint16
	same := true
	for i := uint16(0); pm.TypeName(i) != ""; i++ {
		t := nm.TypeIndex(pm.TypeName(i))
		same = same && t == i
		out = append(out, t)
	}
	if same && nm.TypeName(uint16(len(out))) == "" {
		return nil
	}
	return out
}

// ruleChainRisk: a leader's chain_risk or supply_at_risk, whichever is higher,
// reaches the warning or the critical threshold; a firing alert keeps its level
// until the figure falls below hysteresis × that level's threshold.
func (e *evaluation) ruleChainRisk(emit func(*candidate)) {
	rule := config.RuleChainRisk
	rc := e.cfg.Alerts.Rules.ChainRisk
	e.judgeAll(rule)
	for _, v := range e.next.Leaders {
		x := e.next.Chains[v]
		if x == nil {
			continue
		}
		uscc := e.next.Snap.IDs[v]
		held := ""
		if a := e.firing.get(rule, Fingerprint(rule, uscc, uscc)); a != nil {
			held = a.Severity
		}
		severity, threshold := chainRiskLevel(math.Max(x.ChainRisk, x.SupplyAtRisk), held, rc)
		if severity == "" {
			continue
		}
		c := &candidate{rule: rule, uscc: uscc, leader: uscc, severity: severity, grade: e.next.Grade[v].String(),
			det: details{Values: map[string]float64{
				"chain_risk": round4(x.ChainRisk), "supply_at_risk": round4(x.SupplyAtRisk), "threshold": threshold,
			}}}
		for _, tc := range x.TopContributors[:min(maxReasons, len(x.TopContributors))] {
			c.det.Reasons = append(c.det.Reasons, reason{Kind: reasonContributor, USCC: tc.USCC, Name: e.name(tc.USCC),
				Tier: tc.Tier, Value: round4(tc.Contribution), P: round4(tc.P)})
		}
		emit(c)
	}
}

// chainRiskLevel is the severity of a chain risk figure m for an alert firing at held
// ("" when not firing), and the threshold of that severity.
func chainRiskLevel(m float64, held string, rc config.ChainRiskRule) (severity string, threshold float64) {
	const eps = 1e-9 // 0.9 × 0.2 is 0.18000000000000002 in floating point
	switch {
	case m >= rc.Critical-eps, held == config.AlertCritical && m >= rc.Hysteresis*rc.Critical-eps:
		return config.AlertCritical, rc.Critical
	case m >= rc.Warning-eps, held != "" && m >= rc.Hysteresis*rc.Warning-eps:
		return config.AlertWarning, rc.Warning
	}
	return "", 0
}

// ruleScoreDrop: the score fell by at least the configured points within the window:
// the highest score held in the window (the store's history, the previous result)
// minus the score now. Firms whose score fell in this scan are examined, and the
// firing alerts on a full scan or when their firm's score moved.
func (e *evaluation) ruleScoreDrop(ctx context.Context, emit func(*candidate)) error {
	rule := config.RuleScoreDrop
	rc := e.cfg.Alerts.Rules.ScoreDrop
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
		uscc := e.next.Snap.IDs[v]
		hist, err := e.m.st.History(ctx, uscc, store.HistoryFilter{Limit: 1000})
		if err != nil {
			return fmt.Errorf("score_drop: history of %s: %w", uscc, err)
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

// ruleSingleSource: a single-source supplier (exposure concentration) of a leader or
// of one of its tier-1 suppliers is grade C (warning) or D (critical).
func (e *evaluation) ruleSingleSource(emit func(*candidate)) {
	rule := config.RuleSingleSource
	e.judgeAll(rule)
	for _, l := range e.next.Leaders {
		x := e.next.Chains[l]
		if x == nil {
			continue
		}
		leader := e.next.Snap.IDs[l]
		seen := make(map[string]bool)
		for _, con := range x.Concentration {
			for _, ss := range con.SingleSource {
				sv, ok := e.next.Index(ss.Supplier)
				if !ok || seen[ss.Supplier] {
					continue
				}
				g := e.next.Grade[sv]
				if g < risk.GradeC {
					continue
				}
				seen[ss.Supplier] = true
				c := e.firmCandidate(rule, sv, gradeSeverity(g), "")
				if pg, ok := e.prevGrade(sv); ok && pg != g {
					c.prevGrade = pg.String()
				}
				if a := e.firing.get(rule, Fingerprint(rule, ss.Supplier, leader)); a != nil {
					c.prevGrade = a.PreviousGrade
					c.sticky(a)
				}
				c.leader = leader
				c.det.Path, c.det.Shares = []string{ss.Supplier, con.USCC}, []float64{ss.PurchaseShare}
				if con.USCC != leader {
					c.det.Path = append(c.det.Path, leader)
					cv, _ := e.next.Index(con.USCC)
					if edge, ok := e.next.Snap.FindEdge(cv, l); ok {
						c.det.Shares = append(c.det.Shares, e.next.Snap.Attrs(edge).PurchaseShare)
					}
				}
				sole := reason{Kind: reasonSoleSource, USCC: con.USCC, Name: e.name(con.USCC),
					Value: ss.PurchaseShare, P: ss.Substitutability}
				c.det.Reasons = append([]reason{sole}, c.det.Reasons...)
				c.det.Reasons = c.det.Reasons[:min(maxReasons, len(c.det.Reasons))]
				emit(c)
			}
		}
	}
}

// ruleRepairDone: a repair recorded since the last evaluation was approved for a
// specialized SME (info). It is a one-off: the alert is notified once, never
// repeated, and resolves without a notification at the next full scan.
func (e *evaluation) ruleRepairDone(ctx context.Context, emit func(*candidate)) error {
	rule := config.RuleRepairDone
	if e.full {
		e.judgeAll(rule) // resolves what fired before, quietly
	}
	since, err := e.repairCursor(ctx)
	if err != nil || since.IsZero() {
		return err
	}
	repairs, err := e.m.st.RepairsSince(ctx, since)
	if err != nil {
		return fmt.Errorf("repair_done: %w", err)
	}
	byFirm := make(map[int32][]store.RepairedEvent)
	var firms []int32
	for _, r := range repairs {
		e.repairsSeen = maxTime(e.repairsSeen, r.RecordedAt)
		v, ok := e.next.Index(r.USCC)
		if !ok || !e.next.Firms[v].Specialized || !r.RecordedAt.After(e.announced[r.USCC]) {
			continue
		}
		if byFirm[v] == nil {
			firms = append(firms, v)
		}
		byFirm[v] = append(byFirm[v], r)
	}
	for _, v := range firms {
		prevGrade := ""
		if g, ok := e.prevGrade(v); ok && g != e.next.Grade[v] {
			prevGrade = g.String()
		}
		c := e.firmCandidate(rule, v, config.AlertInfo, prevGrade)
		c.det.Reasons = nil
		for _, r := range byFirm[v] {
			c.det.Reasons = append(c.det.Reasons, reason{Kind: reasonRepair, Type: r.Type, At: r.RepairedAt, By: r.DecidedBy})
		}
		c.det.Reasons = c.det.Reasons[:min(maxReasons, len(c.det.Reasons))]
		c.det.Announced = byFirm[v][len(byFirm[v])-1].RecordedAt // RepairsSince's order
		c.renotify = true
		emit(c)
	}
	return nil
}

// ruleStaleData: a watched firm's record was not updated for longer than the
// configured age. It is judged on full scans (an incremental scan keeps the clock of
// the previous one); in between, a firing alert resolves as soon as its firm's
// record changes. A firing alert is carried over as it fired (its age is not
// rewritten every day).
func (e *evaluation) ruleStaleData(emit func(*candidate)) {
	rule := config.RuleStaleData
	maxAge := e.cfg.Alerts.Rules.StaleData.MaxAge
	stale := func(v int32) (float64, bool) {
		age := e.next.At.Sub(e.next.Firms[v].UpdatedAt)
		return math.Floor(age.Hours() / 24), age > maxAge
	}
	if e.incremental() {
		for _, v := range e.changedNodes() {
			fp := Fingerprint(rule, e.next.Snap.IDs[v], "")
			if a := e.firing.get(rule, fp); a != nil {
				e.judge(rule, fp)
				if _, still := stale(v); still {
					emit(&candidate{keep: a})
				}
			}
		}
		return
	}
	e.judgeAll(rule)
	for v := range int32(e.next.Len()) {
		days, old := stale(v)
		if !old || !e.watched(v) {
			continue
		}
		uscc := e.next.Snap.IDs[v]
		if a := e.firing.get(rule, Fingerprint(rule, uscc, "")); a != nil {
			emit(&candidate{keep: a})
			continue
		}
		emit(&candidate{rule: rule, uscc: uscc, severity: config.AlertWarning, grade: e.next.Grade[v].String(),
			det: details{Values: map[string]float64{"age_days": days},
				Reasons: []reason{{Kind: reasonStale, At: e.next.Firms[v].UpdatedAt}}}})
	}
}

// eventReasons words the events that weigh most on firm v: first those of first
// (the new severe events), then the others, most negative points first.
func (e *evaluation) eventReasons(v int32, first []risk.EventRef) []reason {
	model := e.next.Params.Model
	status := e.next.Firms[v].Status
	word := func(ev risk.EventRef) reason {
		at := time.Unix(ev.At, 0).UTC()
		var ex risk.Explanation
		name := model.TypeName(ev.Type)
		model.Score(status, []risk.ScoredEvent{{Type: name, OccurredAt: at}}, e.next.At, &ex)
		r := reason{Kind: reasonEvent, Type: name, At: at}
		if len(ex.Contributions) > 0 {
			r.Points = math.Round(ex.Contributions[0].Effective)
		}
		return r
	}
	byPoints := func(a, b reason) int { return cmp.Or(cmp.Compare(a.Points, b.Points), b.At.Compare(a.At)) }
	var lead, rest []reason
	remaining := newEvents(e.next.FirmEvents(v), first, nil)
	for _, ev := range first {
		lead = append(lead, word(ev))
	}
	for _, ev := range remaining {
		if r := word(ev); r.Points < 0 {
			rest = append(rest, r)
		}
	}
	slices.SortStableFunc(lead, byPoints)
	slices.SortStableFunc(rest, byPoints)
	out := append(lead, rest...)
	return out[:min(maxReasons, len(out))]
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
