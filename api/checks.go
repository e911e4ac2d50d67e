package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
)

// An investment-attraction check (精准招商, SPEC §8) reports on a target firm, its
// shareholders and its investees, and combines them into a verdict:
//
//   - reject: the target or a shareholder is grade D, defunct (revoked,
//     deregistered, bankrupt) or has an active critical event — the firm or the money
//     behind it is not creditworthy;
//   - caution: the target or a shareholder is grade C or has an active high-severity
//     event; an investee is grade D, defunct or has an active critical event (the
//     target's exposure through its investments); or the target is not in the store
//     (nothing is known about it);
//   - pass: otherwise.
//
// A shareholder or investee the store does not hold is reported as not found and
// does not change the verdict: natural persons and firms registered elsewhere have
// no record here. Reasons list every finding that set the verdict.
const (
	VerdictPass    = "pass"
	VerdictCaution = "caution"
	VerdictReject  = "reject"
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

func (r *firmReport) critical() bool {
	for _, e := range r.SevereEvents {
		if e.Severity == credit.SeverityCritical {
			return true
		}
	}
	return false
}

func (r *firmReport) high() bool {
	for _, e := range r.SevereEvents {
		if e.Severity == credit.SeverityHigh {
			return true
		}
	}
	return false
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
	out := checkJSON{Reasons: []string{}, Shareholders: []firmReport{}, Investees: []firmReport{}, ScanID: st.ScanID,
		CheckedAt: st.At}
	if out.Target, err = rq.report(st, req.USCC); err != nil {
		return err
	}
	for _, u := range req.Shareholders {
		r, err := rq.report(st, u)
		if err != nil {
			return err
		}
		out.Shareholders = append(out.Shareholders, r)
	}
	for _, u := range req.Investees {
		r, err := rq.report(st, u)
		if err != nil {
			return err
		}
		out.Investees = append(out.Investees, r)
	}
	out.Verdict, out.Reasons = verdict(&out)
	return rq.json(http.StatusOK, out)
}

// report reads one firm's credit report.
func (rq *request) report(st *monitor.State, uscc string) (firmReport, error) {
	r := firmReport{USCC: uscc, SevereEvents: []eventJSON{}}
	v, ok := st.Index(uscc)
	if !ok {
		return r, nil
	}
	events, err := rq.events(st, uscc, true)
	if err != nil {
		return r, err
	}
	f := &st.Firms[v]
	r.Found, r.Name, r.Status, r.Grade = true, f.Name, f.Status, st.Grade[v].String()
	r.Score, r.P, r.D = ptr(st.Score[v]), ptr(st.P[v]), ptr(st.D[v])
	for i := range events {
		e := eventOf(st, &events[i])
		if e.Severity == credit.SeverityCritical || e.Severity == credit.SeverityHigh {
			r.SevereEvents = append(r.SevereEvents, e)
		}
	}
	return r, nil
}

// verdict applies the rule documented above.
func verdict(c *checkJSON) (string, []string) {
	var reject, caution []string
	core := append([]firmReport{c.Target}, c.Shareholders...)
	for i, r := range core {
		who := "target " + r.USCC
		if i > 0 {
			who = "shareholder " + r.USCC
		}
		if !r.Found {
			if i == 0 {
				caution = append(caution, who+" is not in the store: nothing is known about it")
			}
			continue
		}
		if r.Status.Defunct() {
			reject = append(reject, fmt.Sprintf("%s is %s", who, r.Status))
		}
		if r.Grade == "D" {
			reject = append(reject, who+" is grade D")
		}
		if r.critical() {
			reject = append(reject, who+" has an active critical event")
		}
		if r.Grade == "C" {
			caution = append(caution, who+" is grade C")
		}
		if r.high() {
			caution = append(caution, who+" has an active high-severity event")
		}
	}
	for _, r := range c.Investees {
		switch {
		case !r.Found:
		case r.Status.Defunct():
			caution = append(caution, fmt.Sprintf("investee %s is %s", r.USCC, r.Status))
		case r.Grade == "D":
			caution = append(caution, "investee "+r.USCC+" is grade D")
		case r.critical():
			caution = append(caution, "investee "+r.USCC+" has an active critical event")
		}
	}
	switch {
	case len(reject) > 0:
		return VerdictReject, reject
	case len(caution) > 0:
		return VerdictCaution, caution
	}
	return VerdictPass, []string{}
}
