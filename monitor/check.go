package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// EventReader reads stored events (store.DataStore has it).
type EventReader interface {
	Events(ctx context.Context, f store.EventFilter, fn func(*credit.Event) error) error
}

// CheckedFirm is what an investment-attraction check reports of one firm: its
// state in the scan and its active events of severity high or critical.
type CheckedFirm struct {
	USCC   string
	Found  bool // the state holds the firm; the fields below are zero when not
	Name   string
	Status credit.Status
	Grade  risk.Grade
	Score  float64
	P, D   float64
	Severe []credit.Event
	// verdict is what the verdict needs of the firm.
	verdict risk.CheckedFirm
}

// CheckParty is a holder, beneficial owner, actual controller, investee or
// other firm of the legal representative of a check's target.
type CheckParty struct {
	ownership.Stake
	Firm   *CheckedFirm // nil for a natural person
	Name   string       // a person's name, in full; "" when unknown
	Listed bool         // named by the caller
	// Fallback marks the legal representative reported as beneficial owner
	// because no person reaches the threshold; SameLegalRep a firm the
	// legal representative also represents; Cyclic a controller chain that
	// closes on itself.
	Fallback, SameLegalRep, Cyclic bool
}

// CheckResult is an investment-attraction check of a firm (精准招商, docs/models.md):
// the ownership registry's findings, the credit state of every firm in them
// and the verdict.
type CheckResult struct {
	Target           CheckedFirm
	Holders          []CheckParty
	BeneficialOwners []CheckParty
	Controller       *CheckParty // nil when there is none
	Investees        []CheckParty
	LegalRepID       string // "" when unknown
	LegalRepName     string
	LegalRepFirms    []CheckParty
	KnownShare       float64
	Verdict          risk.Verdict
	Reasons          []risk.Reason
	ScanID           int64
	At               time.Time
}

// Listed are the firms a caller names besides what the ownership data finds:
// they are judged whatever their share.
type Listed struct {
	Holders, Investees []string
}

// InvestmentCheck checks the firm uscc with the ownership registry of the
// state and judges it by rules. An unknown firm is no error (its report is
// not found); a check past p.MaxSteps fails with ownership.ErrTooLarge.
func (s *State) InvestmentCheck(ctx context.Context, db EventReader, uscc string, p ownership.Params,
	rules risk.CheckRules, listed Listed) (*CheckResult, error) {
	reg := s.Owners
	if reg == nil {
		reg, _ = ownership.Build(nil, nil)
	}
	c, err := reg.Check(uscc, p)
	if err != nil {
		return nil, err
	}
	f := &firmFacts{s: s, db: db, ctx: ctx, seen: map[string]*CheckedFirm{}}
	out := &CheckResult{ScanID: s.ScanID, At: s.At, KnownShare: c.KnownShare, LegalRepID: c.LegalRep,
		LegalRepName: s.People[c.LegalRep]}
	target, err := f.firm(uscc)
	if err != nil {
		return nil, err
	}
	out.Target = *target
	if out.Holders, err = f.parties(c.Holders, listed.Holders); err != nil {
		return nil, err
	}
	if out.Investees, err = f.parties(c.Investees, listed.Investees); err != nil {
		return nil, err
	}
	for _, o := range c.BeneficialOwners {
		out.BeneficialOwners = append(out.BeneficialOwners, CheckParty{Stake: o.Stake, Name: s.People[o.Key], Fallback: o.Fallback})
	}
	if out.Controller, err = f.controller(c); err != nil {
		return nil, err
	}
	for _, o := range c.LegalRepFirms {
		x, err := f.party(o.Stake)
		if err != nil {
			return nil, err
		}
		x.SameLegalRep = o.SameLegalRep
		out.LegalRepFirms = append(out.LegalRepFirms, x)
	}
	out.Verdict, out.Reasons = risk.CheckVerdict(out.verdictInput(c.Found), rules)
	return out, nil
}

