package api

import (
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// The history endpoints serve what the scans changed, one entry per scan, newest
// first: a firm's score history and a leader's chain figures, over spans longer than
// the enterprise answer lists.

// Bounds of the history endpoints' limit parameter.
const (
	defaultHistory = 100
	maxHistory     = 1000
)

// historyJSON is one entry of a firm's score history (api/openapi.json field names).
type historyJSON struct {
	ScanID       int64     `json:"scan_id"`
	At           time.Time `json:"at"` // the scan's own time
	Trigger      string    `json:"trigger"`
	Score        float64   `json:"score"`
	Grade        string    `json:"grade"`
	P            float64   `json:"p"`
	D            float64   `json:"d"`
	ModelVersion string    `json:"model_version"`
}

// enterpriseHistoryJSON answers GET /api/v1/enterprises/{uscc}/history.
type enterpriseHistoryJSON struct {
	USCC    string        `json:"uscc"`
	History []historyJSON `json:"history"`
	// Truncated says the span holds more entries than the limit: the oldest were
	// left out.
	Truncated bool `json:"truncated"`
}

// chainHistoryPointJSON is one entry of a leader's chain history.
type chainHistoryPointJSON struct {
	ScanID       int64     `json:"scan_id"`
	At           time.Time `json:"at"`
	Trigger      string    `json:"trigger"`
	ChainRisk    float64   `json:"chain_risk"`
	SupplyAtRisk float64   `json:"supply_at_risk"`
	DemandAtRisk float64   `json:"demand_at_risk"`
	Members      int64     `json:"members"`
	ModelVersion string    `json:"model_version"`
}

// chainHistoryJSON answers GET /api/v1/chains/{leader}/history.
type chainHistoryJSON struct {
	Leader    string                  `json:"leader"`
	History   []chainHistoryPointJSON `json:"history"`
	Truncated bool                    `json:"truncated"`
}

func (rq *request) historyPoint(e *store.HistoryEntry) historyJSON {
	return historyJSON{ScanID: e.ScanID, At: e.At, Trigger: rq.who.ScanTrigger(e.Trigger), Score: e.Score, Grade: e.Grade,
		P: e.P, D: e.D, ModelVersion: e.ModelVersion}
}

// historyFilter reads from, to (both included) and limit. The filter asks for one
// entry more than the limit, to tell whether the answer is truncated.
func (rq *request) historyFilter() (store.HistoryFilter, error) {
	from, err := timeParam(rq.r, "from", false)
	if err != nil {
		return store.HistoryFilter{}, err
	}
	to, err := timeParam(rq.r, "to", true)
	if err != nil {
		return store.HistoryFilter{}, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return store.HistoryFilter{}, errorf(http.StatusBadRequest, codeBadRequest, "from (%s) is after to (%s)",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	limit, err := intParam(rq.r, "limit", defaultHistory, 1, maxHistory)
	if err != nil {
		return store.HistoryFilter{}, err
	}
	return store.HistoryFilter{From: from, To: to, Limit: limit + 1}, nil
}

func (s *Server) getEnterpriseHistory(rq *request) error {
	uscc, err := rq.pathUSCC("uscc")
	if err != nil {
		return err
	}
	f, err := rq.historyFilter()
	if err != nil {
		return err
	}
	if _, _, err := rq.enterprise(uscc); err != nil {
		return err
	}
	list, err := s.b.Store().History(rq.r.Context(), uscc, f)
	if err != nil {
		return storeError(err)
	}
	out := enterpriseHistoryJSON{USCC: uscc, History: []historyJSON{}, Truncated: len(list) == f.Limit}
	for i := range list[:min(len(list), f.Limit-1)] {
		out.History = append(out.History, rq.historyPoint(&list[i]))
	}
	return rq.json(http.StatusOK, out)
}

// getChainHistory serves the chain history of a firm whose chain the caller may
// read, with the checks of GET /api/v1/chains/{leader}: a tenant reads its own
// leader's only.
func (s *Server) getChainHistory(rq *request) error {
	uscc, err := rq.pathUSCC("leader")
	if err != nil {
		return err
	}
	f, err := rq.historyFilter()
	if err != nil {
		return err
	}
	c := rq.cfg.Chain
	if _, _, err := rq.chainRoot(uscc, c.DepthUp, c.DepthDown); err != nil {
		return err
	}
	list, err := s.b.Store().ChainHistory(rq.r.Context(), uscc, f)
	if err != nil {
		return storeError(err)
	}
	out := chainHistoryJSON{Leader: uscc, History: []chainHistoryPointJSON{}, Truncated: len(list) == f.Limit}
	for _, e := range list[:min(len(list), f.Limit-1)] {
		out.History = append(out.History, chainHistoryPointJSON{ScanID: e.ScanID, At: e.At,
			Trigger: rq.who.ScanTrigger(e.Trigger), ChainRisk: e.ChainRisk, SupplyAtRisk: e.SupplyAtRisk,
			DemandAtRisk: e.DemandAtRisk, Members: e.Members, ModelVersion: e.ModelVersion})
	}
	return rq.json(http.StatusOK, out)
}
