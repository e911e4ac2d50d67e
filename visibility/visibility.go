// Package visibility is the one rule of what a principal may see. Staff (admin,
// analyst and ingest tokens; subscriptions of the config file and of admins) see
// everything; a tenant, bound to one firm, sees the firms of that firm's chain, the
// chain-level figures of that firm alone, and the related parties (actual controller,
// majority holders) of the firms it sees, as such. Every reader sees every firm's
// identity (USCC, names, region: public registry data, SeesIdentity). Every outward path asks it: API answers,
// notifications on every channel, delivery records.
package visibility

import (
	"sync"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/tokens"
)

// Viewer is who receives data.
type Viewer struct {
	// Tenant is the USCC a tenant is bound to (a leading firm or an SME); "" for staff.
	Tenant string
}

// Staff is the platform's own viewer: it sees everything.
func Staff() Viewer { return Viewer{} }

// Tenant is the viewer of a tenant bound to uscc.
func Tenant(uscc string) Viewer { return Viewer{Tenant: uscc} }

// IsStaff reports whether the viewer sees everything.
func (w Viewer) IsStaff() bool { return w.Tenant == "" }

// Audience keys what is kept per principal (acknowledgements): "" for staff, the
// tenant's USCC for a tenant, so that every token and subscription of one tenant
// shares it and no tenant's state touches another's.
func (w Viewer) Audience() string { return w.Tenant }

// View is what one viewer sees of one state.
type View struct {
	Viewer
	state *monitor.State
	// nodes are the firms of the tenant's chain (nil for staff).
	nodes map[int32]bool
}

// Sees reports whether the viewer may see data about a firm: staff always, a tenant
// when the firm lies in its chain.
func (v *View) Sees(uscc string) bool {
	if v.IsStaff() {
		return true
	}
	if v.state == nil {
		return false
	}
	n, ok := v.state.Index(uscc)
	return ok && v.nodes[n]
}

// SeesIdentity reports whether the viewer may see a firm's identity: its USCC,
// registered name, former names (曾用名) and region. Always: these are public registry
// data (国家企业信用信息公示系统, the National Enterprise Credit Information Publicity
// System), so any reader, tenants included, may match company names against every
// firm the platform holds (POST /api/v1/matches). The firm's credit data — grade,
// score, p, d, events, chains, related parties — stays behind Sees: an answer that
// rests on SeesIdentity alone carries identity fields and nothing else.
func (v *View) SeesIdentity(uscc string) bool { return true }

// SeesNode is Sees for a node of the view's state.
func (v *View) SeesNode(n int32) bool { return v.IsStaff() || v.nodes[n] }

// SeesAll reports whether the viewer sees every firm listed.
func (v *View) SeesAll(usccs []string) bool {
	for _, u := range usccs {
		if !v.Sees(u) {
			return false
		}
	}
	return true
}

// SeesChain reports whether the viewer may see a chain's own figures (chain risk,
// exposures, concentration, members, ESRI, chain-level alerts): staff any chain, a
// tenant only the chain of the firm it is bound to — a rival leader inside its chain
// is a firm it sees, but that leader's chain is not its to read.
func (v *View) SeesChain(leader string) bool {
	return v.IsStaff() || leader == v.Tenant
}

// SeesAlert reports whether the viewer may receive an alert about subject, raised for
// leader's chain ("" for the rules about one firm).
func (v *View) SeesAlert(subject, leader string) bool {
	return v.Sees(subject) && (leader == "" || v.SeesChain(leader))
}

// SeesRelatedOf reports whether the viewer may be shown the related parties of a
// firm (its actual controller and majority holders, docs/models.md) — who they are,
// the path and shares that relate them, their grade, status and distress — as
// parties of that firm: whenever it sees the firm. A tenant learns of the holding
// company behind a supplier of its chain because that company's distress is the
// supplier's risk; the related party's own record (its events, history, chains, its
// other holders and investees) stays behind Sees.
func (v *View) SeesRelatedOf(firm string) bool { return v.Sees(firm) }

