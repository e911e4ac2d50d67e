package noise

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// Mark starts a phase at a moment of the simulated clock: what the store records at
// or after At, up to the next mark, belongs to Phase.
type Mark struct {
	At    time.Time
	Phase string
}

// phaseOf returns the phase of t: that of the last mark at or before t ("" before the
// first). marks are in time order.
func phaseOf(marks []Mark, t time.Time) string {
	i, found := slices.BinarySearchFunc(marks, t, func(m Mark, t time.Time) int { return m.At.Compare(t) })
	if !found {
		i-- // the mark before t
	}
	for i+1 < len(marks) && !marks[i+1].At.After(t) {
		i++ // several marks at one instant: the last one holds
	}
	if i < 0 {
		return ""
	}
	return marks[i].Phase
}

// Delivered is what one subscription received in one phase: messages on its busiest
// channel (every channel of a subscription gets the same messages), and the alert
// changes those messages carried.
type Delivered struct {
	Messages int
	Alerts   int
}

// Tally counts the outbox by phase and subscription.
type Tally struct {
	// Subs[phase][subscription] is what the subscription received in the phase.
	Subs map[string]map[string]Delivered
	// Rows counts outbox rows (one per message per channel) by phase; ByRule by phase
	// and the rule of the message's first alert.
	Rows   map[string]int
	ByRule map[string]map[string]int
}

// subKey names a subscription in a tally: its name, after its owner's USCC for a
// tenant's subscription.
func subKey(o *store.OutboxEntry) string {
	if o.Owner == "" {
		return o.Subscription
	}
	return o.Owner + "/" + o.Subscription
}

// payloadHead is what counting needs of a stored notification: a message of kind
// "" (an alert) carries itself and its group, a snapshot or a digest its group.
type payloadHead struct {
	Kind  string            `json:"kind"`
	Group []json.RawMessage `json:"group"`
}

// carried is the number of alert changes one outbox row's message carries.
func carried(payload []byte) (int, error) {
	var h payloadHead
	if len(payload) == 0 {
		return 1, nil
	}
	if err := json.Unmarshal(payload, &h); err != nil {
		return 0, err
	}
	if h.Kind == "" {
		return 1 + len(h.Group), nil
	}
	return len(h.Group), nil
}

// CountOutbox tallies outbox rows by the phase their creation falls in (marks in
// time order) and by subscription.
func CountOutbox(rows []store.OutboxEntry, marks []Mark) (*Tally, error) {
	type chanKey struct {
		phase, sub string
		channel    int
	}
	perChannel := map[chanKey]Delivered{}
	t := &Tally{Subs: map[string]map[string]Delivered{}, Rows: map[string]int{}, ByRule: map[string]map[string]int{}}
	for i := range rows {
		o := &rows[i]
		n, err := carried(o.Payload)
		if err != nil {
			return nil, fmt.Errorf("outbox row %s: payload: %w", o.ID, err)
		}
		ph := phaseOf(marks, o.CreatedAt)
		k := chanKey{ph, subKey(o), o.ChannelIndex}
		d := perChannel[k]
		d.Messages++
		d.Alerts += n
		perChannel[k] = d
		t.Rows[ph]++
		if t.ByRule[ph] == nil {
			t.ByRule[ph] = map[string]int{}
		}
		t.ByRule[ph][o.Rule]++
	}
	for k, d := range perChannel {
		if t.Subs[k.phase] == nil {
			t.Subs[k.phase] = map[string]Delivered{}
		}
		if cur := t.Subs[k.phase][k.sub]; d.Messages > cur.Messages || (d.Messages == cur.Messages && d.Alerts > cur.Alerts) {
			t.Subs[k.phase][k.sub] = d
		}
	}
	return t, nil
}

// Dist summarises one figure over subscribers.
type Dist struct {
	Median, P90, Max float64
}

// distOf returns the median, 90th percentile (nearest rank) and maximum of values;
// zero for none. The median of an even count is the mean of the middle two.
func distOf(values []int) Dist {
	if len(values) == 0 {
		return Dist{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	med := float64(v[n/2])
	if n%2 == 0 {
		med = float64(v[n/2-1]+v[n/2]) / 2
	}
	rank := int(math.Ceil(0.9*float64(n))) - 1
	return Dist{Median: med, P90: float64(v[max(rank, 0)]), Max: float64(v[n-1])}
}

// alertSnap is what the change count keeps of an alert row.
type alertSnap struct {
	state, severity   string
	started, notified time.Time
	quiet             bool
}

// Changes counts alert changes that the rules produced, as read from the store's
// alert rows between two moments.
type Changes struct {
	// Fired counts new episodes (a first firing, or a resolved alert firing again)
	// that are announced; Quiet those recorded quiet by a baseline.
	Fired, Quiet int
	// Severity counts firing alerts whose severity changed; Renotified those announced
	// again without one (severe_event on a further severe event); Resolved those that
	// stopped.
	Severity, Renotified, Resolved int
	// ByRule counts Fired + Severity + Renotified + Resolved by rule.
	ByRule map[string]int
}

// Raw is the number of changes a subscriber could be told of.
func (c *Changes) Raw() int { return c.Fired + c.Severity + c.Renotified + c.Resolved }

func (c *Changes) add(rule string, n *int) {
	*n++
	if n != &c.Quiet {
		if c.ByRule == nil {
			c.ByRule = map[string]int{}
		}
		c.ByRule[rule]++
	}
}

// snapshot reads the alert rows as the change count keeps them, by fingerprint, with
// each fingerprint's rule.
func snapshot(alerts []store.Alert) (map[string]alertSnap, map[string]string) {
	snaps := make(map[string]alertSnap, len(alerts))
	rules := make(map[string]string, len(alerts))
	for _, a := range alerts {
		snaps[a.Fingerprint] = alertSnap{state: a.State, severity: a.Severity, started: a.StartedAt,
			notified: a.NotifiedAt, quiet: a.Quiet}
		rules[a.Fingerprint] = a.Rule
	}
	return snaps, rules
}

// diffAlerts adds to c the changes from the alert rows before to those after, read
// around one evaluation made at the simulated moment at (at most one change per
// alert): a firing alert notified at that moment without another change was
// announced again.
func diffAlerts(c *Changes, before, after map[string]alertSnap, rules map[string]string, at time.Time) {
	for fp, a := range after {
		b, held := before[fp]
		rule := rules[fp]
		switch {
		case a.state == store.AlertFiring && (!held || b.state != store.AlertFiring || !b.started.Equal(a.started)):
			if a.quiet {
				c.add(rule, &c.Quiet)
			} else {
				c.add(rule, &c.Fired)
			}
		case a.state == store.AlertFiring && b.severity != a.severity:
			c.add(rule, &c.Severity)
		case a.state == store.AlertFiring && a.notified.Equal(at) && !b.notified.Equal(at):
			c.add(rule, &c.Renotified)
		case a.state != store.AlertFiring && held && b.state == store.AlertFiring:
			c.add(rule, &c.Resolved)
		}
	}
}
