package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/alerts"
)

// TestWorkflowEndpoints: PATCH /api/v1/alerts/{id} with merge semantics and its
// checks, the list filters on the caller's own workflow, and the notes' bound.
func TestWorkflowEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		fx := h.alertFixtures()
		path := "/api/v1/alerts/" + fx.alertA
		patch := func(token, body string, status int) alerts.Alert {
			t.Helper()
			var a alerts.Alert
			w := h.call(req{method: "PATCH", path: path, token: token, ctype: "application/json", body: body}, status, &a)
			h.conforms("PATCH /api/v1/alerts/{id}", status, w.Body.Bytes())
			return a
		}
		a := patch("analyst", `{"status":"investigating","assignee":" 张伟 <zhang@example.com> ","note":"called the supplier"}`, 200)
		if a.Status != alerts.WorkflowInvestigating || a.Assignee != "张伟 <zhang@example.com>" || len(a.Notes) != 1 ||
			a.Notes[0].By != "analyst" || a.Notes[0].Text != "called the supplier" || !a.Notes[0].At.Equal(h.b.clock) {
			t.Errorf("patched: %+v", a)
		}
		// Admin and analyst tokens are one principal (staff): the admin reads and changes
		// the same workflow. Absent members stay; null resets.
		a = patch("admin", `{"note":"second"}`, 200)
		if a.Status != alerts.WorkflowInvestigating || a.Assignee == "" || len(a.Notes) != 2 || a.Notes[1].By != "admin" {
			t.Errorf("staff's workflow after the admin's note: %+v", a)
		}
		a = patch("admin", `{"status":null,"assignee":null,"note":null}`, 200)
		if a.Status != alerts.WorkflowOpen || a.Assignee != "" || len(a.Notes) != 2 {
			t.Errorf("after null: %+v", a)
		}
		a = patch("analyst", `{}`, 200)
		if a.Status != alerts.WorkflowOpen || len(a.Notes) != 2 {
			t.Errorf("after an empty patch: %+v", a)
		}
		patch("analyst", `{"status":"no_impact"}`, 200)

		e := h.wantError(req{method: "PATCH", path: path, token: "analyst", ctype: "application/json", body: `{"status":"done"}`}, 400, codeBadRequest)
		if e.Message != "invalid status" || len(e.Details) != 1 || !strings.Contains(e.Details[0], "open, investigating, no_impact, confirmed, closed") {
			t.Errorf("unknown status: %+v", e)
		}
		for _, bad := range []struct{ body, code string }{
			{`{"assignee":"` + strings.Repeat("x", alerts.MaxAssignee+1) + `"}`, codeBadRequest},
			{`{"note":" "}`, codeBadRequest},
			{`{"notes":["x"]}`, codeInvalidJSON},
			{`{"status":1}`, codeInvalidJSON},
			{``, codeInvalidJSON},
		} {
			h.wantError(req{method: "PATCH", path: path, token: "analyst", ctype: "application/json", body: bad.body}, 400, bad.code)
		}
		h.wantError(req{method: "PATCH", path: path, token: "analyst", ctype: "text/plain", body: `{}`}, 415, codeUnsupportedMedia)
		h.wantError(req{method: "PATCH", path: "/api/v1/alerts/0123456789abcdef", token: "analyst", ctype: "application/json",
			body: `{"note":"x"}`}, 404, codeNotFound)

		// The list filters on the caller's own workflow: staff's no_impact is not tenant A's.
		var list alertList
		w := h.call(req{method: "GET", path: "/api/v1/alerts?status=no_impact", token: "admin"}, 200, &list)
		h.conforms("GET /api/v1/alerts", 200, w.Body.Bytes())
		if len(list.Alerts) != 1 || list.Alerts[0].ID != fx.alertA || list.Alerts[0].Status != alerts.WorkflowNoImpact {
			t.Errorf("staff's no_impact alerts: %+v", list.Alerts)
		}
		h.call(req{method: "GET", path: "/api/v1/alerts?status=no_impact", token: "tenantA"}, 200, &list)
		if len(list.Alerts) != 0 {
			t.Errorf("tenant A lists staff's no_impact alert: %+v", list.Alerts)
		}
		var all, open alertList
		h.call(req{method: "GET", path: "/api/v1/alerts?limit=1000", token: "tenantA"}, 200, &all)
		h.call(req{method: "GET", path: "/api/v1/alerts?limit=1000&status=open", token: "tenantA"}, 200, &open)
		if len(open.Alerts) != len(all.Alerts) || len(all.Alerts) == 0 {
			t.Errorf("tenant A: %d open of %d alerts; it changed none", len(open.Alerts), len(all.Alerts))
		}
		h.call(req{method: "GET", path: "/api/v1/alerts?assignee=nobody", token: "admin"}, 200, &list)
		if len(list.Alerts) != 0 {
			t.Errorf("assignee nobody: %d alerts", len(list.Alerts))
		}
		h.wantError(req{method: "GET", path: "/api/v1/alerts?status=done", token: "admin"}, 400, codeBadRequest)

		// Tenant A's notes are bounded: MaxNotes (100) pass, the next answers 409.
		for i := range alerts.MaxNotes {
			h.call(req{method: "PATCH", path: path, token: "tenantA", ctype: "application/json",
				body: fmt.Sprintf(`{"note":"n%d"}`, i)}, 200, nil)
		}
		w = h.call(req{method: "PATCH", path: path, token: "tenantA", ctype: "application/json", body: `{"note":"one more"}`},
			http.StatusConflict, nil)
		h.conforms("PATCH /api/v1/alerts/{id}", 409, w.Body.Bytes())
		if errorOf(t, w.Body.Bytes()).Code != codeTooManyNotes {
			t.Errorf("the 101st note: %s", w.Body)
		}
		var mine alerts.Alert
		h.call(req{method: "GET", path: path, token: "tenantA"}, 200, &mine)
		if len(mine.Notes) != alerts.MaxNotes || mine.Notes[0].Text != "n0" || mine.Notes[alerts.MaxNotes-1].Text != "n99" {
			t.Errorf("tenant A's notes: %d", len(mine.Notes))
		}
		h.call(req{method: "GET", path: path, token: "admin"}, 200, &mine)
		if len(mine.Notes) != 2 {
			t.Errorf("staff's notes: %d, want its own 2", len(mine.Notes))
		}
	})
}

