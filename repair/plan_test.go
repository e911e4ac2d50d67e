package repair

import (
	"math"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, credit.Shanghai)
}

// event is an active event of the default catalogue, public for its type's default
// period.
func event(id, typ string, occurred time.Time) credit.Event {
	t, _ := credit.NewCatalogue().Lookup(typ)
	return credit.Event{ID: id, Type: typ, OccurredAt: occurred, PublishUntil: t.Publicity.After(occurred), State: credit.EventActive}
}

// TestPlanByHand: at 2026-11-20, a firm with
//
//	A penalty_general  −80, medium (half-life 365 d), 2026-05-20: 184 d old, ×2^(−184/365) = −56.407633457
//	B penalty_serious −200, high (730 d),             2026-05-20: 184 d old, ×2^(−184/730) = −167.939919997
//	C honor            +30, info (365 d),             2026-05-20: 184 d old, ×2^(−184/365) = +21.152862547
//	D tax_arrears     −150, high (730 d),             2026-11-01:  19 d old, ×2^(−19/730)  = −147.318141642
//
// scores 800 − 56.4076 − 167.9399 + 21.1529 − 147.3181 = 449.487167449 (D, p = 1/(1+e^((449.487−500)/80))
// = 0.652809199). A is general (eligible 3 months after, 2026-08-20: now), B serious
// (a year after, 2027-05-20), D is lifted once paid (now). Repairing A and D leaves
// 800 − 167.9399 + 21.1529 = 653.212942549 (C, p 0.128402063); repairing B too
// 821.152862547 (B, p 0.017733437). Without repairs the decay lifts the score past
// 500 during 2027-04-18 (499.766 at the end of the 17th, 500.076 at the end of the
// 18th): grade C that day.
func TestPlanByHand(t *testing.T) {
	m := risk.NewModel(risk.DefaultScoreParams(), credit.NewCatalogue())
	at := day(2026, 11, 20)
	events := []credit.Event{
		event("B", "penalty_serious", day(2026, 5, 20)),
		event("D", "tax_arrears", day(2026, 11, 1)),
		event("C", "honor", day(2026, 5, 20)),
		event("A", "penalty_general", day(2026, 5, 20)),
	}
	p := NewPlan(m, Rules{}, credit.StatusActive, events, at)
	check := func(what string, r risk.Result, score float64, grade risk.Grade, pd float64) {
		t.Helper()
		if math.Abs(r.Score-score) > 1e-6 || r.Grade != grade || math.Abs(r.P-pd) > 1e-9 {
			t.Errorf("%s: %.9f %s p=%.9f, want %.9f %s p=%.9f", what, r.Score, r.Grade, r.P, score, grade, pd)
		}
	}
	check("current", p.Current, 449.487167449, risk.GradeD, 0.652809199)
	check("eligible now repaired", p.WhatIf.EligibleNow, 653.212942549, risk.GradeC, 0.128402063)
	check("all repairable repaired", p.WhatIf.AllRepairable, 821.152862547, risk.GradeB, 0.017733437)
	if want := day(2027, 4, 18); !p.WhatIf.GradeImprovesOn.Equal(want) {
		t.Errorf("grade improves on %v, want %v", p.WhatIf.GradeImprovesOn, want)
	}
	// Ordered by eligibility: A (2026-08-20), D (2026-11-01), B (2027-05-20); C is positive.
	want := []struct {
		id           string
		from         time.Time
		now          bool
		contribution float64
	}{
		{"A", day(2026, 8, 20), true, -56.407633457},
		{"D", day(2026, 11, 1), true, -147.318141642},
		{"B", day(2027, 5, 20), false, -167.939919997},
	}
	if len(p.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(p.Items), len(want))
	}
	for i, w := range want {
		it := p.Items[i]
		if it.Event.ID != w.id || !it.Status.EligibleFrom.Equal(w.from) || it.Status.EligibleNow != w.now ||
			math.Abs(it.Contribution-w.contribution) > 1e-6 {
			t.Errorf("item %d: %s from %v now %v contribution %.9f; want %s %v %v %.9f", i, it.Event.ID,
				it.Status.EligibleFrom, it.Status.EligibleNow, it.Contribution, w.id, w.from, w.now, w.contribution)
		}
	}
}

// TestGradeImprovesByExpiry: a critical event does not decay and holds the grade
// at D; it leaves publicity two years after (2028-11-10, 00:00): the end of that day
// is the first to see grade B (800), the end of the day before still D. Nothing
// improves a defunct firm, nor a firm at A.
func TestGradeImprovesByExpiry(t *testing.T) {
	m := risk.NewModel(risk.DefaultScoreParams(), credit.NewCatalogue())
	at := day(2026, 11, 20)
	events := []credit.Event{event("X", "dishonest_judgment_debtor", day(2026, 11, 10))}
	p := NewPlan(m, Rules{}, credit.StatusActive, events, at)
	if p.Current.Grade != risk.GradeD || p.Current.Score != 450 {
		t.Fatalf("current %+v, want 800 − 350 = 450, D", p.Current)
	}
	if want := day(2028, 11, 10); !p.WhatIf.GradeImprovesOn.Equal(want) {
		t.Errorf("grade improves on %v, want %v", p.WhatIf.GradeImprovesOn, want)
	}
	if r := m.Score(credit.StatusActive, nil, day(2028, 11, 10), nil); r.Grade != risk.GradeB {
		t.Errorf("without the event: %+v", r)
	}
	if it := p.Items[0]; !it.Status.EligibleNow || !it.Status.MaxUntil.Equal(day(2031, 11, 10)) || it.Status.Authority != "人民法院" {
		t.Errorf("the court list: %+v", it.Status)
	}
	if p := NewPlan(m, Rules{}, credit.StatusRevoked, events, at); !p.WhatIf.GradeImprovesOn.IsZero() ||
		p.WhatIf.AllRepairable.Grade != risk.GradeD || p.WhatIf.AllRepairable.P != 1 {
		t.Errorf("revoked firm: %+v", p.WhatIf)
	}
	if p := NewPlan(m, Rules{}, credit.StatusActive, []credit.Event{event("H", "honor", day(2026, 1, 1)),
		event("T", "a_level_taxpayer", day(2026, 4, 12)), event("K", "contract_abiding", day(2026, 6, 20))}, at); p.Current.Grade != risk.GradeA ||
		!p.WhatIf.GradeImprovesOn.IsZero() || len(p.Items) != 0 {
		t.Errorf("firm at A with positive events only: %+v", p)
	}
	// A repaired or expired event is not in the plan.
	gone := event("Y", "penalty_general", day(2026, 1, 5))
	gone.State = credit.EventRepaired
	old := event("Z", "penalty_minor", day(2026, 1, 5)) // public until 2026-04-05
	if p := NewPlan(m, Rules{}, credit.StatusActive, []credit.Event{gone, old}, at); len(p.Items) != 0 || p.Current.Score != 800 {
		t.Errorf("repaired and expired events: %+v", p)
	}
}
