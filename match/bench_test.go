package match

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/demo"
)

// The benchmark runs on the firms `chainriskctl gen` writes (demo.GenerateProvince:
// city, brand, mark and an industry's ending, e.g. 哈尔滨三江永泰大豆种植专业合作社):
// 1,000,000 firms, or CHAINRISK_BENCH_FIRMS.

var (
	benchOnce  sync.Once
	benchFirms []Firm
)

func loadBenchFirms(b *testing.B) []Firm {
	b.Helper()
	benchOnce.Do(func() {
		n := 1_000_000
		if s := os.Getenv("CHAINRISK_BENCH_FIRMS"); s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil {
				b.Fatalf("CHAINRISK_BENCH_FIRMS: %v", err)
			}
		}
		err := demo.EachProvinceEnterprise(n, func(rec []string) error {
			benchFirms = append(benchFirms, Firm{USCC: rec[0], Name: rec[1], Region: rec[2]})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if os.Getenv("CHAINRISK_MATCH_RAW_NAMES") == "" {
			distinctCores(benchFirms)
		}
	})
	return benchFirms
}

// distinctCores gives the firms distinct cores, as registered names mostly are: the
// generator draws names from a small vocabulary (at 1,000,000 firms, 47,175 cores once
// the city is stripped), so the k-th firm with a core already seen gets a trade-name
// word of two or three characters, numbered k, after its city. CHAINRISK_MATCH_RAW_NAMES=1
// keeps the names as generated.
func distinctCores(firms []Firm) {
	const chars = "鑫隆盛达恒泰源丰宏伟嘉瑞昌通福兴安顺祥和润泽金诚信益康宁远航佳美汇德众天华新利"
	cs := []rune(chars)
	seen := make(map[string]int, len(firms))
	for i := range firms {
		core, err := Normalize(firms[i].Name)
		if err != nil {
			continue
		}
		k := seen[core]
		seen[core] = k + 1
		if k == 0 {
			continue
		}
		word := string([]rune{cs[k%len(cs)], cs[k/len(cs)%len(cs)]})
		if k >= len(cs)*len(cs) {
			word += string(cs[k/len(cs)/len(cs)%len(cs)])
		}
		n := adminPrefix(firms[i].Name)
		firms[i].Name = firms[i].Name[:n] + word + firms[i].Name[n:]
	}
}

// benchQueries derives n names from the firms the way supplier lists write them: as
// registered, with the province in front, with another legal form or none, with
// half-width brackets and spaces, with one character mistyped, and names of firms
// that are not there. Half carry the firm's region as a hint.
func benchQueries(firms []Firm, n int) (names, regions []string) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		f := firms[rng.IntN(len(firms))]
		name := f.Name
		switch i % 6 {
		case 1:
			name = "黑龙江省" + name
		case 2:
			name = strings.Replace(name, "有限公司", "股份有限公司", 1)
			name = strings.TrimSuffix(name, "专业合作社")
		case 3:
			name = strings.Replace(name, "有限公司", " (集团) 有限公司", 1)
		case 4:
			r := []rune(name)
			r[len(r)/2] = '鑫'
			name = string(r)
		case 5:
			name = "龙江新创" + strconv.Itoa(i) + "智能科技有限公司"
		}
		names = append(names, name)
		region := ""
		if i%2 == 0 {
			region = f.Region
		}
		regions = append(regions, region)
	}
	return names, regions
}

