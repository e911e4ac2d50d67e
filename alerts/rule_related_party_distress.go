package alerts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
)

// RuleRelatedPartyDistress fires when the actual controller or a majority holder of a
// watched firm is in distress.
const RuleRelatedPartyDistress = "related_party_distress"

func init() {
	register(&rule{name: RuleRelatedPartyDistress, order: 25, enabled: true,
		title:    [2]string{"关联方信用风险", "Related party in distress"},
		evaluate: (*evaluation).relatedPartyDistress})
}

// relatedPartyDistress: a related party (docs/models.md) of a watched firm — its
// actual controller, or a holder whose penetrated share in it is above 1/2 within
// checks.depth — is a firm in distress: grade D, or an active event whose catalogue
// severity is critical (monitor.State.Distressed). Persons have no grade and are never
// in distress. The alert, about the firm (warning), holds while one of its related
// firms is in distress, and is notified again when another one falls into distress.
//
// It never searches the holders of every firm. A full scan, a first scan, a changed
// registry (the state's pointer changes only when holdings or legal representatives
// did) or a changed model (a config reload) judges the firms the distressed firms may
// be related to (ownership.Registry.Dependents) and the subjects of its firing alerts;
// an incremental scan judges the changed firms and the dependents of those among them
// that are, or were, in distress.
func (e *evaluation) relatedPartyDistress(_ context.Context, emit func(*candidate)) error {
	rule := RuleRelatedPartyDistress
	reg := e.next.Owners
	all := !e.incremental() || e.prev.Owners != reg || e.prev.Params.Model != e.next.Params.Model
	if all {
		e.judgeAll(rule)
	}
	if reg == nil { // a state no scan built: no holdings, no related parties
		return nil
	}
	j := &relatedJudge{e: e, reg: reg, p: e.cfg.Checks.OwnershipParams(), all: all, subjects: map[string]bool{}}
	if all {
		for v := range int32(e.next.Len()) {
			if e.next.Distressed(v) {
				if err := j.dependents(v); err != nil {
					return err
				}
			}
		}
		for _, a := range e.firingOf(rule) {
			j.subjects[a.USCC] = true
		}
	} else {
		for _, v := range e.changedNodes() {
			j.subjects[e.next.Snap.IDs[v]] = true
			if e.next.Distressed(v) || j.wasDistressed(v) {
				if err := j.dependents(v); err != nil {
					return err
				}
			}
		}
		if !e.sameIDs { // firms may have left: their alerts' parties too
			for _, a := range e.firingOf(rule) {
				j.subjects[a.USCC] = true
			}
		}
	}
	for _, u := range slices.Sorted(maps.Keys(j.subjects)) {
		if err := j.judge(u, emit); err != nil {
			return err
		}
	}
	if j.holders+j.investees > 0 {
		e.m.log.Warn("related_party_distress: ownership searches exceeded checks.max_steps",
			"scan", e.next.ScanID, "max_steps", j.p.MaxSteps,
			"holder_searches", j.holders, "investee_searches", j.investees,
			"fallback", "the actual controller alone, the majority chains alone")
	}
	return nil
}

// relatedJudge is one evaluation of related_party_distress.
type relatedJudge struct {
	e   *evaluation
	reg *ownership.Registry
	p   ownership.Params
	all bool // the rule judged every subject
	// subjects are the firms to judge, by USCC.
	subjects map[string]bool
	// holders and investees count the searches past p.MaxSteps.
	holders, investees int
}

// wasDistressed reports whether firm v was in distress in the previous state.
func (j *relatedJudge) wasDistressed(v int32) bool {
	pv, ok := j.e.prevIndex(v)
	return ok && j.e.prev.Distressed(pv)
}

// dependents adds to the subjects the firms firm v may be a related party of. A
// search past the budget falls back on the firms its majority chains reach, those
// it may control.
func (j *relatedJudge) dependents(v int32) error {
	uscc := j.e.next.Snap.IDs[v]
	deps, err := j.reg.Dependents(ownership.Firm, uscc, j.p)
	if errors.Is(err, ownership.ErrTooLarge) {
		j.investees++
		deps = majorityChainsDown(j.reg, uscc)
	} else if err != nil {
		return fmt.Errorf("%s: dependents of %s: %w", RuleRelatedPartyDistress, uscc, err)
	}
	for _, d := range deps {
		j.subjects[d] = true
	}
	return nil
}

// majorityChainsDown lists the firms reached from the firm uscc by links above 1/2:
// every firm it may control, at any depth. Each firm is walked once, so it ends on
// cycles and costs at most the registry's size.
func majorityChainsDown(reg *ownership.Registry, uscc string) []string {
	v, ok := reg.Lookup(ownership.Firm, uscc)
	if !ok {
		return nil
	}
	var out []string
	walked := map[int32]bool{v: true}
	for stack := []int32{v}; len(stack) > 0; {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		investees, shares := reg.InvesteesOf(u)
		for i, w := range investees {
			if shares[i] > 0.5 && !walked[w] {
				walked[w] = true
				out = append(out, reg.Key(w))
				stack = append(stack, w)
			}
		}
	}
	return out
}

