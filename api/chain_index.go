package api

import (
	"cmp"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// chainIndex is a leader's chain as the members endpoints serve it: extracted once
// per state and depths, its members ordered by tier — the leader, suppliers 1, 2, …,
// then customers −1, −2, … (the order of the full answer) — then by USCC, an order
// that stays the same from scan to scan, so that a cursor keeps its place.
type chainIndex struct {
	st    *monitor.State
	ch    *graph.Chain
	up    int
	order []int32 // positions in ch.Members
	// leader and opts are the chain's, for its contributions, computed on the first
	// request that reads them.
	leader      int32
	opts        graph.ChainOptions
	contribOnce sync.Once
	contrib     map[int32]float64
	contribErr  error
	// enc are the members' lines of the export (NDJSON, CSV) without their ESRI,
	// encoded on the first export; dropped (nil) once the index is no longer among
	// the chainEncodedCap most recently used.
	encOnce [2]sync.Once
	enc     [2]atomic.Pointer[encodedLines]
}

// rank is the place of a tier in the order: 0, 1, …, up, then up+1 for −1, ….
func (ix *chainIndex) rank(tier int) int {
	if tier < 0 {
		return ix.up - tier
	}
	return tier
}

// contributions returns every member's contribution to the chain's risk by node
// (monitor.State.ChainContributions), computed once per index.
func (ix *chainIndex) contributions() (map[int32]float64, error) {
	ix.contribOnce.Do(func() { ix.contrib, ix.contribErr = ix.st.ChainContributions(ix.leader, ix.opts) })
	return ix.contrib, ix.contribErr
}

// member is the i-th member in the order.
func (ix *chainIndex) member(i int) *graph.Member { return &ix.ch.Members[ix.order[i]] }

// compareAt compares the i-th member in the order with the key (tier, uscc).
func (ix *chainIndex) compareAt(i, tier int, uscc string) int {
	m := ix.member(i)
	return cmp.Or(cmp.Compare(ix.rank(m.Tier), ix.rank(tier)), strings.Compare(m.ID, uscc))
}

// after is the position of the first member after the key (tier, uscc).
func (ix *chainIndex) after(tier int, uscc string) int {
	return sort.Search(len(ix.order), func(i int) bool { return ix.compareAt(i, tier, uscc) > 0 })
}

// tierSpan is the range of positions of the members of one tier.
func (ix *chainIndex) tierSpan(tier int) (lo, hi int) {
	r := ix.rank(tier)
	lo = sort.Search(len(ix.order), func(i int) bool { return ix.rank(ix.member(i).Tier) >= r })
	hi = sort.Search(len(ix.order), func(i int) bool { return ix.rank(ix.member(i).Tier) > r })
	return lo, hi
}

func buildChainIndex(st *monitor.State, v int32, up, down int) (*chainIndex, error) {
	o := st.Params.Exposure.Chain
	o.DepthUp, o.DepthDown = up, down
	ch, err := st.ChainOf(v, o)
	if err != nil {
		return nil, err
	}
	ix := &chainIndex{st: st, ch: ch, up: up, order: make([]int32, len(ch.Members)), leader: v, opts: o}
	for i := range ix.order {
		ix.order[i] = int32(i)
	}
	slices.SortFunc(ix.order, func(a, b int32) int {
		ma, mb := &ch.Members[a], &ch.Members[b]
		return cmp.Or(cmp.Compare(ix.rank(ma.Tier), ix.rank(mb.Tier)), strings.Compare(ma.ID, mb.ID))
	})
	return ix, nil
}

type chainIndexKey struct {
	st       *monitor.State
	leader   int32
	up, down int
}

type chainIndexEntry struct {
	key   chainIndexKey
	once  sync.Once
	ix    *chainIndex
	err   error
	built atomic.Pointer[chainIndex] // ix, for the eviction of its encodings
}

// chainIndexCap bounds the chains kept: a chain of 50,000 members with its paths
// holds a few MB. The encoded lines of the export (about 330 bytes a member and
// format) are kept for the chainEncodedCap most recently used only.
const (
	chainIndexCap   = 8
	chainEncodedCap = 2
)

// chainIndexes keeps the chains last paged through, of the latest state only (an
// entry refers to its state, which it would keep in memory): paging through a chain
// must not extract and sort it again for every page.
type chainIndexes struct {
	mu      sync.Mutex
	entries []*chainIndexEntry // most recently used first
}

func (c *chainIndexes) get(st *monitor.State, v int32, up, down int) (*chainIndex, error) {
	key := chainIndexKey{st: st, leader: v, up: up, down: down}
	c.mu.Lock()
	var e *chainIndexEntry
	c.entries = slices.DeleteFunc(c.entries, func(x *chainIndexEntry) bool {
		if x.key == key {
			e = x
		}
		return x.key == key || x.key.st != st
	})
	if e == nil {
		e = &chainIndexEntry{key: key}
	}
	c.entries = slices.Insert(c.entries, 0, e)
	if len(c.entries) > chainIndexCap {
		c.entries = c.entries[:chainIndexCap]
	}
	for _, old := range c.entries[min(len(c.entries), chainEncodedCap):] {
		if ix := old.built.Load(); ix != nil {
			ix.enc[0].Store(nil)
			ix.enc[1].Store(nil)
		}
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.ix, e.err = buildChainIndex(st, v, up, down)
		e.built.Store(e.ix)
	})
	return e.ix, e.err
}

