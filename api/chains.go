package api

import (
	"bytes"
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/tokens"
)

const mediaDOT = "text/vnd.graphviz"

// chainJSON answers GET /api/v1/chains/{leader} (api/openapi.json field names).
type chainJSON struct {
	Leader  string `json:"leader"`
	Name    string `json:"name"`
	Leading bool   `json:"leading"` // tagged leading; any firm's chain can be asked for
	Grade   string `json:"grade"`
	// The depths the chain was taken with.
	DepthUp      int     `json:"depth_up"`
	DepthDown    int     `json:"depth_down"`
	ChainRisk    float64 `json:"chain_risk"`
	SupplyAtRisk float64 `json:"supply_at_risk"`
	DemandAtRisk float64 `json:"demand_at_risk"`
	// Members, with members=all only: the leader, then tiers 1, 2, … then −1, ….
	Members []memberJSON `json:"members,omitempty"`
	// MemberCount counts the members, the leader included; MembersURL is their
	// first page (GET /api/v1/chains/{leader}/members).
	MemberCount     int                  `json:"member_count"`
	MembersURL      string               `json:"members_url"`
	Tiers           []risk.TierGrades    `json:"tiers"`
	TopContributors []contributorJSON    `json:"top_contributors"`
	Concentration   []risk.Concentration `json:"concentration"`
	ScanID          int64                `json:"scan_id"`
	ModelVersion    string               `json:"model_version"`
	ComputedAt      time.Time            `json:"computed_at"`
	// OnDemand is set when the depths differ from the scan's and the exposure was
	// computed for this request from the scan's p and d.
	OnDemand bool `json:"on_demand"`
	// SuppliedRelations counts the relations of the leader's own supplier list in
	// force; when above 0 the chain is taken on its chain view (docs/onboarding.md).
	SuppliedRelations int `json:"supplied_relations"`
	// ESRIComputedAt and ESRIScanID say when the esri job computed the members'
	// esri and on which scan's graph; null when the store holds no result for
	// this firm (or did not answer).
	ESRIComputedAt *time.Time `json:"esri_computed_at"`
	ESRIScanID     *int64     `json:"esri_scan_id"`
}

type memberJSON struct {
	USCC  string     `json:"uscc"`
	Name  string     `json:"name"`
	Tier  int        `json:"tier"`
	Grade string     `json:"grade"`
	Score float64    `json:"score"`
	P     float64    `json:"p"`
	D     float64    `json:"d"`
	Paths [][]string `json:"paths"` // shortest paths to the leader, member first
	// ESRI is the member's systemic risk index from the esri job's latest result for
	// this chain (null when it has none for the member); ESRIConverged is false when
	// esri.max_steps stopped its cascade (the value is then a lower bound).
	ESRI          *float64 `json:"esri"`
	ESRIConverged *bool    `json:"esri_converged,omitempty"`
	// Contribution is the member's contribution to the leader's risk, P × Weight
	// (docs/models.md), given by the members pages; the leader has none.
	Contribution *float64 `json:"contribution,omitempty"`
}

type contributorJSON struct {
	risk.Contributor
	Name  string `json:"name"`
	Grade string `json:"grade"`
}

// depths reads depth_up and depth_down (0..config.MaxDepth, default the config's).
func (rq *request) depths() (up, down int, err error) {
	c := rq.cfg.Chain
	if up, err = intParam(rq.r, "depth_up", c.DepthUp, 0, config.MaxDepth); err != nil {
		return 0, 0, err
	}
	if down, err = intParam(rq.r, "depth_down", c.DepthDown, 0, config.MaxDepth); err != nil {
		return 0, 0, err
	}
	return up, down, nil
}

// chainRoot resolves the {leader} of a chain route: a firm the caller may ask the
// chain of. Tenants may ask for their own chain only, within their depths.
func (rq *request) chainRoot(uscc string, up, down int) (*monitor.State, int32, error) {
	st, err := rq.ready()
	if err != nil {
		return nil, 0, err
	}
	v, err := rq.firm(st, uscc)
	if err != nil {
		return nil, 0, err
	}
	if !rq.who.View().SeesChain(uscc) {
		return nil, 0, errFirmNotFound
	}
	if rq.who.Role == tokens.RoleTenant {
		if c := rq.cfg.Chain; up > c.DepthUp || down > c.DepthDown {
			return nil, 0, errorf(http.StatusForbidden, codeForbidden,
				"a tenant token sees its chain up to depth_up %d and depth_down %d", c.DepthUp, c.DepthDown)
		}
	}
	return st, v, nil
}

// summaryExposure returns v's chain exposure: the scan's when the depths are the
// scan's (no walk of the chain), else one computed now from the scan's p and d,
// with its chain.
func summaryExposure(st *monitor.State, v int32, up, down int) (*risk.Exposure, bool, error) {
	p := st.Params.Exposure
	if x, ok := st.Chains[v]; ok && p.Chain.DepthUp == up && p.Chain.DepthDown == down {
		return x, false, nil
	}
	p.Chain.DepthUp, p.Chain.DepthDown, p.KeepChains = up, down, false
	x, err := st.ChainExposure(v, p)
	return x, true, err
}

