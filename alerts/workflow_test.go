package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// TestIrrelevantMutesPerAudience: a tenant's irrelevant verdict keeps the alert from
// that tenant's subscriptions alone — staff's subscription and the other tenant's
// still get its repeats — until the alert's severity changes; then the mute is gone
// for good. Muted again, the alert's resolve lifts the mute too, and is notified.
func TestIrrelevantMutesPerAudience(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		up, down := 2, 1
		cfg := testConfig(t, subAll("ops"))
		cfg.Alerts.RepeatInterval = time.Hour
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := twoLeaders(t, cfg)
		clock := newFakeClock()
		m := newTestManager(t, st, cfg, clock)
		for _, leader := range []int{1, 2} {
			if _, err := m.CreateSubscription(ctx, code(leader), subChain("tenant-"+code(leader), leader, up, down)); err != nil {
				t.Fatal(err)
			}
		}
		ob := &outboxWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		ob.expect("baseline")
		w.firms[3].grade = risk.GradeC
		s = w.observe(t, m, s, incr)
		all := func(sev string) []string {
			return []string{"grade_downgrade firing " + sev + " " + code(3) + " ops",
				"grade_downgrade firing " + sev + " " + code(3) + " tenant-" + code(1),
				"grade_downgrade firing " + sev + " " + code(3) + " tenant-" + code(2)}
		}
		ob.expect("the shared firm falls", all("warning")...)

		id := AlertID(Fingerprint(RuleGradeDowngrade, code(3), ""))
		viewA, viewB := tenantView(cfg, s, code(1)), tenantView(cfg, s, code(2))
		if err := m.GiveFeedback(ctx, id, viewA, "token-of-a", FeedbackInput{Verdict: VerdictIrrelevant, Comment: "not ours"}); err != nil {
			t.Fatal(err)
		}
		repeat := func() {
			t.Helper()
			clock.Advance(61 * time.Minute)
			if err := m.Resend(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		repeat()
		ob.expect("A muted it: staff and B still get the repeat", all("warning")[0], all("warning")[2])
		wantFeedback := func(what string, view *visibility.View, verdict string, muted bool) {
			t.Helper()
			a, err := m.GetAlert(ctx, id, "", view)
			switch {
			case err != nil:
				t.Fatal(err)
			case verdict == "" && a.Feedback != nil:
				t.Errorf("%s: reads feedback %+v", what, a.Feedback)
			case verdict != "" && (a.Feedback == nil || a.Feedback.Verdict != verdict || a.Feedback.Muted != muted):
				t.Errorf("%s: reads feedback %+v, want %s muted %v", what, a.Feedback, verdict, muted)
			}
		}
		wantFeedback("A", viewA, VerdictIrrelevant, true)
		wantFeedback("B", viewB, "", false)
		wantFeedback("staff", nil, "", false)

		// Critical now: everyone is told, A too; its verdict no longer mutes, and going
		// back to warning does not mute it again.
		w.firms[3].grade = risk.GradeD
		s = w.observe(t, m, s, incr)
		ob.expect("the severity changed", all("critical")...)
		wantFeedback("A after the change", viewA, VerdictIrrelevant, false)
		w.firms[3].grade = risk.GradeC
		s = w.observe(t, m, s, incr)
		ob.expect("back to warning", all("warning")...)
		repeat()
		ob.expect("the mute stays lifted", all("warning")...)

		// Muted again, then the firm recovers: the resolve reaches A as well.
		if err := m.GiveFeedback(ctx, id, viewA, "token-of-a", FeedbackInput{Verdict: VerdictIrrelevant}); err != nil {
			t.Fatal(err)
		}
		repeat()
		ob.expect("muted again", all("warning")[0], all("warning")[2])
		w.firms[3].grade = risk.GradeB
		w.observe(t, m, s, incr)
		var resolved []string
		for _, x := range all("warning") {
			resolved = append(resolved, strings.Replace(x, "firing", "resolved", 1))
		}
		ob.expect("resolved", resolved...)
	})
}

