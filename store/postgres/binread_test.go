package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// portable hides ReadBinary: a store over it reads every row through the driver's
// Scan, the way the embedded store does.
type portable struct{ store.Dialect }

// rowGen draws column values: NULLs, edge numbers and texts the decoder could get
// wrong (empty, multi-byte, separators only).
type rowGen struct{ r *rand.Rand }

var genTexts = []string{"", "a", "黑龙江省哈尔滨市松花江恒信大豆种植专业合作社", "🚚 emoji 💥", "e\u0301 combining",
	"quote ' and \" and \\ backslash", "tab\tnew\nline", ";", "a;b;c", ";lead;trail;", "x;;y", strings.Repeat("长", 300)}

var genFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64,
	math.Inf(1), math.Inf(-1), 0.30000000000000004, 123456789.125}

var genMillis = []int64{0, 1, -1, 1700000000123, -62135596800000, 253402300799999, 4102444800000, -1000}

func (g rowGen) text() string { return genTexts[g.r.IntN(len(genTexts))] }

func (g rowGen) float() float64 {
	if g.r.IntN(3) == 0 {
		return genFloats[g.r.IntN(len(genFloats))]
	}
	return g.r.NormFloat64() * 1e6
}

func (g rowGen) ms() int64 {
	if g.r.IntN(2) == 0 {
		return genMillis[g.r.IntN(len(genMillis))]
	}
	return g.r.Int64N(4e12) - 1e12
}

// nullable returns nil one time in three.
func (g rowGen) nullable(v any) any {
	if g.r.IntN(3) == 0 {
		return nil
	}
	return v
}

// fillTables copies n random rows into every table a full scan reads whole.
func fillTables(t testing.TB, d *dialect, n int) {
	ctx := context.Background()
	g := rowGen{rand.New(rand.NewPCG(1, 2))}
	uscc := func(i int) string { return fmt.Sprintf("91%016d", i) }
	states := []string{"active", "repaired", "expired"}
	tables := []struct {
		name string
		cols []string
		row  func(i int) []any
	}{
		{"enterprises", []string{"uscc", "name", "region", "industry", "tags", "status", "revenue", "updated_at",
			"former_names", "legal_rep_id", "legal_rep_name", "registered_capital", "established_at"},
			func(i int) []any {
				return []any{uscc(i), g.text(), g.text(), g.text(), g.text(), g.text(), g.nullable(g.float()), g.ms(),
					g.text(), g.text(), g.text(), g.nullable(g.float()), g.nullable(g.ms())}
			}},
		{"relations", []string{"supplier", "customer", "purchase_share", "sales_share", "substitutability", "amount",
			"product", "valid_from", "valid_to", "updated_at"},
			func(i int) []any {
				return []any{uscc(i), uscc(i + 1), g.float(), g.float(), g.float(), g.nullable(g.float()), g.text(),
					g.nullable(g.ms()), g.nullable(g.ms()), g.ms()}
			}},
		{"events", []string{"event_id", "uscc", "type", "occurred_at", "publish_until", "source", "amount",
			"description", "state", "repaired_at", "updated_at"},
			func(i int) []any {
				return []any{fmt.Sprintf("ev-%d-%s", i, g.text()), uscc(i % 97), []string{"court", "tax", g.text()}[i%3],
					g.ms(), g.nullable(g.ms()), g.text(), g.nullable(g.float()), g.text(), states[i%3],
					g.nullable(g.ms()), g.ms()}
			}},
		{"shareholdings", []string{"holder_kind", "holder", "investee", "holder_name", "share", "subscribed_capital",
			"since", "until", "updated_at"},
			func(i int) []any {
				return []any{[]string{"firm", "person"}[i%2], g.text() + fmt.Sprint(i), uscc(i), g.text(), g.float(),
					g.nullable(g.float()), g.nullable(g.ms()), g.nullable(g.ms()), g.ms()}
			}},
		{"scores", []string{"uscc", "score", "grade", "p", "d", "model_version", "scan_id", "updated_at"},
			func(i int) []any {
				return []any{uscc(i), g.float(), g.text(), g.float(), g.float(), g.text(),
					[]int64{0, -1, math.MaxInt64, math.MinInt64, int64(i)}[i%5], g.ms()}
			}},
	}
	for _, tb := range tables {
		if _, err := d.pool.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return tb.row(i), nil
		})); err != nil {
			t.Fatalf("fill %s: %v", tb.name, err)
		}
	}
}

