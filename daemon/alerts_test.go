package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/risk"
)

// TestAlertPipelineWired: in a running daemon an ingested event reaches a webhook
// subscription, signed, and the alert metrics are served.
func TestAlertPipelineWired(t *testing.T) {
	const secret = "daemon-test-webhook-secret"
	var mu sync.Mutex
	var bodies []map[string]any
	rv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notifytest.WebhookSigned(secret, r.Header, body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b map[string]any
		_ = json.Unmarshal(body, &b)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer rv.Close()

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	sub := config.Subscription{Name: "everything", Subscriber: "analysts", Scope: config.Scope{Kind: config.ScopeAll},
		Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret(rv.URL + "/hook"), Secret: secret}}}
	if err := cfg.NormalizeSubscription(&sub); err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Subscriptions = []config.Subscription{sub}
	d, stop := start(t, cfg, true)
	defer stop()

	// A firm in good standing without events gets a critical event.
	st := d.State()
	firm := ""
	for v := range int32(st.Len()) {
		if st.Grade[v] <= risk.GradeB && len(st.FirmEvents(v)) == 0 {
			firm = st.Snap.IDs[v]
			break
		}
	}
	if firm == "" {
		t.Fatal("no firm in good standing in the demo")
	}
	body := "event_id,uscc,type,occurred_at\nD-1," + firm + ",bankruptcy," + time.Now().Format("2006-01-02") + "\n"
	sum, err := d.Ingest(context.Background(), credit.KindEvents, ingest.CSV, strings.NewReader(body), true, "test")
	if err != nil || !sum.OK() {
		t.Fatalf("ingest: %v %v", err, sum.Errors)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		found := false
		for _, b := range bodies {
			subj, _ := b["subject"].(map[string]any)
			found = found || b["rule"] == "grade_downgrade" && subj["uscc"] == firm
		}
		mu.Unlock()
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no signed grade_downgrade delivery for the ingested event")
		}
		time.Sleep(20 * time.Millisecond)
	}
	alerts, err := d.Alerts().Alerts(context.Background(), alertsQuery(firm))
	if err != nil || len(alerts) < 2 {
		t.Errorf("alerts about %s: %+v, %v", firm, alerts, err)
	}
	_, metrics := get(t, "http://"+d.Addr()+"/metrics")
	for _, want := range []string{`chainrisk_alerts_firing{rule="grade_downgrade",severity="critical"}`, "chainrisk_outbox_pending ",
		`chainrisk_notifications_total{channel="webhook",result="delivered"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func alertsQuery(uscc string) alerts.AlertQuery {
	return alerts.AlertQuery{USCC: uscc, State: "firing"}
}

// The demo announces what its first scan finds to the log channel: its alerts are
// visible at once, and delivered.
func TestDemoAnnouncesAlerts(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, true)
	defer stop()
	ctx := context.Background()
	firing, err := d.Alerts().Alerts(ctx, alerts.AlertQuery{State: "firing"})
	if err != nil || len(firing) == 0 {
		t.Fatalf("firing alerts after the demo's first scan: %d, %v", len(firing), err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := d.Alerts().Deliveries(ctx, alerts.DeliveryQuery{State: "delivered", Subscription: "demo", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(done) >= len(firing) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d demo notifications delivered to the log", len(done), len(firing))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