// TestFeedbackEndpoints: POST /api/v1/alerts/{id}/feedback, the latest verdict per
// principal shown to it alone, and the review list with its filters.
func TestFeedbackEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		fx := h.alertFixtures()
		give := func(token, id, body string) alerts.Alert {
			t.Helper()
			var a alerts.Alert
			w := h.call(req{method: "POST", path: "/api/v1/alerts/" + id + "/feedback", token: token, ctype: "application/json",
				body: body}, 200, &a)
			h.conforms("POST /api/v1/alerts/{id}/feedback", 200, w.Body.Bytes())
			return a
		}
		a := give("analyst", fx.alertA, `{"verdict":"useful"}`)
		if a.Feedback == nil || a.Feedback.Verdict != alerts.VerdictUseful || a.Feedback.By != "analyst" || a.Feedback.Muted {
			t.Errorf("useful: %+v", a.Feedback)
		}
		a = give("tenantA", fx.alertA, `{"verdict":"irrelevant","comment":"not our supplier"}`)
		if a.Feedback == nil || a.Feedback.Verdict != alerts.VerdictIrrelevant || !a.Feedback.Muted || a.Feedback.Comment != "not our supplier" {
			t.Errorf("irrelevant: %+v", a.Feedback)
		}
		var staff alerts.Alert
		h.call(req{method: "GET", path: "/api/v1/alerts/" + fx.alertA, token: "admin"}, 200, &staff)
		if staff.Feedback == nil || staff.Feedback.Verdict != alerts.VerdictUseful {
			t.Errorf("staff reads %+v, its own useful", staff.Feedback)
		}
		give("admin", fx.alertA, `{"verdict":"wrong_entity","comment":"the name matches another firm"}`) // staff's latest
		give("tenantB", fx.alertB, `{"verdict":"wrong_entity"}`)

		e := h.wantError(req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/feedback", token: "admin", ctype: "application/json",
			body: `{"verdict":"meh"}`}, 400, codeBadRequest)
		if e.Message != "invalid verdict" || len(e.Details) != 1 || !strings.Contains(e.Details[0], "useful, irrelevant, wrong_entity") {
			t.Errorf("unknown verdict: %+v", e)
		}
		for _, body := range []string{`{}`, `{"verdict":"useful","by":"x"}`,
			`{"verdict":"useful","comment":"` + strings.Repeat("x", alerts.MaxFeedbackComment+1) + `"}`} {
			w := h.do(req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/feedback", token: "admin", ctype: "application/json", body: body})
			if w.Code != 400 {
				t.Errorf("%.40s: %d %s", body, w.Code, w.Body)
			}
		}
		// Tenant B naming A's alert is answered as for a missing one, byte for byte.
		missing := h.do(req{method: "POST", path: "/api/v1/alerts/0123456789abcdef/feedback", token: "tenantB", ctype: "application/json",
			body: `{"verdict":"useful"}`})
		other := h.do(req{method: "POST", path: "/api/v1/alerts/" + fx.alertA + "/feedback", token: "tenantB", ctype: "application/json",
			body: `{"verdict":"useful"}`})
		if missing.Code != 404 || other.Code != 404 || missing.Body.String() != other.Body.String() {
			t.Errorf("tenant B on A's alert: %d %s; missing: %d %s", other.Code, other.Body, missing.Code, missing.Body)
		}

		var review struct{ Feedback []alerts.FeedbackEntry }
		w := h.call(req{method: "GET", path: "/api/v1/feedback?verdict=wrong_entity", token: "analyst"}, 200, &review)
		h.conforms("GET /api/v1/feedback", 200, w.Body.Bytes())
		// The two wrong_entity verdicts: staff's on A's alert, tenant B's on its own.
		if len(review.Feedback) != 2 {
			t.Fatalf("review list: %+v", review.Feedback)
		}
		for _, e := range review.Feedback {
			switch e.AlertID {
			case fx.alertA:
				if e.Tenant != "" || e.By != "admin" || e.Comment != "the name matches another firm" || e.Subject.USCC == "" {
					t.Errorf("staff's entry %+v", e)
				}
			case fx.alertB:
				if e.Tenant != h.leaderB || e.By != "tenantB" {
					t.Errorf("tenant B's entry %+v", e)
				}
			default:
				t.Errorf("entry %+v", e)
			}
		}
		h.call(req{method: "GET", path: "/api/v1/feedback", token: "admin"}, 200, &review)
		if len(review.Feedback) != 3 { // staff's on A, tenant A's on A, tenant B's on B
			t.Errorf("every verdict: %d, want 3", len(review.Feedback))
		}
		var one struct{ Feedback []alerts.FeedbackEntry }
		h.call(req{method: "GET", path: "/api/v1/feedback?limit=1&uscc=" + review.Feedback[0].Subject.USCC + "&rule=" + review.Feedback[0].Rule,
			token: "admin"}, 200, &one)
		if len(one.Feedback) != 1 || one.Feedback[0].Subject.USCC != review.Feedback[0].Subject.USCC {
			t.Errorf("filtered review list: %+v", one.Feedback)
		}
		for _, bad := range []struct{ query, code string }{{"verdict=meh", codeBadRequest}, {"rule=nope", codeBadRequest},
			{"uscc=123", codeInvalidUSCC}, {"limit=0", codeBadRequest}, {"limit=1001", codeBadRequest}, {"since=1", codeUnknownParameter}} {
			h.wantError(req{method: "GET", path: "/api/v1/feedback?" + bad.query, token: "admin"}, 400, bad.code)
		}
		h.wantError(req{method: "GET", path: "/api/v1/feedback", token: "tenantA"}, 403, codeForbidden)
	})
}
