package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/internal/testlog"
)

// TestWebhookBodyKinds: an alert message keeps its most severe alert at the top and
// lists all of them; a snapshot and a digest leave the top empty and carry their times.
func TestWebhookBodyKinds(t *testing.T) {
	decode := func(n *Notification) (WebhookBody, map[string]any) {
		t.Helper()
		raw, err := encodeWebhookBody(n)
		if err != nil {
			t.Fatal(err)
		}
		var b WebhookBody
		var m map[string]any
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		// WebhookBody reads and writes the body alike.
		again, err := json.Marshal(b)
		if err != nil || !bytes.Equal(again, raw) {
			t.Errorf("re-encoded body differs (%v):\n%s\n%s", err, again, raw)
		}
		return b, m
	}

	b, _ := decode(groupAlert("en"))
	if b.Kind != "alert" || b.Rule != "severe_event" || b.Severity != "critical" || b.Subject.USCC != castings.USCC || len(b.Alerts) != 3 {
		t.Errorf("group: kind %q rule %q severity %q, %d alerts", b.Kind, b.Rule, b.Severity, len(b.Alerts))
	}
	if a := b.Alerts[2]; a.Rule != "stale_data" || a.Status != StatusResolved || a.ResolveReason != ResolveDataUpdated ||
		a.EndedAt == nil || !a.EndedAt.Equal(t0.Add(-5*time.Minute)) || a.Title != "Credit data stale" ||
		!strings.HasPrefix(a.Summary, "[RESOLVED] Credit data stale: ") {
		t.Errorf("the resolved alert: %+v", a)
	}
	if b.Alerts[0].Summary != b.Summary {
		t.Errorf("the top alert's summary differs from the body's")
	}
	if b.PeriodStart != nil || b.PeriodEnd != nil || b.TakenAt != nil {
		t.Errorf("an alert message has period fields")
	}

	b, m := decode(snapshotOf2("zh"))
	if b.Kind != KindSnapshot || len(b.Alerts) != 2 || b.TakenAt == nil || !b.TakenAt.Equal(t0) || b.Rule != "" || b.Fingerprint != "" {
		t.Errorf("snapshot: %+v", b)
	}
	if m["subject"] != nil || m["started_at"] != nil || m["leader"] != nil || m["taken_at"] != "2026-11-21T08:00:00Z" {
		t.Errorf("snapshot top level: subject %v, started_at %v, taken_at %v", m["subject"], m["started_at"], m["taken_at"])
	}
	if !strings.HasPrefix(b.Summary, "当前告警快照（2 条）\n") {
		t.Errorf("snapshot summary %q", b.Summary)
	}

	b, m = decode(dailyDigest("en"))
	if b.Kind != KindDigest || len(b.Alerts) != 3 || m["period_start"] != "2026-11-20T16:00:00Z" || m["period_end"] != "2026-11-21T16:00:00Z" || b.TakenAt != nil {
		t.Errorf("digest: %+v", b)
	}

	empty := &Notification{ID: "ntf-0012", Kind: KindSnapshot, Subscription: "sme-watch", Language: "en", PeriodEnd: t0}
	if _, m := decode(empty); fmt.Sprint(m["alerts"]) != "[]" {
		t.Errorf("empty snapshot alerts: %v", m["alerts"])
	}
}

