package notify

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// Channel is the config of one channel of a subscription: its type and the fields
// the type uses (Kind).
type Channel struct {
	Type   string
	URL    Secret   // the one destination (webhook, robots)
	URLs   []Secret // several destinations (Alertmanager replicas)
	Secret Secret   // the signing secret
	To     []string // e-mail addresses (the email channel)
}

// Secret is a channel credential — a URL whose path or query carries a robot's key,
// a signing secret — that prints redacted: String shows at most scheme and host, and
// Reveal gives the value where it is used. config.Secret is one.
type Secret interface {
	Reveal() string
	String() string
}

// reveal is s's value; "" for none.
func reveal(s Secret) string {
	if s == nil {
		return ""
	}
	return s.Reveal()
}

// Use says how a channel type uses a field of Channel.
type Use int

// Uses of a field.
const (
	Unused Use = iota
	Optional
	Required
)

// Used says whether the field is used at all.
func (u Use) Used() bool { return u != Unused }

// Needed says whether the field must be set.
func (u Use) Needed() bool { return u == Required }

// Kind is a channel type as its file registers it: how its config is written, how
// it is delivered and how its notifiers are built. Config validation reads the same
// registry (Lookup, Types), so a new channel is one file here and its test.
type Kind struct {
	// Type names it in the config ("webhook").
	Type string
	// Name is how messages name it ("Alertmanager").
	Name string
	// URL, URLs, Secret and To say how it uses those fields of Channel: New refuses a
	// channel that breaks them, as config validation does with the file's line.
	URL, URLs, Secret, To Use
	// Local channels deliver inside the process (the log): no HTTP request, so no
	// send slot, no guarded client and no rate limits.
	Local bool
	// Mail channels send through the SMTP server of Options.SMTP (the config's
	// alerts.smtp): no URL and no HTTP client — the server is the admin's, so the
	// tenants' outbound policy has nothing to guard — and one rate limit per server
	// (alerts.smtp.rate_limit) instead of alerts.rate_limits.
	Mail bool
	// Refreshed channels have every announced alert re-posted by the caller's resend
	// job (Alertmanager's model: an alert not re-posted expires), so repeats of a
	// firing alert leave them out.
	Refreshed bool
	// Rates are its default limits per destination (the vendor's documented ones).
	Rates []Rate
	// build makes the notifier of a channel that passed the field checks, with the
	// options' defaults filled in.
	build func(ch Channel, o Options) (Notifier, error)
}

// kinds is the registry: type → kind. Each channel's file registers its own in init.
var (
	kinds      = map[string]Kind{}
	registered int // calls of register: a duplicate type shows as fewer kinds
)

func register(k Kind) {
	registered++
	kinds[k.Type] = k
}

// Lookup returns the kind of a channel type.
func Lookup(typ string) (Kind, bool) {
	k, ok := kinds[typ]
	return k, ok
}

// Types lists the channel types, sorted.
func Types() []string {
	out := make([]string, 0, len(kinds))
	for t := range kinds {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// New builds the notifier of one subscription channel. It checks the channel's fields
// against its kind and its URLs (http or https, a host the allow-list accepts); its
// errors show a URL as scheme and host only, since robot keys and tokens live in the
// path and query.
func New(ch Channel, o Options) (Notifier, error) {
	k, ok := kinds[ch.Type]
	switch {
	case ch.Type == "":
		return nil, fmt.Errorf("alerts: channel type is required")
	case !ok:
		return nil, fmt.Errorf("alerts: unknown channel type %q", ch.Type)
	}
	if err := k.check(ch); err != nil {
		return nil, fmt.Errorf("alerts: %s channel: %w", ch.Type, err)
	}
	return k.build(ch, o.withDefaults())
}

// check holds a channel to its kind's use of each field. URLs are checked where
// they are used (newDestination).
func (k Kind) check(ch Channel) error {
	switch {
	case !k.URLs.Used() && len(ch.URLs) > 0 && k.URL.Used():
		return fmt.Errorf("urls is not used (use url)")
	case !k.URLs.Used() && len(ch.URLs) > 0:
		return fmt.Errorf("urls is not used")
	case k.URLs.Needed() && len(ch.URLs) == 0:
		return fmt.Errorf("at least one URL is required")
	case !k.URL.Used() && reveal(ch.URL) != "":
		return fmt.Errorf("url is not used")
	case !k.Secret.Used() && reveal(ch.Secret) != "":
		return fmt.Errorf("secret is not used")
	case k.Secret.Needed() && reveal(ch.Secret) == "":
		return fmt.Errorf("secret is required")
	case !k.To.Used() && len(ch.To) > 0:
		return fmt.Errorf("to is not used")
	case k.To.Needed() && len(ch.To) == 0:
		return fmt.Errorf("to: at least one address is required")
	}
	return nil
}

// CheckURL accepts a channel URL that is http or https, without user info, with a
// host hostAllowed accepts (nil: any). Its errors never quote more of the URL than
// its host and scheme.
func CheckURL(s Secret, hostAllowed func(string) bool) error {
	if reveal(s) == "" {
		return fmt.Errorf("required")
	}
	u, err := url.Parse(s.Reveal())
	switch {
	case err != nil:
		return fmt.Errorf("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme must be http or https, got %q", u.Scheme)
	case u.Hostname() == "":
		return fmt.Errorf("URL has no host")
	case hostAllowed != nil && !hostAllowed(u.Hostname()):
		return fmt.Errorf("host %q is not allowed by alerts.webhook_allowlist", u.Hostname())
	case u.User != nil:
		return ErrUserInfo
	}
	return nil
}

// ErrUserInfo refuses channel URLs with user info ("name:password@"): the
// credentials would be sent with every request in clear Basic auth and shown wherever
// the URL is, so no channel URL may carry them.
var ErrUserInfo = errors.New("user info (name:password@) is not allowed in a channel URL")

// Redacted stands in errors for the parts of a destination that may be secret; a
// config.Secret prints as it too.
const Redacted = "<redacted>"
