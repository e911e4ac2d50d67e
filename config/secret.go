package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/chainrisk/chainrisk/alerts/notify"
)

// Secret holds a credential: a database URL with its password, a bearer token, a
// signing secret, or a bot URL whose path or query carries the bot's key. Every way of
// printing it (fmt, JSON, YAML, slog) yields a redacted form; Reveal returns the value.
//
// In the config file a secret may be written as ${ENV_NAME}, or contain such
// references, to read it from the daemon's environment at load time.
type Secret string

// Redacted is what a secret prints as: the mark delivery errors put where a secret
// was, too (notify.Redacted).
const Redacted = notify.Redacted

// Reveal returns the secret's value. Call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// String redacts: an http(s) or postgres URL keeps its scheme and host (so an operator
// can tell which bot or database is meant), anything else becomes "<redacted>". The
// empty secret prints as "" so that "not configured" stays visible.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	if u, err := url.Parse(string(s)); err == nil && u.Host != "" {
		switch u.Scheme {
		case "http", "https", "postgres", "postgresql":
			return u.Scheme + "://" + u.Host + "/" + Redacted
		}
	}
	return Redacted
}

// GoString redacts for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format redacts for every verb, including %s, %q and %x, which would otherwise print
// the underlying string.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML redacts.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText redacts, for encoders that prefer encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue redacts in log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces every ${NAME} in s with the variable's value; an unset variable is
// an error naming it. Other uses of $ are left alone, since secrets may contain them.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return "", fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return "", fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
}
