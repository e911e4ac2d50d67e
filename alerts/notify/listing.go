package notify

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Snapshots and digests list alerts one line each. Their times are written in the zone
// of the message's PeriodEnd (the sender picks it: the schedule's), which the line
// under the title names.

// listItem is what a snapshot's or a digest's line about one alert sees.
type listItem struct {
	Alert *Notification
	// Time is when it started (snapshot, fired) or ended (resolved).
	Time string
}

// listScope is the line under the title: the subscription and when or what period.
type listScope struct {
	Subscription string
	// At is when a snapshot was taken; From and To bound a digest's period.
	At, From, To string
	// Zone names the zone of every time in the message: "UTC", "UTC+8".
	Zone string
}

// period names a digest's period: Period is hour, day, week or empty (another length),
// From (and To for a week or another length) how it is written in the title.
type period struct {
	Period, From, To string
}

const (
	minuteLayout = "2006-01-02 15:04"
	dayLayout    = "2006-01-02"
)

// zoneOf is the zone a snapshot or digest writes its times in.
func zoneOf(n *Notification) *time.Location {
	if n.PeriodEnd.IsZero() {
		return time.UTC
	}
	return n.PeriodEnd.Location()
}

// stamp writes t to the minute in loc; "?" when unknown.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "?"
	}
	return t.In(loc).Format(minuteLayout)
}

// zoneLabel names the zone of t by its offset: "UTC", "UTC+8", "UTC-3:30".
func zoneLabel(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	if off%3600 == 0 {
		return fmt.Sprintf("UTC%s%d", sign, off/3600)
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, off/3600, off%3600/60)
}

// namePeriod names a digest's period by its length: an hour, a day (±1 h, for a change
// of daylight saving time) named after the day holding its middle, a week (±1 h)
// from its first day to its last; any other length by its bounds.
func namePeriod(start, end time.Time, loc *time.Location) period {
	start, end = start.In(loc), end.In(loc)
	length := end.Sub(start)
	near := func(want time.Duration) bool { return (length - want).Abs() <= time.Hour }
	switch {
	case length == time.Hour:
		return period{Period: "hour", From: start.Format(minuteLayout)}
	case near(24 * time.Hour):
		return period{Period: "day", From: start.Add(length / 2).Format(dayLayout)}
	case near(7 * 24 * time.Hour):
		return period{Period: "week", From: start.Format(dayLayout), To: end.Add(-time.Nanosecond).Format(dayLayout)}
	}
	return period{From: stamp(start, loc), To: stamp(end, loc)}
}

// bySeverity orders alerts the gravest first, then the longest firing.
func bySeverity(a, b *Notification) int {
	if c := cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)); c != 0 {
		return c
	}
	return a.StartedAt.Compare(b.StartedAt)
}

// renderSnapshot lists the alerts firing in a subscription's scope, the gravest first,
// each with its firm, rule, severity and start.
func renderSnapshot(n *Notification) (*doc, error) {
	w, err := newWriter(n.Language)
	if err != nil {
		return nil, err
	}
	loc := zoneOf(n)
	all := slices.SortedStableFunc(slices.Values(alertsOf(n)), bySeverity)
	d := &doc{title: w.exec("snapshot_title", len(all)), tone: worstTone(all)}
	d.subject = d.title + w.exec("subject_scope", n.Subscription)
	d.addLines(w.exec("snapshot_scope", listScope{Subscription: n.Subscription, At: stamp(n.PeriodEnd, loc),
		Zone: zoneLabel(n.PeriodEnd.In(loc))}))
	if len(all) == 0 {
		d.addLines(w.exec("snapshot_empty", nil))
	}
	for _, a := range all {
		d.addLines(w.exec("snapshot_item", listItem{Alert: a, Time: stamp(a.StartedAt, loc)}))
	}
	if w.err != nil {
		return nil, fmt.Errorf("alerts: render snapshot %s: %w", n.ID, w.err)
	}
	return d, nil
}

// renderDigest lists what fired in a period, the gravest first, then what resolved, in
// the order it did.
func renderDigest(n *Notification) (*doc, error) {
	w, err := newWriter(n.Language)
	if err != nil {
		return nil, err
	}
	loc := zoneOf(n)
	var fired, resolved []*Notification
	for _, a := range alertsOf(n) {
		if a.Status == StatusResolved {
			resolved = append(resolved, a)
		} else {
			fired = append(fired, a)
		}
	}
	slices.SortStableFunc(fired, bySeverity)
	slices.SortStableFunc(resolved, func(a, b *Notification) int { return a.EndedAt.Compare(b.EndedAt) })

	title := w.exec("digest_title", namePeriod(n.PeriodStart, n.PeriodEnd, loc))
	d := &doc{title: title, subject: title + w.exec("subject_scope", n.Subscription), tone: worstTone(fired)}
	d.addLines(w.exec("digest_scope", listScope{Subscription: n.Subscription, From: stamp(n.PeriodStart, loc),
		To: stamp(n.PeriodEnd, loc), Zone: zoneLabel(n.PeriodEnd.In(loc))}))
	if len(fired)+len(resolved) == 0 {
		d.addLines(w.exec("digest_empty", nil))
	}
	if len(fired) > 0 {
		d.lines = append(d.lines, docLine{text: w.exec("digest_fired", len(fired)), section: true, tone: worstTone(fired)})
		for _, a := range fired {
			d.addLines(w.exec("digest_fired_item", listItem{Alert: a, Time: stamp(a.StartedAt, loc)}))
		}
	}
	if len(resolved) > 0 {
		d.lines = append(d.lines, docLine{text: w.exec("digest_resolved", len(resolved)), section: true, tone: StatusResolved})
		for _, a := range resolved {
			d.addLines(w.exec("digest_resolved_item", listItem{Alert: a, Time: stamp(a.EndedAt, loc)}))
		}
	}
	if w.err != nil {
		return nil, fmt.Errorf("alerts: render digest %s: %w", n.ID, w.err)
	}
	return d, nil
}