// SeesOwnershipNode reports whether the viewer may see a node of the ownership
// graph around a firm it sees (GET /api/v1/enterprises/{uscc}/ownership): staff
// every node; a tenant the firms of its chain and the firm's related parties
// (related: the node is one of them), and no other holder, investee or person.
func (v *View) SeesOwnershipNode(firm, node string, isFirm, related bool) bool {
	if v.IsStaff() {
		return true
	}
	if related {
		return v.SeesRelatedOf(firm)
	}
	return isFirm && v.Sees(node)
}

// MaySupply reports whether the viewer may supply relations whose customer is
// customer as its own (docs/onboarding.md, "Leaders' own supplier lists"): a tenant
// for the firm it is bound to — its own tier-1 purchases, never another firm's — and
// staff never, since staff write the registry's relations, which a tenant's rows sit
// beside and never replace. Withdrawing a supplied row follows the same rule.
func (v *View) MaySupply(customer string) bool {
	return !v.IsStaff() && customer != "" && customer == v.Tenant
}

// SeesRelation reports whether the viewer may be shown a relation: staff every one; a
// tenant the registry's relations (Source "") whose supplier and customer it both
// sees, and, of the relations leaders supplied themselves, only those supplied for
// the firm it is bound to — never another leader's, whatever firms they name.
func (v *View) SeesRelation(r *credit.Relation) bool {
	if v.IsStaff() {
		return true
	}
	if r.Source != "" {
		return r.Source == v.Tenant
	}
	return v.Sees(r.Supplier) && v.Sees(r.Customer)
}

// Firms is how many firms a tenant sees (its chain, itself included); -1 for staff.
func (v *View) Firms() int {
	if v.IsStaff() {
		return -1
	}
	return len(v.nodes)
}

// Views hands out views, computing each tenant's chain once per state: a chain is
// cheap to extract, but not on every request of a busy tenant or every notification
// of a scan. It keeps the views of the last two states (a scan's previous and new
// one).
type Views struct {
	mu     sync.Mutex
	states []*monitor.State
	byKey  map[*monitor.State]map[viewKey]*View
}

type viewKey struct {
	tenant   string
	up, down int
}

var staffView = &View{}

// Of returns who's view of st, a tenant's chain taken within the depths (the
// config's chain depths). A tenant bound to a firm st does not hold sees nothing;
// so does every tenant before the first state.
func (c *Views) Of(st *monitor.State, who Viewer, up, down int) *View {
	if who.IsStaff() {
		return staffView
	}
	if st == nil {
		return &View{Viewer: who}
	}
	key := viewKey{who.Tenant, up, down}
	c.mu.Lock()
	v, ok := c.entries(st)[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = &View{Viewer: who, state: st, nodes: map[int32]bool{}}
	if n, ok := st.Index(who.Tenant); ok {
		v.nodes[n] = true
		// A leader's chain view holds the suppliers only its own list names.
		o := graph.ChainOptions{DepthUp: up, DepthDown: down}
		if snap, err := st.ChainSnap(n, o); err == nil {
			if r, err := snap.Reach(n, o); err == nil {
				for _, m := range r.Nodes {
					v.nodes[m] = true
				}
				r.Release()
			}
		}
	}
	c.mu.Lock()
	c.entries(st)[key] = v
	c.mu.Unlock()
	return v
}

// entries returns the views of st, forgetting the oldest state's past two. c.mu is held.
func (c *Views) entries(st *monitor.State) map[viewKey]*View {
	if m, ok := c.byKey[st]; ok {
		return m
	}
	if c.byKey == nil {
		c.byKey = make(map[*monitor.State]map[viewKey]*View)
	}
	m := make(map[viewKey]*View)
	c.byKey[st] = m
	c.states = append(c.states, st)
	if len(c.states) > 2 {
		delete(c.byKey, c.states[0])
		c.states = c.states[1:]
	}
	return m
}

// PersonName is how a natural person's name is shown to a caller of the given role
// (docs/models.md): in full to admins, as the surname and "*" (张*、欧阳*) to everyone else.
func PersonName(role tokens.Role, name string) string {
	if role == tokens.RoleAdmin {
		return name
	}
	return credit.MaskName(name)
}
