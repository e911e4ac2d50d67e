package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// A full scan of a leader that holds a previous state does not re-read the store
// whole: it re-reads the firms whose rows changed since its last read (by their
// updated_at), and those whose data the clock changes by itself — a relation coming
// into force or ending, an event's publicity ending, a holding ending, an event
// leaving the lists' lookback — and carries every other firm's data over, as an
// incremental scan does; then it recomputes everything. Every FullReread it reads
// the store whole instead and compares the two (dataset_verify.go).

// Defaults of the engine's re-read options (EngineOptions).
const (
	DefaultFullReread = config.DefaultFullReread
	DefaultReadMargin = 10 * time.Minute
)

// FullRereadOf is EngineOptions.FullReread from schedule.full_reread, whose 0 means
// every full scan reads whole.
func FullRereadOf(c *config.Config) time.Duration {
	if c.Schedule.FullReread == 0 {
		return -1
	}
	return c.Schedule.FullReread
}

// readChangesLimit is the most firms a full scan re-reads by their changes; with
// more (a province imported), reading everything is cheaper.
const readChangesLimit = store.MaxTouched

// How a full scan read the store (ScanStats.Read).
const (
	ReadWhole   = "whole"
	ReadChanges = "changes"
	ReadChecked = "whole, compared"
)

// dataset is what the engine keeps of its last read of the store for the next full
// scan, beside the state itself.
type dataset struct {
	// mark is the store's clock when the read began (store.DataMark): the next one
	// re-reads the rows stamped after mark less the engine's margin, which covers a
	// batch stamped before and committed after the read (and writers' clock skew).
	// Re-reading a row twice changes nothing.
	mark time.Time
	// whole is the clock of the last whole read.
	whole time.Time
	// bounds are the moments after the state's clock at which a firm's data changes
	// with the clock alone. A bound may be stale (the row changed since); it then
	// costs one needless re-read of its firm.
	bounds []bound
}

// bound says that node v's data changes at Unix millisecond at.
type bound struct {
	at int64
	v  int32
}

// boundsSeen collects bounds while a read streams rows: by node, or by USCC for
// rows read before the snapshot is built.
type boundsSeen struct {
	at      time.Time
	list    []bound
	pending []pendingBound
}

type pendingBound struct {
	at   int64
	uscc string
}

// after records node v's change at t when t is after the read's clock.
func (b *boundsSeen) after(t time.Time, v int32) {
	if b != nil && !t.IsZero() && t.After(b.at) {
		b.list = append(b.list, bound{t.UnixMilli(), v})
	}
}

// afterID records firm uscc's change at t when t is after the read's clock.
func (b *boundsSeen) afterID(t time.Time, uscc string) {
	if b != nil && !t.IsZero() && t.After(b.at) {
		b.pending = append(b.pending, pendingBound{t.UnixMilli(), uscc})
	}
}

// relation records when rel comes into force or ends, on its supplier.
func (b *boundsSeen) relation(rel *credit.Relation) {
	if b != nil {
		b.afterID(rel.ValidFrom, rel.Supplier)
		b.afterID(rel.ValidTo, rel.Supplier)
	}
}

// resolve turns the pending bounds into nodes of snap.
func (b *boundsSeen) resolve(snap *graph.Snapshot) []bound {
	for _, p := range b.pending {
		if v, ok := snap.Index(p.uscc); ok {
			b.list = append(b.list, bound{p.at, v})
		}
	}
	b.pending = nil
	return b.list
}

// read fills s from the store: by the changes since the last read when the engine
// holds one that fits, whole otherwise, and whole and compared every FullReread.
func (r *scanRun) read(ctx context.Context, prev, s *State) error {
	d, reread := r.data, time.Duration(r.e.reread.Load())
	if d == nil || prev == nil || reread < 0 || !carriesOver(prev.Params, r.params) || s.At.Before(prev.At) {
		return r.readWhole(ctx, prev, s)
	}
	if s.At.Sub(d.whole) < reread {
		ok, err := r.readChanges(ctx, prev, s, d)
		if err != nil || ok {
			return err
		}
		return r.readWhole(ctx, prev, s)
	}
	held := &State{ScanID: s.ScanID, At: s.At, Params: s.Params}
	ok, herr := r.readChanges(ctx, prev, held, d)
	if herr != nil {
		r.e.log.Warn("dataset not updated from the store's changes; reading it whole", "scan", r.sc.ID, "err", herr)
	}
	if err := r.readWhole(ctx, prev, s); err != nil {
		return err
	}
	if herr == nil && ok {
		r.stats.Read = ReadChecked
		r.e.compareRead(r.sc.ID, held, s)
	}
	return nil
}

// readWhole reads everything, as the first scan of a process does.
func (r *scanRun) readWhole(ctx context.Context, prev, s *State) error {
	mark, err := r.e.db.DataMark(ctx)
	if err != nil {
		return err
	}
	r.seen = &boundsSeen{at: s.At}
	r.change = nil // a whole read's chains are all recomputed
	defer func() { r.seen = nil }()
	if err := r.load(ctx, prev, s); err != nil {
		return err
	}
	r.next = &dataset{mark: mark, whole: s.At, bounds: r.seen.resolve(s.Snap)}
	r.stats.Read, r.stats.ReadFirms = ReadWhole, s.Len()
	return nil
}

