package alerts

import (
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// What a principal receives of an alert is decided here, for every outward path of
// this package alike — notifications on every channel, the Alertmanager refresh, the
// API's alert lists and the delivery records — by package visibility's rule: a
// subscription sees what its owner sees (staff for the config file's and admins'
// subscriptions, the tenant for a tenant's), and what it sees of an alert is cut to
// that view.

// viewerOf is the principal a subscription's notifications go to.
func viewerOf(owner string) visibility.Viewer {
	if owner == "" {
		return visibility.Staff()
	}
	return visibility.Tenant(owner)
}

// sees returns the view in which a subscription's owner may receive alert a: the
// new state's, or the previous one's for an alert whose subject has just left the
// owner's chain (its resolve was the owner's news). ok is false when neither shows
// it.
func (r *router) sees(sub *subscriber, a *store.Alert) (view *visibility.View, ok bool) {
	who := viewerOf(sub.Owner)
	for _, st := range r.states {
		if st == nil {
			continue
		}
		v := r.m.views.Of(st, who, r.cfg.Chain.DepthUp, r.cfg.Chain.DepthDown)
		if view == nil {
			view = v
		}
		if v.SeesAlert(a.USCC, a.Leader) {
			return v, true
		}
	}
	return view, false
}

// cut is what view may see of alert a's details: the reasons naming a firm it does
// not see are left out, and so is a path through one — except, for
// related_party_distress, the subject's related parties and the ownership path that
// relates the first one, which a viewer who sees the subject sees as the subject's
// parties (visibility.View.SeesRelatedOf).
func (d details) cut(view *visibility.View, a *store.Alert) details {
	if view == nil || view.IsStaff() {
		return d
	}
	related := a.Rule == RuleRelatedPartyDistress && view.SeesRelatedOf(a.USCC)
	out := d
	if !related {
		out.Parties = nil
		if !view.SeesAll(d.Path) {
			out.Path, out.Shares = nil, nil
		}
	}
	out.Reasons = slices.DeleteFunc(slices.Clone(d.Reasons), func(x reason) bool {
		return x.USCC != "" && !view.Sees(x.USCC) && !(related && x.Kind == reasonRelated)
	})
	return out
}

// fingerprintLeader is the leader named by an alert's fingerprint (rule:subject:leader),
// "" for the rules about one firm.
func fingerprintLeader(fp string) string {
	if i := strings.LastIndexByte(fp, ':'); i >= 0 {
		return fp[i+1:]
	}
	return ""
}
