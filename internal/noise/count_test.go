package noise

import (
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, cst)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestPhaseOf(t *testing.T) {
	marks := []Mark{{at(0), "load"}, {at(60), "month"}, {at(90), "repeats"}, {at(90), "month"}}
	for _, c := range []struct {
		min  int
		want string
	}{
		{-1, ""}, {0, "load"}, {59, "load"}, {60, "month"}, {89, "month"},
		{90, "month"}, // two marks at one instant: the later one
		{500, "month"},
	} {
		if got := phaseOf(marks, at(c.min)); got != c.want {
			t.Errorf("phaseOf(+%dm) = %q, want %q", c.min, got, c.want)
		}
	}
}

// TestCountOutbox: hand-made outbox rows of two phases — single alerts, a grouped
// message, a digest, a subscription with two channels, a tenant's subscription —
// and the counts worked out by hand.
func TestCountOutbox(t *testing.T) {
	marks := []Mark{{at(0), "load"}, {at(100), "month"}}
	row := func(sub, owner string, ch, min int, rule, payload string) store.OutboxEntry {
		return store.OutboxEntry{ID: sub + rule, Subscription: sub, Owner: owner, ChannelIndex: ch, Rule: rule,
			CreatedAt: at(min), Payload: []byte(payload)}
	}
	one := `{"id":"n1","rule":"severe_event"}`
	grouped := `{"id":"n2","rule":"grade_downgrade","group":[{"id":"a"},{"id":"b"}]}`
	digest := `{"id":"n3","kind":"digest","group":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]}`
	rows := []store.OutboxEntry{
		// load: "a" gets two single alerts; "b" the same two on each of two channels.
		row("a", "", 0, 0, "severe_event", one),
		row("a", "", 0, 10, "score_drop", one),
		row("b", "", 0, 0, "severe_event", one),
		row("b", "", 1, 0, "severe_event", one),
		row("b", "", 0, 10, "score_drop", one),
		row("b", "", 1, 10, "score_drop", one),
		// month: "a" one grouped message of three alerts and a digest of four; the
		// tenant's "a" one single alert; a row without a payload counts one alert.
		row("a", "", 0, 100, "grade_downgrade", grouped),
		row("a", "", 0, 200, "", digest),
		row("a", "91230109MA1ABCDE12", 0, 150, "severe_event", one),
		row("b", "", 0, 150, "severe_event", ""),
	}
	tally, err := CountOutbox(rows, marks)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]Delivered{
		"load":  {"a": {2, 2}, "b": {2, 2}},
		"month": {"a": {2, 7}, "91230109MA1ABCDE12/a": {1, 1}, "b": {1, 1}},
	}
	for ph, subs := range want {
		if len(tally.Subs[ph]) != len(subs) {
			t.Errorf("%s: %d subscriptions, want %d: %v", ph, len(tally.Subs[ph]), len(subs), tally.Subs[ph])
		}
		for sub, d := range subs {
			if got := tally.Subs[ph][sub]; got != d {
				t.Errorf("%s %s: %+v, want %+v", ph, sub, got, d)
			}
		}
	}
	if tally.Rows["load"] != 6 || tally.Rows["month"] != 4 {
		t.Errorf("rows by phase %v, want load 6, month 4", tally.Rows)
	}
	if n := tally.ByRule["load"]["severe_event"]; n != 3 {
		t.Errorf("load rows of severe_event: %d, want 3", n)
	}
	if _, err := CountOutbox([]store.OutboxEntry{row("a", "", 0, 0, "x", "{")}, marks); err == nil {
		t.Error("a payload that is not JSON was counted")
	}
}

func TestDistOf(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want Dist
	}{
		{nil, Dist{}},
		{[]int{7}, Dist{7, 7, 7}},
		{[]int{4, 1, 3, 2}, Dist{2.5, 4, 4}},
		// ten values: the 90th percentile is the 9th smallest.
		{[]int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Dist{5.5, 9, 10}},
		{[]int{0, 0, 5}, Dist{0, 5, 5}},
	} {
		if got := distOf(c.in); got != c.want {
			t.Errorf("distOf(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestDiffAlerts: one alert of each kind of change between two reads of the store.
func TestDiffAlerts(t *testing.T) {
	firing := func(sev string, started int, quiet bool) alertSnap {
		return alertSnap{state: store.AlertFiring, severity: sev, started: at(started), notified: at(started), quiet: quiet}
	}
	news := firing("warning", 0, false)
	news.notified = at(50)
	repeated := firing("warning", 0, false)
	repeated.notified = at(30) // by a resend before this evaluation
	resolved := alertSnap{state: store.AlertResolved, severity: "warning", started: at(0)}
	before := map[string]alertSnap{
		"held": firing("warning", 0, false), "worse": firing("warning", 0, false), "gone": firing("critical", 0, false),
		"again": resolved, "stays-resolved": resolved, "news": firing("warning", 0, false), "repeated": repeated,
	}
	after := map[string]alertSnap{
		"held": firing("warning", 0, false), "worse": firing("critical", 0, false), "gone": resolved,
		"again": firing("warning", 50, false), "stays-resolved": resolved,
		"new": firing("info", 50, false), "baseline": firing("warning", 50, true), "news": news, "repeated": repeated,
	}
	rules := map[string]string{"worse": "score_drop", "gone": "severe_event", "again": "severe_event",
		"new": "repair_done", "baseline": "grade_downgrade", "held": "x", "stays-resolved": "x", "news": "severe_event",
		"repeated": "x"}
	var c Changes
	diffAlerts(&c, before, after, rules, at(50))
	if c.Fired != 2 || c.Quiet != 1 || c.Severity != 1 || c.Renotified != 1 || c.Resolved != 1 || c.Raw() != 5 {
		t.Errorf("changes %+v, want fired 2 (new, again), quiet 1, severity 1, announced again 1, resolved 1", c)
	}
	if c.ByRule["severe_event"] != 3 || c.ByRule["score_drop"] != 1 || c.ByRule["repair_done"] != 1 ||
		c.ByRule["grade_downgrade"] != 0 || c.ByRule["x"] != 0 {
		t.Errorf("by rule %v", c.ByRule)
	}
}
