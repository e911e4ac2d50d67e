package monitor

import (
	"context"
	"errors"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
)

// RelatedParty is a related party of a firm (docs/models.md): its actual
// controller, a majority holder (penetrated share above 1/2), or both.
type RelatedParty struct {
	CheckParty
	Controller, Majority bool
	// Distressed: a firm of grade D or with an active critical event.
	Distressed bool
}

// registry is the state's ownership registry, an empty one before any.
func (s *State) registry() *ownership.Registry {
	if s.Owners != nil {
		return s.Owners
	}
	reg, _ := ownership.Build(nil, nil)
	return reg
}

// Related returns the related parties of the firm uscc in the state's
// ownership registry (none for a firm it does not hold).
func (s *State) Related(uscc string, p ownership.Params) (*ownership.Related, error) {
	return s.registry().Related(uscc, p)
}

// Distressed reports whether firm v is in distress as related-party risk
// counts it: grade D, or an active event whose type is critical. It reads the
// catalogue by type index, as the alert rule asks it of every firm on full scans.
func (s *State) Distressed(v int32) bool {
	if s.Grade[v] == risk.GradeD {
		return true
	}
	model := s.Params.Model
	for _, ev := range s.FirmEvents(v) {
		if sev, ok := model.Severity(ev.Type); ok && sev == credit.SeverityCritical {
			return true
		}
	}
	return false
}

// RelatedParties reports the related parties of the firm uscc with their
// credit facts, controller first, then by penetrated share. A holder search
// past p.MaxSteps reports the controller alone (it needs no budget) and
// complete false.
func (s *State) RelatedParties(ctx context.Context, db EventReader, uscc string, p ownership.Params) (
	parties []RelatedParty, complete bool, err error) {
	rel, err := s.Related(uscc, p)
	complete = true
	if errors.Is(err, ownership.ErrTooLarge) {
		rel, complete = &ownership.Related{Controller: s.registry().Controller(uscc)}, false
	} else if err != nil {
		return nil, false, err
	}
	f := &firmFacts{s: s, db: db, ctx: ctx, seen: map[string]*CheckedFirm{}}
	add := func(st ownership.Stake, controller, majority bool) error {
		cp, err := f.party(st)
		if err != nil {
			return err
		}
		x := RelatedParty{CheckParty: cp, Controller: controller, Majority: majority}
		if v, ok := s.Index(st.Key); ok && st.Kind == ownership.Firm {
			x.Distressed = s.Distressed(v)
		}
		parties = append(parties, x)
		return nil
	}
	c := rel.Controller
	if c.Node >= 0 {
		st := ownership.Stake{Node: c.Node, Key: c.Key, Kind: c.Kind, Path: c.Path, Penetrated: rel.ControllerShare}
		majority := false
		for _, m := range rel.Majority {
			if m.Node == c.Node {
				st, majority = m, true
				st.Path = c.Path
			}
		}
		if err := add(st, true, majority); err != nil {
			return nil, false, err
		}
	}
	for _, m := range rel.Majority {
		if m.Node != c.Node {
			if err := add(m, false, true); err != nil {
				return nil, false, err
			}
		}
	}
	return parties, complete, nil
}
