package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/search"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// findUSCCs lists, in name order, the USCCs of the firms a query finds in st.
func findUSCCs(st *monitor.State, q string) []string {
	p := st.Search.Search(search.Query{Text: q, Limit: st.Len() + 1})
	out := make([]string, len(p.Nodes))
	for i, v := range p.Nodes {
		out[i] = st.Snap.IDs[v]
	}
	return out
}

// compareSearch: an incremental scan's search index finds what a full scan's does,
// in the same order, and holds the same tags.
func compareSearch(t *testing.T, step int, inc, full *monitor.State) {
	t.Helper()
	for _, q := range []string{"", "firm", "FIRM1", "大豆", "乳业", "agri", "1大", "f", storetest.USCC(3)[:12]} {
		if a, b := findUSCCs(inc, q), findUSCCs(full, q); !slices.Equal(a, b) {
			t.Errorf("step %d: %q finds %v incrementally, %v in a full scan", step, q, a, b)
		}
	}
	for v := range full.Len() {
		u, _ := inc.Index(full.Snap.IDs[v])
		if a, b := inc.Search.Tags(u), full.Search.Tags(int32(v)); !slices.Equal(a, b) {
			t.Errorf("step %d firm %s: tags %v incrementally, %v in a full scan", step, full.Snap.IDs[v], a, b)
		}
	}
}

// A firm added or renamed is found by its new name after the incremental scan that
// takes it in, and no longer by its old one.
func TestSearchFollowsIngest(t *testing.T) {
	s := openStore(t)
	w := &randomWorld{rng: rand.New(rand.NewPCG(1, 1)), firms: 3, day: demo.AnchorTime()}
	apply(t, s, w.firmChunk(1, 3))
	ctx := context.Background()
	eng := newEngineWith(s, w.day, config.Default())
	if _, err := eng.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	// The first firmChunk names firm i with suffix (i + 1) % 4: firm1乳业, firm2Agri.
	if got := findUSCCs(eng.State(), "乳业"); !slices.Equal(got, []string{storetest.USCC(1)}) {
		t.Fatalf("before: 乳业 finds %v", got)
	}
	a := apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2, 3}, Enterprises: []credit.Enterprise{
		{USCC: storetest.USCC(1), Name: "黑河北疆金穗玉米收储有限公司", Region: "231100", Tags: []string{"listed"}},
		{USCC: storetest.USCC(9), Name: "新设大豆种植专业合作社", Region: "231100"},
	}})
	if _, err := eng.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: a.Touched}); err != nil {
		t.Fatal(err)
	}
	st := eng.State()
	for q, want := range map[string][]string{
		"大豆": {storetest.USCC(9)}, "玉米收储": {storetest.USCC(1)}, "firm1": nil, "乳业": nil, "FIRM2agri": {storetest.USCC(2)},
	} {
		if got := findUSCCs(st, q); !slices.Equal(got, want) {
			t.Errorf("after: %q finds %v, want %v", q, got, want)
		}
	}
	if v, _ := st.Index(storetest.USCC(1)); !slices.Equal(st.Search.Tags(v), []string{"listed"}) {
		t.Errorf("tags after the rename: %v", st.Search.Tags(v))
	}
}

// leaderInfo returns chainrisk_leader_info as leader → name, checking every value is 1.
func leaderInfo(t *testing.T, reg *prometheus.Registry) map[string]string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, mf := range mfs {
		if mf.GetName() != "chainrisk_leader_info" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if m.GetGauge().GetValue() != 1 || len(labels) != 2 {
				t.Errorf("chainrisk_leader_info %v = %v", labels, m.GetGauge().GetValue())
			}
			out[labels["leader"]] = labels["name"]
		}
	}
	return out
}

// chainrisk_leader_info names every leader with series of its own, and follows a
// rename at the next scan.
func TestLeaderInfoMetric(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadESRIHand(t, s, "L", "K") // firms named <name>有限公司
	reg := prometheus.NewPedanticRegistry()
	metrics := monitor.NewMetrics(reg, 10, nil)
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics})
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{esriUSCC("L"): "L有限公司", esriUSCC("K"): "K有限公司"}
	if got := leaderInfo(t, reg); !maps.Equal(got, want) {
		t.Errorf("leader info %v, want %v", got, want)
	}
	a := apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{
		{USCC: esriUSCC("K"), Name: "鹤乡乳业集团有限公司", Region: "230100", Tags: []string{"leading"}}}})
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: a.Touched}); err != nil {
		t.Fatal(err)
	}
	want[esriUSCC("K")] = "鹤乡乳业集团有限公司"
	if got := leaderInfo(t, reg); !maps.Equal(got, want) {
		t.Errorf("after the rename: leader info %v, want %v", got, want)
	}
	// Under metrics.max_leader_series, the leaders with series of their own are named.
	metrics.SetLimits(1, nil)
	got := leaderInfo(t, reg)
	if len(got) != 1 || want[slices.Collect(maps.Keys(got))[0]] == "" {
		t.Errorf("with a cap of 1: leader info %v", got)
	}
}
