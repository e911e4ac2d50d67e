package monitor

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"strings"
)

// The periodic whole read is compared with what the engine held: each table of the
// dataset — firms, relations in force, active events, the lists' recent events,
// leaders' own lists, holdings and legal representatives — is
// summarised as a count and an order-free hash of its rows (the sum of the rows'
// hashes, by USCC rather than node), so that two states read in different orders
// compare equal when they hold the same rows.

// tableDigest summarises one table of a state.
type tableDigest struct {
	Rows int
	Sum  uint64
}

// readTables names the tables of a digest, in the order they are compared.
var readTables = []string{"firms", "relations", "events", "recent", "supplied", "holdings"}

var digestSeed = maphash.MakeSeed()

// rowHash hashes one row's fields.
type rowHash struct {
	h   maphash.Hash
	buf [8]byte
}

func newRowHash() *rowHash {
	r := &rowHash{}
	r.h.SetSeed(digestSeed)
	return r
}

func (r *rowHash) str(s string) *rowHash {
	_, _ = r.h.WriteString(s)
	_ = r.h.WriteByte(0)
	return r
}

func (r *rowHash) num(x uint64) *rowHash {
	binary.LittleEndian.PutUint64(r.buf[:], x)
	_, _ = r.h.Write(r.buf[:])
	return r
}

func (r *rowHash) float(f float64) *rowHash { return r.num(math.Float64bits(f)) }

func (r *rowHash) flag(b bool) *rowHash {
	if b {
		return r.num(1)
	}
	return r.num(0)
}

// add ends the row and adds it to d.
func (r *rowHash) add(d *tableDigest) {
	d.Rows++
	d.Sum += r.h.Sum64()
	r.h.Reset()
}

// digestOf summarises s's dataset, table by table.
func digestOf(s *State) map[string]tableDigest {
	out := make(map[string]tableDigest, len(readTables))
	var firms, rels, events, recent, supplied, holdings tableDigest
	h := newRowHash()
	csr := s.Snap.CSR()
	for v := range int32(s.Len()) {
		id, f := s.Snap.IDs[v], &s.Firms[v]
		h.str(id).str(f.Name).str(strings.Join(f.FormerNames, ";")).str(string(f.Status)).str(f.Region).str(f.Industry).
			flag(f.Leading).flag(f.Specialized).flag(f.LittleGiant).flag(f.Listed).float(f.Revenue).
			num(uint64(f.UpdatedAt.UnixMilli())).add(&firms)
		for e := csr.OutStart[v]; e < csr.OutStart[v+1]; e++ {
			a := s.Snap.Attrs(e)
			h.str(id).str(s.Snap.IDs[csr.OutTo[e]]).float(a.PurchaseShare).float(a.SalesShare).
				float(a.Substitutability).float(a.Amount).add(&rels)
		}
		for _, ref := range s.FirmEvents(v) {
			h.str(id).num(uint64(ref.Type)).num(uint64(ref.At)).add(&events)
		}
		for _, ref := range s.FirmRecent(v) {
			h.str(id).num(uint64(ref.Type)).num(uint64(ref.At)).add(&recent)
		}
		for _, x := range s.Supplied[v] {
			h.str(id).str(s.Snap.IDs[x.Supplier]).float(x.Attrs.PurchaseShare).float(x.Attrs.SalesShare).
				float(x.Attrs.Substitutability).float(x.Attrs.Amount).flag(x.Estimated).add(&supplied)
		}
	}
	if reg := s.Owners; reg != nil {
		for v := range int32(reg.Len()) {
			holders, shares := reg.HoldersOf(v)
			for i, x := range holders {
				h.str(reg.Key(v)).num(uint64(reg.Kind(v))).str(reg.Key(x)).num(uint64(reg.Kind(x))).float(shares[i]).add(&holdings)
			}
			if p, ok := reg.LegalRepOf(v); ok {
				h.str(reg.Key(v)).str("legal representative").str(reg.Key(p)).add(&holdings)
			}
		}
	}
	// Persons' names are left out: an incremental read keeps the name of a person
	// who no longer holds or represents anything, which a whole read drops.
	for i, d := range []tableDigest{firms, rels, events, recent, supplied, holdings} {
		out[readTables[i]] = d
	}
	return out
}

// compareRead compares the dataset the engine held, brought up to date from the
// store's changes (held), with the store read whole (read); every table that
// differs is logged and counted. The whole read is the one the scan goes on with.
func (e *Engine) compareRead(scan int64, held, read *State) bool {
	a, b := digestOf(held), digestOf(read)
	same := true
	for _, t := range readTables {
		if a[t] == b[t] {
			continue
		}
		same = false
		e.log.Warn("dataset mismatch: what the engine held differs from the store read whole; the whole read is used",
			"scan", scan, "table", t, "held_rows", a[t].Rows, "read_rows", b[t].Rows)
		e.m.mismatch(t)
	}
	return same
}
