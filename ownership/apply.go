package ownership

import (
	"fmt"
	"maps"
	"slices"
)

// HoldingKey names a holding by its ends.
type HoldingKey struct {
	Holder     string
	HolderKind Kind
	Investee   string
}

// Changes is a change to a Registry. Nodes are never removed: a person who
// stops holding keeps a node without holdings.
type Changes struct {
	Set       []Holding    // new holdings, or new shares of existing ones
	Remove    []HoldingKey // holdings that end; each must exist
	LegalReps []LegalRep   // a firm's new legal representative; Person "" removes it
}

// Apply returns a new Registry with the changes applied; r is unchanged.
// Every node index of r is kept (new nodes are appended). The rules are
// Build's, for the rows given and the firms they touch: the error is a
// *BuildError whose Holdings index Set, Removals index Remove and LegalReps
// index LegalReps; a pair set twice, or set and removed, is rejected. Cost:
// O(nodes + holdings) of bulk copies; only the changed rows are sorted, and
// the key indexes are copied only when a node is new.
func (r *Registry) Apply(c Changes) (*Registry, error) {
	a := &applier{r: r, b: builder{keys: slices.Clip(r.keys), kinds: slices.Clip(r.kinds), firms: r.firms, persons: r.persons}}
	up := a.holdingEdits(c)
	repOf := a.legalRepEdits(c.LegalReps)
	if err := a.b.errs.sorted(); err != nil {
		return nil, err
	}
	n := len(a.b.keys)
	nr := &Registry{keys: a.b.keys, kinds: a.b.kinds, firms: a.b.firms, persons: a.b.persons}
	nr.up = patch(&r.up, n, up)
	nr.down = patch(&r.down, n, a.investeeRows(up))
	nr.rep = make([]int32, n)
	copy(nr.rep, r.rep)
	for v := len(r.rep); v < n; v++ {
		nr.rep[v] = -1
	}
	moved := map[int32][]link{} // person → firms gained (share 1) or lost (share 0); represents reads as share 1
	for f, p := range repOf {
		if old := nr.rep[f]; old != p {
			if old >= 0 {
				moved[old] = append(moved[old], link{f, 0})
			}
			if p >= 0 {
				moved[p] = append(moved[p], link{f, 1})
			}
			nr.rep[f] = p
		}
	}
	nr.represents = patch(&r.represents, n, a.editRows(&r.represents, moved))
	return nr, nil
}

// applier extends a registry's node index: r's maps are shared until the
// first new node, then copied; keys and kinds are clipped, so appending
// never writes into r's arrays.
type applier struct {
	r      *Registry
	b      builder
	cloned bool
}

func (a *applier) lookup(k Kind, key string) (int32, bool) {
	if k == Person {
		v, ok := a.b.persons[key]
		return v, ok
	}
	v, ok := a.b.firms[key]
	return v, ok
}

func (a *applier) node(k Kind, key string) int32 {
	if v, ok := a.lookup(k, key); ok {
		return v
	}
	if !a.cloned {
		a.b.firms, a.b.persons, a.cloned = maps.Clone(a.b.firms), maps.Clone(a.b.persons), true
	}
	return a.b.node(k, key)
}

// edit is one changed holding of an investee: its holder, the new share
// (0 to remove it) and the change's row.
type edit struct {
	holder int32
	share  float64
	index  int
}

// holdingEdits validates Set and Remove and returns the new holder rows of
// every firm they touch.
func (a *applier) holdingEdits(c Changes) map[int32][]link {
	sets := map[int32][]edit{}
	for i, h := range c.Set {
		if reason := holdingFault(h); reason != "" {
			a.b.errs.Holdings = append(a.b.errs.Holdings, RowError{i, reason})
			continue
		}
		v := a.node(Firm, h.Investee)
		sets[v] = append(sets[v], edit{a.node(h.HolderKind, h.Holder), h.Share, i})
	}
	removes := map[int32][]edit{}
	for j, k := range c.Remove {
		h, ok1 := a.lookup(k.HolderKind, k.Holder)
		v, ok2 := a.lookup(Firm, k.Investee)
		if !ok1 || !ok2 {
			a.b.errs.Removals = append(a.b.errs.Removals, RowError{j, fmt.Sprintf("%s in %s: no such holding", k.Holder, k.Investee)})
			continue
		}
		removes[v] = append(removes[v], edit{h, 0, j})
	}
	rows := map[int32][]link{}
	for v := range sets {
		rows[v] = a.holderRow(v, sets[v], removes[v])
	}
	for v := range removes {
		if _, done := rows[v]; !done {
			rows[v] = a.holderRow(v, nil, removes[v])
		}
	}
	return rows
}

// holderRow applies one firm's sets and removals to its holders.
func (a *applier) holderRow(v int32, sets, removes []edit) []link {
	row := a.oldRow(&a.r.up, v)
	at := positions(row)
	setBy := map[int32]int{}
	accepted := sets[:0:0]
	for _, e := range sets {
		if first, dup := setBy[e.holder]; dup {
			a.b.errs.Holdings = append(a.b.errs.Holdings, RowError{e.index,
				fmt.Sprintf("%s in %s: duplicate of holding #%d", a.b.keys[e.holder], a.b.keys[v], first)})
			continue
		}
		setBy[e.holder] = e.index
		accepted = append(accepted, e)
		if i, ok := at[e.holder]; ok {
			row[i].share = e.share
		} else {
			at[e.holder] = len(row)
			row = append(row, link{e.holder, e.share})
		}
	}
	for _, e := range removes {
		i, ok := at[e.holder]
		switch first, set := setBy[e.holder]; {
		case set:
			a.b.errs.Removals = append(a.b.errs.Removals, RowError{e.index,
				fmt.Sprintf("%s in %s: also set by holding #%d", a.b.keys[e.holder], a.b.keys[v], first)})
		case !ok || row[i].share == 0:
			a.b.errs.Removals = append(a.b.errs.Removals, RowError{e.index,
				fmt.Sprintf("%s in %s: no such holding", a.b.keys[e.holder], a.b.keys[v])})
		default:
			row[i].share = 0
		}
	}
	row = a.finish(row)
	sum := 0.0
	for _, l := range row {
		sum += l.share
	}
	if sum > 1+ShareTolerance {
		for _, e := range accepted {
			a.b.errs.Holdings = append(a.b.errs.Holdings, RowError{e.index,
				fmt.Sprintf("%s in %s: the shares held in %s would sum to %v, more than 1", a.b.keys[e.holder], a.b.keys[v], a.b.keys[v], sum)})
		}
	}
	return row
}

