package notify

import (
	"fmt"
	"slices"
	"strings"
)

// A message is rendered once for people, as a doc, in the subscription's language;
// each channel then puts the doc in its own markup: the robots (bot.go), e-mail
// (mailmsg.go), the log, and the webhook's summary of a snapshot or a digest. A
// message of one alert reads as its summary always did; a group, a snapshot and a
// digest are laid out here and in listing.go, their words in templates/.

// doc is a message as people read it: a title, then lines, some of them heading a
// section.
type doc struct {
	// title heads the message; subject is the e-mail subject, the title made shorter.
	title, subject string
	// tone colours the title: critical, warning, info or resolved.
	tone  string
	lines []docLine
	// url links to the firm or chain; may be empty.
	url string
}

// docLine is one line of a doc.
type docLine struct {
	text string
	// section marks a line heading a section: one alert of a group, or the fired or
	// the resolved alerts of a digest; tone is then its colour.
	section bool
	tone    string
}

// render lays out the message n.
func render(n *Notification) (*doc, error) {
	switch n.Kind {
	case KindAlert:
		if len(n.Group) == 0 {
			return renderAlert(n)
		}
		return renderGroup(n)
	case KindSnapshot:
		return renderSnapshot(n)
	case KindDigest:
		return renderDigest(n)
	}
	return nil, fmt.Errorf("alerts: unknown message kind %q", n.Kind)
}

// text is the doc as plain text: the title, then its lines, an empty line before
// each section. A message of one alert is its summary.
func (d *doc) text() string {
	var b strings.Builder
	b.WriteString(d.title)
	for _, l := range d.lines {
		b.WriteString("\n")
		if l.section {
			b.WriteString("\n")
		}
		b.WriteString(l.text)
	}
	return b.String()
}

// addLines appends the lines of s, a tidied template output.
func (d *doc) addLines(s string) {
	if s == "" {
		return
	}
	for l := range strings.SplitSeq(s, "\n") {
		d.lines = append(d.lines, docLine{text: l})
	}
}

// renderAlert is a message of one alert: its summary.
func renderAlert(n *Notification) (*doc, error) {
	s, err := Summary(n)
	if err != nil {
		return nil, err
	}
	title, rest, _ := strings.Cut(s, "\n")
	d := &doc{title: title, subject: title, tone: toneOf(n), url: n.URL}
	d.addLines(rest)
	return d, nil
}

// toneOf is an alert's colour: its severity while firing, resolved after.
func toneOf(n *Notification) string {
	if n.Status == StatusResolved {
		return StatusResolved
	}
	return n.Severity
}

// severityRank orders severities, the gravest highest.
func severityRank(s string) int {
	return map[string]int{"info": 1, "warning": 2, "critical": 3}[s]
}

// worstTone is the gravest severity among the firing alerts, or resolved when none
// fires.
func worstTone(all []*Notification) string {
	tone := StatusResolved
	for _, a := range all {
		if a.Status != StatusResolved && (tone == StatusResolved || severityRank(a.Severity) > severityRank(tone)) {
			tone = a.Severity
		}
	}
	return tone
}

// alertsOf lists the message's alerts (Notification.Alerts), each in the message's
// language and naming its subscription: the message speaks one language.
func alertsOf(n *Notification) []*Notification {
	all := n.Alerts()
	out := make([]*Notification, len(all))
	for i, a := range all {
		if a.Language != n.Language || a.Subscription == "" {
			c := *a
			c.Language = n.Language
			if c.Subscription == "" {
				c.Subscription = n.Subscription
			}
			a = &c
		}
		out[i] = a
	}
	return out
}

// groupHead is what a group's heading names.
type groupHead struct {
	// Worst carries the heading's severity tag: the gravest firing severity, or
	// resolved.
	Worst *Notification
	// Firm is the firm all the alerts are about, or, with Chain, the leader whose chain
	// they are about.
	Firm  FirmRef
	Chain bool
	// Count alerts, Resolved of them resolved.
	Count, Resolved int
	// Short leaves the USCC out (the e-mail subject).
	Short bool
}

// newGroupHead reads the heading off a group's alerts, the most severe first.
func newGroupHead(all []*Notification) groupHead {
	top := all[0]
	h := groupHead{Firm: FirmRef{USCC: top.Subject.USCC, Name: top.Subject.Name}, Count: len(all)}
	tone := worstTone(all)
	h.Worst = &Notification{Status: StatusFiring, Severity: tone}
	if tone == StatusResolved {
		h.Worst = &Notification{Status: StatusResolved, Severity: top.Severity}
	}
	for _, a := range all {
		if a.Status == StatusResolved {
			h.Resolved++
		}
		if a.Subject.USCC != top.Subject.USCC && top.Leader != nil {
			h.Firm, h.Chain = *top.Leader, true
		}
	}
	return h
}

// sameChain says whether two alerts place their firms alike in the same chain.
func sameChain(a, b *Notification) bool {
	if (a.Leader == nil) != (b.Leader == nil) || a.Leader != nil && a.Leader.USCC != b.Leader.USCC {
		return false
	}
	return a.Tier == b.Tier && slices.Equal(a.Path, b.Path)
}

// renderGroup is a message of several alerts about one firm (or one leader's chain):
// a heading naming the firm, its worst severity and the count, the firm's place in the
// chain, then a section per alert — a short title with its severity or resolved mark,
// its figures and reasons.
func renderGroup(n *Notification) (*doc, error) {
	w, err := newWriter(n.Language)
	if err != nil {
		return nil, err
	}
	all := alertsOf(n)
	top := all[0]
	head := newGroupHead(all)
	d := &doc{title: w.exec("group_title", head), tone: toneOf(head.Worst), url: n.URL}
	head.Short = true
	d.subject = w.exec("group_title", head)
	if !head.Chain {
		d.addLines(w.exec("chain", newSummaryData(top)))
	}
	for _, a := range all {
		sd := newSummaryData(a)
		sd.ShowFirm = head.Chain || a.Subject.USCC != head.Firm.USCC
		sd.HideChain = !head.Chain && sameChain(a, top)
		name := "short_" + a.Rule
		switch {
		case a.Status == StatusResolved:
			name = "short_resolved"
		case w.t.Lookup(name) == nil:
			name = "short_generic"
		}
		d.lines = append(d.lines, docLine{text: w.exec(name, sd), section: true, tone: toneOf(a)})
		d.addLines(w.exec("item", sd))
	}
	if w.err != nil {
		return nil, fmt.Errorf("alerts: render the group of %s: %w", n.ID, w.err)
	}
	return d, nil
}