// TestAlertmanagerEveryAlert: each alert of a message is an Alertmanager alert of its
// own, labelled as a lone one would be.
func TestAlertmanagerEveryAlert(t *testing.T) {
	for _, tc := range []struct {
		n    *Notification
		want []string // alertname/uscc of each posted alert
	}{
		{groupAlert("zh"), []string{"severe_event/" + castings.USCC, "grade_downgrade/" + castings.USCC, "stale_data/" + castings.USCC}},
		{snapshotOf2("en"), []string{"grade_downgrade/" + castings.USCC, "severe_event/" + bearings.USCC}},
		{dailyDigest("en"), []string{"grade_downgrade/" + castings.USCC, "chain_risk/" + leaderRef.USCC, "severe_event/" + bearings.USCC}},
		{&Notification{ID: "ntf-0012", Kind: KindSnapshot, Subscription: "sme-watch", PeriodEnd: t0}, nil},
	} {
		clock := newFakeClock()
		rv := newReceiver(t, clock, okAnswer(TypeAlertmanager))
		nt := mustNotifier(t, testChannel(TypeAlertmanager, rv.URL), testOptions(t, clock, nil))
		if r := nt.Send(context.Background(), []*Notification{tc.n})[0]; r.Err != nil {
			t.Fatalf("%s: %v", tc.n.ID, r.Err)
		}
		var got []string
		for _, req := range rv.Requests() {
			var alerts []amAlert
			if err := json.Unmarshal(req.Body, &alerts); err != nil {
				t.Fatal(err)
			}
			for _, a := range alerts {
				got = append(got, a.Labels["alertname"]+"/"+a.Labels["uscc"])
				if a.Labels["subscription"] != tc.n.Subscription {
					t.Errorf("%s: labels %v", tc.n.ID, a.Labels)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: posted %v, want %v", tc.n.ID, got, tc.want)
		}
	}
}

// bigSnapshot is a snapshot of n alerts, each of its own firm, and the line each
// must come out as.
func bigSnapshot(n int, lang string) (*Notification, []string) {
	s := &Notification{ID: "ntf-0020", Kind: KindSnapshot, Subscription: "yuanhang-chain", Language: lang, PeriodEnd: t0,
		Group: manyNotifications(n, lang)}
	var want []string
	for _, a := range s.Group {
		want = append(want, "- 【警告】信用等级下调 · "+a.Subject.Name+"（"+a.Subject.USCC+"） · 2026-11-21 07:55 起")
	}
	return s, want
}

// TestSplitLongListing: a snapshot or a digest too long for one robot message goes
// over several, each within the limit, each line whole and once; each message after
// the first repeats the title, marked continued, and the section it continues.
func TestSplitLongListing(t *testing.T) {
	vendors := map[string]vendor{"wecom": wecom{}, "dingtalk": &dingtalk{}, "feishu-post": &feishu{}, "feishu-card": &feishu{card: true}}
	snap, snapLines := bigSnapshot(120, "zh")
	digest := dailyDigest("zh")
	digest.Group = nil
	for i, a := range manyNotifications(160, "zh") {
		if i%2 == 1 {
			a.Status, a.EndedAt, a.ResolveReason = StatusResolved, t0, ResolveGradeRecovered
		}
		digest.Group = append(digest.Group, a)
	}
	for name, v := range vendors {
		for _, n := range []*Notification{snap, digest} {
			d, err := render(n)
			if err != nil {
				t.Fatal(err)
			}
			msgs := splitMessages(v, "zh", []block{{owner: 0, lines: blockLines(d, "zh"), weight: 1}}, botMessageLimit)
			if len(msgs) < 3 {
				t.Fatalf("%s %s: %d messages", name, n.Kind, len(msgs))
			}
			var got []string
			for i, m := range msgs {
				if size := len(m.text(v)); size > botMessageLimit {
					t.Errorf("%s %s message %d: %d bytes", name, n.Kind, i, size)
				}
				if i > 0 && (m.lines[1].text != d.title+"（续）" || !m.lines[1].repeat || m.lines[0].text != "chainrisk 信用预警（续）") {
					t.Errorf("%s %s message %d starts %q, %q", name, n.Kind, i, m.lines[0].text, m.lines[1].text)
				}
				for j, l := range m.lines[1:] {
					switch {
					case !l.repeat:
						got = append(got, l.text)
					case l.kind == sectionLine && !strings.HasPrefix(m.lines[j+2].text, "- "):
						t.Errorf("%s message %d repeats section %q before %q", name, i, l.text, m.lines[j+2].text)
					}
				}
			}
			want := []string{d.title}
			for _, l := range d.lines {
				want = append(want, l.text)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %s: the lines do not come back whole and in order (%d of %d)", name, n.Kind, len(got), len(want))
			}
			if n == snap && strings.Join(want[2:], "\n") != strings.Join(snapLines, "\n") {
				t.Errorf("snapshot lines:\n%s", strings.Join(want[2:5], "\n"))
			}
		}
	}
}

// TestSplitDigestRepeatsSection: a message continuing the resolved part of a digest
// says so.
func TestSplitDigestRepeatsSection(t *testing.T) {
	digest := dailyDigest("en")
	digest.Group = nil
	for _, a := range manyNotifications(100, "en") {
		a.Status, a.EndedAt = StatusResolved, t0
		digest.Group = append(digest.Group, a)
	}
	d, err := render(digest)
	if err != nil {
		t.Fatal(err)
	}
	msgs := splitMessages(wecom{}, "en", []block{{owner: 0, lines: blockLines(d, "en"), weight: 1}}, botMessageLimit)
	for i, m := range msgs[1:] {
		if len(m.lines) < 4 || m.lines[2].text != "Resolved (100)" || !m.lines[2].repeat || !strings.HasPrefix(m.lines[3].text, "- [RESOLVED]") {
			t.Errorf("message %d starts %+v", i+1, m.lines[:min(4, len(m.lines))])
		}
	}
}

// TestBotCountsAlerts: a robot message carrying a group and another alert counts
// their alerts; a group alone is headed like one alert.
func TestBotCountsAlerts(t *testing.T) {
	for _, tc := range []struct {
		batch  []*Notification
		header string
	}{
		{[]*Notification{groupAlert("zh"), batch3("zh")[2]}, "### chainrisk 信用预警（4 条）"},
		{[]*Notification{groupAlert("zh")}, "### chainrisk 信用预警"},
	} {
		clock := newFakeClock()
		rv := newReceiver(t, clock, okAnswer(TypeWeCom))
		nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), testOptions(t, clock, nil))
		for _, r := range nt.Send(context.Background(), tc.batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		reqs := rv.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests", len(reqs))
		}
		if text := botText(reqs[0].Body); !strings.HasPrefix(text, tc.header+"\n") {
			t.Errorf("message starts %q, want %q", strings.SplitN(text, "\n", 2)[0], tc.header)
		}
	}
}

