package config

import (
	"path/filepath"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
)

// The built-in checks.* are ownership's and risk's defaults, and checks.min_share
// is the rules' investee threshold.
func TestChecksDefaults(t *testing.T) {
	c := Default().Checks
	if got, want := c.OwnershipParams(), ownership.DefaultParams(); got != want {
		t.Errorf("OwnershipParams = %+v, want %+v", got, want)
	}
	if got, want := c.CheckRules(), risk.DefaultCheckRules(); got != want {
		t.Errorf("CheckRules = %+v, want %+v", got, want)
	}
}

// Every checks.* value reaches the parameters.
func TestChecksFromFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Checks.OwnershipParams(), (ownership.Params{Depth: 7, BeneficialThreshold: 0.2, MinShare: 0.1, MaxSteps: 500000}); got != want {
		t.Errorf("OwnershipParams = %+v, want %+v", got, want)
	}
	want := risk.CheckRules{MajorHolderShare: 0.3, RejectGrade: risk.GradeC, CautionGrade: risk.GradeB,
		RejectSeverity: credit.SeverityHigh, CautionSeverity: credit.SeverityMedium, InvesteeMinShare: 0.1,
		UnknownTarget: risk.VerdictReject, MinKnownShare: 0.6}
	if got := c.Checks.CheckRules(); got != want {
		t.Errorf("CheckRules = %+v, want %+v", got, want)
	}
}

// Whatever the config accepts, the computations and the verdict accept: the
// checks of checks.* are at least as strict as theirs.
func TestChecksValidAsParams(t *testing.T) {
	setTestEnv(t)
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, "../config.example.yaml") {
		c, err := Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.Checks.OwnershipParams().Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if err := c.Checks.CheckRules().Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// At the edges of each range.
	for _, edit := range []func(*ChecksConfig){
		func(c *ChecksConfig) { c.Depth, c.BeneficialThreshold, c.MinShare, c.MaxSteps = 1, 1, 0, 1 },
		func(c *ChecksConfig) { c.Depth, c.MinShare = ownership.MaxDepth, 1 },
		func(c *ChecksConfig) { c.Rules.MajorHolderShare, c.Rules.MinKnownShare = 1, 0 },
		func(c *ChecksConfig) { c.Rules.MinKnownShare, c.Rules.UnknownTarget = 1, "reject" },
		func(c *ChecksConfig) { c.Rules.RejectGrade, c.Rules.CautionGrade = "B", "A" },
		func(c *ChecksConfig) { c.Rules.RejectSeverity, c.Rules.CautionSeverity = "low", "info" },
	} {
		c := Default()
		edit(&c.Checks)
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c.Checks, err)
			continue
		}
		if err := c.Checks.OwnershipParams().Validate(); err != nil {
			t.Errorf("%+v: %v", c.Checks, err)
		}
		if err := c.Checks.CheckRules().Validate(); err != nil {
			t.Errorf("%+v: %v", c.Checks, err)
		}
	}
}
