package ownership

import (
	"fmt"
	"sync"
)

// Kind says what a node of the registry is. The zero value is no kind, so a
// holding must always say which kind its holder is.
type Kind uint8

const (
	Firm   Kind = iota + 1 // keyed by its USCC
	Person                 // a natural person, keyed by an opaque person_id
)

// String returns the kind as the holder_kind column spells it.
func (k Kind) String() string {
	switch k {
	case Firm:
		return "firm"
	case Person:
		return "person"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind reads a holder_kind value: "firm" or "person".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "firm":
		return Firm, nil
	case "person":
		return Person, nil
	}
	return 0, fmt.Errorf("holder kind %q is neither firm nor person", s)
}

// Holding is one current stake: Holder holds Share of Investee's registered
// capital. Investee is always a firm.
type Holding struct {
	Holder     string
	HolderKind Kind
	Investee   string
	Share      float64 // in (0, 1]
}

// LegalRep names a firm's legal representative by person_id.
type LegalRep struct {
	Firm   string
	Person string
}

// adjacency is one direction of the holding graph in CSR form: the
// neighbours of node v are node[start[v]:start[v+1]] with the shares of the
// same positions (nil for the represented firms), sorted by the neighbours'
// keys (then kind), so every walk visits them in an order that does not
// depend on the input's.
type adjacency struct {
	start []int32
	node  []int32
	share []float64
}

func (a *adjacency) row(v int32) (nodes []int32, shares []float64) {
	lo, hi := a.start[v], a.start[v+1]
	if a.share == nil {
		return a.node[lo:hi], nil
	}
	return a.node[lo:hi], a.share[lo:hi]
}

// link is one entry of a row.
type link struct {
	node  int32
	share float64
}

// Registry is an immutable snapshot of the shareholdings: firms and persons
// share one node index space 0..Len()-1. It is safe for concurrent use; a
// changed registry is a new Registry, published by the caller with an atomic
// pointer swap.
type Registry struct {
	keys    []string
	kinds   []Kind
	firms   map[string]int32
	persons map[string]int32
	up      adjacency // holders of a node
	down    adjacency // investees of a node
	rep     []int32   // firm → its legal representative's node, -1 when none
	// represents are the firms each person represents, by key (no shares).
	represents adjacency
	pool       sync.Pool // *scratch
}

// Len returns the number of nodes (firms and persons).
func (r *Registry) Len() int { return len(r.keys) }

// NumHoldings returns the number of holdings.
func (r *Registry) NumHoldings() int { return len(r.up.node) }

// Key returns the USCC or person_id of node v.
func (r *Registry) Key(v int32) string { return r.keys[v] }

// Kind returns the kind of node v.
func (r *Registry) Kind(v int32) Kind { return r.kinds[v] }

// Lookup returns the node of a firm (by USCC) or a person (by person_id).
// Firms and persons have separate key spaces.
func (r *Registry) Lookup(k Kind, key string) (int32, bool) {
	var v int32
	var ok bool
	switch k {
	case Firm:
		v, ok = r.firms[key]
	case Person:
		v, ok = r.persons[key]
	}
	return v, ok
}

// HoldersOf returns v's direct holders and their shares, sorted by key. The
// slices are the registry's: read them, never modify them.
func (r *Registry) HoldersOf(v int32) (holders []int32, shares []float64) {
	return r.up.row(v)
}

// InvesteesOf returns the firms v holds directly and its shares in them,
// sorted by key. The slices are the registry's: read them, never modify them.
func (r *Registry) InvesteesOf(v int32) (investees []int32, shares []float64) {
	return r.down.row(v)
}

// LegalRepOf returns the node of firm v's legal representative.
func (r *Registry) LegalRepOf(v int32) (int32, bool) {
	p := r.rep[v]
	return p, p >= 0
}

// Represents returns the firms person p is the legal representative of,
// sorted by key. The slice is the registry's: never modify it.
func (r *Registry) Represents(p int32) []int32 {
	firms, _ := r.represents.row(p)
	return firms
}

// SizeBytes estimates the memory the registry holds: its arrays, the key
// strings and the two key indexes (map entries estimated at 40 bytes).
func (r *Registry) SizeBytes() int64 {
	b := 4*int64(len(r.up.start)+len(r.up.node)+len(r.down.start)+len(r.down.node)) +
		8*int64(len(r.up.share)+len(r.down.share)) +
		4*int64(len(r.rep)+len(r.represents.start)+len(r.represents.node)) + int64(len(r.kinds))
	for _, k := range r.keys {
		b += 16 + int64(len(k))
	}
	return b + 40*int64(len(r.firms)+len(r.persons))
}
