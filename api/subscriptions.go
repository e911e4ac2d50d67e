package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/tokens"
	"github.com/chainrisk/chainrisk/visibility"
)

// Subscriptions (docs/alerts.md): admins manage every stored subscription, analysts read
// them, and a tenant manages its own (owner: its USCC), whose scope stays inside the
// tenant's chain even when an admin edits it. The config file's subscriptions are read-only. Answers redact
// channel URLs and secrets (config.Secret); a PUT may send the redacted values back
// unchanged to keep the stored ones.

var errSubscriptionNotFound = &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such subscription"}

// owner is whose subscriptions the caller acts on: a tenant's USCC, or "" for all.
func (rq *request) owner() string {
	if rq.who.Role == tokens.RoleTenant {
		return rq.who.Leader
	}
	return ""
}

// subscriptionsJSON answers GET /api/v1/subscriptions, by name.
type subscriptionsJSON struct {
	Subscriptions []alerts.Subscription `json:"subscriptions"`
	NextCursor    *string               `json:"next_cursor"`
}

// maxSubscriptions bounds GET /api/v1/subscriptions?limit=, its default too.
const maxSubscriptions = 1000

func (s *Server) getSubscriptions(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", maxSubscriptions, 1, maxSubscriptions)
	if err != nil {
		return err
	}
	after, err := rq.cursorParam("subscriptions", 2)
	if err != nil {
		return err
	}
	list, err := m.Subscriptions(rq.r.Context(), rq.owner())
	if err != nil {
		return storeError(err)
	}
	// By name, then owner: the order the cursor follows.
	key := func(s *alerts.Subscription) []string { return []string{s.Name, s.Owner} }
	slices.SortStableFunc(list, func(a, b alerts.Subscription) int { return slices.Compare(key(&a), key(&b)) })
	var upTo func(*alerts.Subscription) bool
	if after != nil {
		upTo = func(s *alerts.Subscription) bool { return slices.Compare(key(s), after) <= 0 }
	}
	out := subscriptionsJSON{Subscriptions: []alerts.Subscription{}}
	page, more := pageAfter(list, upTo, limit)
	out.Subscriptions = append(out.Subscriptions, page...)
	if more {
		out.NextCursor = nextCursor("subscriptions", key(&page[len(page)-1])...)
	}
	return rq.json(http.StatusOK, out)
}

// subscription reads a subscription the caller sees: another tenant's, or the config
// file's for a tenant, answers 404 as a missing one does.
func (rq *request) subscription(m *alerts.Manager, name string) (*alerts.Subscription, error) {
	sub, err := m.Subscription(rq.r.Context(), rq.owner(), name)
	if err != nil {
		return nil, alertsError(err, errSubscriptionNotFound)
	}
	return sub, nil
}

func (s *Server) getSubscription(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	sub, err := rq.subscription(m, rq.r.PathValue("name"))
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, sub)
}

func (s *Server) postSubscription(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in config.Subscription
	if err := rq.decodeJSON(&in); err != nil {
		return err
	}
	if err := keepSecrets(&in, nil); err != nil {
		return err
	}
	if err := rq.checkSubscription(&in, rq.owner()); err != nil {
		return err
	}
	sub, err := m.CreateSubscription(rq.r.Context(), rq.owner(), in)
	if err != nil {
		return alertsError(err, errSubscriptionNotFound)
	}
	s.log.Info("subscription created", "subscription", sub.Name, "owner", sub.Owner, "token", rq.who.Name)
	// Snapshot on subscribe: before the first scan the leader sends it after that scan.
	if _, _, err := m.FirstSnapshot(rq.r.Context(), sub.Name, rq.state); err != nil && !errors.Is(err, alerts.ErrNoState) {
		s.log.Warn("snapshot of a new subscription not sent; the leader sends it after the next scan",
			"subscription", sub.Name, "err", err)
	}
	rq.w.Header().Set("Location", "/api/v1/subscriptions/"+url.PathEscape(sub.Name))
	return rq.json(http.StatusCreated, sub)
}

// putSubscription replaces a stored subscription; its name and owner stay.
func (s *Server) putSubscription(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	name := rq.r.PathValue("name")
	var in config.Subscription
	if err := rq.decodeJSON(&in); err != nil {
		return err
	}
	old, err := rq.subscription(m, name)
	if err != nil {
		return err
	}
	switch {
	case old.Source == alerts.SourceConfig:
		return errReadOnly
	case in.Name == "":
		in.Name = name
	case in.Name != name:
		return errorf(http.StatusBadRequest, codeBadRequest,
			"name: %q differs from the path's %q; to rename, create the new subscription and delete the old one", in.Name, name)
	}
	if err := keepSecrets(&in, &old.Subscription); err != nil {
		return err
	}
	if err := rq.checkSubscription(&in, old.Owner); err != nil {
		return err
	}
	if _, err := m.UpdateSubscription(rq.r.Context(), rq.owner(), in); err != nil {
		return alertsError(err, errSubscriptionNotFound)
	}
	s.log.Info("subscription replaced", "subscription", name, "token", rq.who.Name)
	sub, err := rq.subscription(m, name)
	if err != nil {
		return err
	}
	return rq.json(http.StatusOK, sub)
}

