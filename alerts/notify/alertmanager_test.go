package notify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
)

// amPassword is the key of a proxy in front of the test Alertmanager, in its URL's
// path (user info is refused).
const amPassword = "am-password-SECRET-0006"

func init() {
	testKinds[TypeAlertmanager] = testKind{
		channel: func(base string) Channel {
			return Channel{Type: TypeAlertmanager, URLs: secrets(base + "/" + amPassword)}
		},
		secrets: []string{amPassword},
		ok:      answer(200, ``),
		refuse:  func(msg string) Handler { return answer(400, `{"error":`+msg+`}`) },
	}
}

func TestRealAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Alertmanager")
	}
	base := notifytest.StartAlertmanager(t)
	// Two replicas in the config: one URL given as the API endpoint, one as the base;
	// both reach the same Alertmanager, which de-duplicates.
	ch := Channel{Type: TypeAlertmanager, URLs: secrets(base, base+"/api/v2/alerts")}
	opts := testOptions(t, nil, nil) // the system clock: Alertmanager judges endsAt by its own
	nt := mustNotifier(t, ch, opts)

	firing := firingDowngrade("zh")
	firing.StartedAt = time.Now().Add(-time.Minute).Truncate(time.Second)
	firing.URL = "" // exercises the chainrisk:// generator URL
	for i, r := range nt.Send(context.Background(), []*Notification{firing}) {
		if r.Err != nil {
			t.Fatalf("post firing %d: %v", i, r.Err)
		}
	}
	alerts := notifytest.GetAlerts(t, base)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts after the firing post, want 1: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	wantLabels := map[string]string{
		"alertname": "grade_downgrade", "severity": "warning", "uscc": castings.USCC,
		"leader": leaderRef.USCC, "subscription": "yuanhang-chain",
	}
	if fmt.Sprint(a.Labels) != fmt.Sprint(wantLabels) {
		t.Errorf("labels %v, want %v", a.Labels, wantLabels)
	}
	if a.Status.State != "active" {
		t.Errorf("state %q, want active", a.Status.State)
	}
	if a.Annotations["tier"] != "2" || !strings.Contains(a.Annotations["summary"], "信用等级下调") ||
		!strings.Contains(a.Annotations["path"], gearbox.USCC) || !strings.HasPrefix(a.GeneratorURL, "chainrisk://") {
		t.Errorf("annotations %v, generatorURL %q", a.Annotations, a.GeneratorURL)
	}
	if until := time.Until(a.EndsAt); until < 3*time.Minute || until > 5*time.Minute {
		t.Errorf("endsAt in %s, want about 4 × the 1 m resend interval", until)
	}

	resolved := firingDowngrade("zh")
	resolved.StartedAt, resolved.URL = firing.StartedAt, ""
	resolved.Status, resolved.EndedAt = StatusResolved, time.Now()
	for i, r := range nt.Send(context.Background(), []*Notification{resolved}) {
		if r.Err != nil {
			t.Fatalf("post resolved %d: %v", i, r.Err)
		}
	}
	for _, a := range notifytest.GetAlerts(t, base) {
		if a.Status.State == "active" && a.EndsAt.After(time.Now()) {
			t.Errorf("the alert is still active after the resolved post: %+v", a)
		}
	}
}

// TestAlertmanagerReplicas: success needs every Alertmanager; a refusal (4xx) is
// permanent, an outage retryable; either way every replica is tried.
func TestAlertmanagerReplicas(t *testing.T) {
	ok := newReceiver(t, nil, answer(200, ""))
	down := newReceiver(t, nil, answer(503, "starting"))
	refuses := newReceiver(t, nil, answer(400, `{"code":601,"message":"generatorURL in body must be of type uri"}`))
	for _, tc := range []struct {
		name      string
		urls      []*notifytest.Receiver
		ok        bool
		retryable bool
	}{
		{"all accept", []*notifytest.Receiver{ok, ok}, true, false},
		{"one down", []*notifytest.Receiver{down, ok}, false, true},
		{"one refuses", []*notifytest.Receiver{ok, refuses, down}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := map[*notifytest.Receiver]int{}
			var urls []Secret
			for _, rv := range tc.urls {
				before[rv] = len(rv.Requests())
				urls = append(urls, secret(rv.URL))
			}
			nt := mustNotifier(t, Channel{Type: TypeAlertmanager, URLs: urls}, testOptions(t, newFakeClock(), nil))
			rs := nt.Send(context.Background(), batch3("en"))
			for i, r := range rs {
				if (r.Err == nil) != tc.ok || r.Retryable != tc.retryable {
					t.Errorf("notification %d: %+v", i, r)
				}
			}
			for _, rv := range tc.urls {
				if got := len(rv.Requests()) - before[rv]; got < 1 {
					t.Errorf("a replica got %d posts", got)
				}
			}
		})
	}
}

func TestAlertmanagerAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://am:9093":                     "http://am:9093/api/v2/alerts",
		"http://am:9093/":                    "http://am:9093/api/v2/alerts",
		"https://h/alertmanager":             "https://h/alertmanager/api/v2/alerts",
		"https://h/am/api/v2/alerts":         "https://h/am/api/v2/alerts",
		"http://am:9093/api/v2/alerts/":      "http://am:9093/api/v2/alerts/",
		"https://proxy/k%2Fey+1/":            "https://proxy/k%2Fey+1/api/v2/alerts",
		"https://proxy/k%2Fey/api/v2/alerts": "https://proxy/k%2Fey/api/v2/alerts",
	} {
		got, err := alertmanagerAPI(in)
		if err != nil || got != want {
			t.Errorf("%s: got %s, %v; want %s", in, got, err, want)
		}
	}
}
