package api

import (
	"sync"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
)

// tenantScope is what a tenant may see: the chain of its USCC, with the config's
// depths, in one State. A USCC the state does not know sees nothing.
type tenantScope struct {
	state *monitor.State
	root  string
	nodes map[int32]bool
}

func (sc *tenantScope) has(uscc string) bool {
	if sc == nil || sc.state == nil {
		return false
	}
	v, ok := sc.state.Index(uscc)
	return ok && sc.nodes[v]
}

func (sc *tenantScope) hasNode(v int32) bool { return sc != nil && sc.nodes[v] }

// scopeCache keeps each tenant's scope for the latest State: a chain is cheap to
// extract, but not on every request of a busy tenant.
type scopeCache struct {
	mu      sync.Mutex
	state   *monitor.State
	entries map[scopeKey]*tenantScope
}

type scopeKey struct {
	uscc     string
	up, down int
}

func (c *scopeCache) get(st *monitor.State, uscc string, up, down int) *tenantScope {
	if st == nil {
		return &tenantScope{root: uscc}
	}
	key := scopeKey{uscc, up, down}
	c.mu.Lock()
	if c.state != st {
		c.state, c.entries = st, make(map[scopeKey]*tenantScope)
	}
	sc, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return sc
	}
	sc = &tenantScope{state: st, root: uscc, nodes: map[int32]bool{}}
	if v, ok := st.Index(uscc); ok {
		sc.nodes[v] = true
		if r, err := st.Snap.Reach(v, graph.ChainOptions{DepthUp: up, DepthDown: down}); err == nil {
			for _, n := range r.Nodes {
				sc.nodes[n] = true
			}
			r.Release()
		}
	}
	c.mu.Lock()
	if c.state == st {
		c.entries[key] = sc
	}
	c.mu.Unlock()
	return sc
}
