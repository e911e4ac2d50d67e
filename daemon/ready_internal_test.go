package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/testoutbox"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// TestReadyOnceAScanIsOnRecord: a daemon holding a state while no scan is on record —
// a follower on a store no leader has scanned yet, or a leader that published its
// first scan and has not recorded it — is not ready. Were it ready, a client would
// ingest a critical event, and after a kill before the event's scan the next process
// would take the event for part of its first sight's quiet baseline and never
// announce it. Replayed in that order, without timing.
func TestReadyOnceAScanIsOnRecord(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	sub := config.Subscription{Name: "everything", Subscriber: "analysts", Scope: config.Scope{Kind: config.ScopeAll},
		Channels: []config.Channel{{Type: notify.TypeLog}}}
	if err := cfg.NormalizeSubscription(&sub); err != nil {
		t.Fatal(err)
	}
	cfg.Alerts.Subscriptions = []config.Subscription{sub}
	open := func() *Daemon {
		t.Helper()
		d, err := New(ctx, Options{Config: cfg, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		d.ready.Store(true) // what Run does first
		return d
	}
	stop := func(d *Daemon) {
		t.Helper()
		if err := d.shutdown(); err != nil {
			t.Error(err)
		}
	}
	uscc, err := credit.MakeUSCC("91230100RD0000001")
	if err != nil {
		t.Fatal(err)
	}

	d := open()
	if _, err := d.engine.Run(ctx, monitor.Request{Shadow: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.readyErr(ctx); err != nil {
		if !strings.Contains(err.Error(), "no scan on record") {
			t.Fatalf("not ready: %v", err)
		}
		if err := d.startupScan(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.readyErr(ctx); err != nil {
			t.Fatalf("not ready after the first scan: %v", err)
		}
	}
	// Ready: a client ingests a firm and a critical event on it.
	for _, in := range []struct {
		kind credit.Kind
		csv  string
	}{
		{credit.KindEnterprises, "uscc,name,region,industry,tags,status\n" + uscc + ",新企业,230100,C1331,,active\n"},
		{credit.KindEvents, "event_id,uscc,type,occurred_at\nRD-1," + uscc + ",dishonest_judgment_debtor," +
			time.Now().AddDate(0, 0, -1).Format(time.DateOnly) + "\n"},
	} {
		sum, err := d.Ingest(ctx, in.kind, ingest.CSV, strings.NewReader(in.csv), true, "api:test")
		if err != nil || !sum.OK() {
			t.Fatalf("ingest %s: %v %v", in.kind, err, sum.Errors)
		}
	}
	stop(d) // killed before the ingest's scan ran

	d = open()
	defer stop(d)
	if err := d.startupScan(ctx); err != nil {
		t.Fatal(err)
	}
	id := alerts.AlertID(alerts.Fingerprint(alerts.RuleSevereEvent, uscc, ""))
	a, err := d.store.Alert(ctx, id)
	if err != nil {
		t.Fatalf("severe_event of %s after the restart: %v", uscc, err)
	}
	if a.State != store.AlertFiring || a.Quiet {
		t.Errorf("severe_event of %s after the restart: %s, quiet %v; want it firing, announced, not a baseline", uscc, a.State, a.Quiet)
	}
	out, err := d.store.Deliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(out) != 1 {
		t.Fatalf("outbox after the restart: %d notifications, %v; want the event's", len(out), err)
	}
	if m, err := testoutbox.Decode(out[0]); err != nil || !m.Has(alerts.RuleSevereEvent, uscc, notify.StatusFiring) {
		t.Errorf("outbox after the restart: %+v (%v); want a message announcing severe_event of %s", m.Alerts, err, uscc)
	}
}
