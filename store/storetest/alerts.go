package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

func alertRow(n int, rule, severity string, at time.Time) store.Alert {
	fp := fmt.Sprintf("%s:%s:", rule, USCC(n))
	return store.Alert{
		ID: fmt.Sprintf("a%03d", n), Fingerprint: fp, Rule: rule, Severity: severity, State: store.AlertFiring,
		USCC: USCC(n), Name: fmt.Sprintf("测试企业%d有限公司", n), Grade: "C", PreviousGrade: "B",
		Details: []byte(`{"values":{"score":640}}`), ScanID: 1, StartedAt: at, UpdatedAt: at,
	}
}

func outboxRow(id, alertID, channelKey string) store.OutboxEntry {
	return store.OutboxEntry{
		ID: id, AlertID: alertID, Fingerprint: "fp-" + alertID, Rule: "grade_downgrade", Severity: "warning",
		Status: store.AlertFiring, USCC: USCC(1), Subscription: "sub-" + channelKey, Owner: "tenant-" + channelKey,
		ChannelType: "webhook", ChannelKey: channelKey,
		Channel: []byte(`{"type":"webhook","url":"https://hooks.example.com/x?token=secret"}`),
		Payload: []byte(`{"id":"` + id + `"}`),
	}
}

func alertIDs(as []store.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func outboxIDs(os []store.OutboxEntry) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

// testAlerts writes two alerts and lists them, acknowledges and updates one, then
// resolves it and fires it again; each step checks the rows the store gives back.
func testAlerts(t *testing.T, s store.Store) {
	t1 := day.Add(time.Hour)
	a1, a2 := alertsWritten(t, s, t1)
	up := alertsAcked(t, s, a1, a2, t1)
	alertsFiredAgain(t, s, up, a2)
}

// alertsWritten writes two alerts at t1, a1 notified and a2 quiet, and lists them
// through every filter.
func alertsWritten(t *testing.T, s store.Store, t1 time.Time) (a1, a2 store.Alert) {
	ctx := context.Background()
	a1, a2 = alertRow(1, "grade_downgrade", "warning", t1), alertRow(2, "severe_event", "critical", t1)
	a2.Leader, a2.LeaderName, a2.Quiet = USCC(9), "龙头", true
	a1.NotifiedAt = t1
	err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t1,
		Upserts:       []store.AlertUpsert{{Alert: a1, NewEpisode: true}, {Alert: a2, NewEpisode: true}},
		Notifications: []store.OutboxEntry{outboxRow("n1", a1.ID, "k1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Alert(ctx, a2.ID)
	if err != nil || got.Fingerprint != a2.Fingerprint || got.Leader != USCC(9) || !got.Quiet || got.State != store.AlertFiring ||
		!got.StartedAt.Equal(t1) || string(got.Details) != `{"values":{"score":640}}` || !got.NotifiedAt.IsZero() {
		t.Errorf("Alert(a2) = %+v, %v", got, err)
	}
	if _, err := s.Alert(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert(nope) err = %v", err)
	}
	for _, tc := range []struct {
		f    store.AlertFilter
		want []string
	}{
		{store.AlertFilter{}, []string{a1.ID, a2.ID}},
		{store.AlertFilter{Severity: "critical"}, []string{a2.ID}},
		{store.AlertFilter{Rule: "grade_downgrade"}, []string{a1.ID}},
		{store.AlertFilter{Leader: USCC(9)}, []string{a2.ID}},
		{store.AlertFilter{USCC: USCC(1)}, []string{a1.ID}},
		{store.AlertFilter{State: store.AlertResolved}, []string{}},
		{store.AlertFilter{Announced: true}, []string{a1.ID}},
		{store.AlertFilter{Limit: 1}, []string{a1.ID}},
		// a1 was notified at t1; a2 is quiet (a baseline's).
		{store.AlertFilter{RepeatDue: t1}, []string{}},
		{store.AlertFilter{RepeatDue: t1.Add(time.Millisecond)}, []string{a1.ID}},
	} {
		list, err := s.Alerts(ctx, tc.f)
		if err != nil || !slices.Equal(alertIDs(list), tc.want) {
			t.Errorf("Alerts(%+v) = %v, %v; want %v", tc.f, alertIDs(list), err, tc.want)
		}
	}
	return a1, a2
}

// alertsAcked: acks are per audience: staff's ("") and a tenant's are kept apart, and
// the first of each audience stays. Then an update (severity change) keeps them and
// the notification time. It returns a1 as updated.
func alertsAcked(t *testing.T, s store.Store, a1, a2 store.Alert, t1 time.Time) store.Alert {
	ctx := context.Background()
	const tenant = "91230100000000001X"
	if err := s.AckAlert(ctx, a1.ID, "", "analyst-1", t1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, a1.ID, "", "analyst-2", t1.Add(2*time.Minute)); err != nil {
		t.Errorf("second ack: %v", err)
	}
	if err := s.AckAlert(ctx, a1.ID, tenant, "tenant-token", t1.Add(3*time.Minute)); err != nil {
		t.Errorf("tenant's ack: %v", err)
	}
	if err := s.AckAlert(ctx, "nope", "", "x", t1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AckAlert(nope) = %v", err)
	}
	if got, _ := s.Alert(ctx, a2.ID); len(got.Acks) != 0 {
		t.Errorf("an alert nobody acknowledged has acks %+v", got.Acks)
	}
	t2 := t1.Add(time.Hour)
	up := a1
	up.Severity, up.Grade, up.UpdatedAt, up.NotifiedAt, up.StartedAt = "critical", "D", t2, time.Time{}, t2
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t2, Upserts: []store.AlertUpsert{{Alert: up}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Alert(ctx, a1.ID)
	wantAcks := []store.AlertAck{{Audience: "", By: "analyst-1", At: t1.Add(time.Minute)},
		{Audience: tenant, By: "tenant-token", At: t1.Add(3 * time.Minute)}}
	if got.Severity != "critical" || got.Grade != "D" || !got.StartedAt.Equal(t1) || !got.NotifiedAt.Equal(t1) ||
		!slices.EqualFunc(got.Acks, wantAcks, func(a, b store.AlertAck) bool {
			return a.Audience == b.Audience && a.By == b.By && a.At.Equal(b.At)
		}) {
		t.Errorf("after update: %+v, acks %+v; want acks %+v", got, got.Acks, wantAcks)
	}
	if k, ok := got.Ack(tenant); !ok || k.By != "tenant-token" {
		t.Errorf("Ack(tenant) = %+v, %v", k, ok)
	}
	if _, ok := got.Ack("91230100000000002Y"); ok {
		t.Error("another tenant's ack found")
	}
	// Whose repeats stop is the router's decision: the store still lists the alert.
	if list, _ := s.Alerts(ctx, store.AlertFilter{RepeatDue: t2.Add(time.Hour)}); !slices.Equal(alertIDs(list), []string{a1.ID}) {
		t.Errorf("repeat due: %v, want the acknowledged alert too", alertIDs(list))
	}
	if list, _ := s.Alerts(ctx, store.AlertFilter{}); list[0].ID != a1.ID {
		t.Errorf("newest change first: %v", alertIDs(list))
	}
	return up
}

// alertsFiredAgain resolves up, then fires it again: a new episode clears the ack.
// Notified then stamps notified_at, and the counts see both alerts firing.
func alertsFiredAgain(t *testing.T, s store.Store, up, a2 store.Alert) {
	ctx := context.Background()
	t3 := up.UpdatedAt.Add(time.Hour)
	res := up
	res.State, res.ResolvedAt, res.UpdatedAt = store.AlertResolved, t3, t3
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t3, Upserts: []store.AlertUpsert{{Alert: res}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, up.ID, "", "x", t3); !errors.Is(err, store.ErrAlertResolved) {
		t.Errorf("ack of a resolved alert: %v", err)
	}
	if list, _ := s.Alerts(ctx, store.AlertFilter{ResolvedSince: t3}); !slices.Equal(alertIDs(list), []string{up.ID}) {
		t.Errorf("ResolvedSince: %v", alertIDs(list))
	}
	t4 := t3.Add(time.Hour)
	again := alertRow(1, "grade_downgrade", "warning", t4)
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t4, Upserts: []store.AlertUpsert{{Alert: again, NewEpisode: true}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Alert(ctx, up.ID)
	if got.State != store.AlertFiring || !got.StartedAt.Equal(t4) || len(got.Acks) != 0 ||
		!got.ResolvedAt.IsZero() || !got.NotifiedAt.IsZero() {
		t.Errorf("after firing again: %+v", got)
	}

	// Notified stamps notified_at.
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: t4, Notified: []string{up.ID, a2.ID}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{up.ID, a2.ID} {
		if got, _ := s.Alert(ctx, id); !got.NotifiedAt.Equal(t4) {
			t.Errorf("%s notified at %v", id, got.NotifiedAt)
		}
	}
	counts, err := s.AlertCounts(ctx)
	want := []store.AlertCount{{Rule: "grade_downgrade", Severity: "warning", Count: 1}, {Rule: "severe_event", Severity: "critical", Count: 1}}
	if err != nil || !slices.Equal(counts, want) {
		t.Errorf("AlertCounts = %+v, %v", counts, err)
	}
}

// testAlertsAtomic: a failure after the alert rows were written (here a duplicate
// notification id) leaves neither the alerts nor any notification.
func testAlertsAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := alertRow(1, "grade_downgrade", "warning", day)
	err := s.ApplyAlerts(ctx, &store.AlertChanges{At: day,
		Upserts:       []store.AlertUpsert{{Alert: a, NewEpisode: true}},
		Notifications: []store.OutboxEntry{outboxRow("dup", a.ID, "k"), outboxRow("dup", a.ID, "k")},
	})
	if err == nil {
		t.Fatal("ApplyAlerts with a duplicate notification id succeeded")
	}
	if list, err := s.Alerts(ctx, store.AlertFilter{}); err != nil || len(list) != 0 {
		t.Errorf("alerts after a failed ApplyAlerts: %v, %v", alertIDs(list), err)
	}
	if list, err := s.Deliveries(ctx, store.DeliveryFilter{}); err != nil || len(list) != 0 {
		t.Errorf("notifications after a failed ApplyAlerts: %v, %v", outboxIDs(list), err)
	}
}

// testOutbox writes five notifications over three channels, reads what is due as
// attempts fail, succeed and die, then lists, counts and prunes them.
func testOutbox(t *testing.T, s store.Store) {
	due := dueIDs(t, s)
	outboxWritten(t, s, due)
	t1 := day.Add(2 * time.Second)
	outboxAttempts(t, s, due, t1)
	outboxListed(t, s, t1)
}

// dueIDs reads the ids of the notifications due at a time.
func dueIDs(t *testing.T, s store.Store) func(at time.Time, per, limit int) []string {
	return func(at time.Time, per, limit int) []string {
		t.Helper()
		list, err := s.DueNotifications(context.Background(), at, per, limit)
		if err != nil {
			t.Fatal(err)
		}
		return outboxIDs(list)
	}
}

// outboxWritten appends a1, b1, a2 at day and a3, c1 a second later (channels A, B
// and C, each of an owner of its own), and checks what is due and how it is stamped.
func outboxWritten(t *testing.T, s store.Store, due func(at time.Time, per, limit int) []string) {
	ctx := context.Background()
	apply := func(at time.Time, rows ...store.OutboxEntry) {
		t.Helper()
		if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: at, Notifications: rows}); err != nil {
			t.Fatal(err)
		}
	}
	apply(day, outboxRow("a1", "x", "A"), outboxRow("b1", "x", "B"), outboxRow("a2", "x", "A"))
	apply(day.Add(time.Second), outboxRow("a3", "y", "A"), outboxRow("c1", "y", "C"))
	if got := due(day.Add(-time.Second), 10, 10); len(got) != 0 {
		t.Errorf("due before creation: %v", got)
	}
	if got := due(day, 10, 10); !slices.Equal(got, []string{"a1", "b1", "a2"}) {
		t.Errorf("due at day: %v", got)
	}
	// Owners take turns (each channel here has an owner of its own): every owner's
	// first, then every owner's second, oldest first within a turn.
	if got := due(day.Add(time.Second), 2, 10); !slices.Equal(got, []string{"a1", "b1", "c1", "a2"}) {
		t.Errorf("due, two per channel: %v", got)
	}
	if got := due(day.Add(time.Second), 10, 3); !slices.Equal(got, []string{"a1", "b1", "c1"}) {
		t.Errorf("due, limit 3: %v", got)
	}
	list, _ := s.DueNotifications(ctx, day, 10, 10)
	if o := list[0]; o.Seq != 1 || o.State != store.DeliveryPending || o.Attempts != 0 || !o.CreatedAt.Equal(day) ||
		!o.NextAttemptAt.Equal(day) || o.Owner != "tenant-A" || o.ChannelKey != "A" ||
		string(o.Channel) != `{"type":"webhook","url":"https://hooks.example.com/x?token=secret"}` {
		t.Errorf("entry a1: %+v", o)
	}
}

// outboxAttempts: at t1, a1 fails and waits, so channel A gives nothing until it is
// due again, in order; b1 is delivered; then a1 dies and the rest of channel A goes.
func outboxAttempts(t *testing.T, s store.Store, due func(at time.Time, per, limit int) []string, t1 time.Time) {
	ctx := context.Background()
	if err := s.NotificationFailed(ctx, "a1", 1, t1.Add(time.Minute), "webhook https://hooks.example.com/<redacted>: HTTP 503", false, t1); err != nil {
		t.Fatal(err)
	}
	if err := s.NotificationDelivered(ctx, "b1", 1, t1); err != nil {
		t.Fatal(err)
	}
	if got := due(t1, 10, 10); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("due while a1 waits: %v", got)
	}
	if got := due(t1.Add(time.Minute), 10, 10); !slices.Equal(got, []string{"a1", "c1", "a2", "a3"}) {
		t.Errorf("due once a1 is due again: %v", got)
	}
	if err := s.NotificationDelivered(ctx, "b1", 1, t1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivering twice: %v", err)
	}
	// a1 dies: the rest of channel A goes.
	if err := s.NotificationFailed(ctx, "a1", 2, t1, "HTTP 400", true, t1); err != nil {
		t.Fatal(err)
	}
	if got := due(t1, 10, 10); !slices.Equal(got, []string{"a2", "c1", "a3"}) {
		t.Errorf("due after a1 died: %v", got)
	}
	if err := s.NotificationFailed(ctx, "a1", 3, t1, "x", false, t1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("failing a dead notification: %v", err)
	}
}

// outboxListed lists the notifications through every filter, counts them, and prunes
// the delivered b1 and the dead a1.
func outboxListed(t *testing.T, s store.Store, t1 time.Time) {
	ctx := context.Background()
	for _, tc := range []struct {
		f    store.DeliveryFilter
		want []string
	}{
		{store.DeliveryFilter{}, []string{"c1", "a3", "a2", "b1", "a1"}},
		{store.DeliveryFilter{State: store.DeliveryDead}, []string{"a1"}},
		{store.DeliveryFilter{State: store.DeliveryDelivered}, []string{"b1"}},
		{store.DeliveryFilter{State: store.DeliveryPending, Limit: 2}, []string{"c1", "a3"}},
		{store.DeliveryFilter{Owner: "tenant-A"}, []string{"a3", "a2", "a1"}},
		{store.DeliveryFilter{Subscription: "sub-C"}, []string{"c1"}},
		{store.DeliveryFilter{AlertID: "y"}, []string{"c1", "a3"}},
	} {
		list, err := s.Deliveries(ctx, tc.f)
		if err != nil || !slices.Equal(outboxIDs(list), tc.want) {
			t.Errorf("Deliveries(%+v) = %v, %v; want %v", tc.f, outboxIDs(list), err, tc.want)
		}
	}
	dead, _ := s.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
	if d := dead[0]; d.Attempts != 2 || d.LastError != "HTTP 400" {
		t.Errorf("dead entry: %+v", d)
	}
	delivered, _ := s.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered})
	if d := delivered[0]; !d.DeliveredAt.Equal(t1) || d.Attempts != 1 {
		t.Errorf("delivered entry: %+v", d)
	}
	if c, err := s.OutboxCounts(ctx); err != nil || c != (store.OutboxCounts{Pending: 3, Dead: 1}) {
		t.Errorf("OutboxCounts = %+v, %v", c, err)
	}
	// Pruning keeps pending ones and recent ones.
	if n, err := s.PruneNotifications(ctx, day.Add(time.Second), day); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want the delivered b1", n, err)
	}
	if n, err := s.PruneNotifications(ctx, day.Add(time.Hour), day.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want the dead a1", n, err)
	}
	if list, _ := s.Deliveries(ctx, store.DeliveryFilter{}); !slices.Equal(outboxIDs(list), []string{"c1", "a3", "a2"}) {
		t.Errorf("after pruning: %v", outboxIDs(list))
	}
}

