package notify

import (
	"strings"
	"testing"
	"time"
)

// section is a doc line as the tests write it: its text, its tone when it heads a
// section.
type section struct{ text, tone string }

func sections(d *doc) []section {
	var out []section
	for _, l := range d.lines {
		if l.section {
			out = append(out, section{l.text, l.tone})
		}
	}
	return out
}

func TestGroupMessage(t *testing.T) {
	for lang, want := range map[string]struct {
		title, subject string
		sections       []section
	}{
		"zh": {
			"【严重】宁波精工铸件有限公司（91330206MA2AHK5R3T）：3 条告警（其中 1 条已恢复）",
			"【严重】宁波精工铸件有限公司：3 条告警（其中 1 条已恢复）",
			[]section{{"【严重】严重信用事件：等级 C", "critical"}, {"【警告】信用等级下调：B → C", "warning"},
				{"【已恢复】信用数据过期（原级别：警告）", StatusResolved}},
		},
		"en": {
			"[CRITICAL] 宁波精工铸件有限公司 (91330206MA2AHK5R3T): 3 alerts (1 resolved)",
			"[CRITICAL] 宁波精工铸件有限公司: 3 alerts (1 resolved)",
			[]section{{"[CRITICAL] Severe credit event: grade C", "critical"}, {"[WARNING] Credit grade downgraded: B → C", "warning"},
				{"[RESOLVED] Credit data stale (was warning)", StatusResolved}},
		},
	} {
		d, err := render(groupAlert(lang))
		if err != nil {
			t.Fatal(err)
		}
		if d.title != want.title || d.subject != want.subject || d.tone != "critical" {
			t.Errorf("%s: title %q, subject %q, tone %s", lang, d.title, d.subject, d.tone)
		}
		if got := sections(d); len(got) != 3 || got[0] != want.sections[0] || got[1] != want.sections[1] || got[2] != want.sections[2] {
			t.Errorf("%s sections %q", lang, got)
		}
		// The chain is told once, in the heading, since every alert places the firm alike.
		text := d.text()
		if c := strings.Count(text, gearbox.Name); c != 1 {
			t.Errorf("%s: the path is told %d times:\n%s", lang, c, text)
		}
		for _, w := range []string{"−350 (2026-11-20)", "−160", "administrative_penalty", "40d1h"} {
			if !strings.Contains(text, w) {
				t.Errorf("%s text lacks %q:\n%s", lang, w, text)
			}
		}
	}
}

// TestGroupOfAChain: alerts about several firms of one leader's chain are headed by
// the chain, and each names its firm and its place.
func TestGroupOfAChain(t *testing.T) {
	chain := resolvedChainRisk("zh")
	chain.Status, chain.EndedAt, chain.ResolveReason = StatusFiring, time.Time{}, ""
	single := firingDowngrade("zh")
	single.Rule, single.Severity, single.Tier = "single_source", "warning", 1
	single.Subject = Firm{USCC: gearbox.USCC, Name: gearbox.Name, Grade: "C"}
	single.Path, single.PathNames, single.PathShares = single.Path[1:], single.PathNames[1:], single.PathShares[1:]
	chain.Group = []*Notification{titled(single)}
	d, err := render(chain)
	if err != nil {
		t.Fatal(err)
	}
	if want := "【严重】浙江远航汽车集团有限公司（91330000MA27U8T41B）的供应链：2 条告警"; d.title != want {
		t.Errorf("title %q, want %q", d.title, want)
	}
	got := sections(d)
	if len(got) != 2 || got[0].text != "【严重】供应链风险超限：浙江远航汽车集团有限公司（91330000MA27U8T41B）" ||
		got[1].text != "【警告】单一来源供应商风险：杭州恒力变速箱有限公司（91330100MA28XY7L29），等级 C" {
		t.Errorf("sections %q", got)
	}
	if text := d.text(); !strings.Contains(text, "所属链：浙江远航汽车集团有限公司（91330000MA27U8T41B）的一级供应商") {
		t.Errorf("the supplier's place is not told:\n%s", text)
	}
}

func TestGroupAllResolved(t *testing.T) {
	n := groupAlert("en")
	for _, a := range n.Alerts() {
		a.Status, a.EndedAt = StatusResolved, t0
	}
	d, err := render(n)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[RESOLVED] 宁波精工铸件有限公司 (91330206MA2AHK5R3T): 3 alerts resolved"; d.title != want || d.tone != StatusResolved {
		t.Errorf("title %q (tone %s), want %q", d.title, d.tone, want)
	}
}

// TestMessageSpeaksOneLanguage: an alert of the group worded for another language is
// rendered in the message's, and is not changed.
func TestMessageSpeaksOneLanguage(t *testing.T) {
	n := groupAlert("zh")
	n.Group[0].Language, n.Group[0].Subscription = "en", ""
	d, err := render(n)
	if err != nil {
		t.Fatal(err)
	}
	if got := sections(d)[1].text; got != "【警告】信用等级下调：B → C" {
		t.Errorf("section %q", got)
	}
	if n.Group[0].Language != "en" || n.Group[0].Subscription != "" {
		t.Errorf("the group's alert was changed: %+v", n.Group[0])
	}
}

