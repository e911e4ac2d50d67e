package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// A firm downgraded A → C → D by two ingests, each followed by an incremental scan,
// has a history entry for each scan that changed it, stamped with that scan's own
// time and id, although incremental scans score with the clock of the full scan they
// extend.
func TestHistoryKeepsEveryScan(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		t0 := demo.AnchorTime()
		firm, leader := storetest.USCC(1), storetest.USCC(2)
		apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2, 3}, Enterprises: []credit.Enterprise{
			{USCC: firm, Name: "供应商", Region: "230100", Status: credit.StatusActive},
			{USCC: leader, Name: "龙头", Region: "230100", Tags: []string{credit.TagLeading}, Status: credit.StatusActive},
		}}, &store.Chunk{Kind: credit.KindRelations, Lines: []int{2}, Relations: []credit.Relation{
			{Supplier: firm, Customer: leader, PurchaseShare: 0.5, SalesShare: 0.4, Substitutability: 0.5},
		}}, eventRows(
			credit.Event{ID: "H1", USCC: firm, Type: "honor", OccurredAt: t0},
			credit.Event{ID: "H2", USCC: firm, Type: "a_level_taxpayer", OccurredAt: t0}))

		clock := t0
		e := monitor.NewEngine(monitor.EngineOptions{Store: s, Params: monitor.ParamsFromConfig(config.Default()),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }})
		type step struct {
			id        int64
			at        time.Time
			chainRisk float64
			supply    float64
		}
		var steps []step
		record := func(sc *store.Scan) {
			x, ok := e.State().Chain(leader)
			if !ok {
				t.Fatalf("no chain of the leader after scan %d", sc.ID)
			}
			v, _ := e.State().Index(firm)
			if d := e.State().D[v]; math.Abs(x.SupplyAtRisk-0.5*d) > 1e-12 {
				t.Errorf("scan %d: supply_at_risk %v, want 0.5 × d %v", sc.ID, x.SupplyAtRisk, d)
			}
			steps = append(steps, step{sc.ID, clock, x.ChainRisk, x.SupplyAtRisk})
		}
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"})
		if err != nil {
			t.Fatal(err)
		}
		record(sc)
		// 800 + 30 + 50 (no decay at age 0) = 880: A. Then −200 (penalty_serious): 680,
		// C. Then −350 (dishonest_judgment_debtor, critical): 330, D.
		for i, typ := range []string{"penalty_serious", "dishonest_judgment_debtor"} {
			clock = t0.Add(time.Duration(i+1) * time.Hour)
			a := apply(t, s, eventRows(credit.Event{ID: typ, USCC: firm, Type: typ, OccurredAt: t0}))
			sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanIncremental, Trigger: "ingest", Touched: a.Touched})
			if err != nil {
				t.Fatal(err)
			}
			if sc.Kind != monitor.ScanIncremental {
				t.Fatalf("ingest %d ran a %s scan", i+1, sc.Kind)
			}
			record(sc)
		}
		// A full scan the next day changes the firm by less than a point (decay):
		// no entry.
		clock = t0.Add(24 * time.Hour)
		sc, err = e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:full_scan"})
		if err != nil {
			t.Fatal(err)
		}
		record(sc)

		hist, err := s.History(ctx, firm, store.HistoryFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			scan           int
			trigger, grade string
			score          float64
		}{{2, "ingest", "D", 330}, {1, "ingest", "C", 680}, {0, "startup", "A", 880}}
		if len(hist) != len(want) {
			t.Fatalf("history holds %d entries, want %d (one per scan that changed the firm): %+v", len(hist), len(want), hist)
		}
		for i, w := range want {
			h := hist[i]
			st := steps[w.scan]
			p := 1 / (1 + math.Exp((w.score-500)/80))
			if h.ScanID != st.id || !h.At.Equal(st.at) || h.Trigger != w.trigger || h.Grade != w.grade ||
				math.Abs(h.Score-w.score) > 1e-9 || math.Abs(h.P-p) > 1e-12 {
				t.Errorf("entry %d: scan %d at %s (%s) grade %s score %v p %v; want scan %d at %s (%s) grade %s score %v p %v", i,
					h.ScanID, h.At, h.Trigger, h.Grade, h.Score, h.P, st.id, st.at, w.trigger, w.grade, w.score, p)
			}
		}
		// The firm's result carries the stamp of the scan that last changed it: the
		// full scan a day later moved it by a few hundredths of a point (positive
		// points decay with a half-life of 365 days, high-severity ones of 730).
		f, err := s.FirmResult(ctx, firm)
		day := 1.0
		score := 800 + 80*math.Pow(2, -day/365) - 200*math.Pow(2, -day/730) - 350
		if err != nil || f.ScanID != steps[3].id || !f.UpdatedAt.Equal(steps[3].at) || math.Abs(f.Score-score) > 1e-9 {
			t.Errorf("result %+v (%v); want scan %d at %s, score %v", f, err, steps[3].id, steps[3].at, score)
		}
		// The chain: an entry for each scan whose figures moved by 1e-6 or more from
		// the last entry, with that scan's figures and time; supply_at_risk is the
		// firm's purchase share (0.5) times its distress.
		var wantChain []step
		for i, st := range steps {
			if i == 0 || math.Abs(st.chainRisk-wantChain[len(wantChain)-1].chainRisk) >= store.ChainHistoryMin ||
				math.Abs(st.supply-wantChain[len(wantChain)-1].supply) >= store.ChainHistoryMin {
				wantChain = append(wantChain, st)
			}
		}
		if len(wantChain) < 3 {
			t.Fatalf("the downgrades moved the chain in %d scans, want at least 3: %+v", len(wantChain), steps)
		}
		ch, err := s.ChainHistory(ctx, leader, store.HistoryFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range ch {
			t.Logf("chain entry: scan %d at %s by %s: chain_risk %.6f supply_at_risk %.6f", h.ScanID,
				h.At.In(credit.Shanghai).Format(time.DateTime), h.Trigger, h.ChainRisk, h.SupplyAtRisk)
		}
		if len(ch) != len(wantChain) {
			t.Fatalf("chain history %+v, want %d entries", ch, len(wantChain))
		}
		for i, h := range ch {
			w := wantChain[len(wantChain)-1-i] // newest first
			if h.ScanID != w.id || !h.At.Equal(w.at) || math.Abs(h.ChainRisk-w.chainRisk) > 1e-12 ||
				math.Abs(h.SupplyAtRisk-w.supply) > 1e-12 || h.Members != 2 {
				t.Errorf("chain entry %d: %+v, want scan %d at %s risk %v supply %v", i, h, w.id, w.at, w.chainRisk, w.supply)
			}
		}
		for i := 1; i < len(ch); i++ {
			if !ch[i-1].At.After(ch[i].At) {
				t.Errorf("chain entries %d and %d: %s then %s, want strictly newer first", i-1, i, ch[i-1].At, ch[i].At)
			}
		}
	})
}

func eventRows(evs ...credit.Event) *store.Chunk {
	c := &store.Chunk{Kind: credit.KindEvents}
	for i := range evs {
		ev := &evs[i]
		if ev.PublishUntil.IsZero() {
			ev.PublishUntil = ev.OccurredAt.AddDate(3, 0, 0)
		}
		ev.Source, ev.State = "信用黑龙江", credit.EventActive
		c.Lines = append(c.Lines, i+2)
		c.Events = append(c.Events, *ev)
	}
	return c
}