// chainESRIMembers is one leader's stored ESRI result, decoded and keyed by member.
type chainESRIMembers struct {
	leader     string
	scanID     int64
	computedAt time.Time
	// members, esriMax and notConverged tell apart two results of one scan and
	// millisecond (a job run again at once with other parameters).
	members, notConverged int64
	esriMax               float64
	byFirm                map[string]*risk.ChainESRIMember
}

// same reports whether e was decoded from the result whose header is rec.
func (e *chainESRIMembers) same(rec *store.ESRIResult) bool {
	return e.leader == rec.Leader && e.scanID == rec.ScanID && e.computedAt.Equal(rec.ComputedAt) &&
		e.members == rec.Members && e.notConverged == rec.NotConverged && e.esriMax == rec.ESRIMax
}

// of returns a member's ESRI, nil when none (or no result).
func (e *chainESRIMembers) of(uscc string) *risk.ChainESRIMember {
	if e == nil {
		return nil
	}
	return e.byFirm[uscc]
}

// esriMembers keeps the last few decoded ESRI results: the detail of a large
// chain is megabytes of JSON, read and decoded once, not for every page.
type esriMembers struct {
	mu   sync.Mutex
	last []*chainESRIMembers // most recently used first
}

const esriMembersCap = 4

// chainESRIHeader reads the header of a leader's stored ESRI result: nil when the
// store holds none, or does not answer (logged, throttled: the chain is served
// from memory and loses its ESRI fields only).
func (s *Server) chainESRIHeader(rq *request, leader string) *store.ESRIResult {
	rec, err := s.b.Store().ESRIHeader(rq.r.Context(), leader)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.esriUnavailable(rq, leader, storeError(err))
		return nil
	}
	return rec
}

func (s *Server) esriUnavailable(rq *request, leader string, err error) {
	if rq.r.Context().Err() != nil {
		return // the client left; the answer goes nowhere
	}
	if n, ok := s.storeErrs.allow(time.Now(), storeErrorEvery); ok {
		s.log.Warn("chain answered without its ESRI", "leader", leader, "err", errors.Unwrap(err),
			"similar_failures_not_logged", n)
	}
}

// chainESRIMembers returns a leader's stored ESRI by member, nil when none.
func (s *Server) chainESRIMembers(rq *request, leader string) *chainESRIMembers {
	hdr := s.chainESRIHeader(rq, leader)
	if hdr == nil {
		return nil
	}
	c := &s.esriMembers
	c.mu.Lock()
	for _, e := range c.last {
		if e.same(hdr) {
			c.mu.Unlock()
			return e
		}
	}
	c.mu.Unlock()
	res, rec, err := s.storedESRI(rq, leader)
	if err != nil {
		s.esriUnavailable(rq, leader, err)
		return nil
	}
	if res == nil {
		return nil
	}
	e := &chainESRIMembers{leader: rec.Leader, scanID: rec.ScanID, computedAt: rec.ComputedAt, members: rec.Members,
		notConverged: rec.NotConverged, esriMax: rec.ESRIMax, byFirm: make(map[string]*risk.ChainESRIMember, len(res.Members))}
	for i := range res.Members {
		e.byFirm[res.Members[i].Firm] = &res.Members[i]
	}
	c.mu.Lock()
	c.last = slices.DeleteFunc(c.last, func(x *chainESRIMembers) bool { return x.leader == leader })
	c.last = slices.Insert(c.last, 0, e)
	if len(c.last) > esriMembersCap {
		c.last = c.last[:esriMembersCap]
	}
	c.mu.Unlock()
	return e
}

// memberAt builds the i-th member of the order as the API answers it.
func (ix *chainIndex) memberAt(i int, esri *chainESRIMembers) memberJSON {
	m := ix.member(i)
	st := ix.st
	paths := make([][]string, len(m.Paths))
	for j, p := range m.Paths {
		paths[j] = ix.ch.PathIDs(p)
	}
	out := memberJSON{USCC: m.ID, Name: st.Firms[m.Node].Name, Tier: m.Tier, Grade: st.Grade[m.Node].String(),
		Score: st.Score[m.Node], P: st.P[m.Node], D: st.D[m.Node], Paths: paths}
	if e := esri.of(m.ID); e != nil {
		out.ESRI, out.ESRIConverged = &e.ESRI, &e.Converged
	}
	return out
}
