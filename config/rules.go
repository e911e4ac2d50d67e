package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// decodeNode keeps a rule's settings as written: enabled decoded, the other keys —
// the rule's parameters — kept for DecodeRule, with the position of every key and
// list item recorded for the problems found in them later.
func (r *RuleConfig) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	params := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	for _, e := range d.entries(n, path, 0) {
		child := join(path, e.key.Value)
		d.pos[child] = position{e.key.Line, e.key.Column}
		if e.key.Value == "enabled" {
			d.value(e.val, reflect.ValueOf(&r.Enabled).Elem(), child)
			continue
		}
		d.positions(e.val, child, 0)
		params.Content = append(params.Content, e.key, e.val)
	}
	r.params = nil
	if len(params.Content) > 0 {
		r.params = params
	}
}

// positions records where the keys and list items under n were written.
func (d *decoder) positions(n *yaml.Node, path string, depth int) {
	n = resolveAlias(n)
	if n == nil || depth > 20 || !d.spend(n, path) {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			child := join(path, k.Value)
			d.pos[child] = position{k.Line, k.Column}
			d.positions(n.Content[i+1], child, depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			child := fmt.Sprintf("%s[%d]", path, i)
			d.pos[child] = position{item.Line, item.Column}
			d.positions(item, child, depth+1)
		}
	}
}

// DecodeRule decodes the parameters written under alerts.rules.<name> — every key
// but enabled — into params, a pointer to a struct with yaml tags holding the rule's
// defaults, as the rest of the file is decoded: units, unknown keys (with the
// nearest known one), file, line and column. Nothing written leaves params as it is.
func (c *Config) DecodeRule(name string, params any) error {
	r, ok := c.Alerts.Rules[name]
	if !ok || r.params == nil {
		return nil
	}
	d := &decoder{file: c.file, pos: map[string]position{}, bad: map[string]bool{}, budget: maxNodes,
		lookup: os.LookupEnv, also: []string{"enabled"}}
	d.value(r.params, reflect.ValueOf(params).Elem(), "alerts.rules."+name)
	return errors.Join(d.errs...)
}

// Errorf returns a problem with c at a key path ("alerts.rules.chain_risk.warning"),
// placed as Validate places its own: where the file wrote that key, or the nearest
// one enclosing it. It is for the packages that check the parts of a config they
// own (alerts: the rules); nil when the key could not be decoded, which was reported.
func (c *Config) Errorf(path, format string, args ...any) error {
	ck := &checker{c: c}
	ck.errf(path, format, args...)
	return ck.err()
}
