package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/chainrisk/chainrisk/risk"
)

// NewChainESRI computes the chain ESRI of leader on s (risk.NewChainESRI), with
// the depths s's scan used.
func NewChainESRI(ctx context.Context, s *State, leader int32, p risk.ESRIParams) (*risk.ChainESRI, error) {
	return risk.NewChainESRI(ctx, s.Snap, s, leader, s.Params.Exposure.Chain, p)
}

// ChainESRICache keeps the chain ESRI of each firm asked about for the latest
// State, computing each once even under concurrent requests; a new State empties
// it. The zero value is ready to use.
type ChainESRICache struct {
	mu      sync.Mutex
	state   *State
	entries map[int32]*esriEntry
}

type esriEntry struct {
	done chan struct{}
	res  *risk.ChainESRI
	err  error
}

// maxESRIEntries bounds the cache when many different firms are asked about.
const maxESRIEntries = 4096

// Get returns the chain ESRI of leader in s, computing it on first use.
func (c *ChainESRICache) Get(ctx context.Context, s *State, leader int32, p risk.ESRIParams) (*risk.ChainESRI, error) {
	for {
		c.mu.Lock()
		if c.state != s || len(c.entries) >= maxESRIEntries {
			c.state, c.entries = s, make(map[int32]*esriEntry)
		}
		e, found := c.entries[leader]
		if !found {
			e = &esriEntry{done: make(chan struct{})}
			c.entries[leader] = e
		}
		c.mu.Unlock()
		if !found {
			e.res, e.err = NewChainESRI(ctx, s, leader, p)
			if e.err != nil && ctx.Err() != nil { // a cancelled request must not poison the entry
				c.mu.Lock()
				if c.entries[leader] == e {
					delete(c.entries, leader)
				}
				c.mu.Unlock()
			}
			close(e.done)
			return e.res, e.err
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("esri: %w", ctx.Err())
		}
		if e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
			continue // the request that computed it gave up; ours has not
		}
		return e.res, e.err
	}
}
