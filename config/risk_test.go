package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// The built-in config holds the models' own defaults: building the models'
// parameters from it gives risk's Default… values back.
func TestDefaultsAreTheModels(t *testing.T) {
	c := Default()
	if got, want := c.ScoreParams(), risk.DefaultScoreParams(); !reflect.DeepEqual(got, want) {
		t.Errorf("ScoreParams = %+v, want %+v", got, want)
	}
	if got, want := c.DistressParams(), risk.DefaultDistressParams(); got != want {
		t.Errorf("DistressParams = %+v, want %+v", got, want)
	}
	if got, want := c.ExposureParams(), risk.DefaultExposureParams(); got != want {
		t.Errorf("ExposureParams = %+v, want %+v", got, want)
	}
	want := risk.DefaultESRIParams()
	want.Ess = map[risk.SectorPair]risk.Essentiality{}
	if got := c.ESRI.Params(); !reflect.DeepEqual(got, want) {
		t.Errorf("ESRI.Params = %+v, want %+v", got, want)
	}
}

// Every model.*, chain.* and esri.* value reaches the parameters.
func TestRiskParamsFromConfig(t *testing.T) {
	c := Default()
	c.Model = ModelConfig{Version: "v9", Base: 700, PositiveCap: 50,
		HalfLife: HalfLifeConfig{Critical: 1, High: 2, Medium: 3, Low: 4, Info: 5},
		Grades:   GradesConfig{A: 900, B: 600, C: 300}, Midpoint: 450, Scale: 60,
		AlphaUp: 0.5, AlphaDown: 0.25, Tolerance: 1e-6, MaxIterations: 50}
	c.Chain = ChainConfig{DepthUp: 4, DepthDown: 2, TopContributors: 7, SingleSourceShare: 0.4, SingleSourceSubstitutability: 0.1}
	c.ESRI = ESRIConfig{Eps: 0.05, EssDefault: 0, SectorDigits: 2, MaxSteps: 9,
		Essentiality: []Essentiality{{SupplierSector: "C1", CustomerSector: "C2", Level: 2}}}
	s := c.ScoreParams()
	if s.Version != "v9" || s.Base != 700 || s.PositiveCap != 50 || s.GradeA != 900 || s.GradeB != 600 || s.GradeC != 300 ||
		s.Midpoint != 450 || s.Scale != 60 || s.HalfLife[credit.SeverityCritical] != 1 || s.HalfLife[credit.SeverityHigh] != 2 ||
		s.HalfLife[credit.SeverityMedium] != 3 || s.HalfLife[credit.SeverityLow] != 4 || s.HalfLife[credit.SeverityInfo] != 5*time.Nanosecond {
		t.Errorf("ScoreParams = %+v", s)
	}
	if d := c.DistressParams(); d.AlphaUp != 0.5 || d.AlphaDown != 0.25 || d.Tol != 1e-6 || d.MaxIter != 50 {
		t.Errorf("DistressParams = %+v", d)
	}
	x := c.ExposureParams()
	if x.Chain.DepthUp != 4 || x.Chain.DepthDown != 2 || x.TopN != 7 || x.SingleSourceShare != 0.4 ||
		x.SingleSourceSubstitutability != 0.1 || x.Chain.MaxPaths != risk.DefaultExposureParams().Chain.MaxPaths {
		t.Errorf("ExposureParams = %+v", x)
	}
	e := c.ESRI.Params()
	if e.Eps != 0.05 || e.MaxSteps != 9 || e.SectorDigits != 2 || e.EssDefault != risk.EssIrrelevant ||
		e.Essentiality("C1", "C2") != risk.EssEssential || e.Essentiality("C2", "C1") != risk.EssIrrelevant ||
		e.Sector("C1331") != "C1" {
		t.Errorf("ESRI.Params = %+v", e)
	}
}
