package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// Bounds of a stress request.
const (
	maxShocks  = 10000
	defaultTop = 20
	maxTop     = 1000
)

type stressRequest struct {
	Shocks []shockJSON `json:"shocks"`
	// Top is how many of the most distressed firms to list (default 20).
	Top *int `json:"top"`
}

type shockJSON struct {
	USCC string `json:"uscc"`
	// Psi is the initial distress in [0, 1]; default 1 (the firm fails).
	Psi *float64 `json:"psi"`
}

// stressJSON answers POST /api/v1/stress.
type stressJSON struct {
	// Scope is "all", or "chain" when a tenant's answer covers its chain only: R,
	// defaults and top are then counted over the chain's firms.
	Scope      string       `json:"scope"`
	Firms      int          `json:"firms"` // firms in the scope
	R          float64      `json:"R"`
	Defaults   int          `json:"defaults"`
	Iterations int          `json:"iterations"`
	Shocks     []shockJSON  `json:"shocks"`
	Top        []impactJSON `json:"top"`
	ScanID     int64        `json:"scan_id"`
	ComputedAt time.Time    `json:"computed_at"`
}

type impactJSON struct {
	USCC    string  `json:"uscc"`
	Name    string  `json:"name"`
	Grade   string  `json:"grade"`
	H       float64 `json:"h"`
	Value   float64 `json:"value"` // normalised economic value (revenue share)
	Shocked bool    `json:"shocked"`
}