// cpuTime returns the CPU time the process has used, user and system: on a machine
// shared with other work it measures what wall time cannot.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMatch10kAgainst1M matches 10,000 names against an index of the province's
// firms, on every core. It reports the index's build time and memory, and the
// statuses the names got.
func BenchmarkMatch10kAgainst1M(b *testing.B) {
	firms := loadBenchFirms(b)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, startCPU := time.Now(), cpuTime()
	ix := NewIndex(firms)
	build, buildCPU := time.Since(start), cpuTime()-startCPU
	runtime.GC()
	runtime.ReadMemStats(&after)
	names, regions := benchQueries(firms, 10_000)
	statuses := map[Status]int{}
	var mu sync.Mutex
	b.ResetTimer()
	queryCPU := cpuTime()
	for b.Loop() {
		clear(statuses)
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				local := map[Status]int{}
				for i := w; i < len(names); i += workers {
					res, err := ix.Match(names[i], regions[i], "")
					if err != nil {
						b.Error(err)
						return
					}
					local[res.Status]++
				}
				mu.Lock()
				for s, c := range local {
					statuses[s] += c
				}
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	queryCPU = cpuTime() - queryCPU
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
	b.ReportMetric(queryCPU.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "heap-MB")
	b.ReportMetric(float64(ix.SizeBytes())/1e6, "index-MB")
	b.ReportMetric(float64(len(ix.post))/float64(ix.Len()), "postings/firm")
	b.ReportMetric(float64(len(ix.exact)), "distinct-cores")
	for _, s := range []Status{StatusExact, StatusUnique, StatusAmbiguous, StatusNone} {
		b.ReportMetric(float64(statuses[s]), string(s)+"/10k")
	}
	runtime.KeepAlive(ix)
}

// BenchmarkMatchFormerNames1M is BenchmarkMatch10kAgainst1M with a former name (曾用名)
// for every tenth firm — its name with another trade word after the city, as a firm
// renamed keeps its city and legal form — and 10,000 names of which half are such
// former names and half current names. It reports the index's build time and size
// with the former names, and how many names were chosen by a former name.
func BenchmarkMatchFormerNames1M(b *testing.B) {
	const chars = "旭光红星东方前进胜利永安新华长城黎明朝阳"
	cs := []rune(chars)
	firms := slices.Clone(loadBenchFirms(b))
	var renamed []int
	for i := 0; i < len(firms); i += 10 {
		n := adminPrefix(firms[i].Name)
		k := i / 10
		word := string([]rune{cs[k%len(cs)], cs[k/len(cs)%len(cs)], cs[k/len(cs)/len(cs)%len(cs)], cs[k/len(cs)/len(cs)/len(cs)%len(cs)]})
		firms[i].FormerNames = []string{firms[i].Name[:n] + word + firms[i].Name[n:]}
		renamed = append(renamed, i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, startCPU := time.Now(), cpuTime()
	ix := NewIndex(firms)
	build, buildCPU := time.Since(start), cpuTime()-startCPU
	runtime.GC()
	runtime.ReadMemStats(&after)
	rng := rand.New(rand.NewPCG(9, 9))
	names := make([]string, 10_000)
	for i := range names {
		if i%2 == 0 {
			names[i] = firms[renamed[rng.IntN(len(renamed))]].FormerNames[0]
		} else {
			names[i] = firms[rng.IntN(len(firms))].Name
		}
	}
	var statuses [4]atomic.Int64
	var viaFormer atomic.Int64
	order := map[Status]int{StatusExact: 0, StatusUnique: 1, StatusAmbiguous: 2, StatusNone: 3}
	b.ResetTimer()
	for b.Loop() {
		for i := range statuses {
			statuses[i].Store(0)
		}
		viaFormer.Store(0)
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(names); i += workers {
					res, err := ix.Match(names[i], "", "")
					if err != nil {
						b.Error(err)
						return
					}
					statuses[order[res.Status]].Add(1)
					if res.USCC != "" && len(res.Candidates) > 0 && res.Candidates[0].Via != "" {
						viaFormer.Add(1)
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "heap-MB")
	b.ReportMetric(float64(len(ix.entFirm)), "entries")
	for s, i := range order {
		b.ReportMetric(float64(statuses[i].Load()), string(s)+"/10k")
	}
	b.ReportMetric(float64(viaFormer.Load()), "by-former-name/10k")
	runtime.KeepAlive(ix)
}
