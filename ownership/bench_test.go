package ownership

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Benchmarks run on Generate's registry of 1,000,000 firms (about 1.5 M
// holdings), or CHAINRISK_BENCH_FIRMS firms.

var bench struct {
	once sync.Once
	gen  Generated
	reg  *Registry
	err  error
}

func benchRegistry(b *testing.B) (Generated, *Registry) {
	bench.once.Do(func() {
		n := 1_000_000
		if s := os.Getenv("CHAINRISK_BENCH_FIRMS"); s != "" {
			n, bench.err = strconv.Atoi(s)
			if bench.err != nil {
				return
			}
		}
		if bench.gen, bench.err = Generate(GenOptions{Firms: n, Seed: 1}); bench.err != nil {
			return
		}
		bench.reg, bench.err = Build(bench.gen.Holdings, bench.gen.LegalReps)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.gen, bench.reg
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBuild builds the registry from its holdings and legal
// representatives and reports ns and retained bytes per holding (arrays,
// keys and key indexes; the keys' bytes are the input's, shared).
func BenchmarkBuild(b *testing.B) {
	gen, _ := benchRegistry(b)
	before := heapInUse()
	r, err := Build(gen.Holdings, gen.LegalReps)
	if err != nil {
		b.Fatal(err)
	}
	retained := heapInUse() - before
	runtime.KeepAlive(r)
	r = nil
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Build(gen.Holdings, gen.LegalReps); err != nil {
			b.Fatal(err)
		}
	}
	m := float64(len(gen.Holdings))
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/m, "ns/holding")
	b.ReportMetric(float64(retained)/m, "bytes/holding")
	b.ReportMetric(float64(retained)/(1<<20), "MB")
}

// benchChecks runs full checks (holders up, investees down, beneficial
// owners, controller, legal representative's firms) round-robin over firms
// and reports the path steps per check.
func benchChecks(b *testing.B, r *Registry, firms []string) {
	p := DefaultParams()
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c, err := r.Check(firms[i%len(firms)], p)
		if err != nil {
			b.Fatal(err)
		}
		steps += c.Steps
		i++
	}
	b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
}

// BenchmarkCheckRandom checks firms drawn uniformly.
func BenchmarkCheckRandom(b *testing.B) {
	gen, r := benchRegistry(b)
	rng := rand.New(rand.NewPCG(9, 9))
	firms := make([]string, 1000)
	for i := range firms {
		firms[i] = gen.Holdings[rng.IntN(len(gen.Holdings))].Investee
	}
	benchChecks(b, r, firms)
}

// BenchmarkCheckGroupParent checks the most connected firm: of the 20
// largest groups' holding companies, the one whose check takes the most
// path steps.
func BenchmarkCheckGroupParent(b *testing.B) {
	gen, r := benchRegistry(b)
	benchChecks(b, r, []string{worst(b, r, gen.GroupParents[:min(20, len(gen.GroupParents))])})
}

// BenchmarkCheckWorstSampled checks the firm whose check takes the most
// path steps among 20,000 drawn uniformly.
func BenchmarkCheckWorstSampled(b *testing.B) {
	gen, r := benchRegistry(b)
	rng := rand.New(rand.NewPCG(4, 4))
	firms := make([]string, 20_000)
	for i := range firms {
		firms[i] = gen.Holdings[rng.IntN(len(gen.Holdings))].Investee
	}
	benchChecks(b, r, []string{worst(b, r, firms)})
}

func worst(b *testing.B, r *Registry, firms []string) string {
	most, key := -1, ""
	for _, f := range firms {
		c, err := r.Check(f, DefaultParams())
		if err != nil {
			b.Fatal(err)
		}
		if c.Steps > most {
			most, key = c.Steps, f
		}
	}
	return key
}

// BenchmarkApply applies an ingest batch to the registry: 500 shares
// halved, 250 holdings removed, 250 added by new persons, 100 legal
// representatives changed.
func BenchmarkApply(b *testing.B) {
	gen, r := benchRegistry(b)
	rng := rand.New(rand.NewPCG(5, 5))
	var c Changes
	used := map[string]bool{}
	for len(c.Set)+len(c.Remove) < 750 {
		h := gen.Holdings[rng.IntN(len(gen.Holdings))]
		if used[h.Investee] {
			continue
		}
		used[h.Investee] = true
		if len(c.Set) < 500 {
			h.Share /= 2
			c.Set = append(c.Set, h)
		} else {
			c.Remove = append(c.Remove, HoldingKey{h.Holder, h.HolderKind, h.Investee})
		}
	}
	for i := range 250 {
		c.Set = append(c.Set, ph("new-person-"+strconv.Itoa(i), c.Remove[i].Investee, 0.01))
	}
	for range 100 {
		l := gen.LegalReps[rng.IntN(len(gen.LegalReps))]
		if !used["rep "+l.Firm] {
			used["rep "+l.Firm] = true
			c.LegalReps = append(c.LegalReps, LegalRep{l.Firm, "new-rep"})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Apply(c); err != nil {
			b.Fatal(err)
		}
	}
}
