package api

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// The alert endpoints (docs/alerts.md, api/openapi.json) serve the daemon's alerts.Manager: alerts and
// their acknowledgement here, silences and subscriptions in their own files. A
// tenant sees the alerts about its own chain, its own subscriptions and their
// deliveries; anything else answers 404 exactly as a missing one does.

// Bounds of the lists' limit parameter.
const (
	defaultAlerts     = 100
	maxAlerts         = 1000
	defaultDeliveries = 100
	maxDeliveries     = 1000
)

// Codes of the alert endpoints' conflicts.
const (
	codeAlreadyExists = "already_exists"
	codeReadOnly      = "read_only"
	codeAlertResolved = "alert_resolved"
	codeRefused       = "subscription_refused"
)

var (
	errAlertNotFound     = &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such alert"}
	errAlertsUnavailable = &apiError{status: http.StatusServiceUnavailable, code: codeNotReady, retryAfter: 5,
		message: "the alert pipeline is not running"}
)

// alerts returns the alert pipeline.
func (rq *request) alerts() (*alerts.Manager, error) {
	if m := rq.s.b.Alerts(); m != nil {
		return m, nil
	}
	return nil, errAlertsUnavailable
}

// alertsError answers an error of the alerts package: bad input 400 with one detail
// per problem, conflicts 409, a missing thing notFound; anything else is the store's.
func alertsError(err error, notFound *apiError) error {
	var in *alerts.InputError
	var ce *config.Error
	switch {
	case errors.As(err, &in) && in.Field == "":
		return errorf(http.StatusBadRequest, codeBadRequest, "%s", in.Message)
	case errors.As(err, &in):
		return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: "invalid " + in.Field, details: []string{in.Error()}}
	case errors.As(err, &ce):
		e := &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: "the subscription is invalid"}
		for _, x := range flatten(err) {
			if errors.As(x, &ce) {
				e.details = append(e.details, ce.Error())
			}
		}
		return e
	case errors.Is(err, store.ErrSubscriptionExists):
		return errorf(http.StatusConflict, codeAlreadyExists, "a subscription of that name exists; choose another name")
	case errors.Is(err, alerts.ErrReadOnly):
		return errReadOnly
	case errors.Is(err, alerts.ErrTooManyNotes):
		return errorf(http.StatusConflict, codeTooManyNotes, "the alert holds %d notes of yours, as many as it may hold", alerts.MaxNotes)
	case errors.Is(err, store.ErrAlertResolved):
		return errorf(http.StatusConflict, codeAlertResolved, "the alert is resolved; only firing alerts can be acknowledged")
	case errors.Is(err, alerts.ErrSubscriptionUnusable):
		return errorf(http.StatusConflict, codeRefused, "the config in force refuses the subscription, so it is sent nothing; replace it with one the config accepts")
	case errors.Is(err, alerts.ErrNoState):
		return errNotReady
	case errors.Is(err, store.ErrNotFound):
		return notFound
	}
	return storeError(err)
}

var errReadOnly = errorf(http.StatusConflict, codeReadOnly,
	"the subscription is defined in the config file (alerts.subscriptions): change it there and reload")

// flatten lists the errors joined in err (errors.Join), or err itself.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// alertsJSON answers GET /api/v1/alerts, the most recently changed first.
type alertsJSON struct {
	Alerts     []alerts.Alert `json:"alerts"`
	NextCursor *string        `json:"next_cursor"`
}

func (s *Server) getAlerts(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", defaultAlerts, 1, maxAlerts)
	if err != nil {
		return err
	}
	lang, err := enumParam(rq.r, "language", "", config.Languages...)
	if err != nil {
		return err
	}
	q := rq.r.URL.Query()
	aq := alerts.AlertQuery{State: q.Get("state"), Severity: q.Get("severity"), Rule: q.Get("rule"), Limit: limit + 1,
		Language: lang, View: rq.who.View(), Status: q.Get("status"), Assignee: strings.TrimSpace(q.Get("assignee"))}
	if at, id, ok, err := rq.cursorTime("alerts", 1); err != nil {
		return err
	} else if ok {
		aq.After = &store.AlertPos{UpdatedAt: at, ID: id[0]}
	}
	if u := q.Get("uscc"); u != "" {
		if err := rq.checkUSCC("uscc", u); err != nil {
			return err
		}
		if !rq.who.Sees(u) {
			return errFirmNotFound
		}
		aq.USCC = u
	}
	if leader := q.Get("leader"); leader != "" {
		if err := rq.checkUSCC("leader", leader); err != nil {
			return err
		}
		// Another chain is not a tenant's to ask about, as on GET /api/v1/chains/{leader}.
		if !rq.who.View().SeesChain(leader) {
			return errFirmNotFound
		}
		aq.Leader, aq.Chain = leader, rq.viewOf(visibility.Tenant(leader))
	}
	list, err := m.Alerts(rq.r.Context(), aq)
	if err != nil {
		return alertsError(err, errAlertNotFound)
	}
	out := alertsJSON{Alerts: list}
	if len(list) > limit {
		out.Alerts = list[:limit]
		last := &list[limit-1]
		out.NextCursor = nextCursor("alerts", msKey(last.UpdatedAt), last.ID)
	}
	return rq.json(http.StatusOK, out)
}

