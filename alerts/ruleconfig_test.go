package alerts

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
)

// The registry holds every rule once, each with its title in both languages; the
// rules of the first release keep the order they have always been evaluated and
// listed in (a rule added since may come anywhere).
func TestRuleRegistry(t *testing.T) {
	if len(dupRules) > 0 {
		t.Errorf("registered twice, or with an order taken: %v", dupRules)
	}
	first := []string{RuleGradeDowngrade, RuleSevereEvent, RuleChainRisk, RuleScoreDrop, RuleSingleSource, RuleRepairDone, RuleStaleData}
	got := slices.DeleteFunc(RuleNames(), func(n string) bool { return !slices.Contains(first, n) })
	if !slices.Equal(got, first) {
		t.Errorf("RuleNames() = %v, want %v in this order", RuleNames(), first)
	}
	for _, r := range registry {
		if r.title[0] == "" || r.title[1] == "" || r.evaluate == nil {
			t.Errorf("%s: incomplete rule %+v", r.name, r)
		}
		if ruleTitle(r.name, "en") != r.title[1] || ruleTitle(r.name, "zh") != r.title[0] || ruleTitle(r.name, "") != r.title[0] {
			t.Errorf("%s: titles %q, %q", r.name, ruleTitle(r.name, "en"), ruleTitle(r.name, "zh"))
		}
	}
	if ruleTitle("credit_crunch", "en") != "" {
		t.Error("a rule this build does not have has a title")
	}
}

// paramsIn returns the parameters of the rule called name among rs, by name: the
// position of a rule in the registry is no rule's business.
func paramsIn[P ruleParams](rs ruleSettings, name string) P {
	for _, s := range rs {
		if s.name == name {
			return s.params.(P)
		}
	}
	var zero P
	return zero
}

// A config that says nothing of the rules gets their defaults; each call gets
// parameters of its own.
func TestRuleDefaults(t *testing.T) {
	a, errs := settingsOf(config.Default())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, s := range a {
		if !s.on {
			t.Errorf("%s is off by default", s.name)
		}
	}
	se := a[slices.IndexFunc(a, func(s ruleSetting) bool { return s.name == RuleSevereEvent })].params.(*severeEventParams)
	if !slices.Equal(se.Severities, []credit.Severity{credit.SeverityCritical, credit.SeverityHigh}) {
		t.Errorf("severe_event's severities: %v", se.Severities)
	}
	se.Severities[0] = credit.SeverityInfo
	b, _ := settingsOf(config.Default())
	if got := paramsIn[*severeEventParams](b, RuleSevereEvent).Severities[0]; got != credit.SeverityCritical {
		t.Errorf("settings share their parameters: %v", got)
	}
}

