package ui

import (
	"net/http"
	"net/url"
	"slices"
)

type firmView struct {
	Firm    *firmJSON
	History []lineSeries
	// Events are the active events with their repair guidance (the repair plan's
	// when the firm has events).
	Events []eventJSON
	// WhatIf is what repairs would make of the score (nil without events).
	WhatIf *whatIfJSON
}

// firmPage shows a firm (GET /api/v1/enterprises/{uscc}, its /history, and its
// /repair-plan when it has events).
func (s *Server) firmPage(c *call) error {
	uscc := url.PathEscape(c.r.PathValue("uscc"))
	var f firmJSON
	if err := c.get("/enterprises/"+uscc, nil, &f); err != nil {
		return err
	}
	var h firmHistoryJSON
	if err := c.get("/enterprises/"+uscc+"/history", url.Values{"limit": {"500"}}, &h); err != nil {
		return err
	}
	slices.SortFunc(h.History, func(a, b firmPointJSON) int { return a.At.Compare(b.At) })
	score := lineSeries{Name: c.t("col.score"), Data: [][2]any{}}
	for _, p := range h.History {
		score.Data = append(score.Data, [2]any{p.At.UnixMilli(), p.Score})
	}
	v := firmView{Firm: &f, History: []lineSeries{score}}
	if len(f.Events) > 0 {
		var plan repairPlanJSON
		if err := c.get("/enterprises/"+uscc+"/repair-plan", nil, &plan); err != nil {
			return err
		}
		v.Events, v.WhatIf = plan.Events, plan.WhatIf
	}
	v.Events = slices.DeleteFunc(v.Events, func(e eventJSON) bool { return e.State != "active" })
	return c.render(http.StatusOK, "firm", f.Name+" · "+c.t("firm.title"), v)
}

// http303 redirects to a page of the console.
func http303(c *call, to string) { http.Redirect(c.w, c.r, to, http.StatusSeeOther) }
