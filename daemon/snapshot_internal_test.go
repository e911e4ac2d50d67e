package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// TestConfigSnapshotAfterFirstScan: at the very first start, on a store that holds
// data and no scan, the config file's subscription is sent its snapshot by the first
// scan, listing the quiet baseline that scan recorded; a restart sends it none again,
// and neither does the resend job; a subscription a reload adds is sent its own by the
// next resend job, once.
func TestConfigSnapshotAfterFirstScan(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	everything := func(name string) config.Subscription {
		sub := config.Subscription{Name: name, Subscriber: "analysts", Scope: config.Scope{Kind: config.ScopeAll},
			MinSeverity: config.AlertInfo, Channels: []config.Channel{{Type: notify.TypeLog}}}
		if err := cfg.NormalizeSubscription(&sub); err != nil {
			t.Fatal(err)
		}
		return sub
	}
	cfg.Alerts.Subscriptions = []config.Subscription{everything("everything")}
	open := func() *Daemon {
		t.Helper()
		d, err := New(ctx, Options{Config: cfg, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	stop := func(d *Daemon) {
		t.Helper()
		if err := d.shutdown(); err != nil {
			t.Error(err)
		}
	}
	// snapshots lists the outbox's snapshots by subscription, with the number of alerts
	// each lists.
	snapshots := func(d *Daemon) map[string][]int {
		t.Helper()
		rows, err := d.store.Deliveries(ctx, store.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]int{}
		for _, r := range rows {
			var n struct {
				Kind  string
				Group []json.RawMessage
			}
			if err := json.Unmarshal(r.Payload, &n); err != nil {
				t.Fatal(err)
			}
			if n.Kind == notify.KindSnapshot {
				out[r.Subscription] = append(out[r.Subscription], len(n.Group))
			}
		}
		return out
	}

	d := open()
	if err := d.loadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.startupScan(ctx); err != nil {
		t.Fatal(err)
	}
	firing, err := d.store.Alerts(ctx, store.AlertFilter{State: store.AlertFiring})
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) == 0 || slices.ContainsFunc(firing, func(a store.Alert) bool { return !a.Quiet }) {
		t.Fatalf("the first scan recorded %d alerts, not all quiet: not a baseline", len(firing))
	}
	want := map[string][]int{"everything": {len(firing)}}
	if got := snapshots(d); !maps.EqualFunc(got, want, slices.Equal[[]int]) {
		t.Errorf("after the first scan the snapshots are %v, want %v", got, want)
	}
	if all, _ := d.store.Deliveries(ctx, store.DeliveryFilter{}); len(all) != 1 {
		t.Errorf("the first scan enqueued %d notifications, want the snapshot alone", len(all))
	}
	stop(d)

	d = open()
	defer stop(d)
	if err := d.startupScan(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.resendAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshots(d); !maps.EqualFunc(got, want, slices.Equal[[]int]) {
		t.Errorf("after a restart the snapshots are %v, want %v", got, want)
	}

	// A reload adds a subscription.
	next := *cfg
	next.Alerts.Subscriptions = []config.Subscription{everything("everything"), everything("added")}
	d.cfg.Store(&next)
	for range 2 {
		if err := d.resendAlerts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want["added"] = []int{len(firing)}
	if got := snapshots(d); !maps.EqualFunc(got, want, slices.Equal[[]int]) {
		t.Errorf("after a reload the snapshots are %v, want %v", got, want)
	}
}
