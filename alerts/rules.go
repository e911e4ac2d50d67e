package alerts

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/risk"
)

// A rule looks at a scan's previous and new state and names the alerts that should
// be firing now, each a candidate. It sees the alerts of its own that fire already
// (e.firing), so that it can hold them (hysteresis, "until back at the old grade").
// A rule judges some subjects (e.judge) or all of them (e.judgeAll): a firing alert
// it judged and did not name again resolves; one it did not judge is carried over
// as it is. Incremental scans judge only the firms whose inputs changed, so that
// their cost follows the change, not the number of firing alerts.

// rule is an alert rule as its own file registers it (register, in init): its name,
// title, defaults and evaluation. The rules are evaluated, listed, counted and
// checked from this registry alone; the config keeps each one's settings by name
// (config.RulesConfig), which CheckConfig holds to it.
type rule struct {
	// name names the rule in fingerprints, labels, metrics, the config
	// (alerts.rules.<name>) and subscriptions' rules.
	name string
	// order places it among the rules: they are evaluated, and listed, in this order.
	order int
	// title is its name for people, zh then en: the title of its notifications.
	title [2]string
	// enabled is its default.
	enabled bool
	// defaults returns its parameters at their defaults: a pointer to a struct whose
	// yaml tags are its keys under alerts.rules.<name>. Nil for a rule without any.
	defaults func() ruleParams
	// oneOff rules announce an alert once: never repeated, resolved without a word.
	oneOff bool
	// noRepeat rules' alerts are announced once and not repeated by the resend job
	// (alerts.repeat_interval); their resolve is announced.
	noRepeat bool
	// clock rules follow the clock besides the scans: the repair_eligible job
	// evaluates them alone between scans (Manager.RepairEligible).
	clock bool
	// aboutChain rules' alerts are about a leader's chain: links go to the chain.
	aboutChain bool
	// chains rules read the leaders' chain exposures (monitor.State.Chains), which an
	// incremental scan has only after the propagation: there they run in the
	// evaluation after it, the others in the one before it (Manager.ObserveRescored).
	chains bool
	// evaluate names the alerts that should fire now (emit).
	evaluate func(e *evaluation, ctx context.Context, emit func(*candidate)) error
}

// ruleParams are a rule's parameters.
type ruleParams interface {
	// check reports what is wrong with them: problem(key, …) with key relative to
	// the rule ("hysteresis"; "" for the rule itself).
	check(enabled bool, problem func(key, format string, args ...any))
}

// registry holds the rules in their order.
var registry []*rule

// register adds a rule to the registry; a name or an order taken already is
// refused, and recorded for a test to see.
func register(r *rule) {
	i, found := slices.BinarySearchFunc(registry, r, func(a, b *rule) int { return cmp.Compare(a.order, b.order) })
	if found || ruleNamed(r.name) != nil {
		dupRules = append(dupRules, r.name)
		return
	}
	registry = slices.Insert(registry, i, r)
}

// dupRules are the rules registered twice, or with an order taken: a test keeps it empty.
var dupRules []string

// ruleNamed returns the rule called name, or nil.
func ruleNamed(name string) *rule {
	for _, r := range registry {
		if r.name == name {
			return r
		}
	}
	return nil
}

// RuleNames lists the alert rules, in their order.
func RuleNames() []string {
	out := make([]string, len(registry))
	for i, r := range registry {
		out[i] = r.name
	}
	return out
}

// ruleTitle is a rule's title in a summary language (zh unless "en"); "" for a rule
// this build does not have.
func ruleTitle(name, lang string) string {
	r := ruleNamed(name)
	switch {
	case r == nil:
		return ""
	case lang == "en":
		return r.title[1]
	}
	return r.title[0]
}

// candidate is an alert a rule wants firing.
type candidate struct {
	rule, uscc, leader string
	// key tells apart the alerts of one rule about one firm (repair_eligible: one per
	// event); "" for the rules with one alert per firm (and leader).
	key              string
	severity         string
	grade, prevGrade string
	det              details
	// renotify asks for a notification although neither the state nor the severity
	// changed: a new severe event on a firm whose severe_event alert fires already.
	renotify bool
	// keep names a firing alert judged still firing as it is: nothing to write.
	keep *current
}

