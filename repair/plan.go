package repair

import (
	"cmp"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// HorizonYears bounds the search for the day a firm's grade improves by expiry
// alone.
const HorizonYears = 5

// Item is one active negative event of a plan, with its repair status and what it
// takes off the score now.
type Item struct {
	Event  credit.Event
	Status Status
	// Contribution is the event's points after decay at the plan's time (negative).
	Contribution float64
}

// WhatIf is what repairs would make of the score.
type WhatIf struct {
	// EligibleNow is the score were every event eligible now repaired;
	// AllRepairable were every repairable event repaired.
	EligibleNow, AllRepairable risk.Result
	// GradeImprovesOn is the first day (00:00 Asia/Shanghai) by whose end the grade
	// is better than now without any repair, as events leave their publicity period
	// and points decay; zero when that does not happen within HorizonYears years.
	GradeImprovesOn time.Time
}

// Plan is a firm's repair plan at a time.
type Plan struct {
	At      time.Time
	Current risk.Result
	// Items are ordered by EligibleFrom (the events that cannot be repaired last,
	// by occurred_at), then by event id.
	Items  []Item
	WhatIf WhatIf
}

// NewPlan makes the repair plan of a firm of the given status from its events
// active at time at, with the scoring model and the repair rules of a scan: the
// what-if figures are what the engine would score, at the same time, once those
// repairs are recorded.
func NewPlan(m *risk.Model, rules Rules, status credit.Status, events []credit.Event, at time.Time) Plan {
	p := Plan{At: at}
	scored := make([]risk.ScoredEvent, 0, len(events))
	eligible, repairable := map[string]bool{}, map[string]bool{}
	for i := range events {
		e := &events[i]
		if !e.ActiveAt(at) {
			continue
		}
		scored = append(scored, risk.ScoredEvent{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt})
		t, ok := m.Catalogue.Lookup(e.Type)
		if !ok || t.Points >= 0 {
			continue
		}
		st := rules.For(t).At(e.OccurredAt, at)
		p.Items = append(p.Items, Item{Event: *e, Status: st})
		repairable[e.ID] = st.Repairable
		eligible[e.ID] = st.EligibleNow
	}
	var ex risk.Explanation
	p.Current = m.Score(status, scored, at, &ex)
	effective := make(map[string]float64, len(ex.Contributions))
	for _, c := range ex.Contributions {
		effective[c.EventID] += c.Effective
	}
	for i := range p.Items {
		p.Items[i].Contribution = effective[p.Items[i].Event.ID]
	}
	slices.SortStableFunc(p.Items, compareItems)
	without := func(drop map[string]bool) []risk.ScoredEvent {
		return slices.DeleteFunc(slices.Clone(scored), func(e risk.ScoredEvent) bool { return drop[e.ID] })
	}
	p.WhatIf.EligibleNow = m.Score(status, without(eligible), at, nil)
	p.WhatIf.AllRepairable = m.Score(status, without(repairable), at, nil)
	p.WhatIf.GradeImprovesOn = gradeImproves(m, status, events, at, p.Current.Grade)
	return p
}

// compareItems orders items by eligibility date, those that cannot be repaired
// last by occurred_at, then by event id.
func compareItems(a, b Item) int {
	ar, br := a.Status.Repairable, b.Status.Repairable
	switch {
	case ar && !br:
		return -1
	case br && !ar:
		return 1
	case ar:
		if c := a.Status.EligibleFrom.Compare(b.Status.EligibleFrom); c != 0 {
			return c
		}
	}
	return cmp.Or(a.Event.OccurredAt.Compare(b.Event.OccurredAt), cmp.Compare(a.Event.ID, b.Event.ID))
}

// gradeImproves is the first day, from the day of at on, by whose end (23:59:59
// Asia/Shanghai) the grade of the firm, with its events still public then and their
// points decayed then, is better than grade; zero when no day within HorizonYears
// years is. The score is evaluated once per day: every end of publicity falls
// within a day, and by its end the grade has seen it.
func gradeImproves(m *risk.Model, status credit.Status, events []credit.Event, at time.Time, grade risk.Grade) time.Time {
	if status.Defunct() || grade == risk.GradeA {
		return time.Time{}
	}
	day := at.In(credit.Shanghai)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, credit.Shanghai)
	end := at.AddDate(HorizonYears, 0, 0)
	scored := make([]risk.ScoredEvent, 0, len(events))
	for ; !day.After(end); day = day.AddDate(0, 0, 1) {
		t := day.AddDate(0, 0, 1).Add(-time.Second)
		if !t.After(at) {
			continue
		}
		scored = scored[:0]
		for i := range events {
			if e := &events[i]; e.ActiveAt(t) && e.ActiveAt(at) {
				scored = append(scored, risk.ScoredEvent{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt})
			}
		}
		if g := m.Score(status, scored, t, nil).Grade; grade.Worse(g) {
			return day
		}
	}
	return time.Time{}
}