// readAll collects what each whole-table reader of s returns.
func readEvery(t *testing.T, s *store.SQL, filter store.EventFilter) map[string]any {
	ctx := context.Background()
	var (
		ents  []credit.Enterprise
		rels  []credit.Relation
		evs   []credit.Event
		holds []credit.Shareholding
		res   []store.FirmResult
	)
	errs := []error{
		s.Enterprises(ctx, func(e *credit.Enterprise) error { ents = append(ents, *e); return nil }),
		s.Relations(ctx, func(r *credit.Relation) error { rels = append(rels, *r); return nil }),
		s.Events(ctx, filter, func(e *credit.Event) error { evs = append(evs, *e); return nil }),
		s.Shareholdings(ctx, func(h *credit.Shareholding) error { holds = append(holds, *h); return nil }),
		s.FirmResults(ctx, func(f *store.FirmResult) error { res = append(res, *f); return nil }),
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return map[string]any{"enterprises": ents, "relations": rels, "events": evs, "shareholdings": holds, "scores": res}
}

func TestBinaryReadsEqualScans(t *testing.T) {
	s, err := Open(context.Background(), pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3000
	fillTables(t, s.d, n)
	at := time.UnixMilli(1700000000123)
	filters := map[string]store.EventFilter{
		"all":    {},
		"active": {ActiveAt: at},
		"active or recent": {ActiveAt: at, Recent: store.RecentFilter{Types: []string{"court", genTexts[3]},
			Since: time.UnixMilli(-1000)}},
		"one firm": {USCC: fmt.Sprintf("91%016d", 5)},
	}
	for name, f := range filters {
		want := readEvery(t, store.NewSQL(portable{s.d}, nil), f)
		for _, mode := range []readMode{readCopy, readExtended} {
			s.d.readMode = mode
			got := readEvery(t, s.SQL, f)
			for table, w := range want {
				if reflect.ValueOf(w).Len() == 0 {
					t.Fatalf("%s: the portable read found no %s", name, table)
				}
				if !reflect.DeepEqual(got[table], w) {
					t.Errorf("events %s, mode %d: %s differ from the portable read", name, mode, table)
				}
			}
		}
		if l := len(want["enterprises"].([]credit.Enterprise)); l != n {
			t.Fatalf("read %d enterprises, want %d", l, n)
		}
	}
}

// TestCopyParserSplitRows feeds a real COPY stream to the parser in pieces of every
// size from one byte up: the rows must come out the same as from the whole stream.
func TestCopyParserSplitRows(t *testing.T) {
	s, err := Open(context.Background(), pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	fillTables(t, s.d, 50)
	conn, err := s.d.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stream strings.Builder
	_, err = conn.Conn().PgConn().CopyTo(ctx, &stream, `COPY (SELECT `+"uscc, name, revenue, established_at"+
		` FROM enterprises) TO STDOUT (FORMAT binary)`)
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	parse := func(piece int) []string {
		var rows []string
		p := &copyParser{fn: func(vals [][]byte) error {
			rows = append(rows, fmt.Sprintf("%q", vals))
			return nil
		}}
		b := []byte(stream.String())
		for len(b) > 0 {
			k := min(piece, len(b))
			chunk := append([]byte(nil), b[:k]...)
			if _, err := p.Write(chunk); err != nil {
				t.Fatalf("pieces of %d: %v", piece, err)
			}
			clear(chunk) // the caller reuses its buffer
			b = b[k:]
		}
		if !p.done || len(p.pending) > 0 {
			t.Fatalf("pieces of %d: done %v, %d bytes pending", piece, p.done, len(p.pending))
		}
		return rows
	}
	whole := parse(len(stream.String()))
	if len(whole) != 50 {
		t.Fatalf("%d rows, want 50", len(whole))
	}
	for piece := 1; piece < 200; piece += 7 {
		if got := parse(piece); !reflect.DeepEqual(got, whole) {
			t.Fatalf("pieces of %d: rows differ", piece)
		}
	}
}

// TestBinaryReadStops: a callback's error ends the read, and the store goes on
// answering.
func TestBinaryReadStops(t *testing.T) {
	s, err := Open(context.Background(), pgtest.URL(t), Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	fillTables(t, s.d, 500)
	stop := fmt.Errorf("enough")
	for _, mode := range []readMode{readCopy, readExtended} {
		s.d.readMode = mode
		for range 3 { // more reads than connections: none may leak
			seen := 0
			err := s.Relations(ctx, func(*credit.Relation) error {
				if seen++; seen == 10 {
					return stop
				}
				return nil
			})
			if err != stop || seen != 10 {
				t.Fatalf("mode %d: read stopped with %v after %d rows", mode, err, seen)
			}
		}
		c, err := s.Counts(ctx)
		if err != nil || c.Relations != 500 {
			t.Fatalf("mode %d: counts after a stopped read: %+v, %v", mode, c, err)
		}
	}
}
