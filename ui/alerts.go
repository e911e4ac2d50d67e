package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
)

// The alerts pages list the caller's alerts (GET /api/v1/alerts) and one alert (GET
// /api/v1/alerts/{id}), in the page's language, with the caller's own
// acknowledgement, incident workflow and verdict: the API keeps them per audience
// (staff, or one tenant), so what a page shows and changes is the caller's own.

// alertFilters are the alert list's filters, as the API takes them.
var alertFilters = []string{"state", "severity", "rule", "leader", "uscc", "status", "assignee"}

// alertLimit is how many alerts the list shows.
const alertLimit = 200

type alertsView struct {
	Alerts []alerts.Alert
	// F holds the filters as given; Back is the list's own address, for the forms.
	F    map[string]string
	Back string
	alertChoices
}

// alertChoices are the values the filters and forms offer.
type alertChoices struct {
	States, Severities, Rules, Statuses, Verdicts []string
}

func choices() alertChoices {
	return alertChoices{States: []string{"firing", "resolved"}, Severities: config.AlertSeverities,
		Rules: alerts.RuleNames(), Statuses: alerts.WorkflowStatuses, Verdicts: alerts.Verdicts}
}

// alertsPage lists the caller's alerts, filtered as the query says.
func (s *Server) alertsPage(c *call) error {
	q := url.Values{"language": {c.lang}, "limit": {strconv.Itoa(alertLimit)}}
	v := alertsView{F: map[string]string{}, Back: pathWithout(c.r, "lang"), alertChoices: choices()}
	for _, f := range alertFilters {
		if x := strings.TrimSpace(c.r.URL.Query().Get(f)); x != "" {
			q.Set(f, x)
			v.F[f] = x
		}
	}
	var list struct {
		Alerts []alerts.Alert `json:"alerts"`
	}
	if err := c.get("/alerts", q, &list); err != nil {
		return err
	}
	v.Alerts = list.Alerts
	return c.render(http.StatusOK, "alerts", c.t("alerts.title"), v)
}

type alertView struct {
	Alert *alerts.Alert
	Back  string
	alertChoices
}

// alertPage shows one alert with its forms.
func (s *Server) alertPage(c *call) error {
	var a alerts.Alert
	if err := c.get("/alerts/"+url.PathEscape(c.r.PathValue("id")), url.Values{"language": {c.lang}}, &a); err != nil {
		return err
	}
	return c.render(http.StatusOK, "alert", c.t("alerts.alert")+" · "+a.Subject.Name,
		alertView{Alert: &a, Back: pathWithout(c.r, "lang"), alertChoices: choices()})
}

// alertBack is where an alert's form returns: the page it came from (an alerts
// page), else the alert's own.
func alertBack(c *call, id string) string {
	return backTo(c.r, Prefix+"alerts", Prefix+"alerts/"+url.PathEscape(id))
}

// ackAlert acknowledges an alert for the caller's audience (POST .../ack).
func (s *Server) ackAlert(c *call) error {
	id := c.r.PathValue("id")
	in := map[string]string{"comment": c.r.PostFormValue("comment")}
	if err := c.sendJSON("POST", "/alerts/"+url.PathEscape(id)+"/ack", in, nil); err != nil {
		return formError(err)
	}
	return c.seeOther(alertBack(c, id))
}

// alertWorkflow sets the caller's status and assignee of an alert, and adds a note
// when one is given (PATCH /api/v1/alerts/{id}).
func (s *Server) alertWorkflow(c *call) error {
	id := c.r.PathValue("id")
	in := map[string]any{"status": c.r.PostFormValue("status"), "assignee": strings.TrimSpace(c.r.PostFormValue("assignee"))}
	if n := strings.TrimSpace(c.r.PostFormValue("note")); n != "" {
		in["note"] = n
	}
	if err := c.sendJSON("PATCH", "/alerts/"+url.PathEscape(id), in, nil); err != nil {
		return formError(err)
	}
	return c.seeOther(alertBack(c, id))
}

// alertFeedback records the caller's verdict on an alert.
func (s *Server) alertFeedback(c *call) error {
	id := c.r.PathValue("id")
	in := map[string]string{"verdict": c.r.PostFormValue("verdict"), "comment": c.r.PostFormValue("comment")}
	if err := c.sendJSON("POST", "/alerts/"+url.PathEscape(id)+"/feedback", in, nil); err != nil {
		return formError(err)
	}
	return c.seeOther(alertBack(c, id))
}

// formError shows a form's refusal by the API: a conflict (a resolved alert, too many
// notes) with the API's reason; anything else as the API's answer page.
func formError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusConflict {
		return &pageError{status: http.StatusConflict, title: "error.conflict", detail: ae.message}
	}
	return err
}