func TestSnapshotEmpty(t *testing.T) {
	for lang, want := range map[string]string{
		"zh": "当前告警快照（0 条）\n订阅 sme-watch · 截至 2026-11-21 08:00（UTC）\n当前没有未恢复的告警。",
		"en": "Open alerts (0)\nSubscription sme-watch · as of 2026-11-21 08:00 UTC\nNo open alerts.",
	} {
		n := &Notification{ID: "ntf-0010", Kind: KindSnapshot, Subscription: "sme-watch", Language: lang, PeriodEnd: t0}
		s, err := Summary(n)
		if err != nil || s != want {
			t.Errorf("%s: %q, %v; want %q", lang, s, err, want)
		}
	}
}

func TestDigestEmpty(t *testing.T) {
	n := &Notification{ID: "ntf-0011", Kind: KindDigest, Subscription: "sme-watch", Language: "en",
		PeriodStart: t0.Add(-7 * 24 * time.Hour), PeriodEnd: t0}
	d, err := render(n)
	if err != nil {
		t.Fatal(err)
	}
	want := "Weekly alert digest 2026-11-14 – 2026-11-21\nSubscription sme-watch · 2026-11-14 08:00 to 2026-11-21 08:00 UTC\nNothing fired or resolved in this period."
	if got := d.text(); got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if d.subject != "Weekly alert digest 2026-11-14 – 2026-11-21 · subscription sme-watch" || d.tone != StatusResolved {
		t.Errorf("subject %q, tone %s", d.subject, d.tone)
	}
}

func TestNamePeriod(t *testing.T) {
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, cst)
	for _, tc := range []struct {
		start, end time.Time
		want       period
	}{
		{midnight.Add(9 * time.Hour), midnight.Add(10 * time.Hour), period{"hour", "2026-12-06 09:00", ""}},
		{midnight, midnight.AddDate(0, 0, 1), period{"day", "2026-12-06", ""}},
		// A day from 08:00 to 08:00 is named after the day holding most of it.
		{midnight.Add(8 * time.Hour), midnight.Add(32 * time.Hour), period{"day", "2026-12-06", ""}},
		// A day across a change of daylight saving time lasts 23 or 25 hours.
		{midnight, midnight.Add(23 * time.Hour), period{"day", "2026-12-06", ""}},
		{midnight, midnight.AddDate(0, 0, 7), period{"week", "2026-12-06", "2026-12-12"}},
		{midnight, midnight.AddDate(0, 0, 3), period{"", "2026-12-06 00:00", "2026-12-09 00:00"}},
		{midnight, midnight.Add(90 * time.Minute), period{"", "2026-12-06 00:00", "2026-12-06 01:30"}},
	} {
		if got := namePeriod(tc.start, tc.end, cst); got != tc.want {
			t.Errorf("%s – %s: %+v, want %+v", tc.start, tc.end, got, tc.want)
		}
	}
	// Named in the zone given: the UTC day of 2026-12-05 16:00 to 12-06 16:00 is 12-06 in China.
	if got := namePeriod(midnight.UTC(), midnight.AddDate(0, 0, 1).UTC(), cst); got.From != "2026-12-06" {
		t.Errorf("in China: %+v", got)
	}
}

func TestZoneLabel(t *testing.T) {
	for off, want := range map[int]string{0: "UTC", 8 * 3600: "UTC+8", -5 * 3600: "UTC-5", 5*3600 + 1800: "UTC+5:30", -(3*3600 + 1800): "UTC-3:30"} {
		if got := zoneLabel(t0.In(time.FixedZone("", off))); got != want {
			t.Errorf("offset %d: %q, want %q", off, got, want)
		}
	}
}

func TestUnknownKind(t *testing.T) {
	n := snapshotOf2("zh")
	n.Kind = "weekly"
	if _, err := Summary(n); err == nil || !strings.Contains(err.Error(), `"weekly"`) {
		t.Errorf("Summary: %v", err)
	}
	if _, err := encodeWebhookBody(n); err == nil {
		t.Error("the webhook encodes an unknown kind")
	}
}

// TestSubjects: every e-mail subject names what the message is about, in its
// language.
func TestSubjects(t *testing.T) {
	for _, tc := range []struct {
		n    *Notification
		want string
	}{
		{snapshotOf2("zh"), "当前告警快照（2 条） · 订阅 yuanhang-chain"},
		{snapshotOf2("en"), "Open alerts (2) · subscription yuanhang-chain"},
		{dailyDigest("zh"), "告警日报 2026-11-21 · 订阅 yuanhang-chain"},
		{dailyDigest("en"), "Daily alert digest 2026-11-21 · subscription yuanhang-chain"},
		{firingDowngrade("en"), "[WARNING] Credit grade downgraded: 宁波精工铸件有限公司 (91330206MA2AHK5R3T) B → C"},
	} {
		d, err := render(tc.n)
		if err != nil || d.subject != tc.want {
			t.Errorf("subject %q, %v; want %q", d.subject, err, tc.want)
		}
	}
}
