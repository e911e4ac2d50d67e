package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// destination is one URL a notifier posts to, with what it takes to speak of it
// without giving its secrets away.
type destination struct {
	kind  string // channel type
	url   sealed // revealed only to build the request
	shown string // scheme://host/<redacted>, for errors and logs
	rates []Rate
	key   string // the limiter's key
	lim   *Limiter
	scrub *strings.Replacer
}

// newDestination checks the URL of a channel's field and makes it a destination.
// target is what is posted to: the URL itself, or one derived from it
// (Alertmanager's API path), shown as the URL is.
func newDestination(kind, field string, u Secret, target string, secret Secret, o Options) (*destination, error) {
	if err := CheckURL(u, o.HostAllowed); err != nil {
		if reveal(u) != "" {
			field += " " + u.String()
		}
		return nil, fmt.Errorf("alerts: %s channel: %s: %w", kind, field, err)
	}
	return &destination{
		kind:  kind,
		url:   sealed{&target},
		shown: u.String(),
		rates: o.Rates,
		key:   limiterKey(kind, target),
		lim:   o.Limiter,
		scrub: newScrubber(target, reveal(secret)),
	}, nil
}

// newScrubber replaces every secret part of a destination with "<redacted>" in text
// that came from elsewhere (a receiver's answer, a vendor's error message, a transport
// error): the whole URL, its user info, query and query values, the signing secret,
// and the path — whole, escaped or not, every tail of it from a slash on (a receiver's
// "Cannot POST /hooks/T01/B02/x7Yz" quotes it) and each segment that may be a key
// (8 bytes or more, or 4 or more with a digit). Webhook paths carry keys as often as
// queries do.
func newScrubber(u, secret string) *strings.Replacer {
	parts := []string{u, secret}
	if p, err := url.Parse(u); err == nil {
		parts = append(parts, p.RawQuery, p.User.String(), p.User.Username())
		if pw, ok := p.User.Password(); ok {
			parts = append(parts, pw)
		}
		for _, vs := range p.Query() {
			parts = append(parts, vs...)
		}
		for _, path := range []string{p.Path, p.EscapedPath()} {
			if p.RawQuery != "" {
				parts = append(parts, path+"?"+p.RawQuery)
			}
			for i := range len(path) {
				if path[i] == '/' {
					parts = append(parts, path[i:])
				}
			}
			for seg := range strings.SplitSeq(path, "/") {
				if len(seg) >= 8 || len(seg) >= 4 && strings.ContainsAny(seg, "0123456789") {
					parts = append(parts, seg, url.PathEscape(seg))
				}
			}
		}
	}
	return redactor(parts)
}

// redactor replaces each of parts (those of 4 bytes or more) with "<redacted>".
func redactor(parts []string) *strings.Replacer {
	parts = slices.DeleteFunc(slices.Clone(parts), func(s string) bool { return len(s) < 4 })
	// Longest first, so that a URL is replaced whole rather than piece by piece.
	slices.SortFunc(parts, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	var args []string
	for _, p := range slices.Compact(parts) {
		args = append(args, p, Redacted)
	}
	return strings.NewReplacer(args...)
}

// sealed keeps a secret behind a pointer. fmt prints a struct's unexported fields
// without calling their String methods — a Secret field would print in clear with
// %v — but prints a pointer inside a struct as an address.
type sealed struct{ p *string }

func seal(s Secret) sealed {
	v := reveal(s)
	return sealed{&v}
}

func (s sealed) reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

func (s sealed) set() bool { return s.reveal() != "" }
