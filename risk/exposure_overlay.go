package risk

import (
	"fmt"

	"github.com/chainrisk/chainrisk/graph"
)

// OverlayExposure computes the exposure of leader's chain view with its own
// supplier list applied, ov being that view (graph.Snapshot.Overlay): a
// convenience for NewPropagator on ov followed by Propagator.OverlayExposure.
func OverlayExposure(ov *graph.Snapshot, leader int32, p, d []float64, grades []Grade, dp DistressParams,
	params ExposureParams) (*Exposure, error) {
	dp.Workers = 1 // one chain: the coefficients, not parallel sweeps
	pr, err := NewPropagator(ov, dp)
	if err != nil {
		return nil, fmt.Errorf("exposure: %w", err)
	}
	return pr.OverlayExposure(leader, p, d, grades, params)
}

// OverlayExposure computes leader's exposure on the propagator's snapshot, a
// chain view with the leader's own supplier list applied (graph.Snapshot.Overlay).
// Members, grade counts, contributors, concentration, supply_at_risk and
// demand_at_risk are Exposure's on the view, with the leader's shares where it
// gave them.
//
// chain_risk is d_L re-evaluated once at the leader: the distress equation of
// docs/models.md applied to the leader's relations on the view and the scan's d
// of its suppliers and customers. The network distress d stays the registry's —
// a leader's list changes its own view, not any firm's d — and on the
// registry's relations this step returns the scan's d_L (the fixpoint) to the
// iteration's tolerance. The Chain is kept when params.KeepChains.
func (pr *Propagator) OverlayExposure(leader int32, p, d []float64, grades []Grade, params ExposureParams) (*Exposure, error) {
	if err := pr.checkExposureInputs(p, d, grades, params); err != nil {
		return nil, err
	}
	x, err := pr.exposure(leader, p, d, grades, params, params.KeepChains, new(walkScratch))
	if err != nil {
		return nil, err
	}
	x.ChainRisk = pr.eval(leader, p, d)
	return x, nil
}
