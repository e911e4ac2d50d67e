package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
)

// The verdicts of an investment-attraction check (精准招商, SPEC §8, §16), as POST
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
	Shareholders []string `json:"shareholders"`
	Investees    []string `json:"investees"`
}

type checkJSON struct {
	Verdict      string       `json:"verdict"`
	Reasons      []string     `json:"reasons"`
	Target       firmReport   `json:"target"`
	Shareholders []firmReport `json:"shareholders"`
	Investees    []firmReport `json:"investees"`
	ScanID       int64        `json:"scan_id"`
	CheckedAt    time.Time    `json:"checked_at"`
}

// firmReport is the credit report of one firm of a check.
type firmReport struct {
	USCC   string        `json:"uscc"`
	Found  bool          `json:"found"`
	Name   string        `json:"name,omitempty"`
	Status credit.Status `json:"status,omitempty"`
	Grade  string        `json:"grade,omitempty"`
	Score  *float64      `json:"score,omitempty"`
	P      *float64      `json:"p,omitempty"`
	D      *float64      `json:"d,omitempty"`
	// SevereEvents are the active events of severity critical or high.
	SevereEvents []eventJSON `json:"severe_events"`
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
	st, err := rq.ready()
	if err != nil {
		return err
	}
	out := checkJSON{ScanID: st.ScanID, CheckedAt: st.At}
	var in risk.InvestmentCheck
	if out.Target, in.Target, err = rq.report(st, req.USCC); err != nil {
		return err
	}
	if out.Shareholders, in.Holders, err = rq.reports(st, req.Shareholders); err != nil {
		return err
	}
	if out.Investees, in.Investees, err = rq.reports(st, req.Investees); err != nil {
		return err
	}
	v, reasons := risk.CheckVerdict(&in, rq.cfg.Checks.CheckRules())
	out.Verdict, out.Reasons = string(v), make([]string, len(reasons))
	for i, r := range reasons {
		out.Reasons[i] = r.EN
	}
	return rq.json(http.StatusOK, out)
}

// reports reads the credit reports of firms the caller listed, and what the
// verdict needs of them.
func (rq *request) reports(st *monitor.State, usccs []string) ([]firmReport, []risk.CheckParty, error) {
	out, in := make([]firmReport, 0, len(usccs)), make([]risk.CheckParty, 0, len(usccs))
	for _, u := range usccs {
		r, f, err := rq.report(st, u)
		if err != nil {
			return nil, nil, err
		}
		out, in = append(out, r), append(in, risk.CheckParty{Firm: f, Listed: true})
	}
	return out, in, nil
}

// report reads one firm's credit report, and what the verdict needs of it.
func (rq *request) report(st *monitor.State, uscc string) (firmReport, risk.CheckedFirm, error) {
	r, f := firmReport{USCC: uscc, SevereEvents: []eventJSON{}}, risk.CheckedFirm{USCC: uscc}
	v, ok := st.Index(uscc)
	if !ok {
		return r, f, nil
	}
	events, err := rq.events(st, uscc, true)
	if err != nil {
		return r, f, err
	}
	firm := &st.Firms[v]
	r.Found, r.Name, r.Status, r.Grade = true, firm.Name, firm.Status, st.Grade[v].String()
	r.Score, r.P, r.D = ptr(st.Score[v]), ptr(st.P[v]), ptr(st.D[v])
	f.Found, f.Status, f.Grade = true, firm.Status, st.Grade[v]
	for i := range events {
		e := eventOf(st, &events[i])
		f.Severities = append(f.Severities, e.Severity)
		if e.Severity == credit.SeverityCritical || e.Severity == credit.SeverityHigh {
			r.SevereEvents = append(r.SevereEvents, e)
		}
	}
	return r, f, nil
}
