package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// The verdicts of an investment-attraction check (精准招商, api/openapi.json), as POST
// /api/v1/checks writes them; risk.CheckVerdict decides by the rules of checks.rules.
const (
	VerdictPass    = string(risk.VerdictPass)
	VerdictCaution = string(risk.VerdictCaution)
	VerdictReject  = string(risk.VerdictReject)
)

// maxCheckFirms bounds the shareholders and the investees of one check.
const maxCheckFirms = 200

type checkRequest struct {
	USCC         string   `json:"uscc"`
	Depth        *int     `json:"depth"`
	MinShare     *float64 `json:"min_share"`
	Shareholders []string `json:"shareholders"`
	Investees    []string `json:"investees"`
}

// params are the config's check parameters, with the request's depth and
// min_share.
func (req *checkRequest) params(cfg *config.Config) (ownership.Params, error) {
	p := cfg.Checks.OwnershipParams()
	if d := req.Depth; d != nil {
		if *d < 1 || *d > ownership.MaxDepth {
			return p, errorf(http.StatusBadRequest, codeBadRequest, "depth must be an integer from 1 to %d, got %d", ownership.MaxDepth, *d)
		}
		p.Depth = *d
	}
	if m := req.MinShare; m != nil {
		if !(*m >= 0 && *m <= 1) {
			return p, errorf(http.StatusBadRequest, codeBadRequest, "min_share must be in [0, 1], got %v", *m)
		}
		p.MinShare = *m
	}
	return p, nil
}

func (s *Server) postCheck(rq *request) error {
	var req checkRequest
	if err := rq.decodeJSON(&req); err != nil {
		return err
	}
	if req.USCC == "" {
		return errorf(http.StatusBadRequest, codeBadRequest, "uscc (the target firm) is required")
	}
	if len(req.Shareholders) > maxCheckFirms || len(req.Investees) > maxCheckFirms {
		return errorf(http.StatusBadRequest, codeBadRequest, "at most %d shareholders and %d investees", maxCheckFirms, maxCheckFirms)
	}
	var bad []string
	check := func(where, code string) {
		if err := rq.checkUSCC(where, code); err != nil {
			bad = append(bad, err.(*apiError).message)
		}
	}
	check("uscc", req.USCC)
	for i, u := range req.Shareholders {
		check(fmt.Sprintf("shareholders[%d]", i), u)
	}
	for i, u := range req.Investees {
		check(fmt.Sprintf("investees[%d]", i), u)
	}
	if len(bad) > 0 {
		e := errorf(http.StatusBadRequest, codeInvalidUSCC, "%d invalid USCC(s)", len(bad))
		e.details = bad
		return e
	}
	p, err := req.params(rq.cfg)
	if err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	out, saved, err := rq.investmentCheck(st, req.USCC, p, monitor.Listed{Holders: req.Shareholders, Investees: req.Investees})
	if err != nil {
		return err
	}
	if err := rq.s.b.Store().SaveCheckReports(rq.r.Context(), []*store.CheckReport{saved}); err != nil {
		return storeError(err)
	}
	out.ID = saved.ID
	return rq.json(http.StatusCreated, out.masked(rq.who.Role))
}

// investmentCheck runs the check of uscc and returns its report, unmasked, and the
// report to save; a check past checks.max_steps is 422 check_too_large.
func (rq *request) investmentCheck(st *monitor.State, uscc string, p ownership.Params, listed monitor.Listed) (*checkJSON, *store.CheckReport, error) {
	rules := rq.cfg.Checks.CheckRules()
	rules.InvesteeMinShare = p.MinShare
	res, err := st.InvestmentCheck(rq.r.Context(), rq.s.b.Store(), uscc, p, rules, listed)
	var tooLarge *ownership.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, nil, errorf(http.StatusUnprocessableEntity, codeCheckTooLarge,
			"the check of %s needs more than checks.max_steps = %d path steps (following the %s of %s within depth %d): lower depth, or raise min_share",
			uscc, tooLarge.MaxSteps, tooLarge.Search, tooLarge.Key, tooLarge.Depth)
	case err != nil:
		return nil, nil, storeError(err)
	}
	out := checkReportOf(st, res)
	doc, err := json.Marshal(out)
	if err != nil {
		return nil, nil, err
	}
	saved := &store.CheckReport{USCC: uscc, Verdict: out.Verdict, ScanID: out.ScanID, CheckedAt: out.CheckedAt,
		CheckedBy: rq.who.Name, Report: doc}
	return out, saved, nil
}

func (s *Server) getCheck(rq *request) error {
	id, err := strconv.ParseInt(rq.r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return errorf(http.StatusBadRequest, codeBadRequest, "check id must be a positive integer, got %q", rq.r.PathValue("id"))
	}
	c, err := rq.s.b.Store().CheckReport(rq.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no check %d", id)
	}
	if err != nil {
		return storeError(err)
	}
	var out checkJSON
	if err := json.Unmarshal(c.Report, &out); err != nil {
		return fmt.Errorf("check %d: stored report: %w", id, err)
	}
	out.ID = c.ID
	return rq.json(http.StatusOK, out.masked(rq.who.Role))
}

// checkListJSON is one saved check of a list.
type checkListJSON struct {
	ID        int64     `json:"id"`
	USCC      string    `json:"uscc"`
	Verdict   string    `json:"verdict"`
	ScanID    int64     `json:"scan_id"`
	CheckedAt time.Time `json:"checked_at"`
}

// checksJSON answers GET /api/v1/checks, the newest first.
type checksJSON struct {
	Checks     []checkListJSON `json:"checks"`
	NextCursor *string         `json:"next_cursor"`
}

func (s *Server) getChecks(rq *request) error {
	f := store.CheckReportFilter{USCC: rq.r.URL.Query().Get("uscc")}
	if f.USCC != "" {
		if err := rq.checkUSCC("uscc", f.USCC); err != nil {
			return err
		}
	}
	limit, err := intParam(rq.r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	if f.BeforeID, err = rq.cursorInt("checks"); err != nil {
		return err
	}
	f.Limit = limit + 1
	cs, err := rq.s.b.Store().CheckReports(rq.r.Context(), f)
	if err != nil {
		return storeError(err)
	}
	var out checksJSON
	if len(cs) > limit {
		cs = cs[:limit]
		out.NextCursor = nextCursor("checks", strconv.FormatInt(cs[limit-1].ID, 10))
	}
	out.Checks = make([]checkListJSON, len(cs))
	for i, c := range cs {
		out.Checks[i] = checkListJSON{c.ID, c.USCC, c.Verdict, c.ScanID, c.CheckedAt}
	}
	return rq.json(http.StatusOK, out)
}
