package alerts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/config"
)

// ruleSetting is a rule as a config sets it: on or off, with its parameters decoded.
type ruleSetting struct {
	*rule
	on     bool
	params ruleParams // nil for a rule without parameters
}

// ruleSettings are every rule's settings under one config, in the rules' order.
type ruleSettings []ruleSetting

// settingsOf reads the rules' settings of cfg. The problems it finds — names no rule
// has, parameters that do not decode or do not hold — are CheckConfig's; the
// settings of a rule with problems are its defaults.
func settingsOf(cfg *config.Config) (ruleSettings, []error) {
	var errs []error
	problem := func(path, format string, args ...any) {
		if err := cfg.Errorf(path, format, args...); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Alerts.Rules)) {
		if ruleNamed(name) == nil {
			problem("alerts.rules."+name, "unknown rule %q (known: %s)", name, strings.Join(RuleNames(), ", "))
		}
	}
	out := make(ruleSettings, 0, len(registry))
	for _, r := range registry {
		s := ruleSetting{rule: r, on: r.enabled}
		if on := cfg.Alerts.Rules[r.name].Enabled; on != nil {
			s.on = *on
		}
		var params any = &struct{}{} // refuses every key: the rule has none
		if r.defaults != nil {
			s.params = r.defaults()
			params = s.params
		}
		at := "alerts.rules." + r.name
		if err := cfg.DecodeRule(r.name, params); err != nil {
			errs = append(errs, unjoin(err)...)
			if r.defaults != nil {
				s.params = r.defaults()
			}
		} else if s.params != nil {
			s.params.check(s.on, func(key, format string, args ...any) {
				if key != "" {
					key = at + "." + key
				} else {
					key = at
				}
				problem(key, format, args...)
			})
		}
		out = append(out, s)
	}
	return out, errs
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// enabled says whether the rule called name is on; a rule this build does not have
// is off.
func (rs ruleSettings) enabled(name string) bool {
	for _, s := range rs {
		if s.name == name {
			return s.on
		}
	}
	return false
}

// paramsOf returns a rule's parameters in an evaluation.
func paramsOf[P ruleParams](e *evaluation, name string) P {
	for _, s := range e.rules {
		if s.name == name {
			return s.params.(P)
		}
	}
	var zero P
	return zero
}

// CheckConfig reports what in a loaded config the alert rules refuse: a rule name
// under alerts.rules or in a subscription's rules that no rule has, and parameters
// that do not decode or do not hold — each a *config.Error placed in the file.
// config.Load checks everything else; chainriskd checks this too at start, reload
// and -check-config (daemon.CheckConfig).
func CheckConfig(cfg *config.Config) error {
	_, errs := settingsOf(cfg)
	for i, s := range cfg.Alerts.Subscriptions {
		for _, e := range unknownRules(s.Rules) {
			if err := cfg.Errorf(fmt.Sprintf("alerts.subscriptions[%d].%s", i, e.Path), "%s", e.Msg); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// unknownRules refuses the names of a subscription's rules that no rule has; paths
// are relative to the subscription ("rules[2]").
func unknownRules(names []string) []*config.Error {
	var out []*config.Error
	for i, name := range names {
		if ruleNamed(name) == nil {
			out = append(out, &config.Error{Path: fmt.Sprintf("rules[%d]", i),
				Msg: fmt.Sprintf("unknown rule %q (known: %s)", name, strings.Join(RuleNames(), ", "))})
		}
	}
	return out
}