// chainMembersLimit is the most members GET /api/v1/chains/{leader}?members=all
// answers with (http.max_chain_members).
func (rq *request) chainMembersLimit() int {
	if n := rq.cfg.HTTP.MaxChainMembers; n > 0 {
		return n
	}
	return config.Default().HTTP.MaxChainMembers
}

// getChain serves GET /api/v1/chains/{leader}: the chain's summary, read from the
// scan's exposure without walking the chain; with members=all the members too,
// up to http.max_chain_members of them (the members endpoint pages and streams any
// chain).
func (s *Server) getChain(rq *request) error {
	uscc, err := rq.pathUSCC("leader")
	if err != nil {
		return err
	}
	up, down, err := rq.depths()
	if err != nil {
		return err
	}
	all, err := enumParam(rq.r, "members", "", "all")
	if err != nil {
		return err
	}
	st, v, err := rq.chainRoot(uscc, up, down)
	if err != nil {
		return err
	}
	x, onDemand, err := summaryExposure(st, v, up, down)
	if err != nil {
		return err
	}
	if limit := rq.chainMembersLimit(); all != "" && x.Size > limit {
		return errorf(http.StatusUnprocessableEntity, codeChainTooLarge,
			"the chain has %d members, more than the %d (http.max_chain_members) members=all answers with: "+
				"page through GET /api/v1/chains/%s/members, or stream them all with format=ndjson or format=csv there",
			x.Size, limit, uscc)
	}
	if all == "" {
		return s.serveSummary(rq, st, v, x, onDemand, up, down)
	}
	out := rq.chainSummary(st, v, x, onDemand, up, down)
	if err := s.chainMembers(rq, st, v, &out); err != nil {
		return err
	}
	return rq.json(http.StatusOK, out)
}

// chainSummary is the chain's answer without its members and ESRI fields.
func (rq *request) chainSummary(st *monitor.State, v int32, x *risk.Exposure, onDemand bool, up, down int) chainJSON {
	uscc := st.Snap.IDs[v]
	out := chainJSON{Leader: uscc, Name: st.Firms[v].Name, Leading: st.Firms[v].Leading, Grade: st.Grade[v].String(),
		DepthUp: up, DepthDown: down, ChainRisk: x.ChainRisk, SupplyAtRisk: x.SupplyAtRisk, DemandAtRisk: x.DemandAtRisk,
		MemberCount: x.Size, MembersURL: membersURL(uscc, up, down, rq.cfg.Chain),
		Tiers: x.Tiers, TopContributors: []contributorJSON{},
		Concentration: []risk.Concentration{}, ScanID: st.ScanID, ModelVersion: st.Params.Model.Version,
		ComputedAt: st.At, OnDemand: onDemand, SuppliedRelations: len(st.Supplied[v])}
	for _, c := range x.TopContributors {
		n, _ := st.Index(c.USCC)
		out.TopContributors = append(out.TopContributors, contributorJSON{Contributor: c, Name: st.Firms[n].Name,
			Grade: st.Grade[n].String()})
	}
	// A single-source supplier of a tier-1 firm lies one tier further up; a tenant
	// whose config depth stops before it must not learn of it.
	for _, c := range x.Concentration {
		c.SingleSource = slices.DeleteFunc(slices.Clone(c.SingleSource), func(ss risk.SingleSource) bool {
			return !rq.who.Sees(ss.Supplier)
		})
		out.Concentration = append(out.Concentration, c)
	}
	return out
}

// membersURL links a chain's first page of members, with the depths when they are
// not the config's.
func membersURL(leader string, up, down int, c config.ChainConfig) string {
	u := "/api/v1/chains/" + url.PathEscape(leader) + "/members"
	if up != c.DepthUp || down != c.DepthDown {
		u += "?depth_up=" + strconv.Itoa(up) + "&depth_down=" + strconv.Itoa(down)
	}
	return u
}

// chainMembers adds every member to the full answer (members=all), in the order of
// the members endpoint (the leader, then tiers 1, 2, … then −1, …; by USCC within a
// tier), with their ESRI.
func (s *Server) chainMembers(rq *request, st *monitor.State, v int32, out *chainJSON) error {
	ix, err := s.chains.get(st, v, out.DepthUp, out.DepthDown)
	if err != nil {
		return err
	}
	esri := s.chainESRIMembers(rq, out.Leader)
	if esri != nil {
		out.ESRIComputedAt, out.ESRIScanID = &esri.computedAt, &esri.scanID
	}
	out.Members = make([]memberJSON, len(ix.order))
	for i := range ix.order {
		out.Members[i] = ix.memberAt(i, esri)
	}
	return nil
}

