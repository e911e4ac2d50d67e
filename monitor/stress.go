package monitor

import (
	"sync"

	"github.com/chainrisk/chainrisk/risk"
)

// StressCache keeps the stress network of the latest State it was asked about, so
// that repeated stress tests between two scans build it once. The zero value is
// ready to use.
type StressCache struct {
	mu    sync.Mutex
	entry *stressEntry
}

type stressEntry struct {
	state *State
	once  sync.Once
	net   *risk.StressNetwork
	err   error
}

// Get returns the stress network of s, building it on first use.
func (c *StressCache) Get(s *State) (*risk.StressNetwork, error) {
	c.mu.Lock()
	e := c.entry
	if e == nil || e.state != s {
		e = &stressEntry{state: s}
		c.entry = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.net, e.err = risk.NewStressNetwork(s.Snap, s) })
	return e.net, e.err
}