// verdictInput is what risk.CheckVerdict judges. The known share counts only
// when the registry holds the target.
func (r *CheckResult) verdictInput(owned bool) *risk.InvestmentCheck {
	in := &risk.InvestmentCheck{Target: r.Target.verdict}
	if owned {
		in.KnownShare = &r.KnownShare
	}
	judged := func(p *CheckParty) risk.CheckParty {
		x := risk.CheckParty{Share: p.Penetrated, Listed: p.Listed}
		if p.Firm != nil {
			x.Firm = p.Firm.verdict
		} else {
			x.PersonID = p.Key
		}
		return x
	}
	if r.Controller != nil {
		x := judged(r.Controller)
		in.Controller = &x
	}
	for i := range r.Holders {
		in.Holders = append(in.Holders, judged(&r.Holders[i]))
	}
	for i := range r.Investees {
		in.Investees = append(in.Investees, judged(&r.Investees[i]))
	}
	return in
}

// firmFacts reads the credit facts of the firms of one check, once each.
type firmFacts struct {
	s    *State
	db   EventReader
	ctx  context.Context
	seen map[string]*CheckedFirm
}

// firm reads a firm's state; its events only when it has active ones.
func (f *firmFacts) firm(uscc string) (*CheckedFirm, error) {
	if r, ok := f.seen[uscc]; ok {
		return r, nil
	}
	r := &CheckedFirm{USCC: uscc, verdict: risk.CheckedFirm{USCC: uscc}}
	f.seen[uscc] = r
	s := f.s
	v, ok := s.Index(uscc)
	if !ok {
		return r, nil
	}
	firm := &s.Firms[v]
	r.Found, r.Name, r.Status, r.Grade = true, firm.Name, firm.Status, s.Grade[v]
	r.Score, r.P, r.D = s.Score[v], s.P[v], s.D[v]
	r.verdict.Found, r.verdict.Status, r.verdict.Grade = true, firm.Status, s.Grade[v]
	if len(s.FirmEvents(v)) == 0 {
		return r, nil
	}
	err := f.db.Events(f.ctx, store.EventFilter{USCC: uscc, ActiveAt: s.At}, func(e *credit.Event) error {
		sev := credit.SeverityInfo
		if t, ok := s.Params.Model.Catalogue.Lookup(e.Type); ok {
			sev = t.Severity
		}
		r.verdict.Severities = append(r.verdict.Severities, sev)
		if sev == credit.SeverityCritical || sev == credit.SeverityHigh {
			r.Severe = append(r.Severe, *e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", uscc, err)
	}
	return r, nil
}

// party reports one stake: a firm's facts, or a person's name.
func (f *firmFacts) party(st ownership.Stake) (CheckParty, error) {
	p := CheckParty{Stake: st}
	if st.Kind == ownership.Person {
		p.Name = f.s.People[st.Key]
		return p, nil
	}
	r, err := f.firm(st.Key)
	p.Firm = r
	return p, err
}

// parties reports stakes, then the listed firms the stakes do not hold, and
// marks the listed ones.
func (f *firmFacts) parties(stakes []ownership.Stake, listed []string) ([]CheckParty, error) {
	out := make([]CheckParty, 0, len(stakes)+len(listed))
	at := map[string]int{}
	for _, st := range stakes {
		p, err := f.party(st)
		if err != nil {
			return nil, err
		}
		if st.Kind == ownership.Firm {
			at[st.Key] = len(out)
		}
		out = append(out, p)
	}
	for _, u := range listed {
		if i, ok := at[u]; ok {
			out[i].Listed = true
			continue
		}
		p, err := f.party(ownership.Stake{Node: -1, Key: u, Kind: ownership.Firm})
		if err != nil {
			return nil, err
		}
		p.Listed, at[u] = true, len(out)
		out = append(out, p)
	}
	return out, nil
}

// controller reports the actual controller, with its penetrated share when
// it is among the holders.
func (f *firmFacts) controller(c *ownership.Check) (*CheckParty, error) {
	if c.Controller.Node < 0 {
		return nil, nil
	}
	st := ownership.Stake{Node: c.Controller.Node, Key: c.Controller.Key, Kind: c.Controller.Kind}
	for _, h := range c.Holders {
		if h.Node == c.Controller.Node {
			st = h
			break
		}
	}
	st.Path = c.Controller.Path
	p, err := f.party(st)
	if err != nil {
		return nil, err
	}
	p.Cyclic = c.Controller.Cyclic
	return &p, nil
}
