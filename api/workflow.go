package api

import (
	"encoding/json"
	"net/http"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/store"
)

// What a principal records about an alert (docs/alerts.md): its verdict (POST
// /api/v1/alerts/{id}/feedback) and its incident workflow (PATCH /api/v1/alerts/{id}),
// each kept for the caller's audience — its tenant, or staff — and shown to it alone
// in the alert answers; the review list of verdicts (GET /api/v1/feedback) is
// staff's. A tenant naming an alert it may not see is answered as for a missing one.

// Bounds of the review list's limit parameter.
const (
	defaultFeedback = 100
	maxFeedback     = 1000
)

// codeTooManyNotes answers a note past alerts.MaxNotes.
const codeTooManyNotes = "too_many_notes"

// feedbackRequest is the body of POST /api/v1/alerts/{id}/feedback.
type feedbackRequest struct {
	Verdict string `json:"verdict"`
	Comment string `json:"comment"`
}

// postFeedback records the caller's verdict on an alert, replacing its audience's
// previous one, and answers the alert as the caller now sees it.
func (s *Server) postFeedback(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in feedbackRequest
	if err := rq.decodeJSON(&in); err != nil {
		return err
	}
	id := rq.r.PathValue("id")
	err = m.GiveFeedback(rq.r.Context(), id, rq.who.View(), rq.who.Name, alerts.FeedbackInput{Verdict: in.Verdict, Comment: in.Comment})
	if err != nil {
		return alertsError(err, errAlertNotFound)
	}
	s.log.Info("alert feedback", "alert", id, "token", rq.who.Name, "verdict", in.Verdict)
	a, err := rq.alert(m, id, "")
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, a)
}

// patchString is a string member of a JSON merge patch (RFC 7396): absent leaves the
// value as it is, null resets it, a string sets it.
type patchString struct {
	set, null bool
	v         string
}

// UnmarshalJSON records that the member was sent, and whether as null.
func (p *patchString) UnmarshalJSON(b []byte) error {
	p.set = true
	if string(b) == "null" {
		p.null = true
		return nil
	}
	return json.Unmarshal(b, &p.v)
}

// value is the patched value: nil when absent, reset when null.
func (p patchString) value(reset string) *string {
	switch {
	case !p.set:
		return nil
	case p.null:
		return &reset
	}
	return &p.v
}

// workflowPatch is the body of PATCH /api/v1/alerts/{id}.
type workflowPatch struct {
	Status   patchString `json:"status"`
	Assignee patchString `json:"assignee"`
	// Note, when given, is appended to the notes (null adds none).
	Note patchString `json:"note"`
}

// patchAlert changes the caller's workflow of an alert — status, assignee, a note
// more — with merge semantics, and answers the alert as the caller now sees it.
func (s *Server) patchAlert(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in workflowPatch
	if err := rq.decodeJSON(&in); err != nil {
		return err
	}
	ch := alerts.WorkflowInput{Status: in.Status.value(alerts.WorkflowOpen), Assignee: in.Assignee.value("")}
	if in.Note.set && !in.Note.null {
		ch.Note = &in.Note.v
	}
	id := rq.r.PathValue("id")
	if err := m.UpdateWorkflow(rq.r.Context(), id, rq.who.View(), rq.who.Name, ch); err != nil {
		return alertsError(err, errAlertNotFound)
	}
	a, err := rq.alert(m, id, "")
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, a)
}

// feedbackJSON answers GET /api/v1/feedback, the newest verdict first.
type feedbackJSON struct {
	Feedback   []alerts.FeedbackEntry `json:"feedback"`
	NextCursor *string                `json:"next_cursor"`
}

// getFeedback is the review list: every principal's latest verdicts, filtered by
// verdict, rule and firm.
func (s *Server) getFeedback(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", defaultFeedback, 1, maxFeedback)
	if err != nil {
		return err
	}
	q := rq.r.URL.Query()
	fq := alerts.FeedbackQuery{Verdict: q.Get("verdict"), Rule: q.Get("rule"), Limit: limit + 1}
	if at, k, ok, err := rq.cursorTime("feedback", 2); err != nil {
		return err
	} else if ok {
		fq.After = &store.FeedbackPos{At: at, AlertID: k[0], Audience: k[1]}
	}
	if u := q.Get("uscc"); u != "" {
		if err := rq.checkUSCC("uscc", u); err != nil {
			return err
		}
		fq.USCC = u
	}
	list, err := m.FeedbackList(rq.r.Context(), fq)
	if err != nil {
		return alertsError(err, errAlertNotFound)
	}
	out := feedbackJSON{Feedback: list}
	if list == nil {
		out.Feedback = []alerts.FeedbackEntry{}
	}
	if len(list) > limit {
		out.Feedback = list[:limit]
		last := &list[limit-1]
		out.NextCursor = nextCursor("feedback", msKey(last.At), last.AlertID, last.Tenant)
	}
	return rq.json(http.StatusOK, out)
}
