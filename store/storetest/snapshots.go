package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// testSnapshots: a subscription's first snapshot is enqueued and recorded once — a
// second "once" save writes nothing — an on-demand one is enqueued again and moves the
// record, and deleting a stored subscription forgets its record.
func testSnapshots(t *testing.T, s store.Store) {
	ctx := context.Background()
	t1 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if sent, err := s.SnapshotsSent(ctx); err != nil || len(sent) != 0 {
		t.Fatalf("SnapshotsSent on an empty store = %v, %v", sent, err)
	}
	snap := func(id string) store.OutboxEntry {
		o := outboxRow(id, "", "k1")
		o.Fingerprint, o.Rule, o.USCC, o.Subscription = "", "", "", "ops"
		return o
	}
	ok, err := s.SaveSnapshot(ctx, "ops", t1, []store.OutboxEntry{snap("s1"), snap("s2")}, true)
	if err != nil || !ok {
		t.Fatalf("first snapshot: %v, %v", ok, err)
	}
	ok, err = s.SaveSnapshot(ctx, "ops", t1.Add(time.Minute), []store.OutboxEntry{snap("s3")}, true)
	if err != nil || ok {
		t.Errorf("a second first snapshot: %v, %v; want false, nil", ok, err)
	}
	listed := func() []string {
		t.Helper()
		list, err := s.Deliveries(ctx, store.DeliveryFilter{Subscription: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		return outboxIDs(list)
	}
	if got := listed(); !slices.Equal(got, []string{"s2", "s1"}) {
		t.Errorf("outbox after the first snapshot lists %v, want [s2 s1]", got)
	}
	sent, err := s.SnapshotsSent(ctx)
	if err != nil || len(sent) != 1 || !sent["ops"].Equal(t1) {
		t.Errorf("SnapshotsSent = %v, %v; want ops at %v", sent, err, t1)
	}

	t2 := t1.Add(time.Hour)
	if ok, err := s.SaveSnapshot(ctx, "ops", t2, []store.OutboxEntry{snap("s4")}, false); err != nil || !ok {
		t.Fatalf("on-demand snapshot: %v, %v", ok, err)
	}
	if got := listed(); !slices.Equal(got, []string{"s4", "s2", "s1"}) {
		t.Errorf("outbox after the on-demand snapshot lists %v, want [s4 s2 s1]", got)
	}
	if sent, _ := s.SnapshotsSent(ctx); !sent["ops"].Equal(t2) {
		t.Errorf("the on-demand snapshot left the record at %v, want %v", sent["ops"], t2)
	}

	if err := s.CreateSubscription(ctx, &store.SubscriptionRecord{Name: "acme", Spec: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveSnapshot(ctx, "acme", t1, nil, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if sent, _ := s.SnapshotsSent(ctx); len(sent) != 1 || !sent["ops"].Equal(t2) {
		t.Errorf("after deleting acme, SnapshotsSent = %v; want ops only", sent)
	}
}

// testSnapshotsMigration: the subscriptions stored before snapshots existed are
// recorded as sent (at their creation) by migration 13, so that none is sent one.
func testSnapshotsMigration(t *testing.T, s store.Store) {
	ctx := context.Background()
	ds, ok := s.(interface{ Dialect() store.Dialect })
	if !ok {
		t.Fatal("the store does not expose its dialect: the migration cannot be replayed")
	}
	d := ds.Dialect()
	t1 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	if err := s.CreateSubscription(ctx, &store.SubscriptionRecord{Name: "acme", Spec: []byte(`{}`), CreatedAt: t1}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE subscription_snapshots`, `DELETE FROM schema_migrations WHERE version = 13`} {
		if _, err := d.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if applied, err := store.Migrate(ctx, d); err != nil || !slices.Equal(applied, []int{13}) {
		t.Fatalf("Migrate applied %v, %v; want [13]", applied, err)
	}
	sent, err := s.SnapshotsSent(ctx)
	if err != nil || len(sent) != 1 || !sent["acme"].Equal(t1) {
		t.Errorf("after the migration SnapshotsSent = %v, %v; want acme at %v", sent, err, t1)
	}
}
