package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/store"
)

// FuzzWorkflowBody sends a workflow patch (PATCH /api/v1/alerts/{id}) or a verdict
// (POST /api/v1/alerts/{id}/feedback) as any caller. Beyond what holds for every
// answer: a 200 is the alert asked about with the caller's own record — a known
// status, notes within their bound and each written by a token of the caller's
// principal, the verdict just given by the caller — and a tenant gets no 200 on an
// alert outside its chain.
func FuzzWorkflowBody(f *testing.F) {
	h := newFuzzHarness(f)
	list, err := h.b.alerts.Alerts(context.Background(), alerts.AlertQuery{State: store.AlertFiring, Limit: 1})
	if err != nil || len(list) == 0 {
		f.Fatalf("no firing alert: %v", err)
	}
	id := list[0].ID
	for _, body := range []string{`{"status":"investigating","assignee":"张伟 <zhang@example.com>","note":"called the supplier"}`,
		`{}`, `{"status":null,"assignee":null,"note":null}`, `{"status":"done"}`, `{"note":""}`, `{"assignee":"a\u0000b"}`,
		`{"note":"` + strings.Repeat("x", alerts.MaxNoteText+1) + `"}`, `null`, `[]`, `{"notes":[]}`, ``} {
		f.Add(id, []byte(body), false, uint8(0), uint8(0))
	}
	for _, body := range []string{`{"verdict":"useful"}`, `{"verdict":"irrelevant","comment":"not ours"}`, `{"verdict":"wrong_entity"}`,
		`{"verdict":"meh"}`, `{"verdict":null}`, `{"comment":"x"}`, `{}`} {
		f.Add(id, []byte(body), true, uint8(0), uint8(2))
	}
	f.Add("nope", []byte(`{"verdict":"useful"}`), true, uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, alert string, body []byte, feedback bool, ctype, who uint8) {
		token := fuzzToken(who)
		method, target := http.MethodPatch, "/api/v1/alerts/"+url.PathEscape(alert)
		if feedback {
			method, target = http.MethodPost, target+"/feedback"
		}
		w, _ := h.fuzzCall(t, method, target, token, fuzzCtype(ctype), body, false)
		if w == nil || w.Code != http.StatusOK {
			return
		}
		var a alerts.Alert
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.ID != alert {
			t.Fatalf("200 for %q on %q: %v: %s", body, alert, err, w.Body)
		}
		if token == "tenantA" && !h.scopeA[a.Subject.USCC] {
			t.Fatalf("tenant A changed %s, about %s outside its chain", a.ID, a.Subject.USCC)
		}
		principal := []string{"admin", "analyst"}
		if token == "tenantA" {
			principal = []string{"tenantA"}
		}
		if !slices.Contains(alerts.WorkflowStatuses, a.Status) || len(a.Notes) > alerts.MaxNotes {
			t.Fatalf("status %q, %d notes: %s", a.Status, len(a.Notes), w.Body)
		}
		for _, n := range a.Notes {
			if !slices.Contains(principal, n.By) || strings.TrimSpace(n.Text) == "" {
				t.Fatalf("%s reads a note %+v", token, n)
			}
		}
		if feedback && (a.Feedback == nil || a.Feedback.By != token || !slices.Contains(alerts.Verdicts, a.Feedback.Verdict)) {
			t.Fatalf("%s's verdict reads %+v", token, a.Feedback)
		}
	})
}