func (c *candidate) fingerprint() string {
	return Fingerprint(c.rule, subjectKey(c.uscc, c.key), c.leader)
}

// Fingerprint is an alert's identity: rule, subject and leader ("" for the rules
// about one firm), joined by ':'. The subject is the firm's USCC, followed by '/'
// and a key for the rules with several alerts per firm (subjectKey); the leader
// stays last, where fingerprintLeader finds it.
func Fingerprint(rule, uscc, leader string) string { return rule + ":" + uscc + ":" + leader }

// subjectKey is the subject of a fingerprint: the USCC, and the key when there is
// one (a USCC holds no '/').
func subjectKey(uscc, key string) string {
	if key == "" {
		return uscc
	}
	return uscc + "/" + key
}

// details is what an alert keeps besides its row's columns (store.Alert.Details).
type details struct {
	// Values holds figures the summaries quote: score, previous_score, chain_risk,
	// supply_at_risk, threshold, age_days.
	Values  map[string]float64 `json:"values,omitempty"`
	Reasons []reason           `json:"reasons,omitempty"`
	// Path is the rule's own path: for an alert with a leader, from the subject to
	// that leader (single_source: the supplier, the firm it solely supplies, the
	// leader) with Shares the purchase share of each hop; for related_party_distress,
	// the ownership path from the first related party in distress down to the subject
	// (holder first) with Shares the direct share of each link. Only a path to a leader
	// places the subject in notifications (router.place).
	Path   []string  `json:"path,omitempty"`
	Shares []float64 `json:"shares,omitempty"`
	// Parties are, for related_party_distress, the USCCs of the subject's related
	// firms in distress as of the alert's last evaluation, sorted: one not among them
	// is news.
	Parties []string `json:"parties,omitempty"`
	// Announced is, for repair_done, when the latest repair it announced was
	// recorded: the first evaluation of a process skips the firm's repairs recorded
	// up to then (see repairCursor).
	Announced time.Time `json:"announced,omitzero"`
	// Events are, for severe_event, the firm's active severe events as of the alert's
	// last evaluation ("type@unix seconds"): the first evaluation of a process
	// announces those added since, which the stopped process took in but never
	// announced.
	Events []string `json:"events,omitempty"`
	// Resolved is why the alert resolved (notify.ResolveReasons), set by the
	// evaluation that resolved it (resolution).
	Resolved string `json:"resolved,omitempty"`
}

// Reason kinds.
const (
	reasonEvent       = "event"
	reasonContributor = "contributor"
	reasonSoleSource  = "single_source"
	reasonRepair      = "repair"
	reasonStale       = "stale"
	reasonRelated     = "related_party"
	reasonEligible    = "repair_eligible"
)

// reason is one reason of an alert, worded per language when notified.
type reason struct {
	Kind   string    `json:"kind"`
	Type   string    `json:"type,omitempty"`   // event type
	Points float64   `json:"points,omitempty"` // event points after decay
	At     time.Time `json:"at,omitzero"`      // event date, repair date, last update
	USCC   string    `json:"uscc,omitempty"`   // a contributor, the firm solely supplied, a related party
	Name   string    `json:"name,omitempty"`
	Tier   int       `json:"tier,omitempty"`
	Value  float64   `json:"value,omitempty"` // contribution, purchase share, or penetrated share
	P      float64   `json:"p,omitempty"`     // p of a contributor, or substitutability
	By     string    `json:"by,omitempty"`    // who decided a repair, or decides one
	// A related party's grade, and whether it is the actual controller, a majority
	// holder (penetrated share above 1/2), or both; Type is then its worst active
	// critical event, if any.
	Grade      string `json:"grade,omitempty"`
	Controller bool   `json:"controller,omitempty"`
	Majority   bool   `json:"majority,omitempty"`
	// From is when an event became eligible for repair (repair_eligible).
	From time.Time `json:"from,omitzero"`
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
