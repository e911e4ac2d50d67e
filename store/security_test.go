package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// secHostile are values a careless store would run as SQL: quotes closing a literal,
// statement separators, comments, placeholders of both dialects, format verbs.
var secHostile = []string{
	`x'); DROP TABLE enterprises;--`,
	`' OR '1'='1`,
	`"; DROP TABLE events; --`,
	`\'; DELETE FROM relations; --`,
	`a?b $1 $2 ? ?`,
	`%s %d %v %%`,
	`/* comment */ -- line`,
	`Robert'); DROP TABLE tokens;--`,
	`''''`,
	`黑龙江'公司"; DROP TABLE alerts; --`,
}

// The dynamic half of the parameterization proof: hostile values in every text column
// an import, a token, a silence, a subscription, an alert and a delivery failure
// write, through both stores. They round-trip unchanged, lookups by hostile keys find
// nothing, and every table survives.
func TestHostileValuesRoundTrip(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			var s store.Store
			var d store.Dialect
			if kind == "sqlite" {
				st, err := sqlite.OpenDir(ctx, t.TempDir(), nil)
				if err != nil {
					t.Fatal(err)
				}
				s, d = st, st.Dialect()
			} else {
				st, err := postgres.Open(ctx, pgtest.URL(t), postgres.Options{})
				if err != nil {
					t.Fatal(err)
				}
				s, d = st, st.Dialect()
			}
			t.Cleanup(func() { _ = s.Close() })
			secRoundTrip(t, s, d)
		})
	}
}

