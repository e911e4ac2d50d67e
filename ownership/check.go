package ownership

// Owner is a beneficial owner (受益所有人) of a firm: a person whose
// penetrated share reaches Params.BeneficialThreshold or, when no person
// does, the firm's legal representative, marked Fallback (with the stake it
// holds, if any).
type Owner struct {
	Stake
	Fallback bool
}

// OtherFirm is a firm linked to a firm's legal representative: one the same
// person represents (SameLegalRep) and/or one in which that person's
// penetrated share reaches Params.MinShare (Stake.Penetrated; 0 and no path
// when below it).
type OtherFirm struct {
	Stake
	SameLegalRep bool
}

// Check is everything the ownership registry says about one firm (docs/models.md).
type Check struct {
	Target string
	Found  bool // the firm is in the registry; when false every list is empty
	// Holders are every holder reached upward within Params.Depth.
	Holders          []Stake
	BeneficialOwners []Owner
	Controller       Controller
	// Investees are the firms below the target whose penetrated share from
	// it reaches Params.MinShare.
	Investees []Stake
	LegalRep  string // person_id of the legal representative, "" when unknown
	// LegalRepFirms are the legal representative's other firms: those with
	// a stake first (by penetrated share), then those only represented (by key).
	LegalRepFirms []OtherFirm
	KnownShare    float64 // Σ of the direct holders' shares, at most 1
	Steps         int     // path steps the check took
}

// Check computes the ownership check of the firm with the given USCC. An
// unknown firm is no error: its Check has Found false. A check that needs
// more than p.MaxSteps path steps fails with a *TooLargeError (ErrTooLarge).
func (r *Registry) Check(uscc string, p Params) (*Check, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &Check{Target: uscc, Controller: Controller{Node: -1}}
	t, ok := r.firms[uscc]
	if !ok {
		return c, nil
	}
	c.Found = true
	s := r.scratch(p)
	defer r.release(s)
	if !s.search(&r.up, t, p.Depth) {
		return nil, &TooLargeError{"holders", uscc, p.Depth, p.MaxSteps}
	}
	c.Holders = s.stakes(r, 0, -1, true)
	if !s.search(&r.down, t, p.Depth) {
		return nil, &TooLargeError{"investees", uscc, p.Depth, p.MaxSteps}
	}
	c.Investees = s.stakes(r, p.MinShare, -1, false)
	c.Controller = r.controller(s, t)
	c.KnownShare = r.knownShare(t)
	rep, hasRep := r.LegalRepOf(t)
	c.BeneficialOwners = beneficialOwners(c.Holders, r, rep, hasRep, p.BeneficialThreshold)
	if hasRep {
		c.LegalRep = r.keys[rep]
		if c.LegalRepFirms, ok = r.otherFirms(s, t, rep, p); !ok {
			return nil, &TooLargeError{"legal representative's investees", c.LegalRep, p.Depth, p.MaxSteps}
		}
	}
	c.Steps = s.steps
	return c, nil
}

// Holders returns every holder of the firm reached within p.Depth (nil for
// an unknown firm), sorted by penetrated share.
func (r *Registry) Holders(uscc string, p Params) ([]Stake, error) {
	return r.stakes(Firm, uscc, p, true)
}

// Investees returns every firm below a firm or person within p.Depth in
// which its penetrated share reaches p.MinShare, sorted by penetrated share.
func (r *Registry) Investees(k Kind, key string, p Params) ([]Stake, error) {
	return r.stakes(k, key, p, false)
}

func (r *Registry) stakes(k Kind, key string, p Params, upward bool) ([]Stake, error) {
	min := p.MinShare
	if upward {
		min = 0
	}
	var out []Stake
	err := r.searched(k, key, p, upward, func(s *scratch, _ int32) error {
		out = s.stakes(r, min, -1, upward)
		return nil
	})
	return out, err
}

// searched checks p, runs one search from the node (k, key) along holdings
// (upward: to its holders) within p.Depth, and hands its scratch and start to
// fn; an unknown node runs nothing. A search past p.MaxSteps fails with a
// *TooLargeError.
func (r *Registry) searched(k Kind, key string, p Params, upward bool, fn func(s *scratch, v int32) error) error {
	if err := p.Validate(); err != nil {
		return err
	}
	v, ok := r.Lookup(k, key)
	if !ok {
		return nil
	}
	s := r.scratch(p)
	defer r.release(s)
	adj, what := &r.down, "investees"
	if upward {
		adj, what = &r.up, "holders"
	}
	if !s.search(adj, v, p.Depth) {
		return &TooLargeError{what, key, p.Depth, p.MaxSteps}
	}
	return fn(s, v)
}

// knownShare is Σ of t's direct holders' shares, capped at 1 (the sum may
// exceed it by ShareTolerance).
func (r *Registry) knownShare(t int32) float64 {
	sum := 0.0
	_, shares := r.up.row(t)
	for _, x := range shares {
		sum += x
	}
	return min(sum, 1)
}

// beneficialOwners picks the persons among holders (sorted by penetrated
// share) at or above threshold, else the legal representative as fallback.
func beneficialOwners(holders []Stake, r *Registry, rep int32, hasRep bool, threshold float64) []Owner {
	var out []Owner
	for _, h := range holders {
		if !atLeast(h.Penetrated, threshold) {
			break
		}
		if h.Kind == Person {
			out = append(out, Owner{Stake: h})
		}
	}
	if len(out) > 0 || !hasRep {
		return out
	}
	st := Stake{Node: rep, Key: r.keys[rep], Kind: Person}
	for _, h := range holders {
		if h.Node == rep {
			st = h
			break
		}
	}
	return []Owner{{Stake: st, Fallback: true}}
}

// otherFirms lists the firms other than t that t's legal representative rep
// holds at least p.MinShare of (penetrated) or also represents. It reports
// false when the budget ran out.
func (r *Registry) otherFirms(s *scratch, t, rep int32, p Params) ([]OtherFirm, bool) {
	if !s.search(&r.down, rep, p.Depth) {
		return nil, false
	}
	stakes := s.stakes(r, p.MinShare, t, false)
	same := r.Represents(rep)
	out := make([]OtherFirm, 0, len(stakes)+max(0, len(same)-1))
	at := make(map[int32]int, len(stakes))
	for i, st := range stakes {
		out = append(out, OtherFirm{Stake: st})
		at[st.Node] = i
	}
	for _, f := range same {
		if f == t {
			continue
		}
		if i, ok := at[f]; ok {
			out[i].SameLegalRep = true
			continue
		}
		out = append(out, OtherFirm{Stake: Stake{Node: f, Key: r.keys[f], Kind: Firm}, SameLegalRep: true})
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}
