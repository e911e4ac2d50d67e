package ownership

import "slices"

// Related are the parties whose distress is a firm's own risk (关联方,
// docs/models.md): its actual controller and its majority holders, the
// holders whose penetrated share in it is above 1/2.
type Related struct {
	Controller Controller
	// ControllerShare is the controller's penetrated share within the
	// depth (0 when it lies beyond it).
	ControllerShare float64
	Majority        []Stake // sorted by penetrated share
}

// Parties lists the related firms and persons once each, controller first,
// by node.
func (rel *Related) Parties() []int32 {
	var out []int32
	if rel.Controller.Node >= 0 {
		out = append(out, rel.Controller.Node)
	}
	for _, st := range rel.Majority {
		if st.Node != rel.Controller.Node {
			out = append(out, st.Node)
		}
	}
	return out
}

// above reports whether a computed share exceeds a threshold by more than
// the rounding shareEpsilon absorbs.
func above(share, threshold float64) bool { return share > threshold+shareEpsilon }

// Related returns the related parties of the firm with the given USCC: the
// controller (followed however long its chain is) and the holders within
// p.Depth whose penetrated share is above 1/2. An unknown firm has none. A
// search past p.MaxSteps fails with a *TooLargeError.
func (r *Registry) Related(uscc string, p Params) (*Related, error) {
	rel := &Related{Controller: Controller{Node: -1}}
	err := r.searched(Firm, uscc, p, true, func(s *scratch, t int32) error {
		for _, st := range s.stakes(r, 0.5, -1, true) {
			if above(st.Penetrated, 0.5) {
				rel.Majority = append(rel.Majority, st)
			}
		}
		rel.Controller = r.controller(s, t)
		if c := rel.Controller.Node; c >= 0 && s.slot[c] > 0 {
			rel.ControllerShare = s.pen[s.slot[c]-1]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// Dependents returns the firms of which the firm or person (k, key) may be a
// related party: those its chain of majority stakes reaches downward (each
// link above 1/2, at any depth), and those in which its penetrated share
// within p.Depth is above 1/2. It is a superset of the firms whose Related
// name it (a firm controlled through it by a holder above it names that
// holder), sorted by key; callers judge each with Related. A search past
// p.MaxSteps fails with a *TooLargeError.
func (r *Registry) Dependents(k Kind, key string, p Params) ([]string, error) {
	var out []string
	err := r.searched(k, key, p, false, func(s *scratch, v int32) error {
		seen := map[int32]bool{v: true}
		add := func(u int32) {
			if !seen[u] {
				seen[u] = true
				out = append(out, r.keys[u])
			}
		}
		for sl, u := range s.nodes {
			if above(s.pen[sl], 0.5) {
				add(u)
			}
		}
		if !r.majorityChains(v, len(s.nodes), p.MaxSteps, add) {
			return &TooLargeError{"majority stakes", key, p.Depth, p.MaxSteps}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// majorityChains walks the links above 1/2 downward from v, each node once
// (which ends cycles), calling add on each node reached; it reports false
// once steps, counted on from the given number, pass maxSteps.
func (r *Registry) majorityChains(v int32, steps, maxSteps int, add func(int32)) bool {
	walked := map[int32]bool{v: true}
	for stack := []int32{v}; len(stack) > 0; {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		investees, shares := r.down.row(u)
		for i, w := range investees {
			if shares[i] <= 0.5 || walked[w] {
				continue
			}
			if steps++; steps > maxSteps {
				return false
			}
			walked[w] = true
			add(w)
			stack = append(stack, w)
		}
	}
	return true
}