// TestLogMessage: one line per message, at the level of its gravest firing alert,
// naming every alert.
func TestLogMessage(t *testing.T) {
	var logs testlog.Buffer
	nt := mustNotifier(t, Channel{Type: TypeLog}, testOptions(t, nil, &logs))
	nt.Send(context.Background(), []*Notification{groupAlert("en"), dailyDigest("zh")})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines:\n%s", len(lines), logs.String())
	}
	var group struct {
		Level, Kind, Rule, Summary string
		Alerts                     []logAlert
	}
	if err := json.Unmarshal([]byte(lines[0]), &group); err != nil {
		t.Fatal(err)
	}
	if group.Level != "ERROR" || group.Kind != "alert" || group.Rule != "severe_event" || len(group.Alerts) != 3 ||
		group.Alerts[2] != (logAlert{"stale_data", "warning", StatusResolved, castings.USCC, castings.Name, "stale_data:91330206MA2AHK5R3T:91330000MA27U8T41B"}) ||
		!strings.Contains(group.Summary, "[WARNING] Credit grade downgraded: B → C") {
		t.Errorf("group line: %s", lines[0])
	}
	for _, want := range []string{`"level":"INFO"`, `"kind":"digest"`, `"rule":"chain_risk"`, `告警日报 2026-11-21`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("digest line lacks %s: %s", want, lines[1])
		}
	}
}