// oldRow copies v's row of old (empty for a new node); rows without shares
// (represents) read as share 1.
func (a *applier) oldRow(old *adjacency, v int32) []link {
	if int(v) >= len(old.start)-1 {
		return nil
	}
	nodes, shares := old.row(v)
	row := make([]link, len(nodes))
	for i, u := range nodes {
		row[i] = link{u, 1}
		if shares != nil {
			row[i].share = shares[i]
		}
	}
	return row
}

func positions(row []link) map[int32]int {
	at := make(map[int32]int, len(row))
	for i, l := range row {
		at[l.node] = i
	}
	return at
}

// finish drops the links marked with share 0 and sorts the rest by key.
func (a *applier) finish(row []link) []link {
	row = slices.DeleteFunc(row, func(l link) bool { return l.share == 0 })
	slices.SortFunc(row, func(x, y link) int { return a.b.compare(x.node, y.node) })
	return row
}

// investeeRows turns the new holder rows into the new investee rows of
// every holder whose investees were gained, lost or re-weighted.
func (a *applier) investeeRows(up map[int32][]link) map[int32][]link {
	moved := map[int32][]link{} // holder → investees with their new share, 0 when lost
	for v, row := range up {
		was := map[int32]float64{}
		if int(v) < len(a.r.up.start)-1 {
			hs, ss := a.r.up.row(v)
			for i, h := range hs {
				was[h] = ss[i]
			}
		}
		for _, l := range row {
			if old, ok := was[l.node]; !ok || old != l.share {
				moved[l.node] = append(moved[l.node], link{v, l.share})
			}
			delete(was, l.node)
		}
		for h := range was {
			moved[h] = append(moved[h], link{v, 0})
		}
	}
	return a.editRows(&a.r.down, moved)
}

// editRows applies, per node, links to set (share > 0) or drop (share 0)
// to its row in old, and returns the new rows sorted by key.
func (a *applier) editRows(old *adjacency, changes map[int32][]link) map[int32][]link {
	rows := make(map[int32][]link, len(changes))
	for v, ch := range changes {
		row := a.oldRow(old, v)
		at := positions(row)
		for _, c := range ch {
			if i, ok := at[c.node]; ok {
				row[i].share = c.share
			} else if c.share > 0 {
				at[c.node] = len(row)
				row = append(row, c)
			}
		}
		rows[v] = a.finish(row)
	}
	return rows
}

// legalRepEdits validates the new legal representatives and returns them by
// firm (−1: removed).
func (a *applier) legalRepEdits(reps []LegalRep) map[int32]int32 {
	out := map[int32]int32{}
	from := map[int32]int{}
	for j, lr := range reps {
		if lr.Firm == "" {
			a.b.errs.LegalReps = append(a.b.errs.LegalReps, RowError{j, fmt.Sprintf("firm %q, person %q: empty key", lr.Firm, lr.Person)})
			continue
		}
		f := a.node(Firm, lr.Firm)
		if first, dup := from[f]; dup {
			a.b.errs.LegalReps = append(a.b.errs.LegalReps, RowError{j,
				fmt.Sprintf("firm %s: legal representative given twice (first in #%d)", lr.Firm, first)})
			continue
		}
		from[f] = j
		out[f] = -1
		if lr.Person != "" {
			out[f] = a.node(Person, lr.Person)
		}
	}
	return out
}

// patch returns a over n nodes with the given rows replaced; nodes beyond
// a's have empty rows unless given. Runs of unchanged rows are copied in
// bulk, so the cost is a few passes over the arrays.
func patch(a *adjacency, n int, rows map[int32][]link) adjacency {
	oldN := len(a.start) - 1
	changed := slices.Sorted(maps.Keys(rows))
	start := make([]int32, n+1)
	ci := 0
	for v := range n {
		var l int32
		if ci < len(changed) && changed[ci] == int32(v) {
			l = int32(len(rows[int32(v)]))
			ci++
		} else if v < oldN {
			l = a.start[v+1] - a.start[v]
		}
		start[v+1] = start[v] + l
	}
	out := adjacency{start: start, node: make([]int32, start[n])}
	if a.share != nil {
		out.share = make([]float64, start[n])
	}
	copyRun := func(lo, hi int) { // unchanged rows lo … hi−1
		hi = min(hi, oldN)
		if lo >= hi {
			return
		}
		copy(out.node[start[lo]:], a.node[a.start[lo]:a.start[hi]])
		if a.share != nil {
			copy(out.share[start[lo]:], a.share[a.start[lo]:a.start[hi]])
		}
	}
	next := 0
	for _, v := range changed {
		copyRun(next, int(v))
		for i, l := range rows[v] {
			out.node[start[v]+int32(i)] = l.node
			if a.share != nil {
				out.share[start[v]+int32(i)] = l.share
			}
		}
		next = int(v) + 1
	}
	copyRun(next, oldN)
	return out
}
