package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// The audiences of the workflow tests: staff and two tenants.
const (
	staff   = ""
	tenant1 = "91230100000000001X"
	tenant2 = "91230100000000002Y"
)

// twoAlerts writes a1 (grade_downgrade, warning, about firm 1) and a2 (severe_event,
// critical, about firm 2 for leader 9), both firing since t1.
func twoAlerts(t *testing.T, s store.Store, t1 time.Time) (a1, a2 store.Alert) {
	t.Helper()
	a1, a2 = alertRow(1, "grade_downgrade", "warning", t1), alertRow(2, "severe_event", "critical", t1)
	a2.Leader, a2.LeaderName = USCC(9), "龙头"
	err := s.ApplyAlerts(context.Background(), &store.AlertChanges{At: t1,
		Upserts: []store.AlertUpsert{{Alert: a1, NewEpisode: true}, {Alert: a2, NewEpisode: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return a1, a2
}

// own reads every alert with an audience's own records, keyed by id.
func own(t *testing.T, s store.Store, o store.OwnFilter) map[string]store.Alert {
	t.Helper()
	o.Records = true
	list, err := s.Alerts(context.Background(), store.AlertFilter{Own: &o})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Alert{}
	for _, a := range list {
		out[a.ID] = a
	}
	return out
}

func mutes(t *testing.T, s store.Store) []string {
	t.Helper()
	list, err := s.AlertMutes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, f := range list {
		out = append(out, f.AlertID+"/"+f.Audience)
	}
	return out
}

// testFeedback: verdicts are kept per audience, the latest of each replacing the
// previous; the review list filters and orders them; a mute holds while the alert
// keeps its state, severity and episode, and once lifted stays lifted.
func testFeedback(t *testing.T, s store.Store) {
	ctx := context.Background()
	t1 := day.Add(time.Hour)
	a1, a2 := twoAlerts(t, s, t1)
	give := func(id, audience, verdict string, muted bool, at time.Time) {
		t.Helper()
		f := &store.AlertFeedback{AlertID: id, Audience: audience, Verdict: verdict, Comment: "c-" + audience,
			By: "token-" + audience, At: at, Muted: muted, State: "ignored", Severity: "ignored"}
		if err := s.SetFeedback(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	give(a1.ID, staff, "useful", false, t1.Add(time.Minute))
	give(a1.ID, tenant1, "irrelevant", true, t1.Add(2*time.Minute))
	give(a2.ID, tenant2, "wrong_entity", false, t1.Add(3*time.Minute))
	give(a1.ID, staff, "wrong_entity", false, t1.Add(4*time.Minute)) // replaces staff's useful
	if err := s.SetFeedback(ctx, &store.AlertFeedback{AlertID: "nope", Verdict: "useful", At: t1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("feedback on a missing alert: %v", err)
	}

	key := func(list []store.FeedbackEntry) []string {
		out := []string{}
		for _, e := range list {
			out = append(out, e.AlertID+"/"+e.Audience+"/"+e.Verdict)
		}
		return out
	}
	for _, tc := range []struct {
		f    store.FeedbackFilter
		want []string
	}{
		{store.FeedbackFilter{}, []string{a1.ID + "//wrong_entity", a2.ID + "/" + tenant2 + "/wrong_entity",
			a1.ID + "/" + tenant1 + "/irrelevant"}},
		{store.FeedbackFilter{Verdict: "wrong_entity"}, []string{a1.ID + "//wrong_entity", a2.ID + "/" + tenant2 + "/wrong_entity"}},
		{store.FeedbackFilter{Verdict: "useful"}, []string{}},
		{store.FeedbackFilter{Rule: "severe_event"}, []string{a2.ID + "/" + tenant2 + "/wrong_entity"}},
		{store.FeedbackFilter{USCC: USCC(1), Verdict: "irrelevant"}, []string{a1.ID + "/" + tenant1 + "/irrelevant"}},
		{store.FeedbackFilter{Limit: 1}, []string{a1.ID + "//wrong_entity"}},
	} {
		list, err := s.Feedback(ctx, tc.f)
		if err != nil || !slices.Equal(key(list), tc.want) {
			t.Errorf("Feedback(%+v) = %v, %v; want %v", tc.f, key(list), err, tc.want)
		}
	}
	list, _ := s.Feedback(ctx, store.FeedbackFilter{Rule: "severe_event"})
	if e := list[0]; e.USCC != USCC(2) || e.Leader != USCC(9) || e.LeaderName != "龙头" || e.Name != a2.Name ||
		e.Comment != "c-"+tenant2 || e.By != "token-"+tenant2 || !e.At.Equal(t1.Add(3*time.Minute)) ||
		e.State != store.AlertFiring || e.Severity != "critical" || !e.StartedAt.Equal(t1) || e.Muted {
		t.Errorf("review entry %+v", e)
	}

	// Each audience reads its own verdict, and no other's.
	for _, tc := range []struct {
		audience string
		want     map[string]string
	}{{staff, map[string]string{a1.ID: "wrong_entity"}}, {tenant1, map[string]string{a1.ID: "irrelevant"}},
		{tenant2, map[string]string{a2.ID: "wrong_entity"}}, {"91230100000000003Z", map[string]string{}}} {
		for id, a := range own(t, s, store.OwnFilter{Audience: tc.audience}) {
			got := ""
			if a.Feedback != nil {
				got = a.Feedback.Verdict
				if a.Feedback.Audience != tc.audience || a.Feedback.By != "token-"+tc.audience {
					t.Errorf("%q reads the feedback %+v", tc.audience, a.Feedback)
				}
			}
			if got != tc.want[id] {
				t.Errorf("%q reads verdict %q on %s, want %q", tc.audience, got, id, tc.want[id])
			}
		}
	}
	if a, _ := s.Alert(ctx, a1.ID); a.Feedback != nil || a.Workflow != nil {
		t.Errorf("a read naming no audience has own records: %+v %+v", a.Feedback, a.Workflow)
	}
	// Selecting without Records reads none; FillOwn reads them afterwards.
	sel, err := s.Alerts(ctx, store.AlertFilter{Own: &store.OwnFilter{Audience: tenant1}})
	if err != nil || len(sel) != 2 || sel[0].Feedback != nil || sel[1].Feedback != nil {
		t.Fatalf("without Records: %+v, %v", sel, err)
	}
	if err := s.FillOwn(ctx, sel, tenant1); err != nil {
		t.Fatal(err)
	}
	for _, a := range sel {
		if (a.Feedback != nil) != (a.ID == a1.ID) || a.Feedback != nil && a.Feedback.Audience != tenant1 {
			t.Errorf("FillOwn of tenant 1: %s has %+v", a.ID, a.Feedback)
		}
	}
	feedbackMutes(t, s, a1, a2, give)
}

// feedbackMutes follows tenant 1's mute of a1 through the alert's changes.
func feedbackMutes(t *testing.T, s store.Store, a1, a2 store.Alert, give func(id, audience, verdict string, muted bool, at time.Time)) {
	ctx := context.Background()
	apply := func(a store.Alert, newEpisode bool) {
		t.Helper()
		if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: a.UpdatedAt, Upserts: []store.AlertUpsert{{Alert: a, NewEpisode: newEpisode}}}); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.AlertMutes(ctx)
	if err != nil || len(ms) != 1 || !ms[0].Mutes(&a1) {
		t.Fatalf("mutes %+v, %v; want tenant 1's of a1", ms, err)
	}
	// A change of figures alone keeps the mute; a severity change lifts it, and going
	// back to the first severity does not mute again.
	up := a1
	up.Grade, up.UpdatedAt = "D", a1.UpdatedAt.Add(time.Hour)
	apply(up, false)
	if got := mutes(t, s); !slices.Equal(got, []string{a1.ID + "/" + tenant1}) {
		t.Errorf("after a quiet update: mutes %v", got)
	}
	up.Severity, up.UpdatedAt = "critical", up.UpdatedAt.Add(time.Hour)
	apply(up, false)
	if got := mutes(t, s); len(got) != 0 {
		t.Errorf("after a severity change: mutes %v", got)
	}
	up.Severity, up.UpdatedAt = "warning", up.UpdatedAt.Add(time.Hour)
	apply(up, false)
	if got := mutes(t, s); len(got) != 0 {
		t.Errorf("back to warning: mutes %v", got)
	}
	if f := own(t, s, store.OwnFilter{Audience: tenant1})[a1.ID].Feedback; f == nil || f.Verdict != "irrelevant" || f.Muted {
		t.Errorf("the lifted verdict reads %+v", f)
	}
	// A resolve lifts a mute; so does a new episode of an alert muted while resolved.
	give(a2.ID, tenant1, "irrelevant", true, up.UpdatedAt)
	res := a2
	res.State, res.ResolvedAt, res.UpdatedAt = store.AlertResolved, up.UpdatedAt, up.UpdatedAt
	apply(res, false)
	if got := mutes(t, s); len(got) != 0 {
		t.Errorf("after the resolve: mutes %v", got)
	}
	give(a2.ID, tenant1, "irrelevant", true, up.UpdatedAt.Add(time.Minute))
	if got := mutes(t, s); !slices.Equal(got, []string{a2.ID + "/" + tenant1}) {
		t.Errorf("muted while resolved: mutes %v", got)
	}
	again := alertRow(2, "severe_event", "critical", up.UpdatedAt.Add(time.Hour))
	again.Leader, again.LeaderName = a2.Leader, a2.LeaderName
	apply(again, true)
	if got := mutes(t, s); len(got) != 0 {
		t.Errorf("after a new episode: mutes %v", got)
	}
	// A verdict that does not mute replaces one that did.
	give(a2.ID, tenant1, "irrelevant", true, again.UpdatedAt.Add(time.Minute))
	give(a2.ID, tenant1, "useful", false, again.UpdatedAt.Add(2*time.Minute))
	if got := mutes(t, s); len(got) != 0 {
		t.Errorf("after a useful verdict: mutes %v", got)
	}
}

// testWorkflow: status, assignee and notes are per audience, change by merge, select
// alerts per audience, and the notes' bound holds.
func testWorkflow(t *testing.T, s store.Store) {
	ctx := context.Background()
	t1 := day.Add(time.Hour)
	a1, a2 := twoAlerts(t, s, t1)
	str := func(v string) *string { return &v }
	change := func(id, audience string, ch store.WorkflowChange) error {
		ch.By, ch.At = "token-"+audience, t1.Add(time.Minute)
		return s.UpdateWorkflow(ctx, id, audience, ch)
	}
	for _, err := range []error{
		change(a1.ID, tenant1, store.WorkflowChange{Status: str("investigating"), Assignee: str("张三"), Note: "called the supplier"}),
		change(a1.ID, staff, store.WorkflowChange{Note: "staff's note"}),
		change(a1.ID, tenant1, store.WorkflowChange{Assignee: str("李四")}), // the status stays
		change(a2.ID, tenant2, store.WorkflowChange{Status: str("confirmed")}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := change("nope", staff, store.WorkflowChange{Note: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("workflow of a missing alert: %v", err)
	}
	w := own(t, s, store.OwnFilter{Audience: tenant1})[a1.ID].Workflow
	if w == nil || w.Audience != tenant1 || w.Status != "investigating" || w.Assignee != "李四" || w.UpdatedBy != "token-"+tenant1 ||
		len(w.Notes) != 1 || w.Notes[0].Text != "called the supplier" || w.Notes[0].By != "token-"+tenant1 || !w.Notes[0].At.Equal(t1.Add(time.Minute)) {
		t.Errorf("tenant 1's workflow %+v", w)
	}
	if w := own(t, s, store.OwnFilter{Audience: staff})[a1.ID].Workflow; w == nil || w.Status != store.WorkflowOpen || w.Assignee != "" ||
		len(w.Notes) != 1 || w.Notes[0].Text != "staff's note" {
		t.Errorf("staff's workflow %+v", w)
	}
	if w := own(t, s, store.OwnFilter{Audience: tenant2})[a1.ID].Workflow; w != nil {
		t.Errorf("tenant 2 reads a workflow of a1: %+v", w)
	}
	for _, tc := range []struct {
		o    store.OwnFilter
		want []string
	}{
		{store.OwnFilter{Audience: tenant1, Status: "investigating"}, []string{a1.ID}},
		{store.OwnFilter{Audience: tenant1, Status: store.WorkflowOpen}, []string{a2.ID}},
		{store.OwnFilter{Audience: staff, Status: store.WorkflowOpen}, []string{a1.ID, a2.ID}},
		{store.OwnFilter{Audience: staff, Status: "investigating"}, []string{}},
		{store.OwnFilter{Audience: tenant2, Status: "confirmed"}, []string{a2.ID}},
		{store.OwnFilter{Audience: tenant1, Assignee: "李四"}, []string{a1.ID}},
		{store.OwnFilter{Audience: tenant1, Assignee: "张三"}, []string{}},
		{store.OwnFilter{Audience: tenant2, Assignee: "李四"}, []string{}},
	} {
		list, err := s.Alerts(ctx, store.AlertFilter{Own: &tc.o})
		if err != nil || !slices.Equal(alertIDs(list), tc.want) {
			t.Errorf("Alerts(own %+v) = %v, %v; want %v", tc.o, alertIDs(list), err, tc.want)
		}
	}
	// A new episode keeps the workflow.
	again := alertRow(1, "grade_downgrade", "warning", t1.Add(time.Hour))
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: again.UpdatedAt, Upserts: []store.AlertUpsert{{Alert: again, NewEpisode: true}}}); err != nil {
		t.Fatal(err)
	}
	if w := own(t, s, store.OwnFilter{Audience: tenant1})[a1.ID].Workflow; w == nil || w.Status != "investigating" || len(w.Notes) != 1 {
		t.Errorf("after a new episode: %+v", w)
	}
	workflowNotesBound(t, s, a2.ID)
}

// workflowNotesBound: concurrent notes past the bound are refused, with the rest of
// their change; those kept are numbered without gaps.
func workflowNotesBound(t *testing.T, s store.Store, id string) {
	ctx := context.Background()
	const max, tries = 5, 8
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := "closed"
			errs[i] = s.UpdateWorkflow(ctx, id, tenant1, store.WorkflowChange{Note: fmt.Sprintf("note %d", i), By: "t",
				At: day.Add(time.Duration(i) * time.Second), MaxNotes: max, Status: map[bool]*string{true: &st}[i == tries-1]})
		}()
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, store.ErrTooManyNotes):
			refused++
		case err != nil:
			t.Errorf("concurrent note: %v", err)
		}
	}
	w := own(t, s, store.OwnFilter{Audience: tenant1})[id].Workflow
	// 8 tries on a bound of 5: 5 kept, 3 refused.
	if refused != tries-max || w == nil || len(w.Notes) != max {
		t.Fatalf("%d refused, workflow %+v; want %d refused and %d notes", refused, w, tries-max, max)
	}
	if errs[tries-1] != nil && w.Status == "closed" {
		t.Errorf("a refused change set the status: %+v", w)
	}
	if errs[tries-1] == nil && w.Status != "closed" {
		t.Errorf("a kept change lost its status: %+v", w)
	}
	if err := s.UpdateWorkflow(ctx, id, tenant2, store.WorkflowChange{Note: "another audience's first", By: "t", At: day, MaxNotes: max}); err != nil {
		t.Errorf("the bound is per audience: %v", err)
	}
}
