package ownership

// Controller is a firm's actual controller (实际控制人): the holder at the
// top of the chain of majority stakes (each link a direct share above 1/2)
// that ends at the firm.
//
// Each firm has at most one holder above 1/2 because its shares sum to at
// most 1; when the tolerance of ShareTolerance lets two holders both exceed
// 1/2, neither is a majority holder. The chain is followed however long it
// is (Params.Depth does not cut it: control passes through any number of
// majority links). A firm without a majority holder has no controller
// (Node −1).
//
// A chain that runs into a cycle of majority stakes (A holds > 1/2 of B and
// B > 1/2 of A, possibly through more firms) has no top: every member is
// controlled by another member and nobody outside controls them, so there is
// no controller, and Cyclic is set with Path listing the chain up to where
// it closes, so that a reviewer sees the mutual control.
type Controller struct {
	Node   int32 // −1 when there is no controller
	Key    string
	Kind   Kind
	Path   []string // the chain, controller (or the last member before the cycle closes) first, the firm last
	Cyclic bool
}

// Controller returns the actual controller of the firm with the given USCC
// (Node −1 for an unknown firm or one without a controller).
func (r *Registry) Controller(uscc string) Controller {
	t, ok := r.firms[uscc]
	if !ok {
		return Controller{Node: -1}
	}
	s := r.scratch(Params{})
	defer r.release(s)
	return r.controller(s, t)
}

// majorityHolder returns v's holder with a direct share above 1/2, if one
// and only one exists.
func (r *Registry) majorityHolder(v int32) (int32, bool) {
	holders, shares := r.up.row(v)
	found := int32(-1)
	for i, x := range shares {
		if x > 0.5 {
			if found >= 0 {
				return -1, false
			}
			found = holders[i]
		}
	}
	return found, found >= 0
}

// controller follows t's majority chain, marking its members on s.onPath
// (and clearing them) to see a cycle close.
func (r *Registry) controller(s *scratch, t int32) Controller {
	chain := []int32{t}
	s.onPath[t] = true
	cyclic := false
	for v := t; ; {
		h, ok := r.majorityHolder(v)
		if !ok {
			break
		}
		if s.onPath[h] {
			cyclic = true
			break
		}
		s.onPath[h] = true
		chain = append(chain, h)
		v = h
	}
	for _, v := range chain {
		s.onPath[v] = false
	}
	c := Controller{Node: -1, Cyclic: cyclic}
	if len(chain) == 1 {
		return c
	}
	c.Path = make([]string, len(chain))
	for i, v := range chain {
		c.Path[len(chain)-1-i] = r.keys[v]
	}
	if !cyclic {
		top := chain[len(chain)-1]
		c.Node, c.Key, c.Kind = top, r.keys[top], r.kinds[top]
	}
	return c
}
