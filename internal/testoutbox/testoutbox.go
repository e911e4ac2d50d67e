// Package testoutbox reads the alerts of the messages in the alert outbox, for tests.
// An outbox row is one message to one channel: its columns describe the message's
// most severe alert, and its payload lists that alert and, under "group", the other
// alerts of the message (docs/alerts.md). Tests that ask whether an alert was
// announced look for it among the alerts of the messages.
package testoutbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// Alert is one alert of a message as the outbox stores it: the part tests read.
type Alert struct {
	Fingerprint  string    `json:"fingerprint"`
	Rule         string    `json:"rule"`
	Severity     string    `json:"severity"`
	Status       string    `json:"status"`
	Subject      Firm      `json:"subject"`
	Leader       *Firm     `json:"leader"`
	Reasons      []string  `json:"reasons"`
	StartedAt    time.Time `json:"started_at"`
	EndedAt      time.Time `json:"ended_at"`
	Subscription string    `json:"subscription"`
}

// Firm names a firm as the outbox stores it (keyed by Go field names).
type Firm struct {
	USCC string
	Name string
}

// Message is an outbox row and the alerts its payload lists, the row's own first.
type Message struct {
	store.OutboxEntry
	// Kind is the payload's kind: "" for an alert message.
	Kind   string
	Alerts []Alert
}

// payload is the stored form of a message: its first alert, its kind and the others.
type payload struct {
	Alert
	Kind  string  `json:"kind"`
	Group []Alert `json:"group"`
}

// Decode reads the alerts of an outbox row. An alert message's first alert must be
// the one the row's columns describe.
func Decode(e store.OutboxEntry) (Message, error) {
	var p payload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return Message{}, fmt.Errorf("outbox row %s: payload: %w", e.ID, err)
	}
	m := Message{OutboxEntry: e, Kind: p.Kind}
	if p.Kind != "" {
		m.Alerts = p.Group
		return m, nil
	}
	m.Alerts = append([]Alert{p.Alert}, p.Group...)
	if p.Fingerprint != e.Fingerprint || p.Rule != e.Rule || p.Severity != e.Severity || p.Status != e.Status {
		return Message{}, fmt.Errorf("outbox row %s is about %s %s %s %s, its payload's first alert %s %s %s %s", e.ID,
			e.Fingerprint, e.Rule, e.Severity, e.Status, p.Fingerprint, p.Rule, p.Severity, p.Status)
	}
	return m, nil
}

// DecodeAll reads the alerts of every row.
func DecodeAll(entries []store.OutboxEntry) ([]Message, error) {
	out := make([]Message, 0, len(entries))
	for _, e := range entries {
		m, err := Decode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Has reports whether the message carries an alert of rule about the firm uscc with
// status.
func (m Message) Has(rule, uscc, status string) bool {
	for _, a := range m.Alerts {
		if a.Rule == rule && a.Subject.USCC == uscc && a.Status == status {
			return true
		}
	}
	return false
}

// chainRule is the rule whose alerts are about a leader's chain: one message per
// subscription gathers a leader's, not a firm's (alerts.RuleChainRisk).
const chainRule = "chain_risk"

// Topic names what an alert message is about: the firm, or for the alerts about a
// leader's chain the leader, which the fingerprint names last. The alerts of one
// message share it.
func Topic(a Alert) string {
	if a.Rule == chainRule {
		if i := strings.LastIndexByte(a.Fingerprint, ':'); i >= 0 && i+1 < len(a.Fingerprint) {
			return "chain " + a.Fingerprint[i+1:]
		}
	}
	return "firm " + a.Subject.USCC
}

// severityRank orders severities, least severe first; -1 for an unknown one.
func severityRank(s string) int {
	switch s {
	case "info":
		return 0
	case "warning":
		return 1
	case "critical":
		return 2
	}
	return -1
}

// Check verifies how an alert message gathers its alerts: at least one; all of the
// row's subscription, about one topic, each at most once; the most severe first and
// then in decreasing severity, firing before resolved at equal severity.
//
// A snapshot or a digest lists alerts of any firms, in its own order: Check verifies
// only that each has a known severity and, for a snapshot, appears once.
func (m Message) Check() error {
	switch m.Kind {
	case "":
	case "snapshot", "digest":
		return m.checkListing()
	default:
		return fmt.Errorf("outbox row %s is of kind %q", m.ID, m.Kind)
	}
	if len(m.Alerts) == 0 {
		return fmt.Errorf("outbox row %s lists no alert", m.ID)
	}
	seen := map[string]bool{}
	topic := Topic(m.Alerts[0])
	for i, a := range m.Alerts {
		switch {
		case severityRank(a.Severity) < 0:
			return fmt.Errorf("outbox row %s: alert %s has severity %q", m.ID, a.Fingerprint, a.Severity)
		case a.Subscription != m.Subscription:
			return fmt.Errorf("outbox row %s to %s lists alert %s for %s", m.ID, m.Subscription, a.Fingerprint, a.Subscription)
		case Topic(a) != topic:
			return fmt.Errorf("outbox row %s about %s lists alert %s about %s", m.ID, topic, a.Fingerprint, Topic(a))
		case seen[a.Fingerprint]:
			return fmt.Errorf("outbox row %s lists alert %s twice", m.ID, a.Fingerprint)
		}
		seen[a.Fingerprint] = true
		if i == 0 {
			continue
		}
		p := m.Alerts[i-1]
		rp, ra := severityRank(p.Severity), severityRank(a.Severity)
		if ra > rp || ra == rp && p.Status != "firing" && a.Status == "firing" {
			return fmt.Errorf("outbox row %s lists %s (%s, %s) after %s (%s, %s): want the most severe first, firing before resolved",
				m.ID, a.Fingerprint, a.Severity, a.Status, p.Fingerprint, p.Severity, p.Status)
		}
	}
	return nil
}

// checkListing checks a snapshot's or a digest's alerts.
func (m Message) checkListing() error {
	seen := map[string]bool{}
	for _, a := range m.Alerts {
		if severityRank(a.Severity) < 0 {
			return fmt.Errorf("outbox row %s: alert %s has severity %q", m.ID, a.Fingerprint, a.Severity)
		}
		if m.Kind == "snapshot" && seen[a.Fingerprint] {
			return fmt.Errorf("outbox row %s: the snapshot lists %s twice", m.ID, a.Fingerprint)
		}
		seen[a.Fingerprint] = true
	}
	return nil
}

// IsListing reports whether the message is a snapshot or a digest: it lists alerts
// already announced (a snapshot) or held back (a digest), rather than announcing them.
func (m Message) IsListing() bool { return m.Kind == "snapshot" || m.Kind == "digest" }
