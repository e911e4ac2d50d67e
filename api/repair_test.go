package api

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
)

// planAnswer is the repair plan as a client reads it.
type planAnswer struct {
	USCC    string    `json:"uscc"`
	At      time.Time `json:"at"`
	Current figures   `json:"current"`
	Events  []struct {
		EventID      string      `json:"event_id"`
		Type         string      `json:"type"`
		OccurredAt   time.Time   `json:"occurred_at"`
		Contribution float64     `json:"contribution"`
		Repair       *repairJSON `json:"repair"`
	} `json:"events"`
	WhatIf struct {
		EligibleNow     figures `json:"eligible_now"`
		AllRepairable   figures `json:"all_repairable"`
		GradeImprovesOn *string `json:"grade_improves_on"`
	} `json:"what_if"`
}

type figures struct {
	Score float64 `json:"score"`
	Grade string  `json:"grade"`
	P     float64 `json:"p"`
}

// stateFigures are the engine's figures of a firm in the latest state.
func (h *harness) stateFigures(uscc string) figures {
	h.t.Helper()
	st := h.b.State()
	v, ok := st.Index(uscc)
	if !ok {
		h.t.Fatalf("%s is not in the state", uscc)
	}
	return figures{st.Score[v], st.Grade[v].String(), st.P[v]}
}

func sameFigures(a, b figures) bool {
	return math.Abs(a.Score-b.Score) < 1e-9 && a.Grade == b.Grade && math.Abs(a.P-b.P) < 1e-12
}

// repairCSV records the repair of the given events at the harness's clock.
func (h *harness) repairCSV(ids []string) {
	h.t.Helper()
	var b strings.Builder
	b.WriteString("event_id,repaired_at,decided_by,reason\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s,%s,认定单位,已履行义务\n", id, h.b.clock.In(credit.Shanghai).Format(time.DateOnly))
	}
	var sum struct{ Accepted int }
	h.call(req{method: "POST", path: "/api/v1/repairs", token: "ingest", ctype: "text/csv", body: b.String()}, 200, &sum)
	if sum.Accepted != len(ids) {
		h.t.Fatalf("%d repairs accepted, want %d", sum.Accepted, len(ids))
	}
}

// TestRepairPlanWhatIf walks the repair plan through: on a demo SME with
// events eligible now (a court measure, social insurance arrears served 3 months)
// and one not yet (a general penalty of 2026-08-29, eligible on 2026-11-29), the
// plan's figures are the engine's once the repairs are really recorded and scanned:
// first those eligible now, then the rest; and the grade is better by the end of
// grade_improves_on, not by the end of the day before, with no repair at all.
func TestRepairPlanWhatIf(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		uscc := h.firm("齐齐哈尔白山通达动物保健品有限公司")
		path := "/api/v1/enterprises/" + uscc + "/repair-plan"
		var plan planAnswer
		w := h.call(req{method: "GET", path: path, token: "analyst"}, 200, &plan)
		h.conforms("GET /api/v1/enterprises/{uscc}/repair-plan", 200, w.Body.Bytes())
		if !plan.At.Equal(h.b.State().At) || !sameFigures(plan.Current, h.stateFigures(uscc)) {
			t.Fatalf("plan at %v with %+v; the state at %v scores %+v", plan.At, plan.Current, h.b.State().At, h.stateFigures(uscc))
		}
		types := map[string]string{}
		var eligible, later []string
		var last time.Time
		for _, e := range plan.Events {
			types[e.EventID] = e.Type
			r := e.Repair
			if r == nil || r.EligibleFrom == nil || !r.Repairable {
				t.Fatalf("%s: repair %+v", e.EventID, r)
			}
			if r.EligibleFrom.Before(last) {
				t.Errorf("%s: eligible from %v, after an event eligible from %v", e.EventID, r.EligibleFrom, last)
			}
			last = *r.EligibleFrom
			if r.EligibleNow {
				eligible = append(eligible, e.EventID)
			} else {
				later = append(later, e.EventID)
			}
			if e.Contribution >= 0 {
				t.Errorf("%s: contribution %v", e.EventID, e.Contribution)
			}
		}
		// consumption_restriction (court, at once) and social_insurance_arrears
		// (2026-05-06 + 3 months) are eligible at 2026-11-20; penalty_general
		// (2026-08-29 + 3 months) from 2026-11-29.
		if len(eligible) != 2 || len(later) != 1 || types[later[0]] != "penalty_general" ||
			plan.Events[2].Repair.EligibleFrom.In(credit.Shanghai).Format(time.DateOnly) != "2026-11-29" {
			t.Fatalf("eligible now %v, later %v (%v)", eligible, later, types)
		}
		if plan.WhatIf.GradeImprovesOn == nil {
			t.Fatal("no grade_improves_on")
		}

		// Expiry and decay alone: better by the end of that day, not the day before.
		day, err := time.ParseInLocation(time.DateOnly, *plan.WhatIf.GradeImprovesOn, credit.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		anchor := h.b.clock
		for _, tc := range []struct {
			at     time.Time
			better bool
		}{{day.Add(-time.Second), false}, {day.AddDate(0, 0, 1).Add(-time.Second), true}} {
			h.b.clock = tc.at
			if _, err := h.b.Rescan(ctx, "", "test"); err != nil {
				t.Fatal(err)
			}
			if g := h.stateFigures(uscc).Grade; (g < plan.Current.Grade) != tc.better {
				t.Errorf("at %v: grade %s, was %s; want better %v", tc.at, g, plan.Current.Grade, tc.better)
			}
		}
		h.b.clock = anchor
		if _, err := h.b.Rescan(ctx, "", "test"); err != nil || !sameFigures(h.stateFigures(uscc), plan.Current) {
			t.Fatalf("back at the anchor: %+v, %v", h.stateFigures(uscc), err)
		}

		// The repairs, really recorded: the ingest's scan scores what the plan said.
		h.repairCSV(eligible)
		if got := h.stateFigures(uscc); !sameFigures(got, plan.WhatIf.EligibleNow) {
			t.Errorf("after repairing %v the engine scores %+v; the plan said %+v", eligible, got, plan.WhatIf.EligibleNow)
		}
		h.repairCSV(later)
		if got := h.stateFigures(uscc); !sameFigures(got, plan.WhatIf.AllRepairable) {
			t.Errorf("after repairing every repairable event the engine scores %+v; the plan said %+v", got, plan.WhatIf.AllRepairable)
		}
		var after planAnswer
		h.get(path, &after)
		if len(after.Events) != 0 || !sameFigures(after.Current, plan.WhatIf.AllRepairable) ||
			!sameFigures(after.WhatIf.EligibleNow, after.Current) {
			t.Errorf("plan after the repairs: %+v", after)
		}
	})
}

