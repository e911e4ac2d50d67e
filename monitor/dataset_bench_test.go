package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// BenchmarkFullScanSteady measures a leader's scheduled full scans: one first scan
// reads the store whole, then each iteration commits a small batch (100 events, 10
// renamed firms, 10 new relations) and runs a full scan, which re-reads what changed.
// It writes to the store: point CHAINRISK_BENCH_STORE at a copy of an imported SQLite
// database (docs/performance.md). Each scan's stats and CPU seconds (user + system,
// all cores) are logged; after the timed scans, one more reads the store whole with
// the same previous state, for comparison.
func BenchmarkFullScanSteady(b *testing.B) {
	path := os.Getenv("CHAINRISK_BENCH_STORE")
	if path == "" {
		b.Skip("CHAINRISK_BENCH_STORE names no SQLite database to scan")
	}
	debug.FreeOSMemory() // the previous round's engine and states
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default())})
	first, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first scan: %s", first.Stats)
	var cpu float64
	rng := rand.New(rand.NewPCG(1, 2))
	stages := map[string]float64{}
	var total float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		smallBatch(b, s, e.State(), rng, i)
		b.StartTimer()
		c0 := cpuSeconds()
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuSeconds() - c0
		var st monitor.ScanStats
		_ = json.Unmarshal(sc.Stats, &st)
		if st.Read != monitor.ReadChanges {
			b.Fatalf("scan %d read %q", i, st.Read)
		}
		for k, v := range st.Stages {
			stages[k] += v
		}
		total += st.Seconds
		b.Logf("scan %d: %.1f CPU s: %s", i, cpuSeconds()-c0, sc.Stats)
	}
	b.StopTimer()
	b.ReportMetric(cpu/float64(b.N), "cpu-s")
	e.SetFullReread(-1)
	smallBatch(b, s, e.State(), rng, b.N)
	c0 := cpuSeconds()
	whole, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("whole read, same previous state: %.1f CPU s: %s", cpuSeconds()-c0, whole.Stats)
	for k, v := range stages {
		b.ReportMetric(v/float64(b.N), k+"-s")
	}
	b.ReportMetric(total/float64(b.N), "scan-s")
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// smallBatch commits 100 events on random firms, 10 renamed firms and 10 new
// relations (rows the batch checks refuse are left out).
func smallBatch(b *testing.B, s store.Store, st *monitor.State, rng *rand.Rand, i int) {
	ctx := context.Background()
	firm := func() string { return st.Snap.IDs[rng.IntN(st.Len())] }
	ev := &store.Chunk{Kind: credit.KindEvents}
	for k := range 100 {
		at := st.At.Add(-time.Duration(rng.IntN(100*24)) * time.Hour)
		ev.Lines = append(ev.Lines, k+2)
		ev.Events = append(ev.Events, credit.Event{ID: fmt.Sprintf("BENCH-%d-%d", i, k), USCC: firm(), Type: "tax_arrears",
			OccurredAt: at, PublishUntil: at.AddDate(2, 0, 0), Source: "bench", Description: "bench", State: credit.EventActive})
	}
	en := &store.Chunk{Kind: credit.KindEnterprises}
	for k := range 10 {
		x, err := s.Enterprise(ctx, firm())
		if err != nil {
			b.Fatal(err)
		}
		x.Name = fmt.Sprintf("%s%d", x.Name, i)
		en.Lines = append(en.Lines, k+2)
		en.Enterprises = append(en.Enterprises, *x)
	}
	rel := &store.Chunk{Kind: credit.KindRelations}
	for k := range 10 {
		rel.Lines = append(rel.Lines, k+2)
		rel.Relations = append(rel.Relations, credit.Relation{Supplier: firm(), Customer: firm(), PurchaseShare: 1e-4,
			SalesShare: 1e-4, Substitutability: 0.5, Product: "bench"})
	}
	batch, err := s.BeginBatch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []*store.Chunk{en, rel, ev} {
		if err := batch.Stage(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := batch.Check(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := batch.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}