// TestWorkflowIsPerAudience: what a tenant records — status, assignee, notes,
// verdict — is read back by that tenant alone; the other tenant and staff see the
// alert open, unassigned, without notes or feedback, and select on their own
// workflow. Bad input is refused naming the field, before the alert is looked up.
func TestWorkflowIsPerAudience(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t, subAll("ops"))
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		w := twoLeaders(t, cfg)
		clock := newFakeClock()
		m := newTestManager(t, st, cfg, clock)
		s := w.observe(t, m, nil, full)
		w.firms[3].grade = risk.GradeC
		w.firms[5].grade = risk.GradeD // in B's chain only
		s = w.observe(t, m, s, incr)
		shared := AlertID(Fingerprint(RuleGradeDowngrade, code(3), ""))
		onlyB := AlertID(Fingerprint(RuleGradeDowngrade, code(5), ""))
		viewA, viewB := tenantView(cfg, s, code(1)), tenantView(cfg, s, code(2))
		str := func(v string) *string { return &v }

		in := WorkflowInput{Status: str(WorkflowInvestigating), Assignee: str("  王五 <wang@example.com> "), Note: str("secret note of A")}
		if err := m.UpdateWorkflow(ctx, shared, viewA, "token-of-a", in); err != nil {
			t.Fatal(err)
		}
		if err := m.GiveFeedback(ctx, shared, viewA, "token-of-a", FeedbackInput{Verdict: VerdictWrongEntity, Comment: "secret comment of A"}); err != nil {
			t.Fatal(err)
		}
		// A cannot see B's firm: its verdict and workflow answer as for a missing alert.
		for _, err := range []error{
			m.GiveFeedback(ctx, onlyB, viewA, "token-of-a", FeedbackInput{Verdict: VerdictUseful}),
			m.UpdateWorkflow(ctx, onlyB, viewA, "token-of-a", WorkflowInput{Note: str("x")}),
			m.UpdateWorkflow(ctx, "0123456789abcdef", viewA, "token-of-a", WorkflowInput{Note: str("x")}),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("another's or a missing alert: %v, want not found", err)
			}
		}
		a, err := m.GetAlert(ctx, shared, "", viewA)
		if err != nil || a.Status != WorkflowInvestigating || a.Assignee != "王五 <wang@example.com>" || len(a.Notes) != 1 ||
			a.Notes[0].Text != "secret note of A" || a.Notes[0].By != "token-of-a" || !a.Notes[0].At.Equal(clock.Now()) ||
			a.Feedback == nil || a.Feedback.Verdict != VerdictWrongEntity || a.Feedback.Muted {
			t.Errorf("A reads %+v (%v)", a, err)
		}
		for _, tc := range []struct {
			who  string
			view *visibility.View
		}{{"B", viewB}, {"staff", nil}} {
			a, err := m.GetAlert(ctx, shared, "", tc.view)
			if err != nil || a.Status != WorkflowOpen || a.Assignee != "" || a.Notes != nil || a.Feedback != nil {
				t.Errorf("%s reads %+v (%v)", tc.who, a, err)
			}
			list, err := m.Alerts(ctx, AlertQuery{View: tc.view, Status: WorkflowInvestigating})
			if err != nil || len(list) != 0 {
				t.Errorf("%s lists %d investigating (%v), want none", tc.who, len(list), err)
			}
			list, _ = m.Alerts(ctx, AlertQuery{View: tc.view, Assignee: "王五 <wang@example.com>"})
			if len(list) != 0 {
				t.Errorf("%s lists %d assigned to A's colleague", tc.who, len(list))
			}
		}
		for _, q := range []AlertQuery{{View: viewA, Status: WorkflowInvestigating}, {View: viewA, Assignee: "王五 <wang@example.com>"}} {
			if list, err := m.Alerts(ctx, q); err != nil || len(list) != 1 || list[0].ID != shared {
				t.Errorf("A's own %+v: %+v (%v)", q, list, err)
			}
		}
		// Open is the default: staff's open alerts are all of them (2).
		if list, _ := m.Alerts(ctx, AlertQuery{Status: WorkflowOpen}); len(list) != 2 {
			t.Errorf("staff's open alerts: %d, want 2", len(list))
		}
		workflowInputErrors(t, m, shared)
	})
}

