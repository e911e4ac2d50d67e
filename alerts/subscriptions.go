package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
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
}

func encodeSubscription(s *config.Subscription) ([]byte, error) {
	spec := subscriptionSpec{Name: s.Name, Subscriber: s.Subscriber, Scope: s.Scope, MinSeverity: s.MinSeverity,
		Rules: s.Rules, Language: s.Language}
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
		MinSeverity: spec.MinSeverity, Rules: spec.Rules, Language: spec.Language}
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
	rec, err := m.st.Subscription(ctx, name)
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
	if err := m.st.CreateSubscription(ctx, rec); err != nil {
		return nil, err
	}
	return &Subscription{Subscription: s, Owner: owner, Source: SourceAPI, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}, nil
}

// checkSubscription normalizes and checks a stored subscription of owner: as the
// config file's are checked, and a tenant's (owner set, whoever edits it) against the
// outbound policy too.
func checkSubscription(cfg *config.Config, owner string, s *config.Subscription) error {
	if err := cfg.NormalizeSubscription(s); err != nil {
		return err
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
	if err := m.st.UpdateSubscription(ctx, rec); err != nil {
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
	return m.st.DeleteSubscription(ctx, name)
}

// allSubscriptions returns the config's subscriptions, then the stored ones.
func (m *Manager) allSubscriptions(ctx context.Context, cfg *config.Config) ([]Subscription, error) {
	var out []Subscription
	for _, s := range cfg.Alerts.Subscriptions {
		out = append(out, Subscription{Subscription: s, Source: SourceConfig})
	}
	recs, err := m.st.Subscriptions(ctx)
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
}

// subscribers prepares every usable subscription for routing. A stored subscription
// that the config in force refuses (its host left the allow-list, say) is skipped
// with a warning.
func (m *Manager) subscribers(ctx context.Context, cfg *config.Config) ([]*subscriber, error) {
	all, err := m.allSubscriptions(ctx, cfg)
	if err != nil {
		return nil, err
	}
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
		out = append(out, sub)
	}
	return out, nil
}

func severityRank(s string) int { return slices.Index(config.AlertSeverities, s) }

// chainKey names a chain extraction.
type chainKey struct {
	leader   string
	up, down int
}

// scopeCache keeps the chains of chain subscriptions per graph snapshot, for the
// last two snapshots (a scan's previous and new state). Chains depend on the graph
// only, so incremental scans that change no relation reuse them.
type scopeCache struct {
	snaps  []*graph.Snapshot
	chains map[*graph.Snapshot]map[chainKey]*graph.Chain
}

// chain returns the chain of leader in st, or nil when the leader is unknown.
func (c *scopeCache) chain(st *monitor.State, k chainKey) *graph.Chain {
	if c.chains == nil {
		c.chains = make(map[*graph.Snapshot]map[chainKey]*graph.Chain)
	}
	byKey := c.chains[st.Snap]
	if byKey == nil {
		byKey = make(map[chainKey]*graph.Chain)
		c.chains[st.Snap] = byKey
		c.snaps = append(c.snaps, st.Snap)
		if len(c.snaps) > 2 {
			delete(c.chains, c.snaps[0])
			c.snaps = c.snaps[1:]
		}
	}
	if ch, ok := byKey[k]; ok {
		return ch
	}
	v, ok := st.Index(k.leader)
	var ch *graph.Chain
	if ok {
		ch, _ = st.Snap.Chain(v, graph.ChainOptions{DepthUp: k.up, DepthDown: k.down, MaxPaths: 1})
	}
	byKey[k] = ch
	return ch
}

// router turns alert changes into notifications for the subscribers whose scope
// holds the alert's subject, each with its own context: tier, path, shares.
type router struct {
	m    *Manager
	cfg  *config.Config
	subs []*subscriber
	sil  silences
	// states to find a subject in: the new state first, then the previous one (a
	// resolved alert's firm may have left the chain).
	states []*monitor.State
	cat    *credit.Catalogue // for wording reasons, read on first use
}

// notice is one alert change to announce.
type notice struct {
	a      *store.Alert
	det    details
	status string
	// repeat skips Alertmanager channels: the resend job keeps those alive itself.
	repeat bool
	// skipAcked leaves out the subscriptions whose owner acknowledged the alert: a
	// repeat is not for them.
	skipAcked bool
}

// routed is what routing one notice gave.
type routed struct {
	entries  []store.OutboxEntry
	silenced int // subscribers a silence kept from being notified
}

func (r *router) route(n notice) (routed, error) {
	var out routed
	for _, sub := range r.subs {
		nt, silenced := r.notification(sub, n.a, &n.det, n.status, n.skipAcked)
		if silenced {
			out.silenced++
		}
		if nt == nil {
			continue
		}
		for i, ch := range sub.Channels {
			if n.repeat && refreshed(ch.Type) {
				continue
			}
			one := *nt
			one.ID = store.NewID()
			e, err := outboxEntry(&one, n.a, sub.Owner, i, ch)
			if err != nil {
				return routed{}, fmt.Errorf("alerts: notification of %s: %w", n.a.Fingerprint, err)
			}
			out.entries = append(out.entries, e)
		}
	}
	return out, nil
}

// labels are an alert's labels as silences see them.
func alertLabels(a *store.Alert) map[string]string {
	return map[string]string{LabelRule: a.Rule, LabelSeverity: a.Severity, LabelUSCC: a.USCC, LabelLeader: a.Leader}
}

// notification is the notification of alert a to sub (ID unset), or nil when sub
// does not take it: another rule, a lower severity, an alert its owner may not see,
// a scope without the subject, an acknowledgement by its owner (with skipAcked), or a
// silence (then silenced is true). What it carries is cut to its owner's view.
func (r *router) notification(sub *subscriber, a *store.Alert, full *details, status string, skipAcked bool) (n *notify.Notification, silenced bool) {
	if sub.rules != nil && !sub.rules[a.Rule] || severityRank(a.Severity) < sub.minRank {
		return nil, false
	}
	view, ok := r.sees(sub, a)
	if !ok {
		return nil, false
	}
	if _, acked := a.Ack(view.Audience()); acked && skipAcked {
		return nil, false
	}
	cut := full.cut(view)
	det := &cut
	n = &notify.Notification{
		Fingerprint: a.Fingerprint, Rule: a.Rule, Title: ruleTitle(a.Rule, sub.Language), Severity: a.Severity, Status: status,
		Subject:      notify.Firm{USCC: a.USCC, Name: a.Name, Grade: a.Grade, PreviousGrade: a.PreviousGrade},
		Values:       det.Values,
		StartedAt:    a.StartedAt,
		Subscription: sub.Name,
		Language:     sub.Language,
		URL:          r.url(a),
	}
	if status == notify.StatusResolved {
		n.EndedAt = a.ResolvedAt
	}
	if !r.place(sub, a, det, n) {
		return nil, false
	}
	labels := alertLabels(a)
	if labels[LabelLeader] == "" && n.Leader != nil {
		labels[LabelLeader] = n.Leader.USCC
	}
	labels[LabelSubscription] = sub.Name
	if len(r.sil.match(labels)) > 0 {
		return nil, true
	}
	n.Reasons = r.words(det.Reasons, n.Language)
	return n, false
}

// place fills the subject's place for sub — leader, tier, path with names and
// shares — and reports whether sub's scope holds the subject.
func (r *router) place(sub *subscriber, a *store.Alert, det *details, n *notify.Notification) bool {
	st := r.states[0]
	if a.Leader != "" {
		n.Leader = &notify.FirmRef{USCC: a.Leader, Name: a.LeaderName}
	}
	ownPath := func() {
		if len(det.Path) > 0 {
			n.Path, n.PathShares = det.Path, det.Shares
			n.Tier = len(det.Path) - 1
			n.PathNames = r.names(st, det.Path)
		}
	}
	switch sub.Scope.Kind {
	case config.ScopeAll:
		ownPath()
		return true
	case config.ScopeWatchlist:
		ownPath()
		return sub.watch[a.USCC]
	case config.ScopeChain:
		// Another leader's chain-level alert is that chain's news, even when its
		// subject lies in this chain too.
		if a.Leader != "" && a.Leader != sub.Scope.Leader {
			return false
		}
	default:
		return false
	}
	for _, st := range r.states {
		if st == nil {
			continue
		}
		ch := r.m.scopes.chain(st, chainKey{sub.Scope.Leader, sub.up, sub.down})
		v, ok := st.Index(a.USCC)
		if ch == nil || !ok {
			continue
		}
		mem, ok := ch.Member(v)
		if !ok {
			continue
		}
		lv := ch.Leader
		n.Leader = &notify.FirmRef{USCC: st.Snap.IDs[lv], Name: st.Firms[lv].Name}
		n.Tier = mem.Tier
		if a.Leader == n.Leader.USCC && len(det.Path) > 0 {
			n.Path, n.PathShares, n.PathNames = det.Path, det.Shares, r.names(st, det.Path)
			return true
		}
		if len(mem.Paths) > 0 {
			p := mem.Paths[0]
			n.Path = ch.PathIDs(p)
			n.PathNames = make([]string, len(p))
			for i, x := range p {
				n.PathNames[i] = st.Firms[x].Name
			}
			n.PathShares = pathShares(st.Snap, p, mem.Tier < 0)
		}
		return true
	}
	return false
}

// pathShares is the dependency share of each hop of a chain path (member first):
// along a supplier's path the purchase share of the customer, along a customer's
// path (customer ← supplier) the supplier's sales share.
func pathShares(s *graph.Snapshot, p []int32, customer bool) []float64 {
	if len(p) < 2 {
		return nil
	}
	out := make([]float64, len(p)-1)
	for i := range out {
		if customer {
			if e, ok := s.FindEdge(p[i+1], p[i]); ok {
				out[i] = s.Attrs(e).SalesShare
			}
		} else if e, ok := s.FindEdge(p[i], p[i+1]); ok {
			out[i] = s.Attrs(e).PurchaseShare
		}
	}
	return out
}

func (r *router) names(st *monitor.State, usccs []string) []string {
	out := make([]string, len(usccs))
	for i, u := range usccs {
		if v, ok := st.Index(u); ok {
			out[i] = st.Firms[v].Name
		}
	}
	return out
}

// url links an alert to its firm (or, for chain_risk, its chain) in the API.
func (r *router) url(a *store.Alert) string {
	base := strings.TrimSuffix(r.cfg.Alerts.ExternalURL, "/")
	switch {
	case base == "":
		return ""
	case a.Rule == config.RuleChainRisk:
		return base + "/api/v1/chains/" + a.Leader
	}
	return base + "/api/v1/enterprises/" + a.USCC
}
