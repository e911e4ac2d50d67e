package alerts

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// Labels silences match on. An alert has rule, severity, uscc (its subject) and
// leader (its own leader, else — in a notification — the subscriber's chain
// leader); a notification adds subscription. A label an alert lacks matches as "".
const (
	LabelRule         = "rule"
	LabelSeverity     = "severity"
	LabelUSCC         = "uscc"
	LabelLeader       = "leader"
	LabelSubscription = "subscription"
)

// SilenceLabels lists the labels a silence may match on.
var SilenceLabels = []string{LabelRule, LabelSeverity, LabelUSCC, LabelLeader, LabelSubscription}

// Matcher operators: equal, not equal, regular expression match (anchored, RE2
// syntax, as in Alertmanager) and its negation.
const (
	OpEqual    = "="
	OpNotEqual = "!="
	OpRegexp   = "=~"
	OpNotRegex = "!~"
)

// InputError is a request the alerts package refuses: a bad silence, a subscription
// that cannot be changed. Field names what was wrong; the API answers it with 4xx.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func inputErrorf(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// matcher is a compiled store.SilenceMatcher.
type matcher struct {
	store.SilenceMatcher
	re *regexp.Regexp
}

func (m matcher) matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Op {
	case OpEqual:
		return v == m.Value
	case OpNotEqual:
		return v != m.Value
	case OpRegexp:
		return m.re.MatchString(v)
	case OpNotRegex:
		return !m.re.MatchString(v)
	}
	return false
}

func compileMatchers(ms []store.SilenceMatcher) ([]matcher, error) {
	if len(ms) == 0 {
		return nil, inputErrorf("matchers", "at least one matcher is required")
	}
	out := make([]matcher, len(ms))
	for i, m := range ms {
		field := fmt.Sprintf("matchers[%d]", i)
		if !slices.Contains(SilenceLabels, m.Name) {
			return nil, inputErrorf(field+".name", "%q is not one of %s", m.Name, strings.Join(SilenceLabels, ", "))
		}
		out[i].SilenceMatcher = m
		switch m.Op {
		case OpEqual, OpNotEqual:
		case OpRegexp, OpNotRegex:
			re, err := regexp.Compile("^(?:" + m.Value + ")$")
			if err != nil {
				return nil, inputErrorf(field+".value", "not a valid regular expression: %v", err)
			}
			out[i].re = re
		default:
			return nil, inputErrorf(field+".op", "%q is not one of =, !=, =~, !~", m.Op)
		}
	}
	return out, nil
}

// silence is a stored silence with its matchers compiled.
type silence struct {
	store.Silence
	ms []matcher
}

func (s *silence) activeAt(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

func (s *silence) matches(labels map[string]string) bool {
	for _, m := range s.ms {
		if !m.matches(labels) {
			return false
		}
	}
	return true
}

// silences is the set in force at one time.
type silences []*silence

// match returns the ids of the silences that match labels.
func (ss silences) match(labels map[string]string) []string {
	var out []string
	for _, s := range ss {
		if s.matches(labels) {
			out = append(out, s.ID)
		}
	}
	return out
}

// activeSilences reads the silences in force at now. A stored silence whose matchers
// no longer compile (it cannot happen through CreateSilence) is skipped.
func (m *Manager) activeSilences(ctx context.Context, now time.Time) (silences, error) {
	list, err := m.db.Silences(ctx)
	if err != nil {
		return nil, err
	}
	var out silences
	for _, s := range list {
		if !now.Before(s.EndsAt) {
			continue
		}
		ms, err := compileMatchers(s.Matchers)
		if err != nil {
			m.log.Warn("silence skipped: bad matchers", "silence", s.ID, "err", err)
			continue
		}
		sl := &silence{Silence: s, ms: ms}
		if sl.activeAt(now) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// SilenceInput is a silence to create.
type SilenceInput struct {
	Matchers []store.SilenceMatcher
	// StartsAt defaults to now; EndsAt is required and must come after it.
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
}

// Silence states.
const (
	SilenceActive  = "active"
	SilencePending = "pending"
	SilenceExpired = "expired"
)

// Silence is a stored silence and its status at the time of reading.
type Silence struct {
	store.Silence
	// Status is active, pending (starts later) or expired.
	Status string
}

func (m *Manager) silenceView(s store.Silence) Silence {
	now := m.clock.Now()
	st := SilenceActive
	switch {
	case !now.Before(s.EndsAt):
		st = SilenceExpired
	case now.Before(s.StartsAt):
		st = SilencePending
	}
	return Silence{Silence: s, Status: st}
}

// CreateSilence validates and records a silence. Its errors are *InputError for bad
// input.
func (m *Manager) CreateSilence(ctx context.Context, in SilenceInput) (*Silence, error) {
	if _, err := compileMatchers(in.Matchers); err != nil {
		return nil, err
	}
	// The store keeps milliseconds: check, and answer, the times it will hold.
	now := m.clock.Now().Truncate(time.Millisecond)
	if in.StartsAt.IsZero() {
		in.StartsAt = now
	}
	in.StartsAt, in.EndsAt = in.StartsAt.Truncate(time.Millisecond), in.EndsAt.Truncate(time.Millisecond)
	switch {
	case in.EndsAt.IsZero():
		return nil, inputErrorf("ends_at", "required")
	case !in.EndsAt.After(in.StartsAt):
		return nil, inputErrorf("ends_at", "must come after starts_at")
	case !in.EndsAt.After(now):
		return nil, inputErrorf("ends_at", "lies in the past")
	// Beyond these years a time has no RFC 3339 form: the silence could not be shown.
	case in.StartsAt.UTC().Year() < 0:
		return nil, inputErrorf("starts_at", "lies before the year 0000 (UTC)")
	case in.EndsAt.UTC().Year() > 9999:
		return nil, inputErrorf("ends_at", "lies after the year 9999 (UTC)")
	case strings.TrimSpace(in.CreatedBy) == "":
		return nil, inputErrorf("created_by", "required")
	case len(in.Comment) > 4096:
		return nil, inputErrorf("comment", "longer than 4096 bytes")
	}
	s := &store.Silence{Matchers: in.Matchers, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(),
		CreatedBy: in.CreatedBy, Comment: in.Comment, CreatedAt: now.UTC()}
	if err := m.db.CreateSilence(ctx, s); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	v := m.silenceView(*s)
	return &v, nil
}

// Silences lists every silence, expired ones included, the latest end first.
func (m *Manager) Silences(ctx context.Context) ([]Silence, error) {
	list, err := m.db.Silences(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	out := make([]Silence, len(list))
	for i, s := range list {
		out[i] = m.silenceView(s)
	}
	return out, nil
}

// Silence returns one silence (store.ErrNotFound).
func (m *Manager) Silence(ctx context.Context, id string) (*Silence, error) {
	s, err := m.db.Silence(ctx, id)
	if err != nil {
		return nil, err
	}
	v := m.silenceView(*s)
	return &v, nil
}

// ExpireSilence ends a silence now (store.ErrNotFound). It is what DELETE does:
// expired silences stay listed, as in Alertmanager.
func (m *Manager) ExpireSilence(ctx context.Context, id string) error {
	return m.db.ExpireSilence(ctx, id, m.clock.Now())
}