// relatedParty is a related firm in distress: its stake (the controller's path is its
// chain of majority stakes) and how it relates.
type relatedParty struct {
	stake                ownership.Stake
	controller, majority bool
	node                 int32 // in the state
}

// judge emits the alert about firm uscc when it is watched and one of its related
// firms is in distress.
func (j *relatedJudge) judge(uscc string, emit func(*candidate)) error {
	e, rule := j.e, RuleRelatedPartyDistress
	fp := Fingerprint(rule, uscc, "")
	if !j.all {
		e.judge(rule, fp)
	}
	v, ok := e.next.Index(uscc)
	if !ok || !e.watched(v) {
		return nil
	}
	rel, err := j.reg.Related(uscc, j.p)
	if errors.Is(err, ownership.ErrTooLarge) {
		j.holders++
		rel = &ownership.Related{Controller: j.reg.Controller(uscc)}
	} else if err != nil {
		return fmt.Errorf("%s: related parties of %s: %w", rule, uscc, err)
	}
	parties := j.distressed(rel)
	if len(parties) == 0 {
		return nil
	}
	c := &candidate{rule: rule, uscc: uscc, severity: config.AlertWarning, grade: e.next.Grade[v].String(),
		det: details{Values: map[string]float64{"score": math.Round(e.next.Score[v])}}}
	for _, x := range parties {
		c.det.Parties = append(c.det.Parties, x.stake.Key)
		if len(c.det.Reasons) < maxReasons {
			c.det.Reasons = append(c.det.Reasons, j.reason(x))
		}
	}
	c.det.Path = parties[0].stake.Path
	c.det.Shares = j.linkShares(c.det.Path)
	slices.Sort(c.det.Parties)
	if a := e.firing.get(rule, fp); a != nil {
		c.renotify = slices.ContainsFunc(c.det.Parties, func(p string) bool { return !slices.Contains(a.det.Parties, p) })
	}
	emit(c)
	return nil
}

// distressed returns the related firms of rel in distress: the controller first, then
// the majority holders by penetrated share (the order of rel.Majority).
func (j *relatedJudge) distressed(rel *ownership.Related) []relatedParty {
	s := j.e.next
	var out []relatedParty
	add := func(x relatedParty) {
		if x.stake.Kind != ownership.Firm {
			return
		}
		if v, ok := s.Index(x.stake.Key); ok && s.Distressed(v) {
			x.node = v
			out = append(out, x)
		}
	}
	if c := rel.Controller; c.Node >= 0 {
		x := relatedParty{stake: ownership.Stake{Node: c.Node, Key: c.Key, Kind: c.Kind, Penetrated: rel.ControllerShare},
			controller: true}
		for _, m := range rel.Majority {
			if m.Node == c.Node {
				x.stake.Penetrated, x.majority = m.Penetrated, true
			}
		}
		x.stake.Path = c.Path
		add(x)
	}
	for _, m := range rel.Majority {
		if m.Node != rel.Controller.Node {
			add(relatedParty{stake: m, majority: true})
		}
	}
	return out
}

// reason words a related firm in distress: how it relates, its penetrated share, its
// grade and its worst active critical event.
func (j *relatedJudge) reason(x relatedParty) reason {
	s := j.e.next
	r := reason{Kind: reasonRelated, USCC: x.stake.Key, Name: s.Firms[x.node].Name, Grade: s.Grade[x.node].String(),
		Value: round4(x.stake.Penetrated), Controller: x.controller, Majority: x.majority}
	model := s.Params.Model
	worst, at := 0.0, int64(0)
	for _, ev := range s.FirmEvents(x.node) {
		t, ok := model.Catalogue.Lookup(model.TypeName(ev.Type))
		if !ok || t.Severity != credit.SeverityCritical {
			continue
		}
		if r.Type == "" || t.Points < worst || t.Points == worst && ev.At > at {
			r.Type, worst, at = t.Name, t.Points, ev.At
		}
	}
	return r
}

// linkShares are the direct shares of each link of an ownership path, holder first.
func (j *relatedJudge) linkShares(path []string) []float64 {
	var out []float64
	for i := 1; i < len(path); i++ {
		h, okH := j.reg.Lookup(ownership.Firm, path[i-1])
		f, okF := j.reg.Lookup(ownership.Firm, path[i])
		share := 0.0
		if okH && okF {
			holders, shares := j.reg.HoldersOf(f)
			if k := slices.Index(holders, h); k >= 0 {
				share = shares[k]
			}
		}
		out = append(out, share)
	}
	return out
}
