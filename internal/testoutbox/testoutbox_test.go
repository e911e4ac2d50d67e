package testoutbox

import (
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store"
)

const firm = "91310000MA1FL0001X"

func row(payload string) store.OutboxEntry {
	return store.OutboxEntry{ID: "N1", Fingerprint: "severe_event:" + firm + ":", Rule: "severe_event", Severity: "critical",
		Status: "firing", USCC: firm, Subscription: "watch", Payload: []byte(payload)}
}

// An alert of the payload, keyed as the outbox keys it.
func alert(rule, severity, status, leader string) string {
	return `{"fingerprint":"` + rule + `:` + firm + `:` + leader + `","rule":"` + rule + `","severity":"` + severity +
		`","status":"` + status + `","subject":{"USCC":"` + firm + `","Name":"F"},"subscription":"watch",` +
		`"started_at":"2026-12-06T10:00:00.123456789+08:00","reasons":["r1"]`
}

func TestDecode(t *testing.T) {
	primary := alert("severe_event", "critical", "firing", "")
	for _, tc := range []struct {
		name, payload string
		rules         []string // of the alerts, in order; nil: an error
	}{
		{"one alert, as rows were before groups", primary + `}`, []string{"severe_event"}},
		{"a group", primary + `,"group":[` + alert("grade_downgrade", "critical", "firing", "") + `},` +
			alert("score_drop", "warning", "resolved", "") + `}]}`, []string{"severe_event", "grade_downgrade", "score_drop"}},
		{"the payload's first alert is not the row's", alert("grade_downgrade", "critical", "firing", "") + `}`, nil},
		{"another severity than the row's", alert("severe_event", "warning", "firing", "") + `}`, nil},
		{"not JSON", `{"fingerprint":`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(row(tc.payload))
			if tc.rules == nil {
				if err == nil {
					t.Fatalf("decoded %+v; want an error", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, a := range m.Alerts {
				rules = append(rules, a.Rule)
			}
			if strings.Join(rules, " ") != strings.Join(tc.rules, " ") {
				t.Errorf("alerts %q, want %q", rules, tc.rules)
			}
			if a := m.Alerts[0]; a.Subject.USCC != firm || a.StartedAt.Nanosecond() != 123456789 || len(a.Reasons) != 1 {
				t.Errorf("first alert %+v", a)
			}
			if !m.Has("severe_event", firm, "firing") || m.Has("severe_event", firm, "resolved") || m.Has("stale_data", firm, "firing") {
				t.Error("Has answers wrong")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	primary := alert("severe_event", "critical", "firing", "")
	for _, tc := range []struct {
		name, group string // the group's alerts, JSON
		problem     string // in Check's error; "" for none
	}{
		{"alone", ``, ""},
		{"decreasing severity", alert("grade_downgrade", "critical", "resolved", "") + `},` +
			alert("score_drop", "warning", "firing", "") + `},` + alert("stale_data", "info", "firing", "") + `}`, ""},
		{"more severe later", alert("score_drop", "warning", "firing", "") + `},` +
			alert("grade_downgrade", "critical", "firing", "") + `}`, "most severe first"},
		{"firing after resolved", alert("grade_downgrade", "critical", "resolved", "") + `},` +
			alert("repair_done", "critical", "firing", "") + `}`, "firing before resolved"},
		{"twice", primary + `}`, "twice"},
		{"another topic", alert("chain_risk", "warning", "firing", "91310000MA1FL0009Z") + `}`, "about chain 91310000MA1FL0009Z"},
		{"another subscription", strings.Replace(alert("score_drop", "warning", "firing", "")+`}`, `"watch"`, `"chain"`, 1),
			"for chain"},
		{"an unknown severity", alert("score_drop", "high", "firing", "") + `}`, `severity "high"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := primary + `}`
			if tc.group != "" {
				p = primary + `,"group":[` + tc.group + `]}`
			}
			m, err := Decode(row(p))
			if err != nil {
				t.Fatal(err)
			}
			err = m.Check()
			switch {
			case tc.problem == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Errorf("Check: %v; want an error about %q", err, tc.problem)
			}
		})
	}
}

func TestTopic(t *testing.T) {
	for _, tc := range []struct {
		a    Alert
		want string
	}{
		{Alert{Rule: "severe_event", Fingerprint: "severe_event:" + firm + ":", Subject: Firm{USCC: firm}}, "firm " + firm},
		{Alert{Rule: "related_party_distress", Fingerprint: "related_party_distress:" + firm + "/X:L", Subject: Firm{USCC: firm}},
			"firm " + firm},
		{Alert{Rule: "chain_risk", Fingerprint: "chain_risk:" + firm + ":L1", Subject: Firm{USCC: firm}}, "chain L1"},
		{Alert{Rule: "chain_risk", Fingerprint: "chain_risk:" + firm + ":", Subject: Firm{USCC: firm}}, "firm " + firm},
	} {
		if got := Topic(tc.a); got != tc.want {
			t.Errorf("Topic(%s) = %q, want %q", tc.a.Fingerprint, got, tc.want)
		}
	}
}