// readChanges fills s with prev's data, the firms whose rows changed since d's read
// or whose data the clock changed re-read. It returns false, having changed
// nothing, when more than readChangesLimit firms would be re-read.
func (r *scanRun) readChanges(ctx context.Context, prev, s *State, d *dataset) (bool, error) {
	mark, err := r.e.db.DataMark(ctx)
	if err != nil {
		return false, err
	}
	changed, ok, err := r.e.db.ChangedFirms(ctx, d.mark.Add(-r.e.margin), readChangesLimit)
	if err != nil || !ok {
		return false, err
	}
	touched := make(map[string]bool, len(changed))
	for _, u := range changed {
		touched[u] = true
	}
	cut := s.At.UnixMilli()
	for _, b := range d.bounds {
		if b.at <= cut {
			touched[prev.Snap.IDs[b.v]] = true
		}
	}
	leftLookback(prev, s.At, touched)
	rels, err := r.readSupplied(ctx)
	if err != nil {
		return false, err
	}
	suppliedChanged(prev, s.At, rels, touched)
	if len(touched) > readChangesLimit {
		return false, nil
	}
	list := make([]string, 0, len(touched))
	for u := range touched {
		list = append(list, u)
	}
	slices.Sort(list)
	seen := &boundsSeen{at: s.At}
	var read []string // the firms re-read, new ones among them
	r.onSubset = func(sub *store.Subset) { read = seen.subset(sub) }
	defer func() { r.onSubset = nil }()
	ch, err := r.loadChange(ctx, prev, s, list)
	if err != nil {
		return false, err
	}
	r.change = &ch
	s.Supplied = suppliedLists(s.Snap, s.At, rels)
	r.next = &dataset{mark: mark, whole: d.whole, bounds: carryBounds(d.bounds, cut, s.Snap, read, seen)}
	r.stats.Read, r.stats.ReadFirms = ReadChanges, len(read)
	return true, nil
}

// subset records the bounds of the rows an incremental read returned, on the firms
// it re-read (whose earlier bounds it replaces), and returns those firms.
func (b *boundsSeen) subset(sub *store.Subset) []string {
	read := make(map[string]bool, len(sub.Enterprises))
	out := make([]string, len(sub.Enterprises))
	for i := range sub.Enterprises {
		out[i] = sub.Enterprises[i].USCC
		read[out[i]] = true
	}
	on := func(t time.Time, a, c string) {
		switch {
		case read[a]:
			b.afterID(t, a)
		case read[c]:
			b.afterID(t, c)
		}
	}
	for i := range sub.Relations {
		rel := &sub.Relations[i]
		on(rel.ValidFrom, rel.Supplier, rel.Customer)
		on(rel.ValidTo, rel.Supplier, rel.Customer)
	}
	for i := range sub.Events {
		b.afterID(sub.Events[i].PublishUntil, sub.Events[i].USCC)
	}
	for i := range sub.Shareholdings {
		h := &sub.Shareholdings[i]
		on(h.Until, h.Investee, h.Holder)
	}
	return out
}

// carryBounds keeps the bounds still ahead of the clock cut of the firms not re-read,
// and adds those of the rows re-read.
func carryBounds(old []bound, cut int64, snap *graph.Snapshot, read []string, seen *boundsSeen) []bound {
	again := make(map[int32]bool, len(read))
	for _, u := range read {
		if v, ok := snap.Index(u); ok {
			again[v] = true
		}
	}
	out := make([]bound, 0, len(old)+len(seen.pending))
	for _, b := range old {
		if b.at > cut && !again[b.v] {
			out = append(out, b)
		}
	}
	seen.list = out
	return seen.resolve(snap)
}

// leftLookback adds the firms with an event in prev's lookback that left it by at.
func leftLookback(prev *State, at time.Time, touched map[string]bool) {
	if prev.RecentStart == nil {
		return
	}
	since := prev.Params.Lists.Lookback().Since(at).Unix()
	for v := range int32(prev.Len()) {
		for _, ref := range prev.FirmRecent(v) {
			if ref.At < since {
				touched[prev.Snap.IDs[v]] = true
				break
			}
		}
	}
}

// readSupplied reads every leader's own list: the table is small, and a withdrawn
// row leaves no trace to find by updated_at.
func (r *scanRun) readSupplied(ctx context.Context) ([]credit.Relation, error) {
	var rels []credit.Relation
	err := r.e.db.SuppliedRelations(ctx, func(rel *credit.Relation) error {
		rels = append(rels, *rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("leaders' supplier lists: %w", err)
	}
	return rels, nil
}

// suppliedChanged adds the leaders whose own list, as the store holds it now, is
// not prev's, and those whose list names a firm prev does not hold.
func suppliedChanged(prev *State, at time.Time, rels []credit.Relation, touched map[string]bool) {
	for i := range rels {
		_, okS := prev.Snap.Index(rels[i].Supplier)
		_, okC := prev.Snap.Index(rels[i].Customer)
		if !okS || !okC {
			touched[rels[i].Customer] = true
		}
	}
	now := suppliedLists(prev.Snap, at, rels)
	for v, list := range now {
		if !slices.Equal(list, prev.Supplied[v]) {
			touched[prev.Snap.IDs[v]] = true
		}
	}
	for v := range prev.Supplied {
		if _, ok := now[v]; !ok {
			touched[prev.Snap.IDs[v]] = true
		}
	}
}

// propagatorFor returns s's propagator when it is for snap with params; nil
// otherwise (s may be nil).
func (s *State) propagatorFor(snap *graph.Snapshot, params risk.DistressParams) *risk.Propagator {
	if s == nil || s.Snap != snap || s.Prop == nil || s.Params.Distress != params {
		return nil
	}
	return s.Prop
}
