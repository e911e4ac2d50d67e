package ownership

import (
	"fmt"
	"slices"
)

// Neighbourhood is the ownership graph around a firm: its holders up to a
// depth, the firms below it up to the same depth, and every holding between
// two of them.
type Neighbourhood struct {
	// Nodes lists the target first, then the nodes by distance (holders
	// before investees at one distance), then by key.
	Nodes []Near
	// Links are the holdings between nodes of Nodes (indexes into it),
	// sorted by holder, then investee.
	Links []NearLink
}

// Near is a node of a Neighbourhood with its distance from the target: Up
// holdings above it, Down below it (−1 when not reached that way; 0 and 0
// for the target; both set for a node a cycle reaches both ways).
type Near struct {
	Node     int32
	Key      string
	Kind     Kind
	Up, Down int
}

// NearLink is a holding between two nodes of a Neighbourhood.
type NearLink struct {
	Holder, Investee int // indexes into Neighbourhood.Nodes
	Share            float64
}

// NeighbourhoodTooLargeError is the error of a neighbourhood with more nodes
// or links than its bound; errors.Is(err, ErrTooLarge) holds.
type NeighbourhoodTooLargeError struct {
	Key      string
	Depth    int
	MaxNodes int
}

func (e *NeighbourhoodTooLargeError) Error() string {
	return fmt.Sprintf("ownership: the graph within %d holdings of %s has more than %d nodes or links",
		e.Depth, e.Key, e.MaxNodes)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *NeighbourhoodTooLargeError) Unwrap() error { return ErrTooLarge }

// Around returns the neighbourhood of the firm with the given USCC within
// depth holdings up and down (breadth first, each node once), nil for an
// unknown firm. More than maxNodes nodes, or more than maxNodes links,
// fail with a *NeighbourhoodTooLargeError.
func (r *Registry) Around(uscc string, depth, maxNodes int) (*Neighbourhood, error) {
	if depth < 1 || depth > MaxDepth {
		return nil, fmt.Errorf("ownership: depth %d outside [1, %d]", depth, MaxDepth)
	}
	t, ok := r.firms[uscc]
	if !ok {
		return nil, nil
	}
	tooLarge := &NeighbourhoodTooLargeError{uscc, depth, maxNodes}
	at := map[int32]int{t: 0}
	n := &Neighbourhood{Nodes: []Near{{Node: t, Key: uscc, Kind: Firm}}}
	for _, upward := range []bool{true, false} {
		adj := &r.down
		if upward {
			adj = &r.up
		}
		frontier := []int32{t}
		for d := 1; d <= depth && len(frontier) > 0; d++ {
			var next []int32
			for _, v := range frontier {
				row, _ := adj.row(v)
				for _, w := range row {
					i, seen := at[w]
					if !seen {
						if len(n.Nodes) >= maxNodes {
							return nil, tooLarge
						}
						i = len(n.Nodes)
						at[w] = i
						n.Nodes = append(n.Nodes, Near{Node: w, Key: r.keys[w], Kind: r.kinds[w], Up: -1, Down: -1})
					}
					x := &n.Nodes[i]
					if upward && x.Up < 0 || !upward && x.Down < 0 {
						if upward {
							x.Up = d
						} else {
							x.Down = d
						}
						next = append(next, w)
					}
				}
			}
			frontier = next
		}
	}
	sortNear(n.Nodes[1:])
	for i, x := range n.Nodes {
		at[x.Node] = i
	}
	for i, x := range n.Nodes {
		holders, shares := r.up.row(x.Node)
		for j, h := range holders {
			if k, ok := at[h]; ok {
				if len(n.Links) >= maxNodes {
					return nil, tooLarge
				}
				n.Links = append(n.Links, NearLink{Holder: k, Investee: i, Share: shares[j]})
			}
		}
	}
	slices.SortFunc(n.Links, func(a, b NearLink) int {
		if a.Holder != b.Holder {
			return a.Holder - b.Holder
		}
		return a.Investee - b.Investee
	})
	return n, nil
}

// distance is how far a node lies from the target, whichever way.
func (x *Near) distance() int {
	switch {
	case x.Up < 0:
		return x.Down
	case x.Down < 0:
		return x.Up
	}
	return min(x.Up, x.Down)
}

func sortNear(nodes []Near) {
	slices.SortFunc(nodes, func(a, b Near) int {
		if da, db := a.distance(), b.distance(); da != db {
			return da - db
		}
		// Holders before investees at one distance.
		if ua, ub := a.Up == a.distance(), b.Up == b.distance(); ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		if a.Key != b.Key {
			if a.Key < b.Key {
				return -1
			}
			return 1
		}
		return int(a.Kind) - int(b.Kind)
	})
}
