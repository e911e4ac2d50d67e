package monitor

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/store"
)

// ownersLoad collects, while a full scan streams the enterprises, what the
// ownership registry needs of them: their legal representatives and those
// persons' names.
type ownersLoad struct {
	reps   []ownership.LegalRep
	people map[string]string
}

func (o *ownersLoad) enterprise(e *credit.Enterprise) {
	if e.LegalRepID == "" {
		return
	}
	o.reps = append(o.reps, ownership.LegalRep{Firm: e.USCC, Person: e.LegalRepID})
	if e.LegalRepName != "" {
		o.people[e.LegalRepID] = e.LegalRepName
	}
}

// holdingOf converts a stored stake to the registry's.
func holdingOf(h *credit.Shareholding) ownership.Holding {
	k := ownership.Firm
	if h.HolderKind == credit.HolderPerson {
		k = ownership.Person
	}
	return ownership.Holding{Holder: h.Holder, HolderKind: k, Investee: h.Investee, Share: h.Share}
}

// keyOf names a stored stake by its ends, in the registry's terms.
func keyOf(h *credit.Shareholding) ownership.HoldingKey {
	x := holdingOf(h)
	return ownership.HoldingKey{Holder: x.Holder, HolderKind: x.HolderKind, Investee: x.Investee}
}

// loadOwners builds the registry of the holdings current at s.At. The store
// enforces the registry's rules, so a build error is a defect: it is logged
// and prev's registry kept, and the scan goes on.
func (r *scanRun) loadOwners(ctx context.Context, prev, s *State, o *ownersLoad) error {
	var holdings []ownership.Holding
	err := r.e.db.Shareholdings(ctx, func(h *credit.Shareholding) error {
		if !h.CurrentAt(s.At) {
			return nil
		}
		r.seen.afterID(h.Until, h.Investee)
		holdings = append(holdings, holdingOf(h))
		if h.HolderKind == credit.HolderPerson && h.HolderName != "" {
			o.people[h.Holder] = h.HolderName
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("shareholdings: %w", err)
	}
	reg, err := ownership.Build(holdings, o.reps)
	if err != nil {
		r.keepOwners(prev, s, err)
		return nil
	}
	s.Owners, s.People = reg, o.people
	return nil
}

// keepOwners publishes prev's registry (an empty one on the first scan) after
// a failed build or change.
func (r *scanRun) keepOwners(prev, s *State, err error) {
	r.e.log.Error("ownership registry not updated: the previous one is kept", "scan", r.sc.ID, "err", err)
	if prev != nil && prev.Owners != nil {
		s.Owners, s.People = prev.Owners, prev.People
		return
	}
	s.Owners, _ = ownership.Build(nil, nil)
	s.People = map[string]string{}
}

// applyOwners carries prev's registry over to s, changed by the holdings and
// legal representatives of the touched firms that sub holds.
func (r *scanRun) applyOwners(prev, s *State, sub *store.Subset, touched []string) {
	reg := prev.Owners
	if reg == nil {
		r.keepOwners(prev, s, fmt.Errorf("the previous state has no registry"))
		return
	}
	c, people := ownerChanges(reg, sub, touched, s.At)
	s.Owners, s.People = reg, prev.People
	if len(people) > 0 {
		s.People = maps.Clone(prev.People)
		maps.Copy(s.People, people)
	}
	if len(c.Set)+len(c.Remove)+len(c.LegalReps) == 0 {
		return
	}
	next, err := reg.Apply(c)
	if err != nil {
		r.keepOwners(prev, s, err)
		return
	}
	s.Owners = next
}

// ownerChanges compares what reg holds of the touched firms — their holders,
// their investees, their legal representatives — with what sub says at the
// scan's clock: a stake current in sub and new or of another share is set; a
// stake of reg that sub does not hold as current (ended, or deleted) is
// removed. It also returns the names of the persons sub names.
func ownerChanges(reg *ownership.Registry, sub *store.Subset, touched []string, at time.Time) (ownership.Changes, map[string]string) {
	var c ownership.Changes
	people := map[string]string{}
	want := make(map[ownership.HoldingKey]float64, len(sub.Shareholdings))
	for i := range sub.Shareholdings {
		h := &sub.Shareholdings[i]
		if h.HolderKind == credit.HolderPerson && h.HolderName != "" {
			people[h.Holder] = h.HolderName
		}
		if h.CurrentAt(at) {
			want[keyOf(h)] = h.Share
		}
	}
	have := map[ownership.HoldingKey]float64{}
	for _, u := range touched {
		v, ok := reg.Lookup(ownership.Firm, u)
		if !ok {
			continue
		}
		holders, shares := reg.HoldersOf(v)
		for i, h := range holders {
			have[ownership.HoldingKey{Holder: reg.Key(h), HolderKind: reg.Kind(h), Investee: u}] = shares[i]
		}
		investees, shares := reg.InvesteesOf(v)
		for i, f := range investees {
			have[ownership.HoldingKey{Holder: u, HolderKind: ownership.Firm, Investee: reg.Key(f)}] = shares[i]
		}
	}
	for k, share := range want {
		if old, ok := have[k]; !ok || old != share {
			c.Set = append(c.Set, ownership.Holding{Holder: k.Holder, HolderKind: k.HolderKind, Investee: k.Investee, Share: share})
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			c.Remove = append(c.Remove, k)
		}
	}
	for i := range sub.Enterprises {
		e := &sub.Enterprises[i]
		if e.LegalRepID != "" && e.LegalRepName != "" {
			people[e.LegalRepID] = e.LegalRepName
		}
		old := ""
		if v, ok := reg.Lookup(ownership.Firm, e.USCC); ok {
			if p, ok := reg.LegalRepOf(v); ok {
				old = reg.Key(p)
			}
		}
		if old != e.LegalRepID {
			c.LegalReps = append(c.LegalReps, ownership.LegalRep{Firm: e.USCC, Person: e.LegalRepID})
		}
	}
	sortChanges(&c)
	return c, people
}

// sortChanges orders the changes by key, so that a scan's changes (collected
// from maps) and the errors they may give do not depend on map order.
func sortChanges(c *ownership.Changes) {
	byKey := func(a, b ownership.HoldingKey) int {
		return cmp.Or(strings.Compare(a.Investee, b.Investee), cmp.Compare(a.HolderKind, b.HolderKind), strings.Compare(a.Holder, b.Holder))
	}
	slices.SortFunc(c.Set, func(a, b ownership.Holding) int {
		return byKey(ownership.HoldingKey{Holder: a.Holder, HolderKind: a.HolderKind, Investee: a.Investee},
			ownership.HoldingKey{Holder: b.Holder, HolderKind: b.HolderKind, Investee: b.Investee})
	})
	slices.SortFunc(c.Remove, byKey)
}
