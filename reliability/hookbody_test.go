package reliability

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/internal/testoutbox"
)

// The receiver's reading of a webhook body: its shape, what it announces, and its
// comparison with the outbox row it came from.
func TestHookBody(t *testing.T) {
	const (
		firm   = "91310000MA1FL0001X"
		severe = `{"fingerprint":"severe_event:` + firm + `:","rule":"severe_event","severity":"critical","status":"firing",` +
			`"subject":{"uscc":"` + firm + `"},"reasons":["bankruptcy"],"started_at":"2026-12-06T02:00:00.5Z"}`
		grade = `{"fingerprint":"grade_downgrade:` + firm + `:","rule":"grade_downgrade","severity":"critical","status":"firing",` +
			`"subject":{"uscc":"` + firm + `"},"reasons":["B → D"],"started_at":"2026-12-06T02:00:00.5Z"}`
	)
	top := strings.TrimSuffix(severe, "}") + `,"id":"K1","subscription":"watch"`
	for _, tc := range []struct {
		name, body string
		problem    bool
	}{
		{"led by its own alert", top + `,"kind":"alert","alerts":[` + severe + `,` + grade + `]}`, false},
		{"no kind", top + `,"alerts":[` + severe + `]}`, true},
		{"no alerts", top + `,"kind":"alert","alerts":[]}`, true},
		{"led by another alert", top + `,"kind":"alert","alerts":[` + grade + `,` + severe + `]}`, true},
		{"its own alert told otherwise", top + `,"kind":"alert","alerts":[` + strings.Replace(severe, "bankruptcy", "arrears", 1) + `]}`, true},
		{"a snapshot", `{"id":"K2","subscription":"watch","fingerprint":"","rule":"","subject":null,"kind":"snapshot","alerts":[` + severe + `]}`, false},
		{"an empty snapshot", `{"id":"K3","subscription":"watch","fingerprint":"","rule":"","subject":null,"kind":"snapshot","alerts":[]}`, false},
		{"a snapshot with an alert of its own", top + `,"kind":"snapshot","alerts":[` + severe + `]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b hookBody
			if err := json.Unmarshal([]byte(tc.body), &b); err != nil {
				t.Fatal(err)
			}
			if got := b.wellFormed(); (got != "") != tc.problem {
				t.Errorf("wellFormed: %q, want a problem: %v", got, tc.problem)
			}
		})
	}

	var b hookBody
	if err := json.Unmarshal([]byte(top+`,"kind":"alert","alerts":[`+severe+`,`+grade+`]}`), &b); err != nil {
		t.Fatal(err)
	}
	if !b.has("grade_downgrade", firm, "firing") || b.has("grade_downgrade", firm, "resolved") || b.has("score_drop", firm, "firing") {
		t.Error("has answers wrong")
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 5e8, time.FixedZone("CST", 8*3600)) // the same instant
	held := []testoutbox.Alert{
		{Fingerprint: "severe_event:" + firm + ":", Rule: "severe_event", Severity: "critical", Status: "firing",
			Subject: testoutbox.Firm{USCC: firm}, Reasons: []string{"bankruptcy"}, StartedAt: at},
		{Fingerprint: "grade_downgrade:" + firm + ":", Rule: "grade_downgrade", Severity: "critical", Status: "firing",
			Subject: testoutbox.Firm{USCC: firm}, Reasons: []string{"B → D"}, StartedAt: at},
	}
	if !sameAlerts(b.Alerts, held) {
		t.Errorf("the body's alerts %+v differ from %+v", b.Alerts, held)
	}
	if sameAlerts(b.Alerts, held[:1]) || sameAlerts(b.Alerts, []testoutbox.Alert{held[1], held[0]}) {
		t.Error("a body missing an alert, or listing them in another order, is taken for the row's")
	}
	other := append([]testoutbox.Alert{}, held...)
	other[1].Severity = "warning"
	if sameAlerts(b.Alerts, other) {
		t.Error("an alert of another severity is taken for the row's")
	}
}
