package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// digestWatch reads what the outbox gained since its last look: alert messages as
// brief gives them, digests as "digest <subscription> <period start>–<period end>:"
// and their alerts in order ("rule status severity uscc").
type digestWatch struct {
	t    *testing.T
	st   store.Store
	seen int
}

func (d *digestWatch) expect(what string, want ...string) {
	d.t.Helper()
	all := outbox(d.t, d.st)
	got := make([]string, 0)
	for _, n := range all[d.seen:] {
		got = append(got, digestBrief(n))
		if _, err := notify.Summary(n); err != nil {
			d.t.Errorf("%s: summary of %s: %v", what, digestBrief(n), err)
		}
	}
	d.seen = len(all)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		d.t.Errorf("%s: notifications\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func digestBrief(n *notify.Notification) string {
	if n.Kind != notify.KindDigest {
		return brief([]*notify.Notification{n})[0]
	}
	const layout = "01-02 15:04:05"
	s := fmt.Sprintf("digest %s %s–%s:", n.Subscription, n.PeriodStart.In(credit.Shanghai).Format(layout),
		n.PeriodEnd.In(credit.Shanghai).Format(layout))
	for _, g := range n.Group {
		s += " [" + strings.Join([]string{g.Rule, g.Status, g.Severity, g.Subject.USCC}, " ") + "]"
	}
	return s
}

// TestDailyDigest runs a daily digest subscription (08:00, realtime_min_severity
// critical by default) beside a realtime one for three days of simulated time: each
// digest lists exactly what fired and resolved below critical since the previous one,
// in order; a critical alert goes out at once, fired and resolved, and in no digest;
// repeats are not for the digest subscription; a restart between two digests loses
// and repeats nothing; an empty period sends nothing.
func TestDailyDigest(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDailyDigest(t, openSQLite) })
	t.Run("postgres", func(t *testing.T) { testDailyDigest(t, openPostgres) })
}

func testDailyDigest(t *testing.T, open func(t *testing.T) store.Store) {
	synctest.Test(t, func(t *testing.T) {
		st := open(t)
		daily := subAll("daily")
		daily.Digest = config.DigestDaily
		cfg := testConfig(t, subAll("now"), daily)
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		start := time.Now() // the bubble's epoch: 2000-01-01 08:00 in Shanghai
		if h := start.In(credit.Shanghai).Hour(); h != 8 {
			t.Fatalf("the bubble starts at %d:00 in Shanghai", h)
		}
		at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }
		w := newWorld(cfg, start)
		for i := 1; i <= 6; i++ {
			w.firm(i, tfirm{})
		}
		m := newTestManager(t, st, cfg, notify.SystemClock{})
		ob := &digestWatch{t: t, st: st}
		send := func(what string, want ...string) {
			t.Helper()
			if err := m.SendDigests(context.Background()); err != nil {
				t.Fatal(err)
			}
			ob.expect(what, want...)
		}
		s := w.observe(t, m, nil, full) // Jan 1 08:00: the baseline
		change := func(i int, g risk.Grade) {
			w.firms[i].grade = g
			s = w.observe(t, m, s, incr)
		}
		fired := func(i int, sev, sub string) string { return downgrade(i, "firing", sev, sub) }
		resolved := func(i int, sev, sub string) string { return downgrade(i, "resolved", sev, sub) }

		at(time.Hour)
		change(2, risk.GradeC)
		ob.expect("a warning", fired(2, "warning", "now"))
		at(2 * time.Hour)
		send("before 08:00 the next day")
		at(23 * time.Hour)
		change(3, risk.GradeC)
		ob.expect("another warning", fired(3, "warning", "now"))
		at(24*time.Hour + 30*time.Second)
		send("the first digest",
			"digest daily 01-01 08:00:30–01-02 08:00:30: [grade_downgrade firing warning "+code(2)+"] [grade_downgrade firing warning "+code(3)+"]")
		// A first digest covers a whole day like the others, and the channels name it
		// after the day holding the middle of its period.
		if all := outbox(t, st); len(all) == 0 || !strings.Contains(mustSummary(t, all[len(all)-1]), "告警日报 2000-01-01") {
			t.Errorf("the first digest's summary is not the daily report of Jan 1")
		}

		at(25 * time.Hour)
		change(2, risk.GradeB)
		ob.expect("a resolve", resolved(2, "warning", "now"))
		// A restart: a new manager on the same store.
		at(26 * time.Hour)
		m = newTestManager(t, st, cfg, notify.SystemClock{})
		s = w.observe(t, m, s, full)
		send("after the restart")
		at(27 * time.Hour)
		change(4, risk.GradeC)
		at(28 * time.Hour)
		change(5, risk.GradeD)
		at(30 * time.Hour)
		change(5, risk.GradeB)
		ob.expect("a warning, then a critical alert fired and resolved",
			fired(4, "warning", "now"), fired(5, "critical", "now"), fired(5, "critical", "daily"),
			resolved(5, "critical", "now"), resolved(5, "critical", "daily"))
		at(48*time.Hour - time.Minute)
		change(6, risk.GradeC)
		ob.expect("a minute before the digest", fired(6, "warning", "now"))
		at(48 * time.Hour)
		send("the second digest, on the minute",
			"digest daily 01-02 08:00:30–01-03 08:00:00: [grade_downgrade resolved warning "+code(2)+"] [grade_downgrade firing warning "+
				code(4)+"] [grade_downgrade firing warning "+code(6)+"]")
		send("the second digest, once")

		at(48*time.Hour + 30*time.Minute)
		if err := m.Resend(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		// Firm 3's alert fired 25½ hours ago (firm 4's 21½): a repeat for the realtime
		// subscription, nothing for the digest's.
		ob.expect("repeats of what fired over a day ago", fired(3, "warning", "now"))
		at(49 * time.Hour)
		change(3, risk.GradeB)
		ob.expect("the third day's resolve", resolved(3, "warning", "now"))
		send("before the third digest")
		at(72 * time.Hour)
		send("the third digest", "digest daily 01-03 08:00:00–01-04 08:00:00: [grade_downgrade resolved warning "+code(3)+"]")
		at(96 * time.Hour)
		send("an empty day")
		marks, err := st.DigestMarks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(marks) != 1 || marks[0].Subscription != "daily" || !marks[0].LastAt.Equal(start.Add(96*time.Hour)) || marks[0].Pending != 0 {
			t.Errorf("marks after an empty day: %+v", marks)
		}
	})
}

