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
	"github.com/chainrisk/chainrisk/internal/testoutbox"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
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
			list, _ := b["alerts"].([]any)
			for _, x := range list {
				a, _ := x.(map[string]any)
				subj, _ := a["subject"].(map[string]any)
				found = found || b["kind"] == "alert" && a["rule"] == "grade_downgrade" && subj["uscc"] == firm
			}
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
// visible at once, and delivered, each once, in one message per firm (per leader for
// the alerts about a chain).
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
	var msgs []testoutbox.Message
	announced := map[string]int{} // fingerprint → messages announcing it firing
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := d.Store().Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered, Subscription: "demo"})
		if err != nil {
			t.Fatal(err)
		}
		if msgs, err = testoutbox.DecodeAll(rows); err != nil {
			t.Fatal(err)
		}
		clear(announced)
		listings := 0
		for _, m := range msgs {
			if m.IsListing() {
				listings++
				continue
			}
			for _, a := range m.Alerts {
				if a.Status == notify.StatusFiring {
					announced[a.Fingerprint]++
				}
			}
		}
		told := 0
		for _, a := range firing {
			if announced[a.Fingerprint] > 0 {
				told++
			}
		}
		if told == len(firing) && listings > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d firing alerts announced in the %d demo messages delivered to the log", told, len(firing), len(msgs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	topics := map[string]bool{}
	var snapshots []testoutbox.Message
	for _, m := range msgs {
		if err := m.Check(); err != nil {
			t.Error(err)
		}
		if m.IsListing() {
			snapshots = append(snapshots, m)
			continue
		}
		if m.ChannelType != notify.TypeLog || m.ChannelIndex != 0 {
			t.Errorf("message %s went to channel %d (%s); the demo has the log only", m.ID, m.ChannelIndex, m.ChannelType)
		}
		topics[testoutbox.Topic(m.Alerts[0])] = true
	}
	for fp, n := range announced {
		if n != 1 {
			t.Errorf("alert %s announced firing in %d messages, want 1", fp, n)
		}
	}
	if len(announced) != len(firing) {
		t.Errorf("%d alerts announced firing, %d firing", len(announced), len(firing))
	}
	// One scan, one channel: a message per firm or chain that has alerts, and the
	// subscription's snapshot, sent after that scan, listing every one of them.
	if len(msgs)-len(snapshots) != len(topics) {
		t.Errorf("%d messages about %d firms and chains, for %d alerts", len(msgs)-len(snapshots), len(topics), len(firing))
	}
	if len(snapshots) != 1 || snapshots[0].Kind != notify.KindSnapshot || len(snapshots[0].Alerts) != len(firing) {
		t.Errorf("%d snapshots, want one listing the %d firing alerts", len(snapshots), len(firing))
	}
	// The API lists the same deliveries.
	done, err := d.Alerts().Deliveries(ctx, alerts.DeliveryQuery{State: "delivered", Subscription: "demo", Limit: 1000})
	if err != nil || len(done) != len(msgs) {
		t.Errorf("the API lists %d delivered demo notifications (%v); the store holds %d", len(done), err, len(msgs))
	}
	t.Logf("%d firing alerts announced in %d messages", len(firing), len(msgs))
}
