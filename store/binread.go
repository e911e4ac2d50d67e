package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// BinaryReader is a Dialect that hands a query's rows out as the values of
// PostgreSQL's binary format: a TEXT column's UTF-8 bytes, a BIGINT or DOUBLE
// PRECISION column's 8 big-endian bytes, nil for NULL. The whole-table reads of a
// full scan's load decode them straight into their structs (binread.go), which is
// several times cheaper than scanning each column through the driver's conversions.
type BinaryReader interface {
	// ReadBinary runs q with args and calls fn with each row's values, which are
	// valid only during the call.
	ReadBinary(ctx context.Context, q string, args []any, fn func(vals [][]byte) error) error
}

// binRow decodes one row of binary values. The first error sticks; decoding goes
// on with zero values, so a row is checked once, at its end.
type binRow struct {
	vals [][]byte
	err  error
	// strs is the row's text columns, made into one string: a row costs one
	// allocation for its text, not one per column (fields share its memory); pos
	// is where each column starts in it.
	strs string
	pos  [16]int
	sb   strings.Builder
}

func (r *binRow) fail(i int, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("column %d: %s", i, fmt.Sprintf(format, args...))
	}
}

// start readies a row of want columns whose text columns are at the positions texts.
func (r *binRow) start(vals [][]byte, want int, texts []int) {
	r.vals, r.err = vals, nil
	if len(vals) != want {
		r.err = fmt.Errorf("row of %d columns, want %d", len(vals), want)
		r.vals = make([][]byte, want)
	}
	n := 0
	for _, i := range texts {
		r.pos[i] = n
		n += len(r.vals[i])
	}
	r.sb = strings.Builder{}
	r.sb.Grow(n)
	for _, i := range texts {
		r.sb.Write(r.vals[i])
	}
	r.strs = r.sb.String()
}

// text returns text column i, one of start's texts.
func (r *binRow) text(i int) string {
	v := r.vals[i]
	if v == nil {
		r.fail(i, "NULL where text is required")
		return ""
	}
	return r.strs[r.pos[i] : r.pos[i]+len(v)]
}

func (r *binRow) eight(i int) ([]byte, bool) {
	v := r.vals[i]
	if v == nil {
		return nil, false
	}
	if len(v) != 8 {
		r.fail(i, "%d bytes, want an 8-byte number", len(v))
		return nil, false
	}
	return v, true
}

func (r *binRow) float(i int) float64 {
	v, ok := r.eight(i)
	if !ok {
		if r.vals[i] == nil {
			r.fail(i, "NULL where a number is required")
		}
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}

func (r *binRow) floatPtr(i int) *float64 {
	v, ok := r.eight(i)
	if !ok {
		return nil
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(v))
	return &f
}

func (r *binRow) int(i int) int64 {
	v, ok := r.eight(i)
	if !ok {
		if r.vals[i] == nil {
			r.fail(i, "NULL where a number is required")
		}
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// time is a BIGINT of Unix milliseconds; NULL becomes the zero time (fromMS).
func (r *binRow) time(i int) time.Time {
	v, ok := r.eight(i)
	if !ok {
		return time.Time{}
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(v))).UTC()
}

// mustTime is a NOT NULL BIGINT of Unix milliseconds.
func (r *binRow) mustTime(i int) time.Time {
	return time.UnixMilli(r.int(i)).UTC()
}

// splitShared is splitTags over a string whose parts may share its memory.
func splitShared(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

var enterpriseTexts = []int{0, 1, 2, 3, 4, 5, 7, 8, 12}

func (r *binRow) enterprise(vals [][]byte, e *credit.Enterprise) error {
	r.start(vals, 13, enterpriseTexts)
	e.USCC, e.Name, e.Region, e.Industry = r.text(0), r.text(1), r.text(2), r.text(3)
	e.Tags = splitShared(r.text(4))
	e.Status = credit.Status(r.text(5))
	e.Revenue = r.floatPtr(6)
	e.LegalRepID, e.LegalRepName = r.text(7), r.text(8)
	e.RegisteredCapital = r.floatPtr(9)
	e.EstablishedAt = r.time(10)
	e.UpdatedAt = r.mustTime(11)
	e.FormerNames = splitShared(r.text(12))
	return r.err
}

var relationTexts = []int{0, 1, 6}

func (r *binRow) relation(vals [][]byte, rel *credit.Relation) error {
	r.start(vals, 9, relationTexts)
	rel.Supplier, rel.Customer = r.text(0), r.text(1)
	rel.PurchaseShare, rel.SalesShare, rel.Substitutability = r.float(2), r.float(3), r.float(4)
	rel.Amount = r.floatPtr(5)
	rel.Product = r.text(6)
	rel.ValidFrom, rel.ValidTo = r.time(7), r.time(8)
	return r.err
}

var eventTexts = []int{0, 1, 2, 5, 7, 8}

func (r *binRow) event(vals [][]byte, e *credit.Event) error {
	r.start(vals, 10, eventTexts)
	e.ID, e.USCC, e.Type = r.text(0), r.text(1), r.text(2)
	e.OccurredAt = r.mustTime(3)
	e.PublishUntil = r.time(4)
	e.Source = r.text(5)
	e.Amount = r.floatPtr(6)
	e.Description = r.text(7)
	e.State = credit.EventState(r.text(8))
	e.RepairedAt = r.time(9)
	return r.err
}

var shareholdingTexts = []int{0, 1, 2, 3}

func (r *binRow) shareholding(vals [][]byte, h *credit.Shareholding) error {
	r.start(vals, 8, shareholdingTexts)
	h.HolderKind = credit.HolderKind(r.text(0))
	h.Holder, h.HolderName, h.Investee = r.text(1), r.text(2), r.text(3)
	h.Share = r.float(4)
	h.SubscribedCapital = r.floatPtr(5)
	h.Since, h.Until = r.time(6), r.time(7)
	return r.err
}

var firmResultTexts = []int{0, 2, 5}

func (r *binRow) firmResult(vals [][]byte, f *FirmResult) error {
	r.start(vals, 8, firmResultTexts)
	f.USCC = r.text(0)
	f.Score = r.float(1)
	f.Grade = r.text(2)
	f.P, f.D = r.float(3), r.float(4)
	f.ModelVersion = r.text(5)
	f.ScanID = r.int(6)
	f.UpdatedAt = r.mustTime(7)
	return r.err
}

// eachBinary streams q's rows through decode into a T handed to fn, when the dialect
// reads binary rows; it reports false otherwise, and the caller reads them the
// portable way.
func eachBinary[T any](ctx context.Context, d Dialect, q string, args []any,
	decode func(r *binRow, vals [][]byte, dst *T) error, fn func(*T) error) (bool, error) {
	br, ok := d.(BinaryReader)
	if !ok {
		return false, nil
	}
	var r binRow
	return true, br.ReadBinary(ctx, q, args, func(vals [][]byte) error {
		var v T
		if err := decode(&r, vals, &v); err != nil {
			return err
		}
		return fn(&v)
	})
}
