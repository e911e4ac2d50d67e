package api

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
)

// eventTypesJSON answers GET /api/v1/event-types: the event catalogue in force.
type eventTypesJSON struct {
	EventTypes []eventTypeJSON `json:"event_types"`
}

// eventTypeJSON is one type of the catalogue as configured (credit.DefaultEventTypes
// with model.event_types applied) and its repair rule (repair.rules applied).
type eventTypeJSON struct {
	Name     string          `json:"name"`
	LabelZh  string          `json:"label_zh"`
	LabelEn  string          `json:"label_en"`
	Severity credit.Severity `json:"severity"`
	// Points are the type's weight in the credit score before decay.
	Points   float64 `json:"points"`
	Negative bool    `json:"negative"`
	// Publicity is the default publish_until after occurred_at: "3y", "3mo", or
	// "until_repaired".
	Publicity string              `json:"publicity"`
	Repair    eventTypeRepairJSON `json:"repair"`
}

// eventTypeRepairJSON summarises a type's repair rule (docs/models.md, "Credit repair").
type eventTypeRepairJSON struct {
	Repairable bool            `json:"repairable"`
	Category   repair.Category `json:"category"`
	// MinPublicity is the time served before a repair may be asked for ("0": at once).
	MinPublicity string `json:"min_publicity"`
	// MaxPublicity is the longest publicity ("none": no maximum).
	MaxPublicity string `json:"max_publicity"`
	Authority    string `json:"authority"`
	Requirements string `json:"requirements"`
}

// eventTypes lists the catalogue of cfg with each type's repair rule, gravest first:
// by severity, then by points (most negative first), then by name.
func eventTypes(cfg *config.Config) []eventTypeJSON {
	cat, rules := cfg.Catalogue(), cfg.RepairRules()
	out := make([]eventTypeJSON, 0, len(cat.Names()))
	for _, name := range cat.Names() {
		t, _ := cat.Lookup(name)
		r := rules.For(t)
		minP, maxP := "0", "none"
		if !r.MinPublicity.UntilRepaired() {
			minP = config.FormatPeriod(r.MinPublicity)
		}
		if !r.MaxPublicity.UntilRepaired() {
			maxP = config.FormatPeriod(r.MaxPublicity)
		}
		out = append(out, eventTypeJSON{Name: t.Name, LabelZh: t.Meaning, LabelEn: credit.EnglishLabel(t.Name),
			Severity: t.Severity, Points: t.Points, Negative: t.Points < 0, Publicity: config.FormatPeriod(t.Publicity),
			Repair: eventTypeRepairJSON{Repairable: r.Repairable, Category: r.Category, MinPublicity: minP, MaxPublicity: maxP,
				Authority: r.Authority, Requirements: r.Requirements}})
	}
	slices.SortStableFunc(out, func(a, b eventTypeJSON) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.Points, b.Points), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// getEventTypes answers GET /api/v1/event-types.
func (s *Server) getEventTypes(rq *request) error {
	return rq.json(http.StatusOK, eventTypesJSON{EventTypes: eventTypes(rq.cfg)})
}
