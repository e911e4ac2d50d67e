package demo

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

func generate(t testing.TB, opts ProvinceOptions) (map[credit.Kind]*bytes.Buffer, ProvinceStats) {
	t.Helper()
	bufs := map[credit.Kind]*bytes.Buffer{}
	w := map[credit.Kind]io.Writer{}
	for _, k := range credit.Kinds {
		bufs[k] = &bytes.Buffer{}
		w[k] = bufs[k]
	}
	stats, err := GenerateProvince(opts, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range credit.Kinds {
		if stats.Bytes[k] != int64(bufs[k].Len()) {
			t.Errorf("%s: stats say %d bytes, wrote %d", k, stats.Bytes[k], bufs[k].Len())
		}
	}
	return bufs, stats
}

func parse(t *testing.T, k credit.Kind, b *bytes.Buffer) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	if want := strings.Split(strings.TrimSuffix(csvHeader[k], "\n"), ","); !slices.Equal(recs[0], want) {
		t.Fatalf("%s: header %v", k, recs[0])
	}
	return recs[1:]
}

func TestGenerateProvince(t *testing.T) {
	opts := ProvinceOptions{Firms: 5000, EdgesPerFirm: 5, EventsPerFirm: 3, Leaders: 5, Seed: 42}
	bufs, stats := generate(t, opts)
	anchor := AnchorTime()
	v := credit.Validator{Catalogue: credit.NewCatalogue(), Now: func() time.Time { return anchor }}
	fail := func(k credit.Kind, line int, p credit.Problems) {
		t.Helper()
		if !p.OK() || len(p.Warnings) > 0 {
			t.Fatalf("%s line %d: %v %v", k, line, p.Errors, p.Warnings)
		}
	}

	firms := map[string]int{}
	leaders := map[string]bool{}
	for i, r := range parse(t, credit.KindEnterprises, bufs[credit.KindEnterprises]) {
		e := credit.Enterprise{USCC: r[0], Name: r[1], Region: r[2], Industry: r[3], Status: credit.Status(r[5])}
		if r[4] != "" {
			e.Tags = strings.Split(r[4], ";")
		}
		if r[6] != "" {
			x, err := strconv.ParseFloat(r[6], 64)
			if err != nil {
				t.Fatal(err)
			}
			e.Revenue = &x
		}
		fail(credit.KindEnterprises, i+2, v.Enterprise(&e))
		if _, dup := firms[e.USCC]; dup {
			t.Fatalf("duplicate USCC %s", e.USCC)
		}
		firms[e.USCC] = i
		if e.HasTag(credit.TagLeading) {
			leaders[e.USCC] = true
			if i >= opts.Leaders {
				t.Errorf("leader %s is not among the first %d rows", e.USCC, opts.Leaders)
			}
		}
	}
	if len(firms) != opts.Firms || len(leaders) != opts.Leaders || stats.Firms != opts.Firms {
		t.Fatalf("%d firms, %d leaders; stats %+v", len(firms), len(leaders), stats)
	}

	in, out := map[string]int{}, map[string]int{}
	purchase, sales := map[string]float64{}, map[string]float64{}
	seen := map[[2]string]bool{}
	succ := map[int][]int{}
	rels := parse(t, credit.KindRelations, bufs[credit.KindRelations])
	for i, r := range rels {
		num := func(s string) float64 {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("relations line %d: %v", i+2, err)
			}
			return x
		}
		rel := credit.Relation{Supplier: r[0], Customer: r[1], PurchaseShare: num(r[2]), SalesShare: num(r[3]),
			Substitutability: num(r[4]), Product: r[6],
			ValidFrom: date(t, "valid_from", r[7]), ValidTo: date(t, "valid_to", r[8])}
		fail(credit.KindRelations, i+2, v.Relation(&rel))
		if rel.PurchaseShare <= 0 || rel.SalesShare <= 0 {
			t.Fatalf("relations line %d: zero share", i+2)
		}
		si, ok1 := firms[rel.Supplier]
		ci, ok2 := firms[rel.Customer]
		if !ok1 || !ok2 || si == ci {
			t.Fatalf("relations line %d: unknown endpoint or self-loop", i+2)
		}
		key := [2]string{rel.Supplier, rel.Customer}
		if seen[key] {
			t.Fatalf("relations line %d: duplicate", i+2)
		}
		seen[key] = true
		in[rel.Customer]++
		out[rel.Supplier]++
		purchase[rel.Customer] += rel.PurchaseShare
		sales[rel.Supplier] += rel.SalesShare
		succ[si] = append(succ[si], ci)
	}
	if stats.Relations != len(rels) {
		t.Errorf("stats say %d relations, wrote %d", stats.Relations, len(rels))
	}
	if want := opts.EdgesPerFirm * float64(opts.Firms); float64(len(rels)) < 0.9*want || float64(len(rels)) > 1.1*want {
		t.Errorf("%d relations, want about %v", len(rels), want)
	}
	for u, s := range purchase {
		if s > 1+credit.ShareSumTolerance {
			t.Fatalf("Σ purchase_share of %s = %v", u, s)
		}
	}
	for u, s := range sales {
		if s > 1+credit.ShareSumTolerance {
			t.Fatalf("Σ sales_share of %s = %v", u, s)
		}
	}

	// Heavy tails: the hubs dwarf the mean, and the leaders are the biggest customers.
	mean := float64(len(rels)) / float64(opts.Firms)
	maxIn, maxOut, leaderIn := 0, 0, 0.0
	for u, d := range in {
		maxIn = max(maxIn, d)
		if leaders[u] {
			leaderIn += float64(d) / float64(opts.Leaders)
		}
	}
	for _, d := range out {
		maxOut = max(maxOut, d)
	}
	t.Logf("mean degree %.2f, max in %d, max out %d, leaders' mean in %.0f", mean, maxIn, maxOut, leaderIn)
	if float64(maxIn) < 20*mean || float64(maxOut) < 20*mean || leaderIn < 20*mean {
		t.Errorf("degrees not heavy-tailed: mean %.2f, max in %d, max out %d, leaders' mean in %.0f", mean, maxIn, maxOut, leaderIn)
	}
	if stats.MaxInDegree != maxIn || stats.MaxOutDegree != maxOut {
		t.Errorf("stats %+v disagree with max in %d, max out %d", stats, maxIn, maxOut)
	}

	// Cycles: Kahn's algorithm cannot remove every firm.
	indeg := make([]int, opts.Firms)
	for _, cs := range succ {
		for _, c := range cs {
			indeg[c]++
		}
	}
	queue, removed := []int{}, 0
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		removed++
		for _, c := range succ[i] {
			if indeg[c]--; indeg[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	if removed == opts.Firms {
		t.Error("the supply graph has no cycle")
	}

	ids := map[string]time.Time{}
	severity := map[credit.Severity]int{}
	oldest := anchor
	for i, r := range parse(t, credit.KindEvents, bufs[credit.KindEvents]) {
		e := credit.Event{ID: r[0], USCC: r[1], Type: r[2], OccurredAt: date(t, "occurred_at", r[3]),
			PublishUntil: date(t, "publish_until", r[4]), Source: r[5], Description: r[7]}
		fail(credit.KindEvents, i+2, v.Event(&e))
		if _, dup := ids[e.ID]; dup {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		ids[e.ID] = e.OccurredAt
		if _, ok := firms[e.USCC]; !ok {
			t.Fatalf("events line %d: unknown firm", i+2)
		}
		et, _ := v.Catalogue.Lookup(e.Type)
		severity[et.Severity]++
		if e.OccurredAt.Before(oldest) {
			oldest = e.OccurredAt
		}
	}
	if stats.Events != len(ids) || len(ids) != int(opts.EventsPerFirm)*opts.Firms {
		t.Errorf("%d events, stats say %d", len(ids), stats.Events)
	}
	t.Logf("events by severity %v, oldest %s", severity, oldest.Format(time.DateOnly))
	if n := len(ids); severity[credit.SeverityCritical] > n/50 || severity[credit.SeverityCritical] == 0 ||
		severity[credit.SeverityMedium]+severity[credit.SeverityLow]+severity[credit.SeverityInfo] < n*9/10 {
		t.Errorf("event mix %v: want mostly medium, low and info, few critical", severity)
	}
	if anchor.Sub(oldest) < 2*365*24*time.Hour {
		t.Errorf("oldest event %s: want ages spread over three years", oldest)
	}

	reps := parse(t, credit.KindRepairs, bufs[credit.KindRepairs])
	if len(reps) == 0 || stats.Repairs != len(reps) {
		t.Errorf("%d repairs, stats say %d", len(reps), stats.Repairs)
	}
	for i, r := range reps {
		rp := credit.Repair{EventID: r[0], RepairedAt: date(t, "repaired_at", r[1]), DecidedBy: r[2], Reason: r[3]}
		fail(credit.KindRepairs, i+2, v.Repair(&rp))
		at, ok := ids[rp.EventID]
		if !ok || rp.RepairedAt.Before(at) || rp.RepairedAt.After(anchor) {
			t.Fatalf("repairs line %d: %v", i+2, r)
		}
	}
	checkProvinceShareholdings(t, parse(t, credit.KindShareholdings, bufs[credit.KindShareholdings]), firms, stats)
}

// checkProvinceShareholdings: every holding passes ingest's checks, names firms of the
// province, keeps Σ share ≤ 1 per investee and gives each person one name; there are
// about 1.5 holdings per firm, some of them by firms.
func checkProvinceShareholdings(t *testing.T, rows [][]string, firms map[string]int, stats ProvinceStats) {
	t.Helper()
	v := credit.Validator{Catalogue: credit.NewCatalogue()}
	sum, names, seen := map[string]float64{}, map[string]string{}, map[[3]string]bool{}
	byFirms := 0
	for i, r := range rows {
		share, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			t.Fatalf("shareholdings line %d: %v", i+2, err)
		}
		h := credit.Shareholding{Holder: r[0], HolderKind: credit.HolderKind(r[1]), HolderName: r[2], Investee: r[3], Share: share}
		if p := v.Shareholding(&h); !p.OK() || len(p.Warnings) > 0 {
			t.Fatalf("shareholdings line %d: %v %v", i+2, p.Errors, p.Warnings)
		}
		_, known := firms[h.Investee]
		if h.HolderKind == credit.HolderFirm {
			_, holder := firms[h.Holder]
			known = known && holder
			byFirms++
		} else if n, ok := names[h.Holder]; h.HolderName == "" || ok && n != h.HolderName {
			t.Fatalf("shareholdings line %d: person %s named %q and %q", i+2, h.Holder, n, h.HolderName)
		}
		names[h.Holder] = h.HolderName
		key := [3]string{r[1], h.Holder, h.Investee}
		if !known || seen[key] {
			t.Fatalf("shareholdings line %d: unknown firm or duplicate key: %v", i+2, r)
		}
		seen[key] = true
		sum[h.Investee] += share
	}
	for u, s := range sum {
		if s > 1+credit.ShareSumTolerance {
			t.Fatalf("Σ share in %s = %v", u, s)
		}
	}
	if n := len(rows); stats.Shareholdings != n || n < len(firms)*13/10 || n > len(firms)*17/10 || byFirms < n/10 {
		t.Errorf("%d holdings (stats %d) for %d firms, %d by firms: want about 1.5 per firm, some by firms",
			n, stats.Shareholdings, len(firms), byFirms)
	}
}

func TestGenerateProvinceDeterministic(t *testing.T) {
	opts := ProvinceOptions{Firms: 3000, EdgesPerFirm: 4, EventsPerFirm: 2, Leaders: 3, Seed: 7}
	a, _ := generate(t, opts)
	b, _ := generate(t, opts)
	for _, k := range credit.Kinds {
		if !bytes.Equal(a[k].Bytes(), b[k].Bytes()) {
			t.Errorf("%s differs between two runs with the same seed", k)
		}
	}
	opts.Seed++
	c, _ := generate(t, opts)
	if bytes.Equal(a[credit.KindRelations].Bytes(), c[credit.KindRelations].Bytes()) {
		t.Error("another seed gave the same relations")
	}
}

func TestGenerateProvinceOptions(t *testing.T) {
	for name, opts := range map[string]ProvinceOptions{
		"one firm":           {Firms: 1},
		"too many leaders":   {Firms: 10, Leaders: 6},
		"negative edges":     {Firms: 100, EdgesPerFirm: -1},
		"too dense":          {Firms: 100, EdgesPerFirm: 11},
		"NaN events":         {Firms: 100, EventsPerFirm: float64Nan()},
		"too many events":    {Firms: 100, EventsPerFirm: 1001},
		"negative leaders":   {Firms: 100, Leaders: -1},
		"beyond the maximum": {Firms: MaxProvinceFirms + 1},
	} {
		if _, err := GenerateProvince(opts, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Without writers everything is generated and discarded.
	stats, err := GenerateProvince(ProvinceOptions{Firms: 200, EdgesPerFirm: 3, EventsPerFirm: 1, Leaders: 2}, nil)
	if err != nil || stats.Relations == 0 || stats.Bytes[credit.KindRelations] == 0 {
		t.Errorf("discarding run: %+v, %v", stats, err)
	}
	// A failing writer is reported.
	_, err = GenerateProvince(ProvinceOptions{Firms: 2000, EdgesPerFirm: 3, EventsPerFirm: 1},
		map[credit.Kind]io.Writer{credit.KindEvents: failingWriter{}})
	if err == nil || !strings.Contains(err.Error(), "events.csv") {
		t.Errorf("failing writer: %v", err)
	}
}

// WriteProvince leaves exactly the files GenerateProvince writes, and a bad
// option leaves nothing.
func TestWriteProvince(t *testing.T) {
	opts := ProvinceOptions{Firms: 2000, EdgesPerFirm: 3, EventsPerFirm: 2, Leaders: DefaultProvinceLeaders(2000), Seed: 5}
	want, wantStats := generate(t, opts)
	dir := filepath.Join(t.TempDir(), "nested", "out")
	stats, err := WriteProvince(dir, opts)
	if err != nil || stats.Relations != wantStats.Relations || stats.Leaders != 2 {
		t.Fatalf("WriteProvince = %+v, %v", stats, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != len(credit.Kinds) {
		t.Errorf("%s holds %d entries (%v), want the %d files", dir, len(entries), err, len(credit.Kinds))
	}
	for _, k := range credit.Kinds {
		got, err := os.ReadFile(filepath.Join(dir, FileName(k)))
		if err != nil || !bytes.Equal(got, want[k].Bytes()) {
			t.Errorf("%s differs from GenerateProvince's (%v)", FileName(k), err)
		}
	}
	bad := t.TempDir()
	if _, err := WriteProvince(bad, ProvinceOptions{Firms: 1}); err == nil {
		t.Error("one firm: no error")
	}
	if entries, _ := os.ReadDir(bad); len(entries) != 0 {
		t.Errorf("a refused run left %d files", len(entries))
	}
}

func TestDefaultProvinceLeaders(t *testing.T) {
	for firms, want := range map[int]int{2: 1, 999: 1, 1000: 1, 2999: 2, 1_000_000: 1000} {
		if got := DefaultProvinceLeaders(firms); got != want {
			t.Errorf("DefaultProvinceLeaders(%d) = %d, want %d", firms, got, want)
		}
	}
}

func float64Nan() float64 { x := 0.0; return x / x }

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// BenchmarkGenerateProvince generates 100,000 firms, 500,000 relations and 300,000
// events per iteration into io.Discard.
func BenchmarkGenerateProvince(b *testing.B) {
	opts := ProvinceOptions{Firms: 100_000, EdgesPerFirm: 5, EventsPerFirm: 3, Leaders: 100, Seed: 1}
	var stats ProvinceStats
	for b.Loop() {
		var err error
		if stats, err = GenerateProvince(opts, nil); err != nil {
			b.Fatal(err)
		}
	}
	total := int64(0)
	for _, n := range stats.Bytes {
		total += n
	}
	b.SetBytes(total)
	b.ReportMetric(float64(stats.Relations+stats.Events+stats.Firms)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestProvinceScale runs the docs/performance.md size (1M firms, 5M relations, 3M events, 1,000
// leaders) when CHAINRISK_GEN_SCALE is set, reporting time and heap.
func TestProvinceScale(t *testing.T) {
	if os.Getenv("CHAINRISK_GEN_SCALE") == "" {
		t.Skip("set CHAINRISK_GEN_SCALE=1 to generate the province-scale data set")
	}
	start := time.Now()
	stats, err := GenerateProvince(ProvinceOptions{Firms: 1_000_000, EdgesPerFirm: 5, EventsPerFirm: 3, Leaders: 1000, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%v: %+v; heap sys %d MiB, total alloc %d MiB", time.Since(start), stats, ms.HeapSys>>20, ms.TotalAlloc>>20)
}
