package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// TestRescoredSameAlerts runs the same ingests through two engines on the demo data:
// one evaluating every rule after each scan (Observe), the other the rules but the
// chain rules as soon as the firms are rescored (ObserveRescored), then the chain
// rules. The alerts must be the same, and so must every alert's notifications; only
// a message's grouping may differ, and no message of the split evaluation may mix
// chain-rule and other alerts.
func TestRescoredSameAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the demo data twice, six times")
	}
	ctx := context.Background()
	cfg := testConfig(t, subAll("everything"))
	anchor := demo.AnchorTime()
	type side struct {
		st     store.Store
		engine *monitor.Engine
	}
	var sides [2]side
	for i := range sides {
		st := openSQLite(t)
		for _, k := range credit.Kinds {
			f, err := demo.Open(k)
			if err != nil {
				t.Fatal(err)
			}
			importInto(t, st, ingest.Input{File: demo.FileName(k), Kind: k, Format: ingest.CSV, R: f}, anchor)
			f.Close()
		}
		m := NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Logger: discardLogger(),
			Clock: notifytest.NewClock(anchor)})
		engine := monitor.NewEngine(monitor.EngineOptions{Store: st, Params: monitor.ParamsFromConfig(cfg),
			Logger: discardLogger(), Now: func() time.Time { return anchor }})
		if i == 1 {
			engine.ObserveRescored(m.ObserveRescored)
		}
		engine.Observe(m.Observe)
		if _, err := engine.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
			t.Fatal(err)
		}
		sides[i] = side{st, engine}
	}
	// Severe events on the tier-1 and tier-2 suppliers of the first leader, a few at a
	// time: grades fall, the chain's risk rises, single sources turn C or D.
	state := sides[0].engine.State()
	ch, err := state.Snap.Chain(state.Leaders[0], graph.ChainOptions{DepthUp: 2, DepthDown: 0})
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, mem := range ch.Members {
		if mem.Tier >= 1 {
			targets = append(targets, mem.ID)
		}
	}
	slices.Sort(targets)
	for step := range 6 {
		var csv strings.Builder
		csv.WriteString("event_id,uscc,type,occurred_at,source\n")
		for j := step; j < len(targets); j += 6 {
			for k, typ := range []string{"dishonest_judgment_debtor", "bankruptcy"} {
				fmt.Fprintf(&csv, "SPLIT-%d-%d-%d,%s,%s,2026-11-20,court\n", step, j, k, targets[j], typ)
			}
		}
		for _, s := range sides {
			applied := importInto(t, s.st, ingest.Input{File: "events.csv", Kind: credit.KindEvents, Format: ingest.CSV,
				R: strings.NewReader(csv.String())}, anchor)
			sc, err := s.engine.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: applied.Touched})
			if err != nil || sc.Kind != monitor.ScanIncremental {
				t.Fatalf("step %d: %v (%v)", step, err, sc)
			}
			if split := strings.Contains(string(sc.Stats), monitor.StageObserveRescored); split != (s == sides[1]) {
				t.Fatalf("step %d: the scan's stages %s: want the rescored stage on the split side only", step, sc.Stats)
			}
		}
	}
	// The same alerts, with the same figures.
	a, b := firingAlerts(t, sides[0].st), firingAlerts(t, sides[1].st)
	if !slices.Equal(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))) {
		t.Fatalf("firing alerts differ:\n%v\n%v", slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b)))
	}
	// repair_done keeps when each store recorded the repair: the import's own clock.
	det := func(a store.Alert) string {
		c, err := decodeAlert(a)
		if err != nil {
			t.Fatal(err)
		}
		c.det.Announced = time.Time{}
		out, _ := json.Marshal(c.det)
		return string(out)
	}
	for fp, x := range a {
		y := b[fp]
		if x.Severity != y.Severity || x.Grade != y.Grade || x.PreviousGrade != y.PreviousGrade ||
			det(x) != det(y) || x.Quiet != y.Quiet || x.NotifiedAt.IsZero() != y.NotifiedAt.IsZero() {
			t.Errorf("%s differs:\n%+v %s\n%+v %s", fp, x, x.Details, y, y.Details)
		}
	}
	// The same notifications of each alert; split messages never mix chain rules in.
	flat := func(st store.Store, split bool) []string {
		var out []string
		for _, n := range outbox(t, st) {
			chains, all := 0, n.Alerts()
			for _, g := range all {
				out = append(out, strings.Join([]string{n.Subscription, g.Fingerprint, g.Status, g.Severity}, " "))
				if r := ruleNamed(g.Rule); r != nil && r.chains {
					chains++
				}
			}
			if split && chains != 0 && chains != len(all) {
				t.Errorf("a message of the split evaluation mixes chain rules and others: %v", brief([]*notify.Notification{n}))
			}
		}
		slices.Sort(out)
		return out
	}
	na, nb := flat(sides[0].st, false), flat(sides[1].st, true)
	if !slices.Equal(na, nb) {
		t.Errorf("notified alerts differ:\n%s\n--\n%s", strings.Join(na, "\n"), strings.Join(nb, "\n"))
	}
	rules := map[string]int{}
	for _, x := range na {
		rules[strings.SplitN(strings.Fields(x)[1], ":", 2)[0]]++
	}
	if rules[RuleSevereEvent] == 0 || rules[RuleChainRisk]+rules[RuleSingleSource] == 0 {
		t.Errorf("the ingests notified %v: want severe events and chain rules both", rules)
	}
	t.Logf("%d alerts firing; notified: %v", len(a), rules)
}

// importInto imports one input strictly, with the demo's clock.
func importInto(t *testing.T, st store.Store, in ingest.Input, at time.Time) store.Applied {
	t.Helper()
	validator := &credit.Validator{Catalogue: testConfig(t).Catalogue(), Now: func() time.Time { return at }}
	sum, err := ingest.Import(context.Background(), st, []ingest.Input{in}, ingest.ImportOptions{Strict: true, Validator: validator})
	if err != nil || !sum.OK() {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	return sum.Applied
}
