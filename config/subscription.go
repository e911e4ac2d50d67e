package config

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/credit"
)

// Subscription says who gets which alerts on which channels (docs/alerts.md). The config file
// (alerts.subscriptions) and the API use the same fields, in YAML and JSON.
type Subscription struct {
	Name string `yaml:"name" json:"name"`
	// Subscriber is the USCC of the subscribing firm, or a group name.
	Subscriber string `yaml:"subscriber" json:"subscriber"`
	Scope      Scope  `yaml:"scope" json:"scope"`
	// MinSeverity is info, warning or critical; empty means info.
	MinSeverity string `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
	// Rules restricts the subscription to these rules; empty means all.
	Rules    []string  `yaml:"rules,omitempty" json:"rules,omitempty"`
	Channels []Channel `yaml:"channels" json:"channels"`
	// Language is zh or en; empty means alerts.language.
	Language string `yaml:"language,omitempty" json:"language,omitempty"`
	// Digest is realtime (empty means realtime), hourly, daily or weekly: a digest
	// subscription gets what fired and resolved below RealtimeMinSeverity in one
	// message per period (docs/alerts.md, "Digests").
	Digest string `yaml:"digest,omitempty" json:"digest,omitempty"`
	// DigestAt is when a digest goes out: a cron spec in Asia/Shanghai (unless it names
	// its own CRON_TZ=); NormalizeSubscription fills in the digest's default
	// (DigestDefaults). Only with a digest.
	DigestAt string `yaml:"digest_at,omitempty" json:"digest_at,omitempty"`
	// RealtimeMinSeverity is the severity from which a digest subscription's alerts
	// still go out at once: info, warning or critical, or none for never;
	// NormalizeSubscription fills in critical. Only with a digest.
	RealtimeMinSeverity string `yaml:"realtime_min_severity,omitempty" json:"realtime_min_severity,omitempty"`
}

// Subscription digests (Subscription.Digest).
const (
	DigestRealtime = "realtime"
	DigestHourly   = "hourly"
	DigestDaily    = "daily"
	DigestWeekly   = "weekly"
)

// Digests lists the values of Subscription.Digest.
var Digests = []string{DigestRealtime, DigestHourly, DigestDaily, DigestWeekly}

// DigestDefaults are the digest_at of each digest when none is given, in
// Asia/Shanghai: hourly on the hour, daily at 08:00, weekly on Mondays at 08:00.
var DigestDefaults = map[string]string{
	DigestHourly: "0 * * * *",
	DigestDaily:  "0 8 * * *",
	DigestWeekly: "0 8 * * 1",
}

// RealtimeNever is the realtime_min_severity of a digest subscription whose alerts
// all wait for the digest.
const RealtimeNever = "none"

// IsDigest says whether the subscription gets digests.
func (s *Subscription) IsDigest() bool { return s.Digest != "" && s.Digest != DigestRealtime }

// DigestSchedule parses digest_at, in Asia/Shanghai unless it names its own zone
// (nil for a realtime subscription).
func (s *Subscription) DigestSchedule() (cron.Schedule, error) {
	if !s.IsDigest() {
		return nil, nil
	}
	spec := s.DigestAt
	if spec == "" {
		spec = DigestDefaults[s.Digest]
	}
	return ParseSchedule(spec, credit.Shanghai)
}

// Scope kinds.
const (
	ScopeChain     = "chain"
	ScopeWatchlist = "watchlist"
	ScopeAll       = "all"
)

// Scope selects the firms a subscription hears about: a leader's chain within depths,
// a watch-list of USCCs, or everything.
type Scope struct {
	Kind   string `yaml:"kind" json:"kind"`
	Leader string `yaml:"leader,omitempty" json:"leader,omitempty"`
	// DepthUp and DepthDown (kind chain) default to chain.depth_up and chain.depth_down;
	// NormalizeSubscription fills them in.
	DepthUp   *int     `yaml:"depth_up,omitempty" json:"depth_up,omitempty"`
	DepthDown *int     `yaml:"depth_down,omitempty" json:"depth_down,omitempty"`
	USCCs     []string `yaml:"usccs,omitempty" json:"usccs,omitempty"`
}

// Depths returns the chain depths, taking the package defaults for unset ones.
func (s Scope) Depths() (up, down int) {
	up, down = DefaultDepthUp, DefaultDepthDown
	if s.DepthUp != nil {
		up = *s.DepthUp
	}
	if s.DepthDown != nil {
		down = *s.DepthDown
	}
	return up, down
}

// Channel is one way of delivering a subscription's alerts. Its type is one that
// package notify registers (notify.Types), which says what fields it uses. URLs and
// secrets print redacted: a robot's key is part of its URL.
type Channel struct {
	Type   string   `yaml:"type" json:"type"`
	URL    Secret   `yaml:"url,omitempty" json:"url,omitempty"`   // webhook, wecom, dingtalk, feishu
	URLs   []Secret `yaml:"urls,omitempty" json:"urls,omitempty"` // alertmanager
	Secret Secret   `yaml:"secret,omitempty" json:"secret,omitempty"`
	To     []string `yaml:"to,omitempty" json:"to,omitempty"` // email: addresses
}

// Alert severities, the levels of min_severity.
const (
	AlertInfo     = "info"
	AlertWarning  = "warning"
	AlertCritical = "critical"
)

// AlertSeverities lists alert severities from least to most severe.
var AlertSeverities = []string{AlertInfo, AlertWarning, AlertCritical}

// Languages lists the languages of alert summaries.
var Languages = []string{"zh", "en"}

var subscriptionNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// NormalizeSubscription fills a subscription's defaults that depend on the config
// (chain depths, language, min_severity) and checks it as a config file's subscription
// is checked: the API calls it on every subscription it accepts. Errors are *Error
// values whose Path is relative to the subscription ("scope.leader").
func (c *Config) NormalizeSubscription(s *Subscription) error {
	ck := &checker{}
	ck.subscription(c, "", s)
	return ck.err()
}

func (ck *checker) subscription(c *Config, path string, s *Subscription) {
	at := func(key string) string { return join(path, key) }
	if s.MinSeverity == "" {
		s.MinSeverity = AlertInfo
	}
	if s.Language == "" {
		s.Language = c.Alerts.Language
	}
	if s.Scope.Kind == ScopeChain {
		if s.Scope.DepthUp == nil {
			s.Scope.DepthUp = ptr(c.Chain.DepthUp)
		}
		if s.Scope.DepthDown == nil {
			s.Scope.DepthDown = ptr(c.Chain.DepthDown)
		}
	}

	switch {
	case s.Name == "":
		ck.errf(at("name"), "required")
	case !subscriptionNameRE.MatchString(s.Name):
		ck.errf(at("name"), "%q must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", s.Name)
	}
	switch {
	case strings.TrimSpace(s.Subscriber) == "":
		ck.errf(at("subscriber"), "required (the subscriber's USCC or a group name)")
	case len(s.Subscriber) > 256:
		ck.errf(at("subscriber"), "longer than 256 bytes")
	}
	ck.oneOf(at("min_severity"), s.MinSeverity, AlertSeverities)
	ck.oneOf(at("language"), s.Language, Languages)
	// The names are the rules' to check (alerts.CheckConfig, and the API's checks).
	for i, r := range s.Rules {
		if slices.Index(s.Rules, r) < i {
			ck.errf(fmt.Sprintf("%s[%d]", at("rules"), i), "rule %q listed twice", r)
		}
	}
	ck.digest(at, s)
	ck.scope(c, at("scope"), &s.Scope)
	if len(s.Channels) == 0 {
		ck.errf(at("channels"), "at least one channel is required")
	}
	for i := range s.Channels {
		ck.channel(c, fmt.Sprintf("%s[%d]", at("channels"), i), &s.Channels[i])
	}
}

// digest fills in and checks a subscription's digest fields: digest_at and
// realtime_min_severity belong to digests alone.
func (ck *checker) digest(at func(string) string, s *Subscription) {
	switch {
	case s.Digest != "" && !slices.Contains(Digests, s.Digest):
		ck.errf(at("digest"), "%q is not one of %s", s.Digest, strings.Join(Digests, ", "))
	case !s.IsDigest():
		if s.DigestAt != "" {
			ck.errf(at("digest_at"), "only used with digest hourly, daily or weekly")
		}
		if s.RealtimeMinSeverity != "" {
			ck.errf(at("realtime_min_severity"), "only used with digest hourly, daily or weekly")
		}
	default:
		if s.DigestAt == "" {
			s.DigestAt = DigestDefaults[s.Digest]
		}
		if s.RealtimeMinSeverity == "" {
			s.RealtimeMinSeverity = AlertCritical
		}
		if _, err := s.DigestSchedule(); err != nil {
			ck.errf(at("digest_at"), "invalid cron spec %q: %v", s.DigestAt, err)
		}
		ck.oneOf(at("realtime_min_severity"), s.RealtimeMinSeverity, append(slices.Clone(AlertSeverities), RealtimeNever))
	}
}

func (ck *checker) scope(c *Config, path string, s *Scope) {
	at := func(key string) string { return join(path, key) }
	notFor := func(key string, set bool) {
		if set {
			ck.errf(at(key), "not used with scope kind %q", s.Kind)
		}
	}
	switch s.Kind {
	case ScopeChain:
		if s.Leader == "" {
			ck.errf(at("leader"), "required for scope kind chain")
		} else {
			ck.uscc(c, at("leader"), s.Leader)
		}
		ck.depth(at("depth_up"), *s.DepthUp)
		ck.depth(at("depth_down"), *s.DepthDown)
		notFor("usccs", len(s.USCCs) > 0)
	case ScopeWatchlist:
		if len(s.USCCs) == 0 {
			ck.errf(at("usccs"), "scope kind watchlist needs at least one USCC")
		}
		ck.usccList(c, at("usccs"), s.USCCs)
		notFor("leader", s.Leader != "")
		notFor("depth_up", s.DepthUp != nil)
		notFor("depth_down", s.DepthDown != nil)
	case ScopeAll:
		notFor("leader", s.Leader != "")
		notFor("depth_up", s.DepthUp != nil)
		notFor("depth_down", s.DepthDown != nil)
		notFor("usccs", len(s.USCCs) > 0)
	case "":
		ck.errf(at("kind"), "required (chain, watchlist or all)")
	default:
		ck.errf(at("kind"), "%q is not one of chain, watchlist, all", s.Kind)
	}
}

func (ck *checker) channel(c *Config, path string, ch *Channel) {
	at := func(key string) string { return join(path, key) }
	k, ok := notify.Lookup(ch.Type)
	switch {
	case ch.Type == "":
		ck.errf(at("type"), "required (%s)", strings.Join(notify.Types(), ", "))
		return
	case !ok:
		ck.errf(at("type"), "%q is not one of %s", ch.Type, strings.Join(notify.Types(), ", "))
		return
	}
	field := func(key string, use notify.Use, set bool) {
		switch {
		case set && !use.Used():
			ck.errf(at(key), "not used by channel type %s", ch.Type)
		case !set && use.Needed() && key == "urls":
			ck.errf(at(key), "at least one %s URL is required", k.Name)
		case !set && use.Needed() && key == "to":
			ck.errf(at(key), "at least one address is required for channel type %s", ch.Type)
		case !set && use.Needed():
			ck.errf(at(key), "required for channel type %s", ch.Type)
		}
	}
	field("url", k.URL, ch.URL != "")
	field("urls", k.URLs, len(ch.URLs) > 0)
	field("secret", k.Secret, ch.Secret != "")
	field("to", k.To, len(ch.To) > 0)
	if k.Mail {
		ck.mailChannel(c, path, ch)
	}
	if !k.URL.Used() && !k.URLs.Used() {
		return // a channel that posts nowhere (the log): its URLs were refused whole
	}
	if ch.URL != "" {
		ck.channelURL(c, at("url"), ch.URL)
	}
	for i, u := range ch.URLs {
		ck.channelURL(c, fmt.Sprintf("%s[%d]", at("urls"), i), u)
	}
}

// channelURL checks a delivery URL as notify does when it sends, without ever echoing
// more of it than scheme and host, since robot keys live in the path or query.
func (ck *checker) channelURL(c *Config, path string, s Secret) {
	if err := notify.CheckURL(s, c.Alerts.HostAllowed); err != nil {
		ck.errf(path, "%v", err)
	}
}

// HostAllowed reports whether a channel URL may point at host: always when
// webhook_allowlist is empty, else when a pattern matches.
func (a AlertsConfig) HostAllowed(host string) bool {
	return len(a.WebhookAllowlist) == 0 || matchHost(a.WebhookAllowlist, host)
}

// PrivateTargetAllowed reports whether allow_private_targets lets a tenant's
// subscription reach a restricted target: host, the URL's host as written, matches a
// host pattern or address of the list, or ip (the address dialled; the zero Addr when
// not known yet) lies in one of its ranges or is one of its addresses.
func (a AlertsConfig) PrivateTargetAllowed(host string, ip netip.Addr) bool {
	if matchHost(a.AllowPrivateTargets, host) {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, p := range a.AllowPrivateTargets {
		if r, err := netip.ParsePrefix(p); err == nil && r.Contains(ip) {
			return true
		}
		if addr, err := netip.ParseAddr(p); err == nil && addr.Unmap() == ip {
			return true
		}
	}
	return false
}

// matchHost reports whether host matches one of patterns: "hooks.example.com" exactly,
// "*.example.com" any subdomain of example.com, case-insensitively and ignoring a
// trailing dot. An IP address matches exact patterns only: "*.0.1" names no domain,
// and must not let in every address ending in .0.1.
func matchHost(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host) != nil
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSuffix(p, "."))
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if !ip && strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}

var hostPatternRE = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.:-]*[A-Za-z0-9_])?$`)

func ptr[T any](v T) *T { return &v }
