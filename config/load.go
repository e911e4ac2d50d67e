package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"

	"gopkg.in/yaml.v3"
)

// Environment variables that override the config file.
const (
	EnvDataDir     = "CHAINRISK_DATA_DIR"
	EnvDatabaseURL = "CHAINRISK_DATABASE_URL"
)

// maxFileSize bounds a config file; real ones are a few kilobytes.
const maxFileSize = 4 << 20

// Load reads, parses and validates the config file at path. An empty path means no
// file: the built-in defaults. Either way CHAINRISK_DATA_DIR and CHAINRISK_DATABASE_URL
// override the file. The error lists every problem (errors.Join of *Error values).
func Load(path string) (*Config, error) {
	if path == "" {
		c := Default()
		c.applyEnv(os.LookupEnv)
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file larger than %d bytes", maxFileSize)}
	}
	return Parse(data, path)
}

// Parse parses and validates a config document; filename is only used in messages.
// Keys the document leaves out keep their defaults; ${ENV} references in secrets are
// expanded, and CHAINRISK_DATA_DIR and CHAINRISK_DATABASE_URL override the document.
func Parse(data []byte, filename string) (c *Config, err error) {
	defer func() {
		// yaml.v3 has had panics on malformed input; a config must never crash the
		// daemon (a SIGHUP reload keeps the old config on error). FuzzParse calls
		// parse directly so that such panics are still found.
		if r := recover(); r != nil {
			c, err = nil, &Error{File: filename, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	return parse(data, filename, os.LookupEnv)
}

func parse(data []byte, filename string, lookup func(string) (string, bool)) (*Config, error) {
	c := Default()
	c.file = filename
	c.pos = make(map[string]position)
	c.bad = make(map[string]bool)

	root, err := parseYAML(data, filename)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: filename, pos: c.pos, bad: c.bad, budget: maxNodes, lookup: lookup}
	if root != nil {
		d.value(root, reflect.ValueOf(c).Elem(), "")
	}
	c.applyEnv(lookup)
	c.Alerts.SMTP.resolvePaths(filename)
	ck := &checker{c: c}
	c.check(ck)
	if errs := append(d.errs, ck.errs...); len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// sortErrors orders problems by their place in the file; those without one (from the
// environment) come last, and problems at the same place keep their order.
func sortErrors(errs []error) {
	key := func(err error) (int, int) {
		var e *Error
		if errors.As(err, &e) && e.Line > 0 {
			return e.Line, e.Column
		}
		return math.MaxInt, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		la, ca := key(a)
		lb, cb := key(b)
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
}

// parseYAML returns the document's root node, or nil for an empty document.
func parseYAML(data []byte, filename string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(filename, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		e := &Error{File: filename, Msg: "a config file holds one YAML document; remove the second \"---\" and what follows"}
		if err == nil && len(extra.Content) > 0 {
			e.Line, e.Column = extra.Content[0].Line, extra.Content[0].Column
		}
		return nil, e
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: filename, Line: root.Line, Column: root.Column,
			Msg: fmt.Sprintf("the config must be a mapping of keys, got %s", kindName(root))}
	}
	return root, nil
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into an *Error.
func yamlError(filename string, err error) error {
	msg := err.Error()
	var line int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &line); scanErr == nil {
		if i := len(fmt.Sprintf("yaml: line %d: ", line)); i <= len(msg) {
			msg = msg[i:]
		}
		return &Error{File: filename, Line: line, Column: 1, Msg: "invalid YAML: " + msg}
	}
	return &Error{File: filename, Msg: "invalid YAML: " + trimYAMLPrefix(msg)}
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// applyEnv lets the environment override the data directory and the database URL, and
// remembers which key paths it set so that messages name the variable.
func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	if c.env == nil {
		c.env = make(map[string]string)
	}
	if v, ok := lookup(EnvDataDir); ok && v != "" {
		c.DataDir = v
		c.env["data_dir"] = EnvDataDir
	}
	if v, ok := lookup(EnvDatabaseURL); ok && v != "" {
		c.Store.DatabaseURL = Secret(v)
		c.env["store.database_url"] = EnvDatabaseURL
	}
}