func (s *Server) getChainGraph(rq *request) error {
	uscc, err := rq.pathUSCC("leader")
	if err != nil {
		return err
	}
	format, err := enumParam(rq.r, "format", "json", "json", "dot")
	if err != nil {
		return err
	}
	up, down, err := rq.depths()
	if err != nil {
		return err
	}
	st, v, err := rq.chainRoot(uscc, up, down)
	if err != nil {
		return err
	}
	o := st.Params.Exposure.Chain
	o.DepthUp, o.DepthDown = up, down
	ch, err := st.ChainOf(v, o)
	if err != nil {
		return err
	}
	describe := func(n int32) graph.NodeInfo {
		return graph.NodeInfo{Name: st.Firms[n].Name, Grade: st.Grade[n].String()}
	}
	if format == "json" {
		return rq.json(http.StatusOK, ch.Document(describe))
	}
	var buf bytes.Buffer
	if err := ch.WriteDOT(&buf, describe); err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", mediaDOT+"; charset=utf-8")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(buf.Bytes())
	return nil
}

// leaderJSON is one entry of GET /api/v1/leaders.
type leaderJSON struct {
	USCC          string  `json:"uscc"`
	Name          string  `json:"name"`
	Grade         string  `json:"grade"`
	Score         float64 `json:"score"`
	P             float64 `json:"p"`
	D             float64 `json:"d"`
	ChainRisk     float64 `json:"chain_risk"`
	SupplyAtRisk  float64 `json:"supply_at_risk"`
	DemandAtRisk  float64 `json:"demand_at_risk"`
	Members       int     `json:"members"`
	SingleSources int     `json:"single_sources"` // single-source dependencies of the leader and its tier-1 firms
}

type leadersJSON struct {
	Total      int          `json:"total"` // leaders the caller may see, before limit
	Leaders    []leaderJSON `json:"leaders"`
	ScanID     int64        `json:"scan_id"`
	NextCursor *string      `json:"next_cursor"`
}

// leaderKey is the value of a leader that GET /api/v1/leaders sorts by (then by USCC).
func leaderKey(by string, l *leaderJSON) float64 {
	switch by {
	case "supply_at_risk":
		return l.SupplyAtRisk
	case "demand_at_risk":
		return l.DemandAtRisk
	case "uscc":
		return 0
	}
	return l.ChainRisk
}

// leaderOrder compares leaders in the order GET /api/v1/leaders lists them.
func leaderOrder(by, order string) func(a, b leaderJSON) int {
	return func(a, b leaderJSON) int {
		c := cmp.Or(cmp.Compare(leaderKey(by, &a), leaderKey(by, &b)), strings.Compare(a.USCC, b.USCC))
		if order == "desc" {
			return -c
		}
		return c
	}
}

// maxLeaders bounds GET /api/v1/leaders?limit= (the province has about 1,000).
const maxLeaders = 10000

func (s *Server) getLeaders(rq *request) error {
	by, err := enumParam(rq.r, "sort", "chain_risk", "chain_risk", "supply_at_risk", "demand_at_risk", "uscc")
	if err != nil {
		return err
	}
	def := "desc"
	if by == "uscc" {
		def = "asc"
	}
	order, err := enumParam(rq.r, "order", def, "asc", "desc")
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", 1000, 1, maxLeaders)
	if err != nil {
		return err
	}
	// A cursor keeps its sort: one of another order would skip or repeat leaders.
	endpoint := "leaders:" + by + ":" + order
	after, err := rq.cursorParam(endpoint, 2)
	if err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	out := leadersJSON{Leaders: []leaderJSON{}, ScanID: st.ScanID}
	for _, v := range st.Leaders {
		x, ok := st.Chains[v]
		if !ok || !rq.who.View().SeesChain(x.Leader) {
			continue
		}
		l := leaderJSON{USCC: x.Leader, Name: st.Firms[v].Name, Grade: st.Grade[v].String(), Score: st.Score[v],
			P: st.P[v], D: st.D[v], ChainRisk: x.ChainRisk, SupplyAtRisk: x.SupplyAtRisk, DemandAtRisk: x.DemandAtRisk,
			Members: x.Size}
		for _, c := range x.Concentration {
			l.SingleSources += len(c.SingleSource)
		}
		out.Leaders = append(out.Leaders, l)
	}
	compare := leaderOrder(by, order)
	slices.SortFunc(out.Leaders, compare)
	out.Total = len(out.Leaders)
	var upTo func(*leaderJSON) bool
	if after != nil {
		var last leaderJSON
		last.USCC = after[1]
		v, perr := strconv.ParseFloat(after[0], 64)
		if perr != nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "cursor is not one this endpoint gave (pass next_cursor as it came)")
		}
		last.ChainRisk, last.SupplyAtRisk, last.DemandAtRisk = v, v, v
		upTo = func(l *leaderJSON) bool { return compare(*l, last) <= 0 }
	}
	var more bool
	out.Leaders, more = pageAfter(out.Leaders, upTo, limit)
	if more {
		last := &out.Leaders[len(out.Leaders)-1]
		out.NextCursor = nextCursor(endpoint, strconv.FormatFloat(leaderKey(by, last), 'g', -1, 64), last.USCC)
	}
	return rq.json(http.StatusOK, out)
}
