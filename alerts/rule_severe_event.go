package alerts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// RuleSevereEvent fires on a new active event of a configured severity on a watched
// firm.
const RuleSevereEvent = "severe_event"

func init() {
	register(&rule{name: RuleSevereEvent, order: 20, enabled: true,
		title: [2]string{"严重信用事件", "Severe credit event"},
		defaults: func() ruleParams {
			return &severeEventParams{Severities: []credit.Severity{credit.SeverityCritical, credit.SeverityHigh}}
		},
		evaluate: (*evaluation).severeEvent})
}

// severeEventParams: the event severities that count as severe.
type severeEventParams struct {
	Severities []credit.Severity `yaml:"severities"`
}

func (p *severeEventParams) check(enabled bool, problem func(key, format string, args ...any)) {
	if enabled && len(p.Severities) == 0 {
		problem("severities", "at least one severity is required while the rule is enabled")
	}
	for i, s := range p.Severities {
		if !s.Valid() {
			problem(fmt.Sprintf("severities[%d]", i), "%q is not one of info, low, medium, high, critical", s)
		}
	}
}

// severeEvent: a new active event of a configured severity (critical, high) on a
// watched firm; critical when any such event is critical. The alert holds while the
// firm has such an event. New events are those the previous state did not hold —
// per firm, as a multiset of (type, date). Without a previous state (the first scan
// of a process) a firm's events are new when no alert of this rule fires for it and
// its score fell since the stored result: they were not scored before.
func (e *evaluation) severeEvent(_ context.Context, emit func(*candidate)) error {
	rule := RuleSevereEvent
	table := e.severities(paramsOf[*severeEventParams](e, rule).Severities)
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
		return nil
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
	return nil
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

// severities are the severities of the event types by type index, "" for a type
// whose severity is not one of sevs: looked up once, as a province holds millions of
// events.
func (e *evaluation) severities(sevs []credit.Severity) []credit.Severity {
	model := e.next.Params.Model
	var table []credit.Severity
	for i := uint16(0); model.TypeName(i) != ""; i++ {
		ty, _ := model.Catalogue.Lookup(model.TypeName(i))
		if !slices.Contains(sevs, ty.Severity) {
			ty.Severity = ""
		}
		table = append(table, ty.Severity)
	}
	return table
}