// downgrade is what brief says of a grade_downgrade message about firm i.
func downgrade(i int, status, sev, sub string) string {
	return "grade_downgrade " + status + " " + sev + " " + code(i) + " " + sub
}

// TestDigestSubscriptionChanges: digest subscriptions made through the API keep their
// digest fields; with realtime_min_severity none even a critical alert waits; one
// that becomes realtime gets what it holds at once, one digest per channel; the items
// of a deleted one are dropped.
func TestDigestSubscriptionChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := testConfig(t)
		cfg.Alerts.Rules.SetEnabled(RuleScoreDrop, false)
		clock := newFakeClock() // Saturday 16:00 in Shanghai
		m := newTestManager(t, st, cfg, clock)
		weekly := subAll("weekly")
		weekly.Digest, weekly.RealtimeMinSeverity = config.DigestWeekly, config.RealtimeNever
		weekly.Channels = append(logChannel(), config.Channel{Type: notify.TypeWebhook, URL: "https://hooks.example.com/x", Secret: "s3"})
		got, err := m.CreateSubscription(ctx, "", weekly)
		if err != nil {
			t.Fatal(err)
		}
		if got.DigestAt != "0 8 * * 1" || got.RealtimeMinSeverity != "none" {
			t.Errorf("created %+v", got.Subscription)
		}
		hourly := subAll("hourly")
		hourly.Digest = config.DigestHourly
		if _, err := m.CreateSubscription(ctx, "", hourly); err != nil {
			t.Fatal(err)
		}
		if got, err := m.Subscription(ctx, "", "hourly"); err != nil || got.Digest != "hourly" || got.DigestAt != "0 * * * *" ||
			got.RealtimeMinSeverity != "critical" {
			t.Fatalf("read back %+v, %v", got, err)
		}

		w := newWorld(cfg, t0)
		for i := 1; i <= 3; i++ {
			w.firm(i, tfirm{})
		}
		ob := &digestWatch{t: t, st: st}
		s := w.observe(t, m, nil, full)
		w.firms[2].grade = risk.GradeD
		s = w.observe(t, m, s, incr)
		ob.expect("a critical alert", "grade_downgrade firing critical "+code(2)+" hourly")
		clock.Advance(10 * time.Minute)
		w.firms[3].grade = risk.GradeC
		w.observe(t, m, s, incr)
		ob.expect("a warning")
		held := func(sub string) int {
			items, err := st.DigestItems(ctx, sub)
			if err != nil {
				t.Fatal(err)
			}
			return len(items)
		}
		if h, w := held("hourly"), held("weekly"); h != 1 || w != 2 {
			t.Fatalf("held: hourly %d, weekly %d; want 1 and 2", h, w)
		}

		// The weekly one becomes realtime: what it holds goes out now, on both channels.
		clock.Advance(10 * time.Minute)
		weekly.Digest, weekly.DigestAt, weekly.RealtimeMinSeverity = "", "", ""
		if _, err := m.UpdateSubscription(ctx, "", weekly); err != nil {
			t.Fatal(err)
		}
		// The hourly one is deleted before its digest: its item goes.
		if err := m.DeleteSubscription(ctx, "", "hourly"); err != nil {
			t.Fatal(err)
		}
		if err := m.SendDigests(ctx); err != nil {
			t.Fatal(err)
		}
		last := "digest weekly 11-21 16:00:00–11-21 16:20:00: [grade_downgrade firing critical " + code(2) +
			"] [grade_downgrade firing warning " + code(3) + "]"
		ob.expect("the last digest of the weekly one", last, last)
		rows, err := st.Deliveries(ctx, store.DeliveryFilter{Subscription: "weekly"})
		if err != nil || len(rows) != 2 {
			t.Fatalf("deliveries %d, %v", len(rows), err)
		}
		for i, r := range rows { // newest first
			if r.ChannelIndex != 1-i || r.Severity != "critical" || r.Status != "firing" || r.AlertID != "" {
				t.Errorf("delivery %d: %+v", i, r)
			}
		}
		if marks, err := st.DigestMarks(ctx); err != nil || len(marks) != 0 {
			t.Errorf("marks left: %+v, %v", marks, err)
		}
		clock.Advance(time.Hour)
		if err := m.SendDigests(ctx); err != nil {
			t.Fatal(err)
		}
		ob.expect("an hour later")
	})
}

func mustSummary(t *testing.T, n *notify.Notification) string {
	t.Helper()
	s, err := notify.Summary(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
