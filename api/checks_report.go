package api

import (
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/tokens"
	"github.com/chainrisk/chainrisk/visibility"
)

// checkJSON is the report of an investment-attraction check (docs/models.md), as
// saved — with persons' names in full — and, masked for the caller, answered.
type checkJSON struct {
	ID                  int64            `json:"id"`
	Verdict             string           `json:"verdict"`
	Reasons             []reasonJSON     `json:"reasons"`
	Target              FirmReport       `json:"target"`
	Shareholders        []partyJSON      `json:"shareholders"`
	BeneficialOwners    []ownerJSON      `json:"beneficial_owners"`
	ActualController    *controllerJSON  `json:"actual_controller"`
	Investees           []partyJSON      `json:"investees"`
	LegalRepresentative *legalRepJSON    `json:"legal_representative"`
	Completeness        completenessJSON `json:"completeness"`
	ScanID              int64            `json:"scan_id"`
	CheckedAt           time.Time        `json:"checked_at"`
}

type reasonJSON struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Subject  string `json:"subject"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
}

// FirmReport is the credit report of one firm of a check. It is exported because
// partyJSON embeds it by pointer, which encoding/json sets only for exported types.
type FirmReport struct {
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

// partyJSON is a firm's report or a person's key and name, with a stake. Name
// is the firm's or the person's: it hides the firm report's own.
type partyJSON struct {
	HolderKind string `json:"holder_kind"`
	*FirmReport
	PersonID        string   `json:"person_id,omitempty"`
	Name            string   `json:"name,omitempty"`
	Share           float64  `json:"share"`
	PenetratedShare float64  `json:"penetrated_share"`
	Path            []string `json:"path"`
	Listed          bool     `json:"listed,omitempty"`
}

type ownerJSON struct {
	partyJSON
	Fallback bool `json:"fallback"`
}

type controllerJSON struct {
	partyJSON
	Cyclic bool `json:"cyclic"`
}

type otherFirmJSON struct {
	partyJSON
	SameLegalRep bool `json:"same_legal_rep"`
}

type legalRepJSON struct {
	PersonID   string          `json:"person_id"`
	Name       string          `json:"name"`
	OtherFirms []otherFirmJSON `json:"other_firms"`
}

type completenessJSON struct {
	KnownShare float64 `json:"known_share"`
}

// checkReportOf renders a check's result, names in full.
func checkReportOf(st *monitor.State, r *monitor.CheckResult) *checkJSON {
	out := &checkJSON{Verdict: string(r.Verdict), Reasons: make([]reasonJSON, len(r.Reasons)),
		Target: firmReportOf(st, &r.Target), Shareholders: partiesOf(st, r.Holders), Investees: partiesOf(st, r.Investees),
		BeneficialOwners: []ownerJSON{}, Completeness: completenessJSON{r.KnownShare}, ScanID: r.ScanID, CheckedAt: r.At}
	for i, x := range r.Reasons {
		out.Reasons[i] = reasonJSON{x.Code, string(x.Severity), x.Subject, x.ZH, x.EN}
	}
	for i := range r.BeneficialOwners {
		o := &r.BeneficialOwners[i]
		out.BeneficialOwners = append(out.BeneficialOwners, ownerJSON{partyOf(st, o), o.Fallback})
	}
	if c := r.Controller; c != nil {
		out.ActualController = &controllerJSON{partyOf(st, c), c.Cyclic}
	}
	if r.LegalRepID != "" {
		lr := &legalRepJSON{PersonID: r.LegalRepID, Name: r.LegalRepName, OtherFirms: []otherFirmJSON{}}
		for i := range r.LegalRepFirms {
			f := &r.LegalRepFirms[i]
			lr.OtherFirms = append(lr.OtherFirms, otherFirmJSON{partyOf(st, f), f.SameLegalRep})
		}
		out.LegalRepresentative = lr
	}
	return out
}

func firmReportOf(st *monitor.State, f *monitor.CheckedFirm) FirmReport {
	r := FirmReport{USCC: f.USCC, Found: f.Found, SevereEvents: make([]eventJSON, 0, len(f.Severe))}
	if f.Found {
		r.Name, r.Status, r.Grade = f.Name, f.Status, f.Grade.String()
		r.Score, r.P, r.D = ptr(f.Score), ptr(f.P), ptr(f.D)
	}
	for i := range f.Severe {
		r.SevereEvents = append(r.SevereEvents, eventOf(st, &f.Severe[i]))
	}
	return r
}

func partiesOf(st *monitor.State, ps []monitor.CheckParty) []partyJSON {
	out := make([]partyJSON, len(ps))
	for i := range ps {
		out[i] = partyOf(st, &ps[i])
	}
	return out
}

func partyOf(st *monitor.State, p *monitor.CheckParty) partyJSON {
	out := partyJSON{HolderKind: p.Kind.String(), Share: p.Direct, PenetratedShare: p.Penetrated,
		Path: p.Path, Listed: p.Listed}
	if out.Path == nil {
		out.Path = []string{}
	}
	if p.Kind == ownership.Person {
		out.PersonID, out.Name = p.Key, p.Name
		return out
	}
	r := firmReportOf(st, p.Firm)
	out.FirmReport, out.Name = &r, r.Name
	return out
}

// masked returns the report as a caller of the given role may read it: every
// natural person's name through visibility.PersonName.
func (c *checkJSON) masked(role tokens.Role) *checkJSON {
	m := *c
	name := func(p partyJSON) partyJSON {
		if p.HolderKind == ownership.Person.String() {
			p.Name = visibility.PersonName(role, p.Name)
		}
		return p
	}
	m.Shareholders = make([]partyJSON, len(c.Shareholders))
	for i, p := range c.Shareholders {
		m.Shareholders[i] = name(p)
	}
	m.BeneficialOwners = make([]ownerJSON, len(c.BeneficialOwners))
	for i, o := range c.BeneficialOwners {
		m.BeneficialOwners[i] = ownerJSON{name(o.partyJSON), o.Fallback}
	}
	if a := c.ActualController; a != nil {
		m.ActualController = &controllerJSON{name(a.partyJSON), a.Cyclic}
	}
	if lr := c.LegalRepresentative; lr != nil {
		x := *lr
		x.Name = visibility.PersonName(role, lr.Name)
		m.LegalRepresentative = &x
	}
	return &m
}