// testOutboxOwnersTakeTurns: one owner's webhook backlog over many channels, older
// than everything else, does not keep another owner's notification (nor the admins',
// owner "", nor its own on another channel type) out of a read whose limit the backlog
// alone would fill; each channel still comes in order.
func testOutboxOwnersTakeTurns(t *testing.T, s store.Store) {
	ctx := context.Background()
	var rows []store.OutboxEntry
	for c := range 30 {
		for i := range 3 {
			r := outboxRow(fmt.Sprintf("t%02d-%d", c, i), "x", fmt.Sprintf("T%02d", c))
			r.Owner = "tenant-T"
			rows = append(rows, r)
		}
	}
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: day, Notifications: rows}); err != nil {
		t.Fatal(err)
	}
	other, admin, logged := outboxRow("u0", "y", "U"), outboxRow("adm", "y", "ADM"), outboxRow("log", "y", "LOG")
	admin.Owner = ""
	logged.Owner, logged.ChannelType = "tenant-T", "log"
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: day.Add(time.Second), Notifications: []store.OutboxEntry{other, admin, logged}}); err != nil {
		t.Fatal(err)
	}
	list, err := s.DueNotifications(ctx, day.Add(time.Minute), 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	got := outboxIDs(list)
	// Turn 1: the oldest head of each lane (owner and channel type), oldest first
	// (tenant-T's webhook t00-0 at seq 1, then u0, adm and tenant-T's log, written last);
	// then tenant-T's other webhook heads, t01-0 … t16-0.
	want := []string{"t00-0", "u0", "adm", "log"}
	for c := 1; len(want) < 20; c++ {
		want = append(want, fmt.Sprintf("t%02d-0", c))
	}
	if !slices.Equal(got, want) {
		t.Errorf("due with limit 20: %v\nwant %v", got, want)
	}
	// With room for everything, a channel's notifications keep their order.
	list, err = s.DueNotifications(ctx, day.Add(time.Minute), 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, o := range list {
		pos[o.ID] = i
	}
	if len(list) != 93 {
		t.Errorf("%d due, want 93", len(list))
	}
	for c := range 30 {
		for i := 1; i < 3; i++ {
			if a, b := pos[fmt.Sprintf("t%02d-%d", c, i-1)], pos[fmt.Sprintf("t%02d-%d", c, i)]; a >= b {
				t.Errorf("channel T%02d out of order: #%d at %d, #%d at %d", c, i-1, a, i, b)
			}
		}
	}
}

func testSilences(t *testing.T, s store.Store) {
	ctx := context.Background()
	sl := &store.Silence{
		Matchers: []store.SilenceMatcher{{Name: "rule", Op: "=", Value: "grade_downgrade"}, {Name: "uscc", Op: "=~", Value: "9123.*"}},
		StartsAt: day, EndsAt: day.Add(2 * time.Hour), CreatedBy: "analyst", Comment: "维护窗口",
	}
	if err := s.CreateSilence(ctx, sl); err != nil {
		t.Fatal(err)
	}
	other := &store.Silence{ID: "fixed-id", StartsAt: day, EndsAt: day.Add(time.Hour), CreatedBy: "ops"}
	if err := s.CreateSilence(ctx, other); err != nil {
		t.Fatal(err)
	}
	if len(sl.ID) != 32 || sl.CreatedAt.IsZero() {
		t.Errorf("created silence: %+v", sl)
	}
	got, err := s.Silence(ctx, sl.ID)
	if err != nil || !slices.Equal(got.Matchers, sl.Matchers) || !got.StartsAt.Equal(day) || !got.EndsAt.Equal(day.Add(2*time.Hour)) ||
		got.CreatedBy != "analyst" || got.Comment != "维护窗口" {
		t.Errorf("Silence = %+v, %v", got, err)
	}
	list, err := s.Silences(ctx)
	if err != nil || len(list) != 2 || list[0].ID != sl.ID || list[1].ID != "fixed-id" || len(list[1].Matchers) != 0 {
		t.Errorf("Silences = %+v, %v", list, err)
	}
	end := day.Add(time.Minute)
	if err := s.ExpireSilence(ctx, sl.ID, end); err != nil {
		t.Fatal(err)
	}
	if err := s.ExpireSilence(ctx, sl.ID, end.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Silence(ctx, sl.ID); !got.EndsAt.Equal(end) {
		t.Errorf("expired silence ends at %v, want %v", got.EndsAt, end)
	}
	if err := s.ExpireSilence(ctx, "nope", end); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ExpireSilence(nope) = %v", err)
	}
	if _, err := s.Silence(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Silence(nope) = %v", err)
	}
}

func testSubscriptions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if list, err := s.Subscriptions(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Subscriptions on an empty store = %v, %v", list, err)
	}
	a := &store.SubscriptionRecord{Name: "acme-chain", Owner: USCC(1), Spec: []byte(`{"name":"acme-chain"}`)}
	b := &store.SubscriptionRecord{Name: "analysts", Spec: []byte(`{"name":"analysts"}`)}
	for _, sub := range []*store.SubscriptionRecord{b, a} {
		if err := s.CreateSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSubscription(ctx, &store.SubscriptionRecord{Name: "analysts", Spec: []byte(`{}`)}); !errors.Is(err, store.ErrSubscriptionExists) {
		t.Errorf("duplicate create: %v", err)
	}
	list, err := s.Subscriptions(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "acme-chain" || list[0].Owner != USCC(1) || list[1].Owner != "" ||
		string(list[1].Spec) != `{"name":"analysts"}` || list[0].CreatedAt.IsZero() {
		t.Errorf("Subscriptions = %+v, %v", list, err)
	}
	a.Spec = []byte(`{"name":"acme-chain","min_severity":"critical"}`)
	if err := s.UpdateSubscription(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Subscription(ctx, "acme-chain")
	if err != nil || string(got.Spec) != string(a.Spec) || got.Owner != USCC(1) || got.CreatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("after update: %+v, %v", got, err)
	}
	if err := s.UpdateSubscription(ctx, &store.SubscriptionRecord{Name: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
	if err := s.DeleteSubscription(ctx, "analysts"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, "analysts"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, err := s.Subscription(ctx, "analysts"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted subscription: %v", err)
	}
}

func testRepairsSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, firms(2), events(ev(2, "E1", 1, "tax_arrears", day), ev(3, "E2", 2, "abnormal_operation", day)))
	before := time.Now().Add(-time.Millisecond)
	repaired := day.AddDate(0, 1, 0)
	apply(t, s, repairs(credit.Repair{EventID: "E2", RepairedAt: repaired, DecidedBy: "省发改委", Reason: "已整改"}))
	list, err := s.RepairsSince(ctx, before)
	if err != nil || len(list) != 1 {
		t.Fatalf("RepairsSince = %+v, %v", list, err)
	}
	r := list[0]
	if r.EventID != "E2" || r.USCC != USCC(2) || r.Type != "abnormal_operation" || !r.RepairedAt.Equal(repaired) ||
		r.DecidedBy != "省发改委" || r.Reason != "已整改" || r.RecordedAt.Before(before) {
		t.Errorf("repair: %+v", r)
	}
	if list, err := s.RepairsSince(ctx, r.RecordedAt); err != nil || len(list) != 0 {
		t.Errorf("RepairsSince(its own time) = %+v, %v", list, err)
	}
}