// workflowInputErrors: bad input names its field (and the allowed values), whether
// or not the alert exists.
func workflowInputErrors(t *testing.T, m *Manager, id string) {
	ctx := context.Background()
	str := func(v string) *string { return &v }
	long := strings.Repeat("名", MaxAssignee) // 200 characters pass, 201 do not
	if err := m.UpdateWorkflow(ctx, id, nil, "x", WorkflowInput{Assignee: str(long)}); err != nil {
		t.Errorf("an assignee of %d characters: %v", MaxAssignee, err)
	}
	for _, tc := range []struct {
		in    WorkflowInput
		field string
		says  string
	}{
		{WorkflowInput{Status: str("done")}, "status", "open, investigating, no_impact, confirmed, closed"},
		{WorkflowInput{Assignee: str(long + "名")}, "assignee", "200 characters"},
		{WorkflowInput{Assignee: str("a\nb")}, "assignee", "control"},
		{WorkflowInput{Note: str("  ")}, "note", "empty"},
		{WorkflowInput{Note: str(strings.Repeat("x", MaxNoteText+1))}, "note", "4096 bytes"},
	} {
		for _, target := range []string{id, "0123456789abcdef"} {
			var in *InputError
			err := m.UpdateWorkflow(ctx, target, nil, "x", tc.in)
			if !errors.As(err, &in) || in.Field != tc.field || !strings.Contains(in.Message, tc.says) {
				t.Errorf("%+v on %s: %v, want %s: ...%s", tc.in, target, err, tc.field, tc.says)
			}
		}
	}
	var in *InputError
	if err := m.GiveFeedback(ctx, "0123456789abcdef", nil, "x", FeedbackInput{Verdict: "meh"}); !errors.As(err, &in) ||
		in.Field != "verdict" || !strings.Contains(in.Message, "useful, irrelevant, wrong_entity") {
		t.Errorf("verdict meh: %v", err)
	}
	if _, err := m.Alerts(ctx, AlertQuery{Status: "done"}); !errors.As(err, &in) || in.Field != "status" {
		t.Errorf("status filter done: %v", err)
	}
}

// TestFeedbackReviewListAndMetric: every principal's latest verdicts make the review
// list, a tenant's naming the tenant, and each verdict given counts once in
// chainrisk_alert_feedback_total{rule,verdict}.
func TestFeedbackReviewListAndMetric(t *testing.T) {
	st := openSQLite(t)
	cfg := testConfig(t, subAll("ops"))
	cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
	w := twoLeaders(t, cfg)
	clock := newFakeClock()
	reg := prometheus.NewPedanticRegistry()
	wk := NewWorker(WorkerOptions{Store: st, Config: func() *config.Config { return cfg }, Clock: clock, Logger: discardLogger(),
		Metrics: NewMetrics(reg, st)})
	m := NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Clock: clock, Logger: discardLogger(), Worker: wk})
	ctx := context.Background()
	s := w.observe(t, m, nil, full)
	w.firms[3].grade, w.firms[4].grade = risk.GradeC, risk.GradeD
	s = w.observe(t, m, s, incr)
	id3, id4 := AlertID(Fingerprint(RuleGradeDowngrade, code(3), "")), AlertID(Fingerprint(RuleGradeDowngrade, code(4), ""))
	viewB := tenantView(cfg, s, code(2))
	for _, g := range []struct {
		id      string
		view    *visibility.View
		verdict string
	}{
		{id3, nil, VerdictUseful}, {id3, nil, VerdictWrongEntity}, // staff changes its mind: wrong_entity counts
		{id4, viewB, VerdictWrongEntity}, {id4, nil, VerdictIrrelevant},
	} {
		clock.Advance(time.Minute)
		if err := m.GiveFeedback(ctx, g.id, g.view, "tok", FeedbackInput{Verdict: g.verdict, Comment: "because"}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := m.FeedbackList(ctx, FeedbackQuery{Verdict: VerdictWrongEntity})
	if err != nil || len(list) != 2 {
		t.Fatalf("review list: %+v, %v", list, err)
	}
	// Newest first: B's verdict on firm 4 (minute 3), then staff's on firm 3 (minute 2).
	if e := list[0]; e.AlertID != id4 || e.Tenant != code(2) || e.Subject.USCC != code(4) || e.Rule != RuleGradeDowngrade ||
		e.By != "tok" || e.Comment != "because" || !e.At.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("first entry %+v", e)
	}
	if e := list[1]; e.AlertID != id3 || e.Tenant != "" || !e.At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("second entry %+v", e)
	}
	if list, _ := m.FeedbackList(ctx, FeedbackQuery{USCC: code(4)}); len(list) != 2 {
		t.Errorf("verdicts on firm 4: %d, want 2 (B's and staff's)", len(list))
	}
	if _, err := m.FeedbackList(ctx, FeedbackQuery{Rule: "nope"}); err == nil {
		t.Error("an unknown rule is taken")
	}
	// 4 verdicts given: useful 1, wrong_entity 2, irrelevant 1, all of grade_downgrade.
	for verdict, want := range map[string]float64{VerdictUseful: 1, VerdictWrongEntity: 2, VerdictIrrelevant: 1} {
		if got := testutil.ToFloat64(wk.o.Metrics.feedback.WithLabelValues(RuleGradeDowngrade, verdict)); got != want {
			t.Errorf("feedback_total{grade_downgrade,%s} = %v, want %v", verdict, got, want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "chainrisk_alert_feedback_total"); err != nil || n != len(RuleNames())*len(Verdicts) {
		t.Errorf("feedback series: %d, %v; want one per rule and verdict", n, err)
	}
}
