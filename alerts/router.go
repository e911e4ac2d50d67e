package alerts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// Routing: every alert change goes to the subscribers whose scope holds its subject
// and whose owner may see it (visibility.go), worded for each — summary title,
// reasons in the subscription's language, the subject's tier and path in the
// subscriber's chain — before it is written to the outbox, so that delivery only
// renders and sends what it is given.

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
		ch, _ = st.ChainOf(v, graph.ChainOptions{DepthUp: k.up, DepthDown: k.down, MaxPaths: 1})
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
	// mutes are the principals' irrelevant verdicts: a muted (alert, audience) pair
	// goes to none of that audience's subscriptions (workflow.go).
	mutes mutes
	// states to find a subject in: the new state first, then the previous one (a
	// resolved alert's firm may have left the chain).
	states []*monitor.State
	cat    *credit.Catalogue // for wording reasons, read on first use
	// messages are the notifications routed since the last flush, by groupKey, in
	// the order they were first queued.
	messages map[string]*message
	order    []string
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
	channels int // channels of subscriptions that take it
	silenced int // subscribers a silence kept from being notified
}

// route works out which subscriptions take a notice, and what each gets, and adds
// it to their messages; flush writes the messages. Every alert about one firm (or, for
// chain-level rules, one leader's chain) that a subscription takes in one evaluation
// goes out as one message listing them all, per channel (docs/alerts.md, "One message
// per firm").
func (r *router) route(n notice) (routed, error) {
	var out routed
	for _, sub := range r.subs {
		if r.mutes.hold(n.a, viewerOf(sub.Owner).Audience()) {
			continue
		}
		nt, silenced := r.notification(sub, n.a, &n.det, n.status, n.skipAcked)
		if silenced {
			out.silenced++
		}
		if nt == nil {
			continue
		}
		taken := 0
		for _, ch := range sub.Channels {
			if !(n.repeat && refreshed(ch.Type)) {
				taken++
			}
		}
		if taken == 0 {
			continue
		}
		out.channels += taken
		r.queue(sub, n, nt)
	}
	return out, nil
}

// message is what one subscription gets about one firm or chain in one evaluation.
type message struct {
	sub   *subscriber
	items []messageItem
}

// messageItem is one alert of a message.
type messageItem struct {
	n      *notify.Notification
	a      *store.Alert
	repeat bool
}

// groupKey names a message: the subscription, then the firm, or the leader for the
// rules about a leader's chain.
func groupKey(sub *subscriber, a *store.Alert) string {
	if r := ruleNamed(a.Rule); r != nil && r.aboutChain && a.Leader != "" {
		return sub.Name + "\x00chain\x00" + a.Leader
	}
	return sub.Name + "\x00firm\x00" + a.USCC
}

func (r *router) queue(sub *subscriber, n notice, nt *notify.Notification) {
	if r.messages == nil {
		r.messages = make(map[string]*message)
	}
	k := groupKey(sub, n.a)
	msg := r.messages[k]
	if msg == nil {
		msg = &message{sub: sub}
		r.messages[k] = msg
		r.order = append(r.order, k)
	}
	msg.items = append(msg.items, messageItem{n: nt, a: n.a, repeat: n.repeat})
}

// flush turns the messages queued since the last flush into outbox entries: one per
// message and channel, the most severe alert first (firing before resolved, then in
// the order the rules run) and the others in its Group. A digest subscription's
// message whose alerts are all below its realtime_min_severity is held for its digest
// instead (digest.go).
func (r *router) flush() ([]store.OutboxEntry, []store.DigestItem, error) {
	var out []store.OutboxEntry
	var held []store.DigestItem
	for _, k := range r.order {
		msg := r.messages[k]
		slices.SortStableFunc(msg.items, func(x, y messageItem) int {
			if d := severityRank(y.n.Severity) - severityRank(x.n.Severity); d != 0 {
				return d
			}
			return boolRank(x.n.Status == notify.StatusResolved) - boolRank(y.n.Status == notify.StatusResolved)
		})
		if msg.held() {
			items, err := digestItems(msg)
			if err != nil {
				return nil, nil, err
			}
			held = append(held, items...)
			continue
		}
		for i, ch := range msg.sub.Channels {
			items := msg.items
			if refreshed(ch.Type) {
				items = slices.DeleteFunc(slices.Clone(items), func(it messageItem) bool { return it.repeat })
			}
			if len(items) == 0 {
				continue
			}
			one := *items[0].n
			one.ID = store.NewID()
			one.Group = nil
			for _, it := range items[1:] {
				one.Group = append(one.Group, it.n)
			}
			e, err := outboxEntry(&one, items[0].a, msg.sub.Owner, i, ch)
			if err != nil {
				return nil, nil, fmt.Errorf("alerts: notification of %s: %w", items[0].a.Fingerprint, err)
			}
			for _, it := range items {
				e.AlertIDs = append(e.AlertIDs, it.a.ID)
			}
			out = append(out, e)
		}
	}
	r.messages, r.order = nil, nil
	return out, held, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
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
	cut := full.cut(view, a)
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
		n.EndedAt, n.ResolveReason = a.ResolvedAt, det.Resolved
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
	ownPath := func() { // a path to the alert's leader (an ownership path is no place in a chain)
		if a.Leader != "" && len(det.Path) > 0 {
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
			n.PathShares = pathShares(ch.Snapshot(), p, mem.Tier < 0)
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
	case ruleNamed(a.Rule) != nil && ruleNamed(a.Rule).aboutChain:
		return base + "/api/v1/chains/" + a.Leader
	}
	return base + "/api/v1/enterprises/" + a.USCC
}
