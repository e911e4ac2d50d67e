package api

import "github.com/chainrisk/chainrisk/visibility"

// Tenancy: what a caller may see is decided by package visibility, from the state the
// request is served from and the config's chain depths. The handlers ask the
// caller's view (Principal.View) and never decide visibility themselves.

// viewOf is who's view of the request's state.
func (rq *request) viewOf(who visibility.Viewer) *visibility.View {
	return rq.s.views.Of(rq.state, who, rq.cfg.Chain.DepthUp, rq.cfg.Chain.DepthDown)
}
