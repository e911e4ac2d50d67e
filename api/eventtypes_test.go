package api

import (
	"net/http"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
)

// TestEventTypesEndpoint: the catalogue as configured, gravest first, with labels,
// points and repair rules; a type the config declares and a repair rule it changes
// show at once; readers only.
func TestEventTypesEndpoint(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var got eventTypesJSON
	w := h.call(req{method: "GET", path: "/api/v1/event-types", token: "tenantA"}, http.StatusOK, &got)
	h.conforms("GET /api/v1/event-types", 200, w.Body.Bytes())
	if n := len(got.EventTypes); n != len(credit.DefaultEventTypes()) {
		t.Fatalf("%d types, want the %d of the default catalogue", n, len(credit.DefaultEventTypes()))
	}
	byName := map[string]eventTypeJSON{}
	for _, et := range got.EventTypes {
		byName[et.Name] = et
	}
	// Gravest first: bankruptcy is critical at −500; within info, points ascend:
	// commitment_kept +20, honor +30, contract_abiding +40, a_level_taxpayer +50.
	if first, last := got.EventTypes[0].Name, got.EventTypes[len(got.EventTypes)-1].Name; first != "bankruptcy" || last != "a_level_taxpayer" {
		t.Errorf("order: first %s, last %s; want bankruptcy, a_level_taxpayer", first, last)
	}
	djd := byName["dishonest_judgment_debtor"]
	want := eventTypeJSON{Name: "dishonest_judgment_debtor", LabelZh: "失信被执行人", LabelEn: "Dishonest judgment debtor",
		Severity: credit.SeverityCritical, Points: -350, Negative: true, Publicity: "2y",
		Repair: eventTypeRepairJSON{Repairable: true, Category: "serious", MinPublicity: "0", MaxPublicity: "5y",
			Authority: "人民法院", Requirements: djd.Repair.Requirements}}
	if djd != want || djd.Repair.Requirements == "" {
		t.Errorf("dishonest_judgment_debtor = %+v\nwant %+v", djd, want)
	}
	if a := byName["abnormal_operation"]; a.Publicity != "until_repaired" || a.Repair.MinPublicity != "0" || a.Repair.Category != "general" {
		t.Errorf("abnormal_operation = %+v", a)
	}
	if pg := byName["penalty_general"]; pg.Repair.MinPublicity != "3mo" || pg.Repair.MaxPublicity != "1y" || !pg.Repair.Repairable {
		t.Errorf("penalty_general repair = %+v, want 3mo..1y", pg.Repair)
	}
	if b := byName["bankruptcy"]; b.Repair.Repairable {
		t.Errorf("bankruptcy is repairable: %+v", b.Repair)
	}
	if hn := byName["honor"]; hn.Negative || hn.Points != 30 || hn.Repair.Category != "positive" || hn.Repair.Repairable {
		t.Errorf("honor = %+v", hn)
	}

	// The config declares a type and changes a rule: the catalogue follows.
	pts := -70.0
	yes := true
	h.b.cfg.Model.EventTypes = append(h.b.cfg.Model.EventTypes, config.EventTypeConfig{Name: "environmental_violation",
		Meaning: "环保违法", Points: &pts, Severity: credit.SeverityHigh, Publicity: &credit.Period{Years: 2}})
	h.b.cfg.Repair.Rules = map[string]config.RepairRuleConfig{"environmental_violation": {Repairable: &yes, MinPublicity: "6mo", Authority: "生态环境部门"}}
	got = eventTypesJSON{}
	h.call(req{method: "GET", path: "/api/v1/event-types", token: "analyst"}, http.StatusOK, &got)
	var env *eventTypeJSON
	for i := range got.EventTypes {
		if got.EventTypes[i].Name == "environmental_violation" {
			env = &got.EventTypes[i]
		}
	}
	if env == nil || env.LabelZh != "环保违法" || env.LabelEn != "environmental_violation" || env.Points != -70 ||
		env.Publicity != "2y" || env.Repair.MinPublicity != "6mo" || env.Repair.Authority != "生态环境部门" || !env.Repair.Repairable {
		t.Errorf("declared type = %+v", env)
	}
	h.call(req{method: "GET", path: "/api/v1/event-types", token: "ingest"}, http.StatusForbidden, nil)
	h.call(req{method: "GET", path: "/api/v1/event-types", token: "none"}, http.StatusUnauthorized, nil)
}