// The rules' settings of a file: enabled as written, parameters decoded over the
// defaults (a key left out keeps its default).
func TestRuleSettingsOfAFile(t *testing.T) {
	t.Setenv(config.EnvDataDir, "")
	t.Setenv(config.EnvDatabaseURL, "")
	cfg, err := config.Parse([]byte("alerts:\n  rules:\n    severe_event: {enabled: false}\n    chain_risk: {critical: 0.5}\n"), "partial.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	rs, _ := settingsOf(cfg)
	if rs.enabled(RuleSevereEvent) || !rs.enabled(RuleChainRisk) || !rs.enabled(RuleScoreDrop) || rs.enabled("credit_crunch") {
		t.Errorf("enabled: %+v", rs)
	}
	if p := paramsIn[*chainRiskParams](rs, RuleChainRisk); *p != (chainRiskParams{Warning: 0.2, Critical: 0.5, Hysteresis: 0.9}) {
		t.Errorf("chain_risk: %+v", *p)
	}

	for k, v := range map[string]string{"CHAINRISK_TEST_PGPASS": "p", "CHAINRISK_TEST_TOKEN": "t", "CHAINRISK_TEST_DINGTALK": "d"} {
		t.Setenv(k, v) // what the file reads from the environment
	}
	full, err := config.Load("../config/testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(full); err != nil {
		t.Fatal(err)
	}
	rs, _ = settingsOf(full)
	if rs.enabled(RuleScoreDrop) || rs.enabled(RuleRepairDone) || !rs.enabled(RuleStaleData) {
		t.Errorf("enabled: %+v", rs)
	}
	if p := paramsIn[*scoreDropParams](rs, RuleScoreDrop); p.Points != 80 || p.Window != 14*24*time.Hour {
		t.Errorf("score_drop: %+v", *p)
	}
	if p := paramsIn[*severeEventParams](rs, RuleSevereEvent); !slices.Equal(p.Severities, []credit.Severity{credit.SeverityCritical}) {
		t.Errorf("severe_event: %+v", *p)
	}
}

// config.example.yaml shows every rule as its defaults are.
func TestExampleConfigShowsRuleDefaults(t *testing.T) {
	t.Setenv(config.EnvDataDir, "")
	t.Setenv(config.EnvDatabaseURL, "")
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	rs, _ := settingsOf(cfg)
	for _, s := range rs {
		if _, written := cfg.Alerts.Rules[s.name]; !written {
			t.Errorf("config.example.yaml does not show rule %s", s.name)
		}
		var def ruleParams
		if s.defaults != nil {
			def = s.defaults()
		}
		if s.on != s.enabled || !reflect.DeepEqual(s.params, def) {
			t.Errorf("%s: the example has enabled %v, %+v; the defaults are %v, %+v", s.name, s.on, s.params, s.enabled, def)
		}
	}
}

// Every problem of alerts.rules and of subscriptions' rules is reported, placed in
// the file, and nothing else.
func TestRulesBadConfig(t *testing.T) {
	t.Setenv(config.EnvDataDir, "")
	t.Setenv(config.EnvDatabaseURL, "")
	cfg, err := config.Load("testdata/rules.bad.yaml")
	if err != nil {
		t.Fatal(err) // config takes the rules' settings as written
	}
	known := "(known: " + strings.Join(RuleNames(), ", ") + ")"
	want := []string{
		`rules.bad.yaml:3:5: alerts.rules.chain_risk: thresholds must satisfy 0 < warning < critical <= 1, got warning=0.5 critical=0.4`,
		`rules.bad.yaml:3:47: alerts.rules.chain_risk.hysteresis: must be in (0,1], got 1.5`,
		`rules.bad.yaml:4:18: alerts.rules.score_drop.points: must be in (0,1000], got 0`,
		`rules.bad.yaml:5:43: alerts.rules.severe_event.severities[1]: "catastrophic" is not one of info, low, medium, high, critical`,
		`rules.bad.yaml:6:23: unknown key "enable" in alerts.rules.grade_downgrade; did you mean "enabled"?`,
		`rules.bad.yaml:7:27: alerts.rules.stale_data.max_age: invalid duration "soon"`,
		`rules.bad.yaml:8:5: alerts.rules.credit_crunch: unknown rule "credit_crunch" ` + known,
		`rules.bad.yaml:13:32: alerts.subscriptions[0].rules[1]: unknown rule "credit_crunch" ` + known,
	}
	err = CheckConfig(cfg)
	if err == nil {
		t.Fatal("accepted")
	}
	got := unjoin(err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("lacks %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(got), len(want), err)
	}
	for _, e := range got {
		var ce *config.Error
		if !errors.As(e, &ce) || ce.Line == 0 {
			t.Errorf("%v is not placed in the file", e)
		}
	}
}

// The API's subscriptions are held to the rules as the file's are.
func TestSubscriptionRulesChecked(t *testing.T) {
	st := openSQLite(t)
	m := newTestManager(t, st, testConfig(t), newFakeClock())
	s := subAll("x")
	s.Rules = []string{RuleChainRisk, "credit_crunch"}
	_, err := m.CreateSubscription(context.Background(), "", s)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Path != "rules[1]" || !strings.Contains(ce.Msg, `unknown rule "credit_crunch"`) {
		t.Errorf("got %v", err)
	}
	s.Rules = []string{RuleChainRisk}
	if _, err := m.CreateSubscription(context.Background(), "", s); err != nil {
		t.Errorf("a known rule: %v", err)
	}
}
