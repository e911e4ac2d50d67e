package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

func digestItem(sub, alertID, status string) store.DigestItem {
	return store.DigestItem{Subscription: sub, Owner: "tenant-" + sub, AlertID: alertID, Fingerprint: "fp-" + alertID,
		Rule: "grade_downgrade", Severity: "warning", Status: status, USCC: USCC(1),
		Payload: []byte(`{"id":"` + alertID + `-` + status + `"}`)}
}

// digestHeld lists a subscription's held items as alert/status, and their seqs.
func digestHeld(t *testing.T, s store.Store, sub string) ([]string, []int64) {
	t.Helper()
	list, err := s.DigestItems(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var seqs []int64
	for _, it := range list {
		names = append(names, it.AlertID+"/"+it.Status+"@"+it.CreatedAt.In(credit.Shanghai).Format("15:04"))
		seqs = append(seqs, it.Seq)
	}
	return names, seqs
}

// testDigests holds items for two subscriptions with alert changes, reads the marks,
// applies a digest that consumes the first two items of one while a third stays, and
// drops the other subscription; a failed write holds nothing.
func testDigests(t *testing.T, s store.Store) {
	ctx := context.Background()
	t1, t2 := day.Add(time.Hour), day.Add(2*time.Hour)
	a := alertRow(1, "grade_downgrade", "warning", t1)
	err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t1, Upserts: []store.AlertUpsert{{Alert: a, NewEpisode: true}},
		DigestItems: []store.DigestItem{digestItem("daily", "a1", "firing"), digestItem("weekly", "a1", "firing")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t2,
		DigestItems: []store.DigestItem{digestItem("daily", "a2", "firing"), digestItem("daily", "a1", "resolved")}}); err != nil {
		t.Fatal(err)
	}
	names, seqs := digestHeld(t, s, "daily")
	if want := []string{"a1/firing@01:00", "a2/firing@02:00", "a1/resolved@02:00"}; !slices.Equal(names, want) {
		t.Fatalf("daily items = %v, want %v", names, want)
	}
	marks, err := s.DigestMarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || marks[0].Subscription != "daily" || marks[0].Pending != 3 || !marks[0].FirstAt.Equal(t1) ||
		!marks[0].LastAt.IsZero() || marks[1].Subscription != "weekly" || marks[1].Pending != 1 {
		t.Fatalf("marks = %+v", marks)
	}

	// The digest consumes what it listed (the first two), not the later change.
	t3 := day.Add(8 * time.Hour)
	n := outboxRow("digest-1", "", "k1")
	if err := s.ApplyDigest(ctx, &store.Digest{Subscription: "daily", At: t3, Through: seqs[1],
		Notifications: []store.OutboxEntry{n}}); err != nil {
		t.Fatal(err)
	}
	if names, _ := digestHeld(t, s, "daily"); !slices.Equal(names, []string{"a1/resolved@02:00"}) {
		t.Errorf("daily items after the digest = %v", names)
	}
	out, err := s.Deliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(out) != 1 || out[0].ID != "digest-1" || out[0].State != store.DeliveryPending || !out[0].CreatedAt.Equal(t3) {
		t.Errorf("outbox after the digest = %+v, %v", out, err)
	}
	// An empty digest records its time; a dropped subscription is forgotten.
	t4 := day.Add(32 * time.Hour)
	if err := s.ApplyDigest(ctx, &store.Digest{Subscription: "weekly", At: t4}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDigest(ctx, &store.Digest{Subscription: "gone", At: t4}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDigest(ctx, &store.Digest{Subscription: "gone", Drop: true}); err != nil {
		t.Fatal(err)
	}
	if marks, err = s.DigestMarks(ctx); err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || marks[0].Subscription != "daily" || !marks[0].LastAt.Equal(t3) || marks[0].Pending != 1 ||
		!marks[0].FirstAt.Equal(t2) || marks[1].Subscription != "weekly" || !marks[1].LastAt.Equal(t4) || marks[1].Pending != 1 {
		t.Errorf("marks after the digests = %+v", marks)
	}
	if err := s.ApplyDigest(ctx, &store.Digest{Subscription: "weekly", Drop: true}); err != nil {
		t.Fatal(err)
	}
	if names, _ := digestHeld(t, s, "weekly"); len(names) != 0 {
		t.Errorf("weekly items after its drop = %v", names)
	}

	// A failed write (a duplicate notification id) holds no item either.
	err = s.ApplyAlerts(ctx, &store.AlertChanges{At: t4, DigestItems: []store.DigestItem{digestItem("daily", "a3", "firing")},
		Notifications: []store.OutboxEntry{outboxRow("dup", "a3", "k"), outboxRow("dup", "a3", "k")}})
	if err == nil {
		t.Fatal("ApplyAlerts with a duplicate notification id succeeded")
	}
	if names, _ := digestHeld(t, s, "daily"); !slices.Equal(names, []string{"a1/resolved@02:00"}) {
		t.Errorf("daily items after a failed write = %v", names)
	}
}