// alert reads one alert the caller may see.
func (rq *request) alert(m *alerts.Manager, id, lang string) (*alerts.Alert, error) {
	a, err := m.GetAlert(rq.r.Context(), id, lang, rq.who.View())
	if err != nil {
		return nil, alertsError(err, errAlertNotFound)
	}
	return a, nil
}

func (s *Server) getAlert(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	lang, err := enumParam(rq.r, "language", "", config.Languages...)
	if err != nil {
		return err
	}
	a, err := rq.alert(m, rq.r.PathValue("id"), lang)
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, a)
}

// ackRequest is the optional body of POST /api/v1/alerts/{id}/ack.
type ackRequest struct {
	Comment string `json:"comment"`
}

// maxComment bounds the comments of acknowledgements and silences.
const maxComment = 4096

// optionalJSON decodes a request's JSON body into v when it has one: no body, or an
// empty one, leaves v as it is.
func (rq *request) optionalJSON(v any) error {
	if rq.r.ContentLength == 0 {
		return nil
	}
	// A body of unannounced length (chunked) may be empty: no body either.
	body := bufio.NewReader(rq.r.Body)
	if _, err := body.Peek(1); err == io.EOF {
		return nil
	}
	rq.r.Body = struct {
		io.Reader
		io.Closer
	}{body, rq.r.Body}
	return rq.decodeJSON(v)
}

// postAck acknowledges a firing alert in the name of the token, for the caller's
// audience (its tenant, or staff): no more repeats to that audience until it
// resolves. The comment goes to the daemon's log with the acknowledgement.
func (s *Server) postAck(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in ackRequest
	if err := rq.optionalJSON(&in); err != nil {
		return err
	}
	if len(in.Comment) > maxComment {
		return errorf(http.StatusBadRequest, codeBadRequest, "comment: longer than %d bytes", maxComment)
	}
	id := rq.r.PathValue("id")
	if err := m.Ack(rq.r.Context(), id, rq.who.View(), rq.who.Name); err != nil {
		return alertsError(err, errAlertNotFound)
	}
	s.log.Info("alert acknowledged", "alert", id, "token", rq.who.Name, "comment", in.Comment)
	a, err := rq.alert(m, id, "")
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, a)
}

// deliveriesJSON answers GET /api/v1/deliveries, newest first.
type deliveriesJSON struct {
	Deliveries []alerts.Delivery `json:"deliveries"`
	NextCursor *string           `json:"next_cursor"`
}

// getDeliveries lists the outbox: never a channel's URL or secret, nor the payload.
// A tenant sees the deliveries of its own subscriptions, of alerts it may see.
func (s *Server) getDeliveries(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", defaultDeliveries, 1, maxDeliveries)
	if err != nil {
		return err
	}
	q := rq.r.URL.Query()
	dq := alerts.DeliveryQuery{State: q.Get("state"), Subscription: q.Get("subscription"), AlertID: q.Get("alert"),
		Limit: limit + 1, View: rq.who.View()}
	if dq.BeforeSeq, err = rq.cursorInt("deliveries"); err != nil {
		return err
	}
	list, err := m.Deliveries(rq.r.Context(), dq)
	if err != nil {
		return alertsError(err, errAlertNotFound)
	}
	out := deliveriesJSON{Deliveries: list}
	// A tenant's page may come shorter (deliveries it does not see are dropped after
	// the store's limit); the cursor still follows the last entry read.
	if len(list) > limit {
		out.Deliveries = list[:limit]
		out.NextCursor = nextCursor("deliveries", strconv.FormatInt(list[limit-1].Seq, 10))
	}
	return rq.json(http.StatusOK, out)
}