// postStress runs DebtRank (docs/models.md) on the whole current graph. The impact
// network of a state is built once and shared by every stress request until the
// next scan.
func (s *Server) postStress(rq *request) error {
	var req stressRequest
	if err := rq.decodeJSON(&req); err != nil {
		return err
	}
	switch {
	case len(req.Shocks) == 0:
		return errorf(http.StatusBadRequest, codeBadRequest, "shocks: give at least one {\"uscc\", \"psi\"}")
	case len(req.Shocks) > maxShocks:
		return errorf(http.StatusBadRequest, codeBadRequest, "shocks: at most %d", maxShocks)
	}
	top := defaultTop
	if req.Top != nil {
		top = *req.Top
	}
	if top < 0 || top > maxTop {
		return errorf(http.StatusBadRequest, codeBadRequest, "top must be from 0 to %d, got %d", maxTop, top)
	}
	var bad []string
	seen := make(map[string]bool, len(req.Shocks))
	shocks := make([]risk.Shock, len(req.Shocks))
	for i := range req.Shocks {
		sh := &req.Shocks[i]
		if sh.Psi == nil {
			sh.Psi = ptr(1.0)
		}
		where := fmt.Sprintf("shocks[%d]", i)
		switch err := rq.checkUSCC(where+".uscc", sh.USCC); {
		case err != nil:
			bad = append(bad, err.(*apiError).message)
		case !(*sh.Psi >= 0 && *sh.Psi <= 1):
			bad = append(bad, fmt.Sprintf("%s.psi: %v is outside [0, 1]", where, *sh.Psi))
		case seen[sh.USCC]:
			bad = append(bad, fmt.Sprintf("%s.uscc: %s is shocked twice", where, sh.USCC))
		}
		seen[sh.USCC] = true
		shocks[i] = risk.Shock{Node: sh.USCC, Psi: *sh.Psi}
	}
	if len(bad) > 0 {
		e := errorf(http.StatusBadRequest, codeBadRequest, "%d invalid shock(s)", len(bad))
		e.details = bad
		return e
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	for _, sh := range shocks {
		if _, err := rq.firm(st, sh.Node); err != nil {
			return err
		}
	}
	net, err := s.stress.Get(st)
	if err != nil {
		return err
	}
	res, err := net.Run(rq.r.Context(), shocks)
	if err != nil {
		return err
	}
	out := stressJSON{Scope: "all", Firms: st.Len(), Iterations: res.Iterations, Shocks: req.Shocks,
		Top: []impactJSON{}, ScanID: st.ScanID, ComputedAt: st.At}
	var keep func(int) bool
	if view := rq.who.View(); !view.IsStaff() {
		out.Scope, out.Firms = "chain", view.Firms()
		keep = func(i int) bool { return view.SeesNode(int32(i)) }
	}
	sum := net.Summarise(res, shocks, keep, top)
	out.R, out.Defaults = sum.R, sum.Defaults
	for _, im := range sum.Top {
		v, _ := st.Index(im.Node)
		out.Top = append(out.Top, impactJSON{USCC: im.Node, Name: st.Firms[v].Name, Grade: st.Grade[v].String(),
			H: im.H, Value: im.Value, Shocked: seen[im.Node]})
	}
	return rq.json(http.StatusOK, out)
}

// esriJSON answers GET /api/v1/esri?leader=.
type esriJSON struct {
	Leader  string           `json:"leader"`
	Name    string           `json:"name"`
	Members []esriMemberJSON `json:"members"` // by ESRI, highest first
	// Source is "scheduled" for the esri job's latest result, "on_demand" when the
	// firm has none (the job has not run yet, or the firm does not lead) and the
	// cascades ran for this request.
	Source       string           `json:"source"`
	Subgraph     esriSubgraphJSON `json:"subgraph"`
	Eps          float64          `json:"eps"`
	MaxSteps     int              `json:"max_steps"`     // 0: no bound
	NotConverged int              `json:"not_converged"` // members stopped by max_steps
	// ScanID is the scan whose graph the cascades ran on; ComputedAt when they ran
	// (for on-demand results, that scan's time).
	ScanID     int64     `json:"scan_id"`
	ComputedAt time.Time `json:"computed_at"`
}

type esriMemberJSON struct {
	USCC       string  `json:"uscc"`
	Name       string  `json:"name"`
	Tier       int     `json:"tier"`
	Grade      string  `json:"grade"`
	ESRI       float64 `json:"esri"`
	ESRID      float64 `json:"esri_d"`
	ESRIU      float64 `json:"esri_u"`
	Iterations int     `json:"iterations"`
	// Converged is false when esri.max_steps stopped the member's cascade: its
	// indices are then lower bounds.
	Converged bool `json:"converged"`
}

// esriSubgraphJSON sizes the chain-plus-one-hop subgraph the cascade ran on.
type esriSubgraphJSON struct {
	Firms            int `json:"firms"`
	Relations        int `json:"relations"`
	DerivedAmounts   int `json:"derived_amounts"`
	DroppedRelations int `json:"dropped_relations"`
}

// esriSource says where a chain ESRI answer comes from.
const (
	esriScheduled = "scheduled"
	esriOnDemand  = "on_demand"
)

// getESRI serves the ESRI (docs/models.md) of a chain's members on the chain subgraph
// plus one hop: the esri job's latest result for the firm when the store holds one,
// else computed now (monitor.NewChainESRI), once per state and firm.
func (s *Server) getESRI(rq *request) error {
	uscc := rq.r.URL.Query().Get("leader")
	if uscc == "" {
		return errorf(http.StatusBadRequest, codeBadRequest, "the leader query parameter is required")
	}
	if err := rq.checkUSCC("leader", uscc); err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	v, err := rq.firm(st, uscc)
	if err != nil {
		return err
	}
	if !rq.who.View().SeesChain(uscc) {
		return errFirmNotFound
	}
	out := esriJSON{Leader: uscc, Name: st.Firms[v].Name, Members: []esriMemberJSON{}}
	res, rec, err := s.storedESRI(rq, uscc)
	switch {
	case err != nil:
		return err
	case res != nil:
		out.Source, out.ScanID, out.ComputedAt = esriScheduled, rec.ScanID, rec.ComputedAt
	default:
		if res, err = s.esri.Get(rq.r.Context(), st, v, rq.cfg.ESRI.Params()); err != nil {
			return err
		}
		out.Source, out.ScanID, out.ComputedAt = esriOnDemand, st.ScanID, st.At
	}
	out.Subgraph = esriSubgraphJSON{Firms: res.Firms, Relations: res.Relations, DerivedAmounts: res.DerivedAmounts,
		DroppedRelations: res.DroppedRelations}
	out.Eps, out.MaxSteps = res.Eps, res.MaxSteps
	for _, m := range res.Members {
		if !rq.who.Sees(m.Firm) { // the scan's depths may exceed a reloaded config's
			continue
		}
		mj := esriMemberJSON{USCC: m.Firm, Tier: m.Tier, ESRI: m.ESRI, ESRID: m.ESRId, ESRIU: m.ESRIu,
			Iterations: m.Iterations, Converged: m.Converged}
		if n, ok := st.Index(m.Firm); ok { // a stored result may name a firm this state lacks
			mj.Name, mj.Grade = st.Firms[n].Name, st.Grade[n].String()
		}
		if !m.Converged {
			out.NotConverged++
		}
		out.Members = append(out.Members, mj)
	}
	return rq.json(http.StatusOK, out)
}

// storedESRI reads the esri job's latest result for uscc: nil, nil, nil when the
// store holds none; a store failure is an error (503).
func (s *Server) storedESRI(rq *request, uscc string) (*risk.ChainESRI, *store.ESRIResult, error) {
	rec, err := s.b.Store().ESRI(rq.r.Context(), uscc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, storeError(err)
	}
	res, err := risk.DecodeChainESRI(rec.Detail)
	if err != nil {
		return nil, nil, err
	}
	return res, rec, nil
}
