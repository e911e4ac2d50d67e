package config

import (
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
)

// ChecksConfig parameterises the ownership checks of investment-attraction checks
// (精准招商, docs/models.md) and their verdict. Package ownership owns the computations'
// parameters and package risk the verdict's rules; checks.* spells them for the
// config file, and defaultChecks and the builders below are the two directions of
// that mapping.
type ChecksConfig struct {
	// Depth is the longest ownership path followed, in holdings (1..ownership.MaxDepth).
	Depth int `yaml:"depth" json:"depth"`
	// BeneficialThreshold is the penetrated share from which a natural person is a
	// beneficial owner (受益所有人).
	BeneficialThreshold float64 `yaml:"beneficial_threshold" json:"beneficial_threshold"`
	// MinShare is the penetrated share from which a firm below the target is one of
	// its investees (and is judged by the verdict), and from which a firm counts
	// among the legal representative's other firms.
	MinShare float64 `yaml:"min_share" json:"min_share"`
	// MaxSteps bounds the path steps of one check; a larger check fails.
	MaxSteps int              `yaml:"max_steps" json:"max_steps"`
	Rules    CheckRulesConfig `yaml:"rules" json:"rules"`
}

// CheckRulesConfig holds the verdict's rules (risk.CheckRules).
type CheckRulesConfig struct {
	// MajorHolderShare is the penetrated share from which a holder is judged like
	// the target.
	MajorHolderShare float64 `yaml:"major_holder_share" json:"major_holder_share"`
	// RejectGrade and CautionGrade ("A".."D"): a firm of that grade or worse rejects
	// or cautions; the caution grade is the better one.
	RejectGrade  string `yaml:"reject_grade" json:"reject_grade"`
	CautionGrade string `yaml:"caution_grade" json:"caution_grade"`
	// RejectSeverity and CautionSeverity: an active event that severe or more
	// rejects or cautions; the caution severity is the lower one.
	RejectSeverity  credit.Severity `yaml:"reject_severity" json:"reject_severity"`
	CautionSeverity credit.Severity `yaml:"caution_severity" json:"caution_severity"`
	// UnknownTarget is what a target the store does not hold calls for: caution or reject.
	UnknownTarget string `yaml:"unknown_target" json:"unknown_target"`
	// MinKnownShare: a known share below it cautions that the ownership data is
	// incomplete (0 turns the rule off).
	MinKnownShare float64 `yaml:"min_known_share" json:"min_known_share"`
}

func defaultChecks() ChecksConfig {
	p, r := ownership.DefaultParams(), risk.DefaultCheckRules()
	return ChecksConfig{
		Depth: p.Depth, BeneficialThreshold: p.BeneficialThreshold, MinShare: p.MinShare, MaxSteps: p.MaxSteps,
		Rules: CheckRulesConfig{
			MajorHolderShare: r.MajorHolderShare,
			RejectGrade:      r.RejectGrade.String(), CautionGrade: r.CautionGrade.String(),
			RejectSeverity: r.RejectSeverity, CautionSeverity: r.CautionSeverity,
			UnknownTarget: string(r.UnknownTarget),
			MinKnownShare: r.MinKnownShare,
		},
	}
}

// OwnershipParams returns the ownership computations' parameters (checks.*).
func (c ChecksConfig) OwnershipParams() ownership.Params {
	return ownership.Params{Depth: c.Depth, BeneficialThreshold: c.BeneficialThreshold, MinShare: c.MinShare, MaxSteps: c.MaxSteps}
}

// CheckRules returns the verdict's rules (checks.rules.*, and checks.min_share for the
// investees); a grade that does not parse, which validation refuses, is left
// GradeNone.
func (c ChecksConfig) CheckRules() risk.CheckRules {
	r := c.Rules
	reject, _ := risk.ParseGrade(r.RejectGrade)
	caution, _ := risk.ParseGrade(r.CautionGrade)
	return risk.CheckRules{
		MajorHolderShare: r.MajorHolderShare,
		RejectGrade:      reject, CautionGrade: caution,
		RejectSeverity: r.RejectSeverity, CautionSeverity: r.CautionSeverity,
		InvesteeMinShare: c.MinShare,
		UnknownTarget:    risk.Verdict(r.UnknownTarget),
		MinKnownShare:    r.MinKnownShare,
	}
}

func (c *Config) checkChecks(ck *checker) {
	x := c.Checks
	ck.intRange("checks.depth", x.Depth, 1, ownership.MaxDepth)
	ck.share("checks.beneficial_threshold", x.BeneficialThreshold)
	ck.unit("checks.min_share", x.MinShare)
	if x.MaxSteps < 1 {
		ck.errf("checks.max_steps", "must be positive, got %d", x.MaxSteps)
	}
	r := x.Rules
	ck.share("checks.rules.major_holder_share", r.MajorHolderShare)
	reject, rejectErr := risk.ParseGrade(r.RejectGrade)
	if rejectErr != nil {
		ck.errf("checks.rules.reject_grade", "%q is not one of A, B, C, D", r.RejectGrade)
	}
	caution, cautionErr := risk.ParseGrade(r.CautionGrade)
	if cautionErr != nil {
		ck.errf("checks.rules.caution_grade", "%q is not one of A, B, C, D", r.CautionGrade)
	}
	if rejectErr == nil && cautionErr == nil && !reject.Worse(caution) {
		ck.errf("checks.rules.caution_grade", "%s must be a better grade than checks.rules.reject_grade %s", caution, reject)
	}
	for _, s := range []struct {
		key string
		v   credit.Severity
	}{{"reject_severity", r.RejectSeverity}, {"caution_severity", r.CautionSeverity}} {
		if !s.v.Valid() {
			ck.errf("checks.rules."+s.key, "%q is not one of info, low, medium, high, critical", s.v)
		}
	}
	if r.RejectSeverity.Valid() && r.CautionSeverity.Valid() && r.CautionSeverity.Rank() >= r.RejectSeverity.Rank() {
		ck.errf("checks.rules.caution_severity", "%s must be less severe than checks.rules.reject_severity %s",
			r.CautionSeverity, r.RejectSeverity)
	}
	ck.oneOf("checks.rules.unknown_target", r.UnknownTarget, []string{string(risk.VerdictCaution), string(risk.VerdictReject)})
	ck.unit("checks.rules.min_known_share", r.MinKnownShare)
}
