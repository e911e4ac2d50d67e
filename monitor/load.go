package monitor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/search"
	"github.com/chainrisk/chainrisk/store"
)

// The whole read of the store (a full scan's load): the firms first, then the
// holdings and relations on one connection while the events stream on another.

// load reads every firm, every relation valid now, every active event, the events
// the lists look back on, and the ownership registry.
func (r *scanRun) load(ctx context.Context, prev, s *State) error {
	counts, err := r.e.db.Counts(ctx)
	if err != nil {
		return err
	}
	b := graph.NewBuilder(int(counts.Enterprises), int(counts.Relations))
	firms := make([]Firm, 0, counts.Enterprises)
	names := search.NewBuilder(int(counts.Enterprises))
	owners := &ownersLoad{people: map[string]string{}}
	err = r.e.db.Enterprises(ctx, func(e *credit.Enterprise) error {
		b.AddNode(e.USCC)
		firms = append(firms, firmOf(e))
		names.Add(e.Name, e.Tags)
		owners.enterprise(e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("enterprises: %w", err)
	}
	// The search index is built on another core while the relations are read (1.2 s
	// at a million firms, docs/performance.md).
	var index sync.WaitGroup
	defer index.Wait()
	ids := b.IDs()
	index.Go(func() { s.Search = names.Build(ids) })
	// The events are read on another connection meanwhile, into a buffer their
	// firms are looked up in once the snapshot is built.
	var events sync.WaitGroup
	defer events.Wait()
	ectx, cancel := context.WithCancel(ctx)
	defer cancel() // before the wait: a failed load stops the read
	var rows []eventRow
	var eventsErr error
	events.Go(func() { rows, eventsErr = r.readEvents(ectx, s.At, int(counts.ActiveEvents)) })
	if err := r.loadOwners(ctx, prev, s, owners); err != nil {
		return err
	}
	err = r.e.db.Relations(ctx, func(rel *credit.Relation) error {
		if validAt(rel, s.At) {
			b.AddEdge(rel.Supplier, rel.Customer, edgeAttrs(rel))
		}
		r.seen.relation(rel)
		return nil
	})
	if err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	if len(firms) != len(b.IDs()) {
		return fmt.Errorf("relations name %d firms the store does not hold", len(b.IDs())-len(firms))
	}
	if s.Snap, err = b.Build(); err != nil {
		return err
	}
	if err := r.loadSupplied(ctx, s); err != nil {
		return err
	}
	s.Firms = firms
	s.Names = namesAfterFull(prev, s)
	index.Wait()
	events.Wait()
	if eventsErr != nil {
		return fmt.Errorf("events: %w", eventsErr)
	}
	return r.layEvents(s, rows)
}

// eventRow is an event as the load holds it until the snapshot knows its firm.
type eventRow struct {
	uscc           string
	ref            risk.EventRef
	until          time.Time // publish_until; zero: until repaired
	active, recent bool
}

// readEvents reads, in one pass, the events active at at and those of the lists'
// lookback.
func (r *scanRun) readEvents(ctx context.Context, at time.Time, active int) ([]eventRow, error) {
	model := r.params.Model
	lb := r.params.Lists.Lookback()
	filter := store.EventFilter{ActiveAt: at}
	recent := make([]bool, len(model.Catalogue.Names())) // by type index
	if types := lb.Types(model); len(types) > 0 {
		filter.Recent = store.RecentFilter{Types: types, Since: lb.Since(at)}
		for _, t := range types {
			recent[model.TypeIndex(t)] = true
		}
	}
	atMS, since, lookback := at.UnixMilli(), filter.Recent.Since.UnixMilli(), len(filter.Recent.Types) > 0
	rows := make([]eventRow, 0, active)
	err := r.e.db.Events(ctx, filter, func(ev *credit.Event) error {
		row := eventRow{uscc: ev.USCC, ref: risk.EventRef{Type: model.TypeIndex(ev.Type), At: ev.OccurredAt.Unix()}, until: ev.PublishUntil}
		// The store's filter, as it reads the rows: active at the clock, or recent.
		row.active = ev.State == credit.EventActive && (ev.PublishUntil.IsZero() || ev.PublishUntil.UnixMilli() > atMS)
		row.recent = lookback && int(row.ref.Type) < len(recent) && recent[row.ref.Type] && ev.OccurredAt.UnixMilli() >= since
		if row.active || row.recent {
			rows = append(rows, row)
		}
		return nil
	})
	return rows, err
}

// layEvents lays the events read out by firm: the active ones, and those of the
// lists' lookback when a list looks back.
func (r *scanRun) layEvents(s *State, rows []eventRow) error {
	var nodes, rnodes []int32
	refs := make([]risk.EventRef, 0, len(rows))
	var rrefs []risk.EventRef
	for i := range rows {
		row := &rows[i]
		v, ok := s.Snap.Index(row.uscc)
		if !ok {
			return fmt.Errorf("events: an event names unknown firm %s", row.uscc)
		}
		if row.active {
			nodes, refs = append(nodes, v), append(refs, row.ref)
			r.seen.after(row.until, v)
		}
		if row.recent {
			rnodes, rrefs = append(rnodes, v), append(rrefs, row.ref)
		}
	}
	s.EventStart, s.Events = byFirm(s.Len(), nodes, refs)
	if len(r.params.Lists.Lookback().Types(r.params.Model)) > 0 {
		s.RecentStart, s.Recent = byFirm(s.Len(), rnodes, rrefs)
	}
	return nil
}

// byFirm lays events (refs[i] of node nodes[i], in no particular order) out by firm
// with a counting sort: node v's are out[start[v]:start[v+1]].
func byFirm(n int, nodes []int32, refs []risk.EventRef) (start []int32, out []risk.EventRef) {
	start = make([]int32, n+1)
	for _, v := range nodes {
		start[v+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	out = make([]risk.EventRef, len(refs))
	next := slices.Clone(start[:n])
	for i, v := range nodes {
		out[next[v]] = refs[i]
		next[v]++
	}
	return start, out
}