// TestEventsCarryRepair: every active negative event an answer lists carries its
// repair block (its type's rule at the scan's clock); positive, repaired and expired
// ones carry null.
func TestEventsCarryRepair(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	st := h.b.State()
	rules := repair.DefaultRules()
	blocks, nulls := 0, 0
	for _, name := range []string{"齐齐哈尔白山通达动物保健品有限公司", "鸡西北疆华盛电机有限公司", "黑河兴安丰泽农业发展有限公司"} {
		uscc := h.firm(name)
		var list struct {
			Events []eventJSON `json:"events"`
		}
		h.get("/api/v1/enterprises/"+uscc+"/events", &list)
		var ent struct {
			Events []eventJSON `json:"events"`
		}
		w := h.call(req{method: "GET", path: "/api/v1/enterprises/" + uscc, token: "admin"}, 200, &ent)
		h.conforms("GET /api/v1/enterprises/{uscc}", 200, w.Body.Bytes())
		for _, e := range append(list.Events, ent.Events...) {
			active := e.State == credit.EventActive
			if e.Points >= 0 || !active {
				if e.Repair != nil {
					t.Errorf("%s (%s, %s, %+g): repair %+v, want null", e.EventID, e.Type, e.State, e.Points, e.Repair)
				}
				nulls++
				continue
			}
			blocks++
			r, want := e.Repair, rules[e.Type].At(e.OccurredAt, st.At)
			if r == nil {
				t.Errorf("%s (%s): no repair block", e.EventID, e.Type)
				continue
			}
			if r.Category != want.Category || r.Repairable != want.Repairable || r.EligibleNow != want.EligibleNow ||
				r.Authority != want.Authority || r.Requirements != want.Requirements ||
				!equalTime(r.EligibleFrom, want.EligibleFrom) || !equalTime(r.MaxUntil, want.MaxUntil) {
				t.Errorf("%s (%s): %+v, want %+v", e.EventID, e.Type, r, want)
			}
		}
	}
	if blocks == 0 || nulls == 0 {
		t.Errorf("%d repair blocks and %d nulls: the firms do not show both", blocks, nulls)
	}
}

// equalTime compares an answer's time (null) with a status's (zero).
func equalTime(p *time.Time, t time.Time) bool {
	if p == nil {
		return t.IsZero()
	}
	return p.Equal(t)
}
