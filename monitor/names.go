package monitor

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/chainrisk/chainrisk/match"
)

// Names is the name-matching index (package match) of a state's firms: their USCCs,
// names, former names and regions — their identities.
//
// Building the index costs seconds at a million firms, so it is neither built with
// every scan nor rebuilt when nothing it holds changed. A scan that adds a firm or
// changes a firm's name, former names or region gives its state a new Names, one
// Version up; any other scan hands the previous state's Names on unchanged, index and
// all. A Names builds its index on first use (State.NameIndex), on a goroutine of its
// own; while that build runs, the newest older version's index that was built answers
// (it does not know the latest renames and additions), and only when there is none
// does NameIndex wait. Once built, a Names lets go of the older versions.
type Names struct {
	// Version counts the identity changes the engine has seen since the process
	// started: 1 for the first state's firms.
	Version uint64

	mu      sync.Mutex
	prev    *Names // the newest older version that was asked for, if any; dropped once built
	started bool
	done    chan struct{} // closed when ix is set
	ix      *match.Index
}

// newNames makes the next version after prev (nil for the first). It keeps prev only
// if prev's index was asked for; otherwise it keeps what prev kept. A Names holds no
// firms: its index is built from the firms of the state that first asks for it, which
// every state sharing the Names holds alike.
func newNames(prev *Names) *Names {
	n := &Names{Version: 1, done: make(chan struct{})}
	if prev != nil {
		n.Version = prev.Version + 1
		prev.mu.Lock()
		if prev.started {
			n.prev = prev
		} else {
			n.prev = prev.prev
		}
		prev.mu.Unlock()
	}
	return n
}

// NameIndex returns a name-matching index of the state's firms: its names version's
// when built (current is true), else, while that one builds, the newest older
// version's that is. It starts the build on first use, and waits for it when no older
// index is ready; the build goes on when ctx ends.
func (s *State) NameIndex(ctx context.Context) (ix *match.Index, current bool, err error) {
	n := s.Names
	if n == nil {
		return nil, false, errors.New("the state has no name index")
	}
	n.start(s)
	select {
	case <-n.done:
		return n.ix, true, nil
	default:
	}
	if old := n.older(); old != nil {
		return old, false, nil
	}
	ix, err = s.WaitNameIndex(ctx)
	return ix, err == nil, err
}

// WaitNameIndex returns the index of the state's names version, starting its build if
// need be and waiting for it.
func (s *State) WaitNameIndex(ctx context.Context) (*match.Index, error) {
	n := s.Names
	if n == nil {
		return nil, errors.New("the state has no name index")
	}
	n.start(s)
	select {
	case <-n.done:
		return n.ix, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start builds the index from s's firms on a goroutine, once.
func (n *Names) start(s *State) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return
	}
	n.started = true
	ids, firms := s.Snap.IDs, s.Firms
	go func() {
		ix := match.NewIndex(matchFirms(ids, firms))
		n.mu.Lock()
		n.ix, n.prev = ix, nil
		n.mu.Unlock()
		close(n.done)
	}()
}

// older returns the newest older version's index that is built, or nil.
func (n *Names) older() *match.Index {
	n.mu.Lock()
	p := n.prev
	n.mu.Unlock()
	for p != nil {
		p.mu.Lock()
		ix, next := p.ix, p.prev
		p.mu.Unlock()
		if ix != nil {
			return ix
		}
		p = next
	}
	return nil
}

// matchFirms lists the firms as package match takes them, in node order.
func matchFirms(ids []string, firms []Firm) []match.Firm {
	out := make([]match.Firm, len(firms))
	for v := range firms {
		out[v] = match.Firm{USCC: ids[v], Name: firms[v].Name, FormerNames: firms[v].FormerNames, Region: firms[v].Region}
	}
	return out
}

// sameIdentity reports whether two firm records agree on what the name index holds.
func sameIdentity(a, b *Firm) bool {
	return a.Name == b.Name && a.Region == b.Region && slices.Equal(a.FormerNames, b.FormerNames)
}

// namesAfterFull is the Names of a full scan's state s: prev's, when s holds the same
// firms in the same order with the same identities, else the next version.
func namesAfterFull(prev, s *State) *Names {
	if prev == nil || prev.Names == nil {
		return newNames(nil)
	}
	same := prev.Len() == s.Len() && slices.Equal(prev.Snap.IDs, s.Snap.IDs)
	for v := 0; same && v < s.Len(); v++ {
		same = sameIdentity(&prev.Firms[v], &s.Firms[v])
	}
	if same {
		return prev.Names
	}
	return newNames(prev.Names)
}

// namesAfterIncremental is the Names of an incremental scan's state s, whose firms
// are prev's with the changed nodes replaced and the added ones appended: prev's when
// no firm was added and no changed one has a new identity.
func namesAfterIncremental(prev, s *State, changed []int32) *Names {
	if prev.Names == nil || s.Len() != prev.Len() {
		return newNames(prev.Names)
	}
	for _, v := range changed {
		if !sameIdentity(&prev.Firms[v], &s.Firms[v]) {
			return newNames(prev.Names)
		}
	}
	return prev.Names
}