func secRoundTrip(t *testing.T, s store.Store, d store.Dialect) {
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	n := len(secHostile)

	// Import: every text field of every kind carries a hostile value.
	ent := &store.Chunk{Kind: credit.KindEnterprises}
	rel := &store.Chunk{Kind: credit.KindRelations}
	evs := &store.Chunk{Kind: credit.KindEvents}
	reps := &store.Chunk{Kind: credit.KindRepairs}
	shs := &store.Chunk{Kind: credit.KindShareholdings}
	for i, h := range secHostile {
		ent.Lines = append(ent.Lines, i+2)
		ent.Enterprises = append(ent.Enterprises, credit.Enterprise{USCC: storetest.USCC(i + 1), Name: h, Region: h,
			Industry: h, Tags: []string{"leading", strings.ReplaceAll(h, ";", ",")}, Status: credit.StatusActive,
			LegalRepID: "P" + h, LegalRepName: h})
		shs.Lines = append(shs.Lines, i+2)
		shs.Shareholdings = append(shs.Shareholdings, credit.Shareholding{Holder: "P" + h, HolderKind: credit.HolderPerson,
			HolderName: h, Investee: storetest.USCC(i + 1), Share: 0.5})
		if i > 0 {
			rel.Lines = append(rel.Lines, i+1)
			rel.Relations = append(rel.Relations, credit.Relation{Supplier: storetest.USCC(i + 1), Customer: storetest.USCC(1),
				PurchaseShare: 0.05, SalesShare: 0.5, Substitutability: 0.5, Product: h})
		}
		evs.Lines = append(evs.Lines, i+2)
		evs.Events = append(evs.Events, credit.Event{ID: "E" + h, USCC: storetest.USCC(i + 1), Type: "tax_arrears",
			OccurredAt: at.AddDate(0, -1, 0), PublishUntil: at.AddDate(1, 0, 0), Source: h, Description: h, State: credit.EventActive})
	}
	reps.Lines = []int{2}
	reps.Repairs = []credit.Repair{{EventID: "E" + secHostile[0], RepairedAt: at, DecidedBy: secHostile[1], Reason: secHostile[2]}}
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*store.Chunk{ent, rel, evs, reps, shs} {
		if err := b.Stage(ctx, c); err != nil {
			t.Fatalf("stage %s: %v", c.Kind, err)
		}
	}
	if rejected, err := b.Check(ctx); err != nil || len(rejected) > 0 {
		t.Fatalf("check: %v %v", rejected, err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}

	for i, h := range secHostile {
		e, err := s.Enterprise(ctx, storetest.USCC(i+1))
		if err != nil || e.Name != h || e.Region != h || e.Industry != h || !slices.Equal(e.Tags, ent.Enterprises[i].Tags) ||
			e.LegalRepID != "P"+h || e.LegalRepName != h {
			t.Errorf("enterprise %d: %+v, %v; want the name %q", i+1, e, err, h)
		}
		var got []credit.Event
		if err := s.Events(ctx, store.EventFilter{USCC: storetest.USCC(i + 1)}, func(e *credit.Event) error {
			got = append(got, *e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != "E"+h || got[0].Source != h || got[0].Description != h {
			t.Errorf("events of firm %d: %+v", i+1, got)
		}
	}
	var products []string
	if err := s.Relations(ctx, func(r *credit.Relation) error {
		products = append(products, r.Product)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(products)
	want := slices.Clone(secHostile[1:])
	slices.Sort(want)
	if !slices.Equal(products, want) {
		t.Errorf("relation products %q, want %q", products, want)
	}
	rs, err := s.RepairsSince(ctx, at.Add(-time.Hour))
	if err != nil || len(rs) != 1 || rs[0].EventID != "E"+secHostile[0] || rs[0].DecidedBy != secHostile[1] || rs[0].Reason != secHostile[2] {
		t.Errorf("repairs: %+v, %v", rs, err)
	}
	// A re-import of the same rows changes nothing: the keys matched as values.
	b, err = s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Stage(ctx, ent); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if a, err := b.Commit(ctx); err != nil || a.Changed != 0 || a.Rows != int64(n) {
		t.Errorf("re-import: %+v, %v; want %d rows and no change", a, err, n)
	}

	// Keys that would match everything if spliced into SQL match nothing.
	for _, h := range secHostile {
		if _, err := s.Enterprise(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Enterprise(%q): %v, want not found", h, err)
		}
		if _, err := s.TokenByHash(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TokenByHash(%q): %v, want not found", h, err)
		}
		if _, err := s.FirmResult(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FirmResult(%q): %v, want not found", h, err)
		}
	}

	// Tokens, silences, subscriptions, alerts and delivery errors.
	for i, h := range secHostile {
		tok := &store.Token{Name: fmt.Sprintf("t%d-%s", i, h), Role: "tenant", Leader: h, Hash: fmt.Sprintf("%064x", i)}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("token %q: %v", tok.Name, err)
		}
		got, err := s.TokenByHash(ctx, tok.Hash)
		if err != nil || got.Name != tok.Name || got.Leader != h {
			t.Errorf("token %q: %+v, %v", tok.Name, got, err)
		}
		sil := &store.Silence{Matchers: []store.SilenceMatcher{{Name: "uscc", Op: "=", Value: h}}, StartsAt: at,
			EndsAt: at.Add(time.Hour), CreatedBy: h, Comment: h}
		if err := s.CreateSilence(ctx, sil); err != nil {
			t.Fatal(err)
		}
		gs, err := s.Silence(ctx, sil.ID)
		if err != nil || gs.CreatedBy != h || gs.Comment != h || gs.Matchers[0].Value != h {
			t.Errorf("silence %q: %+v, %v", h, gs, err)
		}
		if _, err := s.Silence(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Silence(%q): %v", h, err)
		}
		sub := &store.SubscriptionRecord{Name: h, Owner: h, Spec: []byte(`{"name":` + fmt.Sprintf("%q", h) + `}`), CreatedAt: at, UpdatedAt: at}
		if err := s.CreateSubscription(ctx, sub); err != nil {
			t.Fatalf("subscription %q: %v", h, err)
		}
		gsub, err := s.Subscription(ctx, h)
		if err != nil || gsub.Owner != h || string(gsub.Spec) != string(sub.Spec) {
			t.Errorf("subscription %q: %+v, %v", h, gsub, err)
		}
	}
	alerts := make([]store.AlertUpsert, n)
	outbox := make([]store.OutboxEntry, n)
	for i, h := range secHostile {
		alerts[i] = store.AlertUpsert{NewEpisode: true, Alert: store.Alert{ID: "A" + h, Fingerprint: "F" + h, Rule: "severe_event",
			Severity: "critical", State: store.AlertFiring, USCC: storetest.USCC(i + 1), Name: h, Leader: h, LeaderName: h,
			Grade: "D", Details: []byte(`{}`), ScanID: 1, StartedAt: at, UpdatedAt: at}}
		outbox[i] = store.OutboxEntry{ID: "N" + h, AlertID: "A" + h, Fingerprint: "F" + h, Rule: "severe_event",
			Severity: "critical", Status: store.AlertFiring, USCC: storetest.USCC(i + 1), Subscription: h, Owner: h,
			ChannelType: "webhook", ChannelKey: "K" + h, Channel: []byte(`{}`), Payload: []byte(`{}`)}
	}
	if err := s.ApplyAlerts(ctx, &store.AlertChanges{At: at, Upserts: alerts, Notifications: outbox}); err != nil {
		t.Fatal(err)
	}
	for i, h := range secHostile {
		got, err := s.Alert(ctx, "A"+h)
		if err != nil || got.Name != h || got.LeaderName != h || got.Fingerprint != "F"+h {
			t.Errorf("alert %q: %+v, %v", h, got, err)
		}
		if list, err := s.Alerts(ctx, store.AlertFilter{Leader: h}); err != nil || len(list) != 1 {
			t.Errorf("alerts of leader %q: %d, %v; want 1", h, len(list), err)
		}
		if list, err := s.Alerts(ctx, store.AlertFilter{USCC: h}); err != nil || len(list) != 0 {
			t.Errorf("alerts about %q: %d, %v; want none", h, len(list), err)
		}
		if err := s.AckAlert(ctx, "A"+h, h, h, at); err != nil {
			t.Errorf("ack %q: %v", h, err)
		}
		if err := s.NotificationFailed(ctx, "N"+h, 1, at.Add(time.Minute), "HTTP 500: "+h, i%2 == 0, at); err != nil {
			t.Errorf("delivery failure %q: %v", h, err)
		}
		if got, _ := s.Alert(ctx, "A"+h); got == nil || len(got.Acks) != 1 || got.Acks[0].By != h || got.Acks[0].Audience != h {
			t.Errorf("acked by %+v, want %q", got, h)
		}
		ds, err := s.Deliveries(ctx, store.DeliveryFilter{Subscription: h})
		if err != nil || len(ds) != 1 || ds[0].LastError != "HTTP 500: "+h || ds[0].Owner != h {
			t.Errorf("deliveries of %q: %+v, %v", h, ds, err)
		}
		if err := s.DeleteSubscription(ctx, h); err != nil {
			t.Errorf("delete subscription %q: %v", h, err)
		}
		if err := s.RevokeToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken(%q): %v, want not found (no token has that name)", h, err)
		}
	}
	if list, err := s.Alerts(ctx, store.AlertFilter{}); err != nil || len(list) != n {
		t.Errorf("all alerts: %d, %v; want %d", len(list), err, n)
	}
	secOwnRecords(t, s, at)

	holders := map[string]string{}
	if err := s.Shareholdings(ctx, func(sh *credit.Shareholding) error {
		holders[sh.Investee] = sh.Holder + "|" + sh.HolderName
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, h := range secHostile {
		if got := holders[storetest.USCC(i+1)]; got != "P"+h+"|"+h {
			t.Errorf("holder of firm %d: %q", i+1, got)
		}
	}

	// Every table is still there, with what was written.
	c, err := s.Counts(ctx)
	if err != nil || c.Enterprises != int64(n) || c.Relations != int64(n-1) || c.Events != int64(n) || c.Repairs != 1 {
		t.Errorf("counts %+v, %v", c, err)
	}
	for table, want := range map[string]int64{"enterprises": int64(n), "relations": int64(n - 1), "events": int64(n),
		"repairs": 1, "shareholdings": int64(n), "tokens": int64(n), "silences": int64(n), "subscriptions": 0, "alerts": int64(n),
		"alert_notifications": int64(n), "alert_feedback": int64(n), "alert_workflow": int64(n), "alert_notes": int64(n),
		"schema_migrations": -1, "scans": 0} {
		var got int64
		rows, err := d.Query(ctx, "SELECT COUNT(*) FROM "+table)
		if err != nil {
			t.Errorf("table %s: %v", table, err)
			continue
		}
		for rows.Next() {
			_ = rows.Scan(&got)
		}
		rows.Close()
		if want >= 0 && got != want {
			t.Errorf("table %s holds %d rows, want %d", table, got, want)
		}
	}
}

// secOwnRecords gives each alert of secRoundTrip a verdict and a workflow whose every
// text — audience, verdict, comment, status, assignee, note, author — is hostile: they
// round-trip, select as values, and an audience that is SQL reads nobody else's.
func secOwnRecords(t *testing.T, s store.Store, at time.Time) {
	ctx := context.Background()
	for _, h := range secHostile {
		if err := s.SetFeedback(ctx, &store.AlertFeedback{AlertID: "A" + h, Audience: h, Verdict: h, Comment: h, By: h, At: at}); err != nil {
			t.Errorf("feedback %q: %v", h, err)
		}
		v := h
		if err := s.UpdateWorkflow(ctx, "A"+h, h, store.WorkflowChange{Status: &v, Assignee: &v, Note: h, By: h, At: at, MaxNotes: 1}); err != nil {
			t.Errorf("workflow %q: %v", h, err)
		}
	}
	for _, h := range secHostile {
		list, err := s.Alerts(ctx, store.AlertFilter{Own: &store.OwnFilter{Audience: h, Status: h, Assignee: h, Records: true}})
		if err != nil || len(list) != 1 || list[0].ID != "A"+h {
			t.Errorf("own alerts of %q: %d, %v; want its one", h, len(list), err)
			continue
		}
		f, w := list[0].Feedback, list[0].Workflow
		if f == nil || f.Verdict != h || f.Comment != h || f.By != h || w == nil || w.Status != h || w.Assignee != h ||
			len(w.Notes) != 1 || w.Notes[0].Text != h || w.Notes[0].By != h {
			t.Errorf("own records of %q: %+v %+v", h, f, w)
		}
		if fb, err := s.Feedback(ctx, store.FeedbackFilter{Verdict: h}); err != nil || len(fb) != 1 || fb[0].Audience != h {
			t.Errorf("review list of verdict %q: %+v, %v", h, fb, err)
		}
	}
}
