package config

import (
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// The risk models own their parameters and defaults (package risk); model.*,
// chain.* and esri.* are those parameters as the config file spells them. The
// defaults below and the builders after them are the two directions of one
// mapping.

func defaultModel() ModelConfig {
	s, d := risk.DefaultScoreParams(), risk.DefaultDistressParams()
	return ModelConfig{
		Version: s.Version, Base: s.Base, PositiveCap: s.PositiveCap,
		HalfLife: HalfLifeConfig{
			Critical: s.HalfLife[credit.SeverityCritical],
			High:     s.HalfLife[credit.SeverityHigh],
			Medium:   s.HalfLife[credit.SeverityMedium],
			Low:      s.HalfLife[credit.SeverityLow],
			Info:     s.HalfLife[credit.SeverityInfo],
		},
		Grades:   GradesConfig{A: s.GradeA, B: s.GradeB, C: s.GradeC},
		Midpoint: s.Midpoint, Scale: s.Scale,
		AlphaUp: d.AlphaUp, AlphaDown: d.AlphaDown, Tolerance: d.Tol, MaxIterations: d.MaxIter,
	}
}

func defaultChain() ChainConfig {
	x := risk.DefaultExposureParams()
	return ChainConfig{
		DepthUp: x.Chain.DepthUp, DepthDown: x.Chain.DepthDown, TopContributors: x.TopN,
		SingleSourceShare: x.SingleSourceShare, SingleSourceSubstitutability: x.SingleSourceSubstitutability,
	}
}

func defaultESRI() ESRIConfig {
	e := risk.DefaultESRIParams()
	return ESRIConfig{Eps: e.Eps, EssDefault: int(e.EssDefault), SectorDigits: e.SectorDigits, MaxSteps: e.MaxSteps,
		WholeGraphMaxFirms: 20000}
}

// ScoreParams returns the scoring model's parameters (model.*).
func (c *Config) ScoreParams() risk.ScoreParams {
	m := c.Model
	p := risk.ScoreParams{Version: m.Version, Base: m.Base, PositiveCap: m.PositiveCap,
		HalfLife: make(map[credit.Severity]time.Duration, len(credit.Severities)),
		GradeA:   m.Grades.A, GradeB: m.Grades.B, GradeC: m.Grades.C, Midpoint: m.Midpoint, Scale: m.Scale}
	for _, s := range credit.Severities {
		p.HalfLife[s] = m.HalfLife.For(s)
	}
	return p
}

// DistressParams returns network distress's parameters (model.alpha_*, model.tolerance,
// model.max_iterations).
func (c *Config) DistressParams() risk.DistressParams {
	p := risk.DefaultDistressParams()
	p.AlphaUp, p.AlphaDown = c.Model.AlphaUp, c.Model.AlphaDown
	p.Tol, p.MaxIter = c.Model.Tolerance, c.Model.MaxIterations
	return p
}

// ExposureParams returns chain exposure's parameters (chain.*).
func (c *Config) ExposureParams() risk.ExposureParams {
	p := risk.DefaultExposureParams()
	p.Chain.DepthUp, p.Chain.DepthDown = c.Chain.DepthUp, c.Chain.DepthDown
	p.TopN = c.Chain.TopContributors
	p.SingleSourceShare, p.SingleSourceSubstitutability = c.Chain.SingleSourceShare, c.Chain.SingleSourceSubstitutability
	return p
}

// Params returns the chain ESRI's parameters (esri.*).
func (e ESRIConfig) Params() risk.ESRIParams {
	p := risk.ESRIParams{Eps: e.Eps, MaxSteps: e.MaxSteps, SectorDigits: e.SectorDigits,
		EssDefault: risk.Essentiality(e.EssDefault), Ess: make(map[risk.SectorPair]risk.Essentiality, len(e.Essentiality))}
	for _, x := range e.Essentiality {
		p.Ess[risk.SectorPair{Supplier: x.SupplierSector, Customer: x.CustomerSector}] = risk.Essentiality(x.Level)
	}
	return p
}