// deleteSubscription deletes a stored subscription; notifications already in the
// outbox are still delivered.
func (s *Server) deleteSubscription(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	name := rq.r.PathValue("name")
	old, err := rq.subscription(m, name)
	if err != nil {
		return err
	}
	if old.Source == alerts.SourceConfig {
		return errReadOnly
	}
	if err := m.DeleteSubscription(rq.r.Context(), rq.owner(), name); err != nil {
		return alertsError(err, errSubscriptionNotFound)
	}
	s.log.Info("subscription deleted", "subscription", name, "token", rq.who.Name)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// postSnapshot sends a subscription's snapshot now (202): the alerts firing in its
// scope, as its owner may see them, one message per channel. Whoever may change the
// subscription may ask: an admin any, a tenant its own (another's answers 404 as a
// missing one does).
func (s *Server) postSnapshot(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in struct{} // no fields: nothing, or {}
	if err := rq.optionalJSON(&in); err != nil {
		return err
	}
	name := rq.r.PathValue("name")
	if _, err := rq.subscription(m, name); err != nil {
		return err
	}
	res, err := m.Snapshot(rq.r.Context(), rq.owner(), name, rq.state)
	if err != nil {
		return alertsError(err, errSubscriptionNotFound)
	}
	s.log.Info("snapshot sent on demand", "subscription", name, "alerts", res.Alerts, "token", rq.who.Name)
	return rq.json(http.StatusAccepted, res)
}

// checkSubscription fills in a subscription's defaults and checks it as the config
// file's are checked (400); then, for a tenant's subscription (owner: its USCC), that
// it reaches no further than the tenant's own chain (403), whoever edits it: that
// chain within the config's depths, or a watch-list of its firms.
func (rq *request) checkSubscription(sub *config.Subscription, owner string) error {
	if err := rq.cfg.NormalizeSubscription(sub); err != nil {
		return alertsError(err, errSubscriptionNotFound)
	}
	if owner == "" {
		return nil
	}
	var problems []string
	sc, depths := sub.Scope, rq.cfg.Chain
	switch sc.Kind {
	case config.ScopeAll:
		problems = append(problems, "scope.kind: a tenant's subscription may not take every alert (all); subscribe to the tenant's chain or to a watch-list of firms in it")
	case config.ScopeChain:
		if sc.Leader != owner {
			problems = append(problems, "scope.leader: a tenant's subscription takes the tenant's own chain only (leader "+owner+")")
		}
		if *sc.DepthUp > depths.DepthUp {
			problems = append(problems, fmt.Sprintf("scope.depth_up: a tenant's chain reaches depth_up %d at most", depths.DepthUp))
		}
		if *sc.DepthDown > depths.DepthDown {
			problems = append(problems, fmt.Sprintf("scope.depth_down: a tenant's chain reaches depth_down %d at most", depths.DepthDown))
		}
	case config.ScopeWatchlist:
		chain := rq.viewOf(visibility.Tenant(owner))
		for i, u := range sc.USCCs {
			if !chain.Sees(u) {
				problems = append(problems, fmt.Sprintf("scope.usccs[%d]: not a firm of the tenant's chain", i))
			}
		}
	}
	problems = append(problems, rq.tenantMail(sub)...)
	if len(problems) > 0 {
		return &apiError{status: http.StatusForbidden, code: codeForbidden, message: "the subscription reaches beyond the tenant's own chain or mail domains",
			details: problems}
	}
	return nil
}

// tenantMail checks a tenant's e-mail channels: the platform's mail server sends a
// tenant's alerts only to the domains of alerts.smtp.tenant_domains, so that no
// tenant turns it into a relay to any address.
func (rq *request) tenantMail(sub *config.Subscription) []string {
	var problems []string
	smtp := rq.cfg.Alerts.SMTP
	for i, ch := range sub.Channels {
		if ch.Type != notify.TypeEmail {
			continue
		}
		if len(smtp.TenantDomains) == 0 {
			problems = append(problems, fmt.Sprintf("channels[%d]: tenants' subscriptions take no e-mail channel on this platform "+
				"(its operator lists the domains they may mail under alerts.smtp.tenant_domains)", i))
			continue
		}
		for j, to := range ch.To {
			if !smtp.TenantMayMail(to) {
				problems = append(problems, fmt.Sprintf("channels[%d].to[%d]: a tenant's alerts go to the domains %s only",
					i, j, strings.Join(smtp.TenantDomains, ", ")))
			}
		}
	}
	return problems
}

// keepSecrets lets a client send back what it was shown: a channel value that is the
// redacted form of the stored value at the same place (channel index and type) keeps
// the stored value. Any other redacted placeholder is refused, so that "<redacted>"
// never becomes a URL or a secret.
func keepSecrets(sub, old *config.Subscription) error {
	var details []string
	keep := func(path string, v *config.Secret, was config.Secret) {
		switch {
		case !strings.Contains(string(*v), config.Redacted):
		case was != "" && string(*v) == was.String():
			*v = was
		default:
			details = append(details, path+": holds the placeholder "+config.Redacted+"; send the value itself")
		}
	}
	for i := range sub.Channels {
		ch := &sub.Channels[i]
		var prev config.Channel
		if old != nil && i < len(old.Channels) && old.Channels[i].Type == ch.Type {
			prev = old.Channels[i]
		}
		at := fmt.Sprintf("channels[%d]", i)
		keep(at+".url", &ch.URL, prev.URL)
		keep(at+".secret", &ch.Secret, prev.Secret)
		for j := range ch.URLs {
			var was config.Secret
			if j < len(prev.URLs) {
				was = prev.URLs[j]
			}
			keep(fmt.Sprintf("%s.urls[%d]", at, j), &ch.URLs[j], was)
		}
	}
	if len(details) > 0 {
		return &apiError{status: http.StatusBadRequest, code: codeBadRequest,
			message: "channel values hold redacted placeholders: answers never show secrets, so send them in full", details: details}
	}
	return nil
}
