package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/testmetrics"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
)

// wantLists evaluates the default lists (docs/models.md) firm by firm, straight from
// what the store holds — every firm's status and every event, whatever its state —
// and the grades of st, at st's clock: list name → members.
func wantLists(t *testing.T, s store.Store, st *monitor.State) map[string]map[string]bool {
	t.Helper()
	ctx := context.Background()
	cat := credit.NewCatalogue()
	status := map[string]credit.Status{}
	if err := s.Enterprises(ctx, func(e *credit.Enterprise) error { status[e.USCC] = e.Status; return nil }); err != nil {
		t.Fatal(err)
	}
	events := map[string][]credit.Event{}
	if err := s.Events(ctx, store.EventFilter{}, func(e *credit.Event) error {
		events[e.USCC] = append(events[e.USCC], *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	at := st.At
	since := at.AddDate(-3, 0, 0).Truncate(time.Second)
	out := map[string]map[string]bool{lists.Incentive: {}, lists.Focus: {}, lists.Discipline: {}}
	for v, id := range st.Snap.IDs {
		var activeNegative, activeHigh, activeCritical, serious bool
		for _, e := range events[id] {
			typ, _ := cat.Lookup(e.Type)
			active := e.State == credit.EventActive && (e.PublishUntil.IsZero() || e.PublishUntil.After(at))
			high, critical := typ.Severity == credit.SeverityHigh, typ.Severity == credit.SeverityCritical
			activeNegative = activeNegative || (active && typ.Points < 0)
			activeHigh = activeHigh || (active && high)
			activeCritical = activeCritical || (active && critical)
			serious = serious || ((high || critical) && !e.OccurredAt.Before(since))
		}
		g := st.Grade[v]
		if g == risk.GradeA && status[id] == credit.StatusActive && !activeNegative && !serious {
			out[lists.Incentive][id] = true
		}
		if g == risk.GradeC || activeHigh {
			out[lists.Focus][id] = true
		}
		if g == risk.GradeD || activeCritical {
			out[lists.Discipline][id] = true
		}
	}
	return out
}

// gotLists is st's membership: list name → members.
func gotLists(st *monitor.State) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	set := st.Lists.Set()
	for l := range set.Len() {
		m := map[string]bool{}
		for v, id := range st.Snap.IDs {
			if st.Lists.Has(l, int32(v)) {
				m[id] = true
			}
		}
		if len(m) != st.Lists.Count(l) {
			panic(fmt.Sprintf("list %s: %d members, count %d", set.List(l).Name, len(m), st.Lists.Count(l)))
		}
		out[set.List(l).Name] = m
	}
	return out
}

// sameLists reports the differences of two memberships.
func sameLists(t *testing.T, what string, got, want map[string]map[string]bool) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		g, w := got[name], want[name]
		for id := range w {
			if !g[id] {
				t.Errorf("%s: %s should be on %s", what, id, name)
			}
		}
		for id := range g {
			if !w[id] {
				t.Errorf("%s: %s should not be on %s", what, id, name)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: lists %v, want %v", what, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

func TestListsOnDemo(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	if _, err := e.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	st := e.State()
	got, want := gotLists(st), wantLists(t, s, st)
	sameLists(t, "demo", got, want)
	for _, name := range []string{lists.Incentive, lists.Focus, lists.Discipline} {
		t.Logf("%s: %d members", name, len(got[name]))
		if len(got[name]) == 0 {
			t.Errorf("no member on %s: the comparison is empty", name)
		}
	}
	// The planted stories (demo/README.md): the farm company (grade D, a dishonest
	// judgment debtor) is on the discipline list, the collector behind it (grade C,
	// a judgment debtor) on the focus list, the dairy leader (A; its minor penalty
	// expired) on the incentive list.
	byName := map[string]string{}
	for v, f := range st.Firms {
		byName[f.Name] = st.Snap.IDs[v]
	}
	for _, c := range []struct{ firm, list string }{
		{"黑河兴安丰泽农业发展有限公司", lists.Discipline},
		{"黑河北疆金穗大豆收储有限公司", lists.Focus},
		{"齐齐哈尔鹤乡乳业集团股份有限公司", lists.Incentive},
	} {
		if !got[c.list][byName[c.firm]] {
			t.Errorf("%s is not on %s", c.firm, c.list)
		}
	}
	// The reasons of the farm company: grade D and its critical events.
	set := st.Lists.Set()
	l, _ := set.Index(lists.Discipline)
	v, _ := st.Index(byName["黑河兴安丰泽农业发展有限公司"])
	rs := st.Lists.Explainer(st.ListInput()).Reasons(l, v)
	if len(rs) != 2 || rs[0].Detail != "grade D" || !strings.Contains(rs[1].Detail, "dishonest_judgment_debtor (critical, 2026-08-26)") {
		t.Errorf("reasons %+v", rs)
	}
}

// TestListsOnProvince compares the lists of a generated province with a firm-by-firm
// evaluation, after a full scan and after incremental ones (old and new serious
// events, repairs), four months after the data's anchor: the events of the first four
// of its 36 months are older than the incentive list's three years.
func TestListsOnProvince(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clock := demo.AnchorTime().AddDate(0, 4, 0)
	bufs := map[credit.Kind]*bytes.Buffer{}
	w := map[credit.Kind]io.Writer{}
	// The lists read firms and events: the shareholdings are left out, the relations
	// few (the import is what takes time, under the race detector above all).
	kinds := []credit.Kind{credit.KindEnterprises, credit.KindRelations, credit.KindEvents, credit.KindRepairs}
	for _, k := range kinds {
		bufs[k] = &bytes.Buffer{}
		w[k] = bufs[k]
	}
	if _, err := demo.GenerateProvince(demo.ProvinceOptions{Firms: 1000, EdgesPerFirm: 1, EventsPerFirm: 3, Leaders: 1, Seed: 3}, w); err != nil {
		t.Fatal(err)
	}
	validator := &credit.Validator{Catalogue: credit.NewCatalogue(), Now: func() time.Time { return clock }}
	var inputs []ingest.Input
	for _, k := range kinds {
		inputs = append(inputs, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: bufs[k]})
	}
	if sum, err := ingest.Import(ctx, s, inputs, ingest.ImportOptions{Strict: true, Validator: validator}); err != nil || !sum.OK() {
		t.Fatalf("province: %v %v", err, sum.Errors)
	}
	e := newEngine(s, clock)
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	st := e.State()
	got := gotLists(st)
	sameLists(t, "full scan", got, wantLists(t, s, st))
	for name, m := range got {
		t.Logf("%s: %d of %d firms", name, len(m), st.Len())
	}
	t.Logf("grades %v", st.GradeCounts())
	// Some incentive members get a serious event, some focus members' active events
	// are repaired (they stay off the incentive list for three years).
	inc := slices.Sorted(maps.Keys(got[lists.Incentive]))
	if len(inc) < 7 { // five get a serious event, two an old one
		t.Fatalf("only %d incentive members", len(inc))
	}
	var rows strings.Builder
	rows.WriteString("event_id,uscc,type,occurred_at\n")
	for i, u := range inc[:5] {
		fmt.Fprintf(&rows, "LST-%d,%s,penalty_serious,%s\n", i, u, clock.AddDate(0, 0, -7).Format(time.DateOnly))
	}
	step := func(what string, k credit.Kind, body string) {
		t.Helper()
		sum, err := ingest.Import(ctx, s, []ingest.Input{{Kind: k, Format: ingest.CSV, R: strings.NewReader(body)}},
			ingest.ImportOptions{Strict: true, Validator: validator})
		if err != nil || !sum.OK() {
			t.Fatalf("%s: %v %v", what, err, sum.Errors)
		}
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: sum.Applied.Touched})
		if err != nil || sc.Kind != monitor.ScanIncremental {
			t.Fatalf("%s: %v, %+v", what, err, sc)
		}
		st := e.State()
		sameLists(t, what, gotLists(st), wantLists(t, s, st))
	}
	// Old serious events, no longer public: one three years and a day before the
	// clock (outside the window: still an incentive member), one two years before
	// (inside: off the list, though no longer active).
	var old strings.Builder
	old.WriteString("event_id,uscc,type,occurred_at\n")
	fmt.Fprintf(&old, "LST-old-1,%s,tax_arrears,%s\n", inc[5], clock.AddDate(-3, 0, -1).Format(time.DateOnly))
	fmt.Fprintf(&old, "LST-old-2,%s,tax_arrears,%s\n", inc[6], clock.AddDate(-2, 0, 0).Format(time.DateOnly))
	step("old serious events", credit.KindEvents, old.String())
	if now := gotLists(e.State()); !now[lists.Incentive][inc[5]] || now[lists.Incentive][inc[6]] {
		t.Errorf("incentive: %s (serious event 3y+1d ago) %v, want true; %s (2y ago) %v, want false",
			inc[5], now[lists.Incentive][inc[5]], inc[6], now[lists.Incentive][inc[6]])
	}
	step("serious events", credit.KindEvents, rows.String())
	if now := gotLists(e.State()); now[lists.Incentive][inc[0]] || !now[lists.Focus][inc[0]] {
		t.Errorf("%s, with an active penalty_serious, is still on incentive or not on focus", inc[0])
	}
	rows.Reset()
	rows.WriteString("event_id,repaired_at,decided_by,reason\n")
	for i := range 5 {
		fmt.Fprintf(&rows, "LST-%d,%s,省发改委,已整改\n", i, clock.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	step("repairs", credit.KindRepairs, rows.String())
	if now := gotLists(e.State()); now[lists.Incentive][inc[0]] {
		t.Errorf("%s, with a repaired penalty_serious of last week, is back on incentive", inc[0])
	}
}

// compareLists checks that an incremental state's recent events and lists are the
// full scan's.
func compareLists(t *testing.T, step int, inc, full *monitor.State) {
	t.Helper()
	sameLists(t, fmt.Sprint("step ", step), gotLists(inc), gotLists(full))
	key := func(a, b risk.EventRef) int {
		if a.At != b.At {
			return int(a.At - b.At)
		}
		return int(a.Type) - int(b.Type)
	}
	for v, id := range full.Snap.IDs {
		u, _ := inc.Index(id)
		a, b := slices.Clone(inc.FirmRecent(u)), slices.Clone(full.FirmRecent(int32(v)))
		slices.SortFunc(a, key)
		slices.SortFunc(b, key)
		if !slices.Equal(a, b) {
			t.Errorf("step %d firm %s: recent events %v, full scan %v", step, id, a, b)
		}
	}
}

// A config reload that changes what the lists look back on, or the catalogue's
// types, turns the next incremental scan into a full one (the previous state's events
// are not the ones needed, or index other types); a reload that does not keeps it
// incremental, and new criteria apply to every firm at once.
func TestListsReload(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	firm := e.State().Snap.IDs[0]
	run := func(cfg *config.Config) *store.Scan {
		t.Helper()
		e.SetParams(monitor.ParamsFromConfig(cfg))
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: []string{firm}})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	// The same lists, rebuilt: incremental.
	if sc := run(config.Default()); sc.Kind != monitor.ScanIncremental {
		t.Errorf("a reload with the same lists ran a %s scan", sc.Kind)
	}
	// The focus list now wants grade B or C: every firm is evaluated again.
	cfg := config.Default()
	focus := cfg.Lists[lists.Focus]
	focus.AnyOf = []config.ListCondition{{Grade: []string{"B", "C"}}}
	cfg.Lists[lists.Focus] = focus
	if sc := run(cfg); sc.Kind != monitor.ScanIncremental {
		t.Errorf("a reload of the focus list ran a %s scan", sc.Kind)
	}
	st := e.State()
	l, _ := st.Lists.Set().Index(lists.Focus)
	counts := st.GradeCounts()
	if got, want := st.Lists.Count(l), counts[risk.GradeB]+counts[risk.GradeC]; got != want {
		t.Errorf("focus of B or C: %d members, want %d", got, want)
	}
	// A new event type shifts the catalogue's type indices: a full scan.
	points := -10.0
	cfg.Model.EventTypes = []config.EventTypeConfig{{Name: "aaa_notice", Points: &points, Severity: credit.SeverityLow,
		Publicity: &credit.Period{Years: 1}}}
	if sc := run(cfg); sc.Kind != monitor.ScanFull {
		t.Errorf("a reload with a new event type ran a %s scan", sc.Kind)
	}
	// The incentive list looks back one year instead of three: a full scan.
	inc := cfg.Lists[lists.Incentive]
	inc.AllOf = []config.ListCondition{{NoEventSeverity: &config.SeverityWindow{
		Severities: lists.Serious, Within: config.Window{Years: 1}}}}
	cfg.Lists[lists.Incentive] = inc
	if sc := run(cfg); sc.Kind != monitor.ScanFull {
		t.Errorf("a reload of the incentive list's window ran a %s scan", sc.Kind)
	}
}

// chainrisk_list_members counts each list's members by prefecture: one series per
// list and prefecture holding firms, 0 included, summing to the list's count.
func TestListMetrics(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	reg := prometheus.NewRegistry()
	e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: demo.AnchorTime,
		Metrics: monitor.NewMetrics(reg, 100, nil)})
	if _, err := e.Run(context.Background(), monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	st := e.State()
	prefectures := map[string]int{} // firms per prefecture
	for _, f := range st.Firms {
		prefectures[f.Region[:4]]++
	}
	// The demo's 13 prefectures of Heilongjiang (demo/README.md): Harbin 2301 …
	// Daxinganling 2327.
	if len(prefectures) != 13 || prefectures["2301"] == 0 || prefectures["2327"] == 0 {
		t.Fatalf("prefectures %v", prefectures)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sums, series := map[string]float64{}, 0
	for _, mf := range mfs {
		if mf.GetName() != "chainrisk_list_members" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if prefectures[labels["region"]] == 0 {
				t.Errorf("series of region %q, which holds no firm", labels["region"])
			}
			sums[labels["list"]] += m.GetGauge().GetValue()
			series++
		}
	}
	if series != 3*len(prefectures) {
		t.Errorf("%d series, want 3 lists × %d prefectures", series, len(prefectures))
	}
	set := st.Lists.Set()
	for l := range set.Len() {
		if name := set.List(l).Name; sums[name] != float64(st.Lists.Count(l)) {
			t.Errorf("%s: the series sum to %v, the list holds %d", name, sums[name], st.Lists.Count(l))
		}
	}
	// The farm company of Heihe (2311) is on the discipline list.
	if v := testmetrics.Must(t, reg, "chainrisk_list_members", "list", lists.Discipline, "region", "2311"); v < 1 {
		t.Errorf("discipline members in Heihe: %v", v)
	}
}
