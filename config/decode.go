package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainrisk/chainrisk/credit"
	suggestpkg "github.com/chainrisk/chainrisk/internal/suggest"
)

// maxNodes bounds the work of one decode: aliases can make a small document expand
// exponentially ("billion laughs").
const maxNodes = 100000

// decoder maps a yaml.Node tree onto Go values by their yaml tags. Unlike yaml.v3's own
// decoder it reports every unknown key and type error with line and column, keeps the
// defaults of everything the document leaves out, and records where each key was
// written so that validation can point at it.
type decoder struct {
	file   string
	errs   []error
	pos    map[string]position
	bad    map[string]bool // key paths whose value could not be decoded
	budget int
	lookup func(string) (string, bool)
	// also are keys of the mappings decoded that another part decodes ("enabled" of
	// a rule's parameters): known, so offered when an unknown key is close to them.
	also []string
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if path != "" {
		d.bad[path] = true
	}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// defaulter is implemented by list elements whose omitted fields take defaults.
type defaulter interface{ setDefaults() }

// nodeDecoder is implemented by the config types that decode their YAML themselves.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// scalar parses the types whose YAML form is a string with its own syntax.
type scalar func(d *decoder, s string) (reflect.Value, error)

var scalars = map[reflect.Type]scalar{
	reflect.TypeFor[time.Duration](): func(_ *decoder, s string) (reflect.Value, error) {
		v, err := ParseDuration(s)
		return reflect.ValueOf(v), err
	},
	reflect.TypeFor[ByteSize](): func(_ *decoder, s string) (reflect.Value, error) {
		v, err := ParseByteSize(s)
		return reflect.ValueOf(v), err
	},
	reflect.TypeFor[credit.Period](): func(_ *decoder, s string) (reflect.Value, error) {
		v, err := ParsePeriod(s)
		return reflect.ValueOf(v), err
	},
	reflect.TypeFor[Rate](): func(_ *decoder, s string) (reflect.Value, error) {
		v, err := ParseRate(s)
		return reflect.ValueOf(v), err
	},
	reflect.TypeFor[Secret](): func(d *decoder, s string) (reflect.Value, error) {
		v, err := expandEnv(s, d.lookup)
		return reflect.ValueOf(Secret(v)), err
	},
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// spend counts one unit of decoding work; once the budget is gone it reports the
// problem (once) and returns false.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.errorf(n, path, "document too large or too deeply aliased (more than %d values)", maxNodes)
	}
	return d.budget >= 0
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// value decodes n into v. A null leaves v as it was: an empty key keeps its default.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n == nil || n.Kind == yaml.AliasNode {
		d.errorf(n, path, "unresolved alias")
		return
	}
	if !d.spend(n, path) {
		return
	}
	if isNull(n) {
		return
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeNode(d, n, path)
			return
		}
	}
	if parse, ok := scalars[v.Type()]; ok {
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		x, err := parse(d, n.Value)
		if err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.Set(x)
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map:
		d.composite(n, v, path)
	default:
		d.basic(n, v, path)
	}
}

// composite decodes n into a pointer, struct, list or map.
func (d *decoder) composite(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			p.Elem().Set(v.Elem())
		}
		before := len(d.errs)
		d.value(n, p.Elem(), path)
		if len(d.errs) == before {
			v.Set(p)
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		d.mapping(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "expected a list, got %s", kindName(n))
			return
		}
		if len(n.Content) == 0 {
			v.SetZero() // "[]" and an omitted list are the same: nil
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.pos[p] = position{item.Line, item.Column}
			if def, ok := s.Index(i).Addr().Interface().(defaulter); ok {
				def.setDefaults()
			}
			d.value(item, s.Index(i), p)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		d.keyed(n, v, path)
	}
}

// keyed decodes a mapping into the map v, whose keys are names the package that owns
// them checks (channel types): a key written replaces that key's default, the others
// keep theirs. The map is copied first, since defaults may share it.
func (d *decoder) keyed(n *yaml.Node, v reflect.Value, path string) {
	m := reflect.MakeMap(v.Type())
	if !v.IsNil() {
		iter := v.MapRange()
		for iter.Next() {
			m.SetMapIndex(iter.Key(), iter.Value())
		}
	}
	for _, e := range d.entries(n, path, 0) {
		child := join(path, e.key.Value)
		d.pos[child] = position{e.key.Line, e.key.Column}
		key := reflect.ValueOf(e.key.Value).Convert(v.Type().Key())
		val := reflect.New(v.Type().Elem()).Elem()
		if old := m.MapIndex(key); old.IsValid() {
			val.Set(old)
		}
		d.value(e.val, val, child)
		m.SetMapIndex(key, val)
	}
	v.Set(m)
}

// basic decodes a scalar into a string, bool or number.
func (d *decoder) basic(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.errorf(n, path, "expected an integer, got %s", kindName(n))
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n, path, "integer %s out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.errorf(n, path, "expected a number, got %s", kindName(n))
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, "expected a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		// Every config type is covered above; reaching here is a programming error in
		// this package, reported rather than panicking.
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

// mapping decodes a YAML mapping into the struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	fields := structFields(v.Type())
	for _, e := range d.entries(n, path, 0) {
		name := e.key.Value
		idx, ok := fields[name]
		if !ok {
			msg := fmt.Sprintf("unknown key %q %s", name, where(path))
			if s := suggest(name, fields, d.also); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			d.errorf(e.key, "", "%s", msg)
			continue
		}
		child := join(path, name)
		d.pos[child] = position{e.key.Line, e.key.Column}
		d.value(e.val, v.Field(idx), child)
	}
}

type entry struct{ key, val *yaml.Node }

// entries flattens a mapping with YAML merge keys (<<): a key written in the mapping
// replaces a merged one, and an earlier merged mapping wins over a later one.
func (d *decoder) entries(n *yaml.Node, path string, depth int) []entry {
	var out, merged []entry
	seen := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.spend(k, path) {
			return out
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if depth > 10 {
				d.errorf(k, path, "merge keys (<<) nested too deeply")
				continue
			}
			merged = append(merged, d.mergeEntries(val, path, depth)...)
			continue
		}
		if k = resolveAlias(k); k == nil || k.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], path, "keys must be plain strings")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, "", "duplicate key %q %s (first written at line %d)", k.Value, where(path), first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{k, val})
	}
	for _, e := range merged {
		if _, ok := seen[e.key.Value]; !ok {
			seen[e.key.Value] = e.key
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) mergeEntries(n *yaml.Node, path string, depth int) []entry {
	n = resolveAlias(n)
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.MappingNode:
		return d.entries(n, path, depth+1)
	case n.Kind == yaml.SequenceNode:
		var out []entry
		for _, m := range n.Content {
			if m = resolveAlias(m); m != nil && m.Kind == yaml.MappingNode {
				out = append(out, d.entries(m, path, depth+1)...)
			} else {
				d.errorf(m, path, "a merge key (<<) takes a mapping or a list of mappings")
			}
		}
		return out
	}
	d.errorf(n, path, "a merge key (<<) takes a mapping or a list of mappings")
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

var fieldCache sync.Map // reflect.Type → map[string]int

// structFields maps a struct's yaml key names to field indexes.
func structFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int)
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	fieldCache.Store(t, m)
	return m
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// suggest returns the known key closest to name when it is close enough to be a typo.
func suggest(name string, fields map[string]int, also []string) string {
	keys := slices.Clone(also)
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return suggestpkg.Closest(name, keys)
}
