package monitor_test

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
)

// The demo supplier's related parties: the holding company controls it
// through the middle company (65 % of the middle one, which holds 60 % of
// the supplier) but holds only 0.65 · 0.6 = 0.39 of it, so it is the
// controller and not a majority holder; the middle company holds 0.6
// directly, a majority holder and not the controller. The holding company is
// grade D: distressed.
func TestDemoRelatedParties(t *testing.T) {
	s := openStore(t)
	loadDemo(t, s)
	e := newEngine(s, demo.AnchorTime())
	ctx := context.Background()
	if _, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "startup"}); err != nil {
		t.Fatal(err)
	}
	st := e.State()
	parties, complete, err := st.RelatedParties(ctx, s, demoSupplier, ownership.DefaultParams())
	if err != nil || !complete {
		t.Fatalf("related parties: %v (complete %v)", err, complete)
	}
	if len(parties) != 2 {
		t.Fatalf("related parties %+v, want the holding company and the middle one", parties)
	}
	h, m := parties[0], parties[1]
	if h.Key != demoHolding || !h.Controller || h.Majority || !h.Distressed || h.Firm == nil || h.Firm.Grade != risk.GradeD ||
		!reflect.DeepEqual(h.Path, []string{demoHolding, demoMiddle, demoSupplier}) || math.Abs(h.Penetrated-0.39) > 1e-9 {
		t.Errorf("controller %+v (firm %+v)", h, h.Firm)
	}
	mv, _ := st.Index(demoMiddle)
	if m.Key != demoMiddle || m.Controller || !m.Majority || math.Abs(m.Penetrated-0.6) > 1e-9 ||
		m.Distressed != (st.Grade[mv] == risk.GradeD) {
		t.Errorf("majority holder %+v", m)
	}
	// A budget of one step cannot follow the holders: the controller alone.
	p := ownership.DefaultParams()
	p.MaxSteps = 1
	parties, complete, err = st.RelatedParties(ctx, s, demoSupplier, p)
	if err != nil || complete || len(parties) != 1 || parties[0].Key != demoHolding || !parties[0].Controller {
		t.Errorf("with a budget of 1: %+v complete %v err %v", parties, complete, err)
	}
}
