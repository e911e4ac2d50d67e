package postgres

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// benchStore opens the store of CHAINRISK_BENCH_PG_STORE (a database URL whose
// search_path names a schema holding an imported province), or else a fresh schema
// filled with 100,000 random rows per table.
func benchStore(b *testing.B) *Store {
	url := os.Getenv("CHAINRISK_BENCH_PG_STORE")
	fill := url == ""
	if fill {
		url = pgtest.URL(b)
	}
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if fill {
		fillTables(b, s.d, 100_000)
	}
	return s
}

// cpuTime is the CPU time this process used so far (user and system): the client's
// share of a read, which the machine's load does not inflate the way it does wall time.
func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// tableReads are the whole-table reads of a full scan's load.
var tableReads = []struct {
	name string
	read func(ctx context.Context, s *store.SQL) (int, error)
}{
	{"enterprises", func(ctx context.Context, s *store.SQL) (int, error) {
		n := 0
		return n, s.Enterprises(ctx, func(*credit.Enterprise) error { n++; return nil })
	}},
	{"relations", func(ctx context.Context, s *store.SQL) (int, error) {
		n := 0
		return n, s.Relations(ctx, func(*credit.Relation) error { n++; return nil })
	}},
	{"events", func(ctx context.Context, s *store.SQL) (int, error) {
		n := 0
		f := store.EventFilter{ActiveAt: time.Now(), Recent: store.RecentFilter{Types: []string{"court", "tax"},
			Since: time.Now().AddDate(-1, 0, 0)}}
		return n, s.Events(ctx, f, func(*credit.Event) error { n++; return nil })
	}},
	{"shareholdings", func(ctx context.Context, s *store.SQL) (int, error) {
		n := 0
		return n, s.Shareholdings(ctx, func(*credit.Shareholding) error { n++; return nil })
	}},
}

// BenchmarkReadTables reads each table whole: through the driver's Scan (the
// portable path), and as binary rows, by COPY and by the extended protocol.
func BenchmarkReadTables(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	modes := []struct {
		name string
		sql  *store.SQL
		mode readMode
	}{
		{"scan", store.NewSQL(portable{s.d}, nil), readCopy},
		{"copy", s.SQL, readCopy},
		{"extended", s.SQL, readExtended},
	}
	for _, t := range tableReads {
		for _, m := range modes {
			b.Run(t.name+"/"+m.name, func(b *testing.B) {
				s.d.readMode = m.mode
				rows := 0
				cpu := cpuTime()
				for b.Loop() {
					n, err := t.read(ctx, m.sql)
					if err != nil {
						b.Fatal(err)
					}
					rows += n
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
				b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(rows), "cpu-ns/row")
			})
		}
	}
}

// BenchmarkReadLoad reads the four tables of a full scan's load one after the other.
func BenchmarkReadLoad(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	events := store.EventFilter{ActiveAt: time.Now()}
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			n := 0
			errs := []error{
				s.Enterprises(ctx, func(*credit.Enterprise) error { n++; return nil }),
				s.Shareholdings(ctx, func(*credit.Shareholding) error { n++; return nil }),
				s.Relations(ctx, func(*credit.Relation) error { n++; return nil }),
				s.Events(ctx, events, func(*credit.Event) error { n++; return nil }),
			}
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
