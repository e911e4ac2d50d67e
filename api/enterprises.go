package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// historyLimit bounds the score history an enterprise answer lists.
const historyLimit = 100

// enterpriseJSON answers GET /api/v1/enterprises/{uscc} (api/openapi.json field names).
type enterpriseJSON struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
	// FormerNames are the firm's former names (曾用名); [] when none.
	FormerNames []string      `json:"former_names"`
	Region      string        `json:"region"`
	Industry    string        `json:"industry"`
	Tags        []string      `json:"tags"`
	Status      credit.Status `json:"status"`
	Revenue     *float64      `json:"revenue"`
	UpdatedAt   time.Time     `json:"updated_at"`
	// The latest scan's result; null until a scan has scored the firm.
	Score     *float64 `json:"score"`
	Grade     *string  `json:"grade"`
	P         *float64 `json:"p"`
	D         *float64 `json:"d"`
	Contagion *float64 `json:"contagion"` // d − p
	// ModelVersion is the model of the figures; ScanID the scan that last changed
	// the firm's result and ScoredAt that scan's own time.
	ModelVersion string     `json:"model_version"`
	ScanID       int64      `json:"scan_id"`
	ScoredAt     *time.Time `json:"scored_at"`
	// Explanation answers "why is this grade?": every active event's contribution,
	// most negative first, then the hard rules applied; ScoreBreakdown sums them.
	Explanation    []any          `json:"explanation"`
	ScoreBreakdown scoreBreakdown `json:"score_breakdown"`
	Events         []eventJSON    `json:"events"` // active ones
	History        []historyJSON  `json:"history"`
	// Chains lists the leaders' chains holding the firm; null when the firm trades
	// with so many that listing them is refused (see membershipBudget).
	Chains []membership `json:"chains"`
	// Related are the firm's related parties (actual controller, majority
	// holders) from the ownership registry; RelatedComplete is false when the
	// holder search ran past checks.max_steps and only the controller is listed.
	Related         []relatedJSON `json:"related"`
	RelatedComplete bool          `json:"related_complete"`
}

type scoreBreakdown struct {
	Base           float64 `json:"base"`
	Negative       float64 `json:"negative"`
	Positive       float64 `json:"positive"`
	PositiveCapped float64 `json:"positive_capped"`
	Score          float64 `json:"score"`
}

type eventContribution struct {
	Kind string `json:"kind"` // "event"
	risk.Contribution
}

type ruleContribution struct {
	Kind   string `json:"kind"` // "rule"
	Rule   string `json:"rule"`
	Effect string `json:"effect"`
}

type eventJSON struct {
	EventID      string            `json:"event_id"`
	Type         string            `json:"type"`
	Meaning      string            `json:"meaning,omitempty"`
	Severity     credit.Severity   `json:"severity"`
	Points       float64           `json:"points"`
	OccurredAt   time.Time         `json:"occurred_at"`
	PublishUntil *time.Time        `json:"publish_until"` // null: until repaired
	Source       string            `json:"source"`
	Amount       *float64          `json:"amount"`
	Description  string            `json:"description"`
	State        credit.EventState `json:"state"`
	RepairedAt   *time.Time        `json:"repaired_at"`
	// Repair is the repair block of an active negative event; null for the others.
	Repair *repairJSON `json:"repair"`
}

