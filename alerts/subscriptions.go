package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Subscription sources.
const (
	SourceConfig = "config" // alerts.subscriptions in the config file: read-only
	SourceAPI    = "api"    // made through the API, kept in the store
)

// Subscription is a subscription as the API lists it. Channel URLs and secrets
// print redacted (config.Secret).
type Subscription struct {
	config.Subscription
	// Owner is the tenant's USCC, or "" for subscriptions made by an admin and those
	// of the config file.
	Owner     string    `json:"owner"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// subscriptionSpec is a subscription with its channel secrets in clear, as the store
// keeps it.
type subscriptionSpec struct {
	Name        string        `json:"name"`
	Subscriber  string        `json:"subscriber"`
	Scope       config.Scope  `json:"scope"`
	MinSeverity string        `json:"min_severity,omitempty"`
	Rules       []string      `json:"rules,omitempty"`
	Channels    []channelSpec `json:"channels"`
	Language    string        `json:"language,omitempty"`
	// The digest: config.Subscription's.
	Digest              string `json:"digest,omitempty"`
	DigestAt            string `json:"digest_at,omitempty"`
	RealtimeMinSeverity string `json:"realtime_min_severity,omitempty"`
}

func encodeSubscription(s *config.Subscription) ([]byte, error) {
	spec := subscriptionSpec{Name: s.Name, Subscriber: s.Subscriber, Scope: s.Scope, MinSeverity: s.MinSeverity,
		Rules: s.Rules, Language: s.Language, Digest: s.Digest, DigestAt: s.DigestAt, RealtimeMinSeverity: s.RealtimeMinSeverity}
	for _, ch := range s.Channels {
		spec.Channels = append(spec.Channels, specOf(ch))
	}
	return json.Marshal(spec)
}

func decodeSubscription(rec *store.SubscriptionRecord) (Subscription, error) {
	var spec subscriptionSpec
	if err := json.Unmarshal(rec.Spec, &spec); err != nil {
		return Subscription{}, fmt.Errorf("alerts: subscription %q: %w", rec.Name, err)
	}
	s := config.Subscription{Name: spec.Name, Subscriber: spec.Subscriber, Scope: spec.Scope,
		MinSeverity: spec.MinSeverity, Rules: spec.Rules, Language: spec.Language, Digest: spec.Digest,
		DigestAt: spec.DigestAt, RealtimeMinSeverity: spec.RealtimeMinSeverity}
	for _, ch := range spec.Channels {
		s.Channels = append(s.Channels, ch.channel())
	}
	return Subscription{Subscription: s, Owner: rec.Owner, Source: SourceAPI, CreatedAt: rec.CreatedAt,
		UpdatedAt: rec.UpdatedAt}, nil
}

// ErrReadOnly is returned for changes to a subscription of the config file.
var ErrReadOnly = errors.New("subscription is defined in the config file")

// visible says whether a caller acting for tenant as (empty: an admin) sees s.
func visible(s *Subscription, as string) bool { return as == "" || s.Owner == as }

// Subscriptions lists the config file's subscriptions and the stored ones, by name.
// as is the calling tenant's USCC ("" for an admin), who sees only its own.
func (m *Manager) Subscriptions(ctx context.Context, as string) ([]Subscription, error) {
	all, err := m.allSubscriptions(ctx, m.cfg())
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(s Subscription) bool { return !visible(&s, as) })
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Subscription returns one subscription the caller sees, or store.ErrNotFound.
func (m *Manager) Subscription(ctx context.Context, as, name string) (*Subscription, error) {
	for _, s := range m.cfg().Alerts.Subscriptions {
		if s.Name == name {
			sub := Subscription{Subscription: s, Source: SourceConfig}
			if !visible(&sub, as) {
				break
			}
			return &sub, nil
		}
	}
	rec, err := m.db.Subscription(ctx, name)
	if err != nil {
		return nil, err
	}
	sub, err := decodeSubscription(rec)
	if err != nil {
		return nil, err
	}
	if !visible(&sub, as) {
		return nil, fmt.Errorf("subscription %q: %w", name, store.ErrNotFound)
	}
	return &sub, nil
}

// CreateSubscription checks a subscription as the config file's are checked
// (defaults filled in; errors are *config.Error with paths relative to it), a tenant's
// against the outbound policy too, and stores it for owner. A name taken, by the
// config file or the store, is store.ErrSubscriptionExists.
func (m *Manager) CreateSubscription(ctx context.Context, owner string, s config.Subscription) (*Subscription, error) {
	cfg := m.cfg()
	if err := checkSubscription(cfg, owner, &s); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(cfg.Alerts.Subscriptions, func(c config.Subscription) bool { return c.Name == s.Name }) {
		return nil, fmt.Errorf("subscription %q: %w", s.Name, store.ErrSubscriptionExists)
	}
	spec, err := encodeSubscription(&s)
	if err != nil {
		return nil, err
	}
	// The store keeps milliseconds in UTC: answer what it holds.
	created := m.clock.Now().UTC().Truncate(time.Millisecond)
	rec := &store.SubscriptionRecord{Name: s.Name, Owner: owner, Spec: spec, CreatedAt: created}
	if err := m.db.CreateSubscription(ctx, rec); err != nil {
		return nil, err
	}
	return &Subscription{Subscription: s, Owner: owner, Source: SourceAPI, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}, nil
}

// checkSubscription normalizes and checks a stored subscription of owner: as the
// config file's are checked (its rules' names too), and a tenant's (owner set,
// whoever edits it) against the outbound policy.
func checkSubscription(cfg *config.Config, owner string, s *config.Subscription) error {
	if err := cfg.NormalizeSubscription(s); err != nil {
		return err
	}
	if bad := unknownRules(s.Rules); len(bad) > 0 {
		errs := make([]error, len(bad))
		for i, e := range bad {
			errs[i] = e
		}
		return errors.Join(errs...)
	}
	if owner != "" {
		return checkTenantTargets(cfg.Alerts, s)
	}
	return nil
}

// UpdateSubscription replaces a stored subscription (found by s.Name) that the caller
// (tenant as, or "" for an admin) sees; its owner stays. Config subscriptions are
// ErrReadOnly; unknown or invisible ones store.ErrNotFound.
func (m *Manager) UpdateSubscription(ctx context.Context, as string, s config.Subscription) (*Subscription, error) {
	cfg := m.cfg()
	if slices.ContainsFunc(cfg.Alerts.Subscriptions, func(c config.Subscription) bool { return c.Name == s.Name }) {
		return nil, fmt.Errorf("subscription %q: %w", s.Name, ErrReadOnly)
	}
	old, err := m.Subscription(ctx, as, s.Name)
	if err != nil {
		return nil, err
	}
	if err := checkSubscription(cfg, old.Owner, &s); err != nil {
		return nil, err
	}
	spec, err := encodeSubscription(&s)
	if err != nil {
		return nil, err
	}
	rec := &store.SubscriptionRecord{Name: s.Name, Owner: old.Owner, Spec: spec}
	if err := m.db.UpdateSubscription(ctx, rec); err != nil {
		return nil, err
	}
	return &Subscription{Subscription: s, Owner: old.Owner, Source: SourceAPI, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}, nil
}

// DeleteSubscription deletes a stored subscription the caller sees. Notifications
// already in the outbox are still delivered.
func (m *Manager) DeleteSubscription(ctx context.Context, as, name string) error {
	if slices.ContainsFunc(m.cfg().Alerts.Subscriptions, func(c config.Subscription) bool { return c.Name == name }) {
		return fmt.Errorf("subscription %q: %w", name, ErrReadOnly)
	}
	if _, err := m.Subscription(ctx, as, name); err != nil {
		return err
	}
	if err := m.db.DeleteSubscription(ctx, name); err != nil {
		return err
	}
	m.snapshotted.Delete(name) // the store forgot its snapshot: a new one of that name is sent one
	return nil
}

// allSubscriptions returns the config's subscriptions, then the stored ones.
func (m *Manager) allSubscriptions(ctx context.Context, cfg *config.Config) ([]Subscription, error) {
	var out []Subscription
	for _, s := range cfg.Alerts.Subscriptions {
		out = append(out, Subscription{Subscription: s, Source: SourceConfig})
	}
	recs, err := m.db.Subscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	for i := range recs {
		s, err := decodeSubscription(&recs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// subscriber is a subscription prepared for routing.
type subscriber struct {
	Subscription
	minRank int
	rules   map[string]bool // nil: every rule
	watch   map[string]bool // watch-list scope
	up      int
	down    int
	// digest is when a digest subscription's digests are due (nil: realtime);
	// realtimeRank the severity rank from which its alerts still go out at once.
	digest       cron.Schedule
	realtimeRank int
}

// subscribers prepares every usable subscription for routing. A stored subscription
// that the config in force refuses (its host left the allow-list, say) is skipped
// with a warning.
func (m *Manager) subscribers(ctx context.Context, cfg *config.Config) ([]*subscriber, error) {
	all, err := m.allSubscriptions(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return m.prepare(cfg, all), nil
}

// prepare prepares the usable subscriptions of all for routing.
func (m *Manager) prepare(cfg *config.Config, all []Subscription) []*subscriber {
	var out []*subscriber
	for _, s := range all {
		if s.Source == SourceAPI {
			if err := cfg.NormalizeSubscription(&s.Subscription); err != nil {
				m.log.Warn("subscription skipped: the config in force refuses it", "subscription", s.Name, "err", err)
				continue
			}
		}
		sub := &subscriber{Subscription: s, minRank: severityRank(s.MinSeverity)}
		if len(s.Rules) > 0 {
			sub.rules = make(map[string]bool)
			for _, r := range s.Rules {
				sub.rules[r] = true
			}
		}
		switch s.Scope.Kind {
		case config.ScopeWatchlist:
			sub.watch = make(map[string]bool)
			for _, u := range s.Scope.USCCs {
				sub.watch[u] = true
			}
		case config.ScopeChain:
			sub.up, sub.down = s.Scope.Depths()
		}
		if s.IsDigest() {
			sched, err := s.DigestSchedule()
			if err != nil {
				m.log.Warn("subscription skipped: its digest_at is refused", "subscription", s.Name, "err", err)
				continue
			}
			sub.digest, sub.realtimeRank = sched, realtimeRank(s.RealtimeMinSeverity)
		}
		out = append(out, sub)
	}
	return out
}

// realtimeRank is the severity rank of a realtime_min_severity: none is above every
// severity, and unset means critical.
func realtimeRank(s string) int {
	switch s {
	case config.RealtimeNever:
		return len(config.AlertSeverities)
	case "":
		return severityRank(config.AlertCritical)
	}
	return severityRank(s)
}

func severityRank(s string) int { return slices.Index(config.AlertSeverities, s) }
