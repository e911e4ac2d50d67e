package search

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/demo"
)

// The benchmarks run on the firm names `chainriskctl gen` writes (demo.GenerateProvince:
// city, brand, mark and an industry's ending, e.g. 哈尔滨三江永泰大豆种植专业合作社):
// 100,000 firms, or CHAINRISK_BENCH_FIRMS (1000000 for the province scale of
// docs/performance.md).

type benchDir struct {
	names, ids []string
	tags       [][]string
}

var (
	benchOnce sync.Once
	benchData benchDir
)

func benchFirms(b *testing.B) benchDir {
	b.Helper()
	benchOnce.Do(func() {
		n := 100_000
		if s := os.Getenv("CHAINRISK_BENCH_FIRMS"); s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil {
				b.Fatalf("CHAINRISK_BENCH_FIRMS: %v", err)
			}
		}
		err := demo.EachProvinceEnterprise(n, func(rec []string) error {
			benchData.ids = append(benchData.ids, rec[0])
			benchData.names = append(benchData.names, rec[1])
			var tags []string
			if rec[4] != "" {
				tags = strings.Split(rec[4], ";")
			}
			benchData.tags = append(benchData.tags, tags)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	return benchData
}

func buildBench(d benchDir) *Index {
	bl := NewBuilder(len(d.names))
	for v, s := range d.names {
		bl.Add(s, d.tags[v])
	}
	return bl.Build(d.ids)
}

// BenchmarkBuild builds the index of a full scan; it reports the time per firm and
// the memory the index holds (measured on the heap, and as SizeBytes estimates it).
func BenchmarkBuild(b *testing.B) {
	d := benchFirms(b)
	var ix *Index
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		ix = buildBench(d)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(d.names)), "ns/firm")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "heap-MB")
	b.ReportMetric(float64(ix.SizeBytes())/1e6, "index-MB")
	b.ReportMetric(float64(len(ix.b.post))/float64(len(d.names)), "postings/firm")
	runtime.KeepAlive(ix)
}

// twoCharQueries draws n two-character Chinese queries from the names, in proportion
// to how often they occur: a random pair of neighbouring characters of a random
// name, so that 有限, 公司 and 哈尔 (tens of percent of all firms) come up as often as
// users would type them.
func twoCharQueries(d benchDir, n int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	var out []string
	for len(out) < n {
		rs := []rune(d.names[rng.IntN(len(d.names))])
		i := rng.IntN(len(rs) - 1)
		if rs[i] >= 0x4E00 && rs[i+1] >= 0x4E00 {
			out = append(out, string(rs[i:i+2]))
		}
	}
	return out
}

// benchSearch runs the queries with order, timing each, and reports p50, p99, the
// worst and the mean matches.
func benchSearch(b *testing.B, queries []string, score []float64) {
	d := benchFirms(b)
	ix := buildBench(d)
	var took []time.Duration
	matches := 0
	i := 0
	for b.Loop() {
		t := time.Now()
		p := ix.Search(Query{Text: queries[i%len(queries)], Score: score, Limit: 50})
		took = append(took, time.Since(t))
		matches += p.Total
		i++
	}
	slices.Sort(took)
	ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1e3 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
	b.ReportMetric(float64(matches)/float64(len(took)), "matches/query")
}

// benchScores are scores as a scan spreads them: most firms at the event-free score.
func benchScores(n int) []float64 {
	rng := rand.New(rand.NewPCG(3, 3))
	score := make([]float64, n)
	for v := range score {
		score[v] = 700
		if rng.IntN(3) == 0 {
			score[v] = 300 + 400*rng.Float64()
		}
	}
	return score
}

// BenchmarkSearchTwoChars: the API's default order, by name, pages of 50.
func BenchmarkSearchTwoChars(b *testing.B) {
	benchSearch(b, twoCharQueries(benchFirms(b), 1000), nil)
}

// BenchmarkSearchTwoCharsByScore: sort=score, riskiest first.
func BenchmarkSearchTwoCharsByScore(b *testing.B) {
	d := benchFirms(b)
	benchSearch(b, twoCharQueries(d, 1000), benchScores(len(d.names)))
}

// BenchmarkSearchMixed: one character, a firm's whole name, a brand, a USCC prefix
// and nothing (every firm).
func BenchmarkSearchMixed(b *testing.B) {
	d := benchFirms(b)
	benchSearch(b, []string{"豆", d.names[len(d.names)/2], "松花江恒信", d.ids[0][:8], "有限公司", ""}, nil)
}

// BenchmarkUpdate is the index's part of an incremental scan: ten firms renamed and
// ten added to the full scan's index.
func BenchmarkUpdate(b *testing.B) {
	d := benchFirms(b)
	ix := buildBench(d)
	ids := append(slices.Clip(d.ids), "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N10")
	var docs []Doc
	for i := range 10 {
		v := int32(i * len(d.names) / 10)
		docs = append(docs, Doc{Node: v, Name: d.names[v] + "新", Tags: d.tags[v]},
			Doc{Node: int32(len(d.names) + i), Name: "新设企业" + strconv.Itoa(i)})
	}
	for b.Loop() {
		_ = ix.Update(ids, docs)
	}
}