// membership is a firm's place in a leader's chain.
type membership struct {
	Leader     string `json:"leader"`
	LeaderName string `json:"leader_name"`
	Tier       int    `json:"tier"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func ptr[T any](v T) *T { return &v }

// enterprise reads a firm the caller may see from the store.
func (rq *request) enterprise(uscc string) (*monitor.State, *credit.Enterprise, error) {
	st, err := rq.ready()
	if err != nil {
		return nil, nil, err
	}
	if !rq.who.Sees(uscc) {
		return nil, nil, errFirmNotFound
	}
	e, err := rq.s.b.Store().Enterprise(rq.r.Context(), uscc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errFirmNotFound
	}
	if err != nil {
		return nil, nil, storeError(err)
	}
	return st, e, nil
}

// firmViewer reads what the enterprise answer shows of a firm from the store in one
// go (store.SQL.FirmView: one round trip on PostgreSQL, where four reads one after
// the other cost four, each waiting for the server's process to be scheduled).
type firmViewer interface {
	FirmView(ctx context.Context, uscc string, activeAt time.Time, historyLimit int) (*store.FirmView, error)
}

// firmView reads a firm the caller may see, with its events active at the state's
// clock, its latest result and its newest history entries.
func (rq *request) firmView(uscc string) (*monitor.State, *store.FirmView, error) {
	fv, ok := rq.s.b.Store().(firmViewer)
	if !ok {
		return rq.firmViewApart(uscc)
	}
	st, err := rq.ready()
	if err != nil {
		return nil, nil, err
	}
	if !rq.who.Sees(uscc) {
		return nil, nil, errFirmNotFound
	}
	v, err := fv.FirmView(rq.r.Context(), uscc, st.At, historyLimit)
	if err != nil {
		return nil, nil, storeError(err)
	}
	if v.Enterprise == nil {
		return nil, nil, errFirmNotFound
	}
	return st, v, nil
}

// firmViewApart is firmView over a store without FirmView: one read after another.
func (rq *request) firmViewApart(uscc string) (*monitor.State, *store.FirmView, error) {
	ctx := rq.r.Context()
	st, e, err := rq.enterprise(uscc)
	if err != nil {
		return nil, nil, err
	}
	v := &store.FirmView{Enterprise: e}
	if v.Events, err = rq.events(st, uscc, true); err != nil {
		return nil, nil, err
	}
	v.Result, err = rq.s.b.Store().FirmResult(ctx, uscc)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, storeError(err)
	}
	if v.History, err = rq.s.b.Store().History(ctx, uscc, store.HistoryFilter{Limit: historyLimit}); err != nil {
		return nil, nil, storeError(err)
	}
	return st, v, nil
}

// events reads a firm's events: active at the state's clock, or all.
func (rq *request) events(st *monitor.State, uscc string, activeOnly bool) ([]credit.Event, error) {
	f := store.EventFilter{USCC: uscc}
	if activeOnly {
		f.ActiveAt = st.At
	}
	var out []credit.Event
	err := rq.s.b.Store().Events(rq.r.Context(), f, func(e *credit.Event) error {
		out = append(out, *e)
		return nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

func eventOf(st *monitor.State, e *credit.Event) eventJSON {
	out := eventJSON{EventID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt, PublishUntil: timePtr(e.PublishUntil),
		Source: e.Source, Amount: e.Amount, Description: e.Description, State: e.State, RepairedAt: timePtr(e.RepairedAt)}
	if t, ok := st.Params.Model.Catalogue.Lookup(e.Type); ok {
		out.Meaning, out.Severity, out.Points = t.Meaning, t.Severity, t.Points
	}
	// An event whose publicity ended waits for the hourly expiry job to be marked;
	// it stopped counting already.
	if e.State == credit.EventActive && !e.ActiveAt(st.At) {
		out.State = credit.EventExpired
	}
	if rs, ok := repairStatus(st, e); ok {
		out.Repair = repairOf(rs)
	}
	return out
}

func (s *Server) getEnterprise(rq *request) error {
	out, _, _, err := s.enterpriseAnswer(rq)
	if err != nil {
		return err
	}
	return rq.json(200, out)
}

// enterpriseAnswer builds the enterprise answer of the path's firm, as the caller
// may see it, with the firm's record and the state it was read from.
func (s *Server) enterpriseAnswer(rq *request) (*enterpriseJSON, *credit.Enterprise, *monitor.State, error) {
	uscc, err := rq.pathUSCC("uscc")
	if err != nil {
		return nil, nil, nil, err
	}
	st, v, err := rq.firmView(uscc)
	if err != nil {
		return nil, nil, nil, err
	}
	e, events, r, hist := v.Enterprise, v.Events, v.Result, v.History
	out := enterpriseJSON{USCC: e.USCC, Name: e.Name, FormerNames: e.FormerNames, Region: e.Region, Industry: e.Industry, Tags: e.Tags,
		Status: e.Status, Revenue: e.Revenue, UpdatedAt: e.UpdatedAt, Events: []eventJSON{},
		History: []historyJSON{}, Chains: []membership{}, ModelVersion: st.Params.Model.Version}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.FormerNames == nil {
		out.FormerNames = []string{}
	}
	// The figures are the state's; the stamp is the result's as written, by the scan
	// that last changed it (an incremental scan leaves the firms it did not change
	// alone, and scores with an older clock than its own).
	if v, ok := st.Index(uscc); ok {
		out.Score, out.Grade, out.P, out.D = ptr(st.Score[v]), ptr(st.Grade[v].String()), ptr(st.P[v]), ptr(st.D[v])
		out.Contagion, out.ScanID = ptr(st.D[v]-st.P[v]), st.ScanID
		if r != nil {
			out.ScanID, out.ScoredAt = r.ScanID, ptr(r.UpdatedAt)
		}
		out.Chains = rq.memberships(st, v)
	} else if r != nil { // ingested after the last scan
		out.Score, out.Grade, out.P, out.D = ptr(r.Score), ptr(r.Grade), ptr(r.P), ptr(r.D)
		out.Contagion, out.ScanID, out.ScoredAt, out.ModelVersion = ptr(r.D-r.P), r.ScanID, ptr(r.UpdatedAt), r.ModelVersion
	}

	// The explanation is recomputed from the events active at the scan's clock, with
	// the scan's model: the same inputs give the same score.
	model := st.Params.Model
	scored := make([]risk.ScoredEvent, len(events))
	for i, ev := range events {
		scored[i] = risk.ScoredEvent{ID: ev.ID, Type: ev.Type, OccurredAt: ev.OccurredAt}
		out.Events = append(out.Events, eventOf(st, &ev))
	}
	var ex risk.Explanation
	res := model.Score(e.Status, scored, st.At, &ex)
	out.ScoreBreakdown = scoreBreakdown{Base: ex.Base, Negative: ex.Negative, Positive: ex.Positive,
		PositiveCapped: ex.PositiveCapped, Score: res.Score}
	contributions := slices.Clone(ex.Contributions)
	slices.SortStableFunc(contributions, func(a, b risk.Contribution) int {
		return cmp.Or(cmp.Compare(a.Effective, b.Effective), cmp.Compare(a.EventID, b.EventID))
	})
	out.Explanation = []any{}
	for _, c := range contributions {
		out.Explanation = append(out.Explanation, eventContribution{Kind: "event", Contribution: c})
	}
	for _, r := range ex.HardRules {
		out.Explanation = append(out.Explanation, ruleContribution{Kind: "rule", Rule: r, Effect: ruleEffect(r, model)})
	}

	if out.Related, out.RelatedComplete, err = rq.related(st, uscc); err != nil {
		return nil, nil, nil, err
	}
	for i := range hist {
		out.History = append(out.History, rq.historyPoint(&hist[i]))
	}
	return &out, e, st, nil
}

// membershipBudget bounds the firms visited to list a firm's chains: from a hub
// supplier (a utility, a freight firm) three hops downstream reach much of the
// province, and the enterprise endpoint must stay fast.
const membershipBudget = 20000

// memberships lists the leaders' chains v belongs to, searching from v outwards: L's
// chain holds v at tier t > 0 when L lies t hops downstream of v (within the scan's
// depth_up), else at tier −t when L lies t hops upstream (within depth_down). A
// tenant sees its own chain's membership only, never a rival's. It returns nil (JSON null: not listed)
// when the search would visit more than membershipBudget firms.
func (rq *request) memberships(st *monitor.State, v int32) []membership {
	o := st.Params.Exposure.Chain
	c := st.Snap.CSR()
	sc := rq.s.hops.get(len(st.Snap.IDs))
	defer rq.s.hops.put(sc)
	tiers := make(map[int32]int) // leading firm → v's tier in its chain
	// L supplies …, which supplies v: v at tier −t.
	if !sc.search(v, o.DepthDown, c.InStart, c.InFrom) {
		return nil
	}
	for _, x := range sc.reached {
		if st.Firms[x].Leading {
			tiers[x] = -int(sc.dist[x])
		}
	}
	// v supplies …, which supplies L: v at tier t; an upstream place wins
	// (graph.Member's tier rule).
	if !sc.search(v, o.DepthUp, c.OutStart, c.OutTo) {
		return nil
	}
	for _, x := range sc.reached {
		if st.Firms[x].Leading {
			tiers[x] = int(sc.dist[x])
		}
	}
	out := []membership{}
	for x, tier := range tiers {
		id := st.Snap.IDs[x]
		if rq.who.View().SeesChain(id) {
			out = append(out, membership{Leader: id, LeaderName: st.Firms[x].Name, Tier: tier})
		}
	}
	slices.SortFunc(out, func(a, b membership) int { return cmp.Compare(a.Leader, b.Leader) })
	return out
}

// hopScratch is the working memory of a breadth-first search over the whole graph:
// flat arrays indexed by firm, reset by bumping an epoch, so that a search costs what
// it visits (at most membershipBudget firms), not what the province holds.
type hopScratch struct {
	stamp   []uint32 // stamp[x] == epoch: x reached by the current search
	dist    []int8   // its distance, valid when stamped
	epoch   uint32
	reached []int32
}

// search runs a breadth-first search from v along one direction of the CSR (start,
// to) for at most depth hops, leaving the firms reached (v first) in reached and
// their distances in dist; it reports false once more than membershipBudget firms
// are reached.
func (sc *hopScratch) search(v int32, depth int, start, to []int32) bool {
	sc.epoch++
	if sc.epoch == 0 { // wrapped: old stamps could read as current
		clear(sc.stamp)
		sc.epoch = 1
	}
	sc.stamp[v], sc.dist[v] = sc.epoch, 0
	sc.reached = append(sc.reached[:0], v)
	frontier := 0 // reached[frontier:] is the current hop's frontier
	for h := 1; h <= depth && frontier < len(sc.reached); h++ {
		end := len(sc.reached)
		for _, x := range sc.reached[frontier:end] {
			for _, y := range to[start[x]:start[x+1]] {
				if sc.stamp[y] != sc.epoch {
					sc.stamp[y], sc.dist[y] = sc.epoch, int8(h)
					sc.reached = append(sc.reached, y)
					if len(sc.reached) > membershipBudget {
						return false
					}
				}
			}
		}
		frontier = end
	}
	return true
}

// hopPool keeps a few scratches between requests; more are made under load and
// dropped after.
type hopPool chan *hopScratch

func (p hopPool) get(n int) *hopScratch {
	select {
	case sc := <-p:
		if len(sc.stamp) == n {
			return sc
		}
	default:
	}
	return &hopScratch{stamp: make([]uint32, n), dist: make([]int8, n)}
}

func (p hopPool) put(sc *hopScratch) {
	select {
	case p <- sc:
	default:
	}
}

func ruleEffect(rule string, m *risk.Model) string {
	switch rule {
	case risk.RuleCriticalEvent:
		return "an active critical event caps the grade at D"
	case risk.RuleDefunct:
		return "status revoked, deregistered or bankrupt: grade D and p = 1"
	case risk.RulePositiveCap:
		return fmt.Sprintf("positive points capped at +%g", m.PositiveCap)
	case risk.RuleClamped:
		return "score clamped to [0, 1000]"
	}
	return rule
}

// eventsJSON answers GET /api/v1/enterprises/{uscc}/events.
type eventsJSON struct {
	USCC   string      `json:"uscc"`
	Events []eventJSON `json:"events"`
}

func (s *Server) getEvents(rq *request) error {
	uscc, err := rq.pathUSCC("uscc")
	if err != nil {
		return err
	}
	st, _, err := rq.enterprise(uscc)
	if err != nil {
		return err
	}
	events, err := rq.events(st, uscc, false)
	if err != nil {
		return err
	}
	out := eventsJSON{USCC: uscc, Events: make([]eventJSON, len(events))}
	for i := range events {
		out.Events[i] = eventOf(st, &events[i])
	}
	return rq.json(200, out)
}
