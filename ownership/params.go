package ownership

import (
	"errors"
	"fmt"
)

// MaxDepth bounds Params.Depth: the longest ownership path a check follows.
const MaxDepth = 10

// Params are the parameters of a check (docs/models.md, config checks.*).
type Params struct {
	Depth               int     // longest path followed, in holdings (links), 1…MaxDepth
	BeneficialThreshold float64 // a person at or above it is a beneficial owner, (0, 1]
	MinShare            float64 // investees and the legal representative's firms at or above it, [0, 1]
	MaxSteps            int     // budget of path steps for one check, ≥ 1
}

// DefaultParams returns depth 5, beneficial threshold 0.25 (the PBoC/SAMR
// threshold), min share 0.05 and a budget of 2,000,000 path steps.
func DefaultParams() Params {
	return Params{Depth: 5, BeneficialThreshold: 0.25, MinShare: 0.05, MaxSteps: 2_000_000}
}

// Validate reports every parameter out of range.
func (p Params) Validate() error {
	var errs []error
	if p.Depth < 1 || p.Depth > MaxDepth {
		errs = append(errs, fmt.Errorf("depth %d outside [1, %d]", p.Depth, MaxDepth))
	}
	if !(p.BeneficialThreshold > 0 && p.BeneficialThreshold <= 1) {
		errs = append(errs, fmt.Errorf("beneficial threshold %v outside (0, 1]", p.BeneficialThreshold))
	}
	if !(p.MinShare >= 0 && p.MinShare <= 1) {
		errs = append(errs, fmt.Errorf("min share %v outside [0, 1]", p.MinShare))
	}
	if p.MaxSteps < 1 {
		errs = append(errs, fmt.Errorf("max steps %d below 1", p.MaxSteps))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ownership: params: %w", err)
	}
	return nil
}

// shareEpsilon absorbs the rounding of sums of products when a penetrated
// share is compared with a threshold: 0.5·0.5 + … may land a few ulps below
// a share the data states exactly.
const shareEpsilon = 1e-9

// atLeast reports whether a computed share reaches a threshold.
func atLeast(share, threshold float64) bool { return share >= threshold-shareEpsilon }
