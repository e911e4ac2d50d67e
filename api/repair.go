package api

import (
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/repair"
	"github.com/chainrisk/chainrisk/risk"
)

// repairJSON is the repair block of an active negative event (docs/models.md,
// "Credit repair"): its type's rule and what it means for this event at the
// state's clock.
type repairJSON struct {
	Repairable bool            `json:"repairable"`
	Category   repair.Category `json:"category"`
	// EligibleFrom is occurred_at + min_publicity; null when not repairable.
	EligibleFrom *time.Time `json:"eligible_from"`
	EligibleNow  bool       `json:"eligible_now"`
	// MaxUntil is occurred_at + max_publicity; null when the rule sets no maximum.
	MaxUntil     *time.Time `json:"max_until"`
	Authority    string     `json:"authority"`
	Requirements string     `json:"requirements"`
}

func repairOf(s repair.Status) *repairJSON {
	return &repairJSON{Repairable: s.Repairable, Category: s.Category, EligibleFrom: timePtr(s.EligibleFrom),
		EligibleNow: s.EligibleNow, MaxUntil: timePtr(s.MaxUntil), Authority: s.Authority, Requirements: s.Requirements}
}

// repairStatus is the repair status of an event at the state's clock when it is
// active then and negative (points < 0); false otherwise.
func repairStatus(st *monitor.State, e *credit.Event) (repair.Status, bool) {
	t, ok := st.Params.Model.Catalogue.Lookup(e.Type)
	if !ok || t.Points >= 0 || e.State != credit.EventActive || !e.ActiveAt(st.At) {
		return repair.Status{}, false
	}
	return st.Params.Repair.For(t).At(e.OccurredAt, st.At), true
}

// figuresJSON is a score, its grade and its probability of distress.
type figuresJSON struct {
	Score float64 `json:"score"`
	Grade string  `json:"grade"`
	P     float64 `json:"p"`
}

func figuresOf(r risk.Result) figuresJSON {
	return figuresJSON{Score: r.Score, Grade: r.Grade.String(), P: r.P}
}

// planEventJSON is an event of a repair plan: the event as every answer lists it,
// and what it takes off the score now.
type planEventJSON struct {
	eventJSON
	// Contribution is the event's points after decay at the state's clock.
	Contribution float64 `json:"contribution"`
}

// whatIfJSON is what repairs would make of the score (repair.WhatIf).
type whatIfJSON struct {
	EligibleNow   figuresJSON `json:"eligible_now"`
	AllRepairable figuresJSON `json:"all_repairable"`
	// GradeImprovesOn is a date (YYYY-MM-DD, Asia/Shanghai), null when the grade does
	// not improve by expiry and decay within repair.HorizonYears years.
	GradeImprovesOn *string `json:"grade_improves_on"`
}

// repairPlanJSON answers GET /api/v1/enterprises/{uscc}/repair-plan.
type repairPlanJSON struct {
	USCC   string        `json:"uscc"`
	Name   string        `json:"name"`
	Status credit.Status `json:"status"`
	// At is the clock of the figures (the state's), ModelVersion their model.
	At           time.Time       `json:"at"`
	ModelVersion string          `json:"model_version"`
	Current      figuresJSON     `json:"current"`
	Events       []planEventJSON `json:"events"`
	WhatIf       whatIfJSON      `json:"what_if"`
}

// getRepairPlan answers the repair plan of a firm the caller may see: its active
// negative events by eligibility date, and the scores repairs would bring, with the
// scan's model at the scan's clock (repair.NewPlan).
func (s *Server) getRepairPlan(rq *request) error {
	uscc, err := rq.pathUSCC("uscc")
	if err != nil {
		return err
	}
	st, e, err := rq.enterprise(uscc)
	if err != nil {
		return err
	}
	events, err := rq.events(st, uscc, true)
	if err != nil {
		return err
	}
	p := repair.NewPlan(st.Params.Model, st.Params.Repair, e.Status, events, st.At)
	out := repairPlanJSON{USCC: e.USCC, Name: e.Name, Status: e.Status, At: st.At, ModelVersion: st.Params.Model.Version,
		Current: figuresOf(p.Current), Events: make([]planEventJSON, len(p.Items)),
		WhatIf: whatIfJSON{EligibleNow: figuresOf(p.WhatIf.EligibleNow), AllRepairable: figuresOf(p.WhatIf.AllRepairable)}}
	for i := range p.Items {
		it := &p.Items[i]
		out.Events[i] = planEventJSON{eventJSON: eventOf(st, &it.Event), Contribution: it.Contribution}
	}
	if d := p.WhatIf.GradeImprovesOn; !d.IsZero() {
		out.WhatIf.GradeImprovesOn = ptr(d.In(credit.Shanghai).Format(time.DateOnly))
	}
	return rq.json(200, out)
}
