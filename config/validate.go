package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/credit"
)

// checker collects validation problems. With a Config whose file is known, each problem
// carries the line and column where its key (or the nearest enclosing key) was written.
type checker struct {
	c    *Config
	errs []error
}

func (ck *checker) errf(path, format string, args ...any) {
	e := &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
	if c := ck.c; c != nil {
		for p := path; p != ""; p = parent(p) {
			if c.bad[p] {
				return // already reported as a decoding error
			}
		}
		if v, ok := c.env[path]; ok {
			e.Path = path + " (from $" + v + ")"
		} else if c.file != "" {
			e.File = c.file
			for p := path; p != ""; p = parent(p) {
				if pos, ok := c.pos[p]; ok {
					e.Line, e.Column = pos.line, pos.column
					break
				}
			}
		}
	}
	ck.errs = append(ck.errs, e)
}

func (ck *checker) err() error { return errors.Join(ck.errs...) }

// parent strips the last ".key" or "[i]" of a key path.
func parent(p string) string {
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

func (ck *checker) oneOf(path, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		ck.errf(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func (ck *checker) positive(path string, d time.Duration) {
	if d <= 0 {
		ck.errf(path, "must be positive, got %s", FormatDuration(d))
	}
}

func (ck *checker) intRange(path string, v, lo, hi int) {
	if v < lo || v > hi {
		ck.errf(path, "must be between %d and %d, got %d", lo, hi, v)
	}
}

func (ck *checker) unit(path string, v float64) {
	if v < 0 || v > 1 {
		ck.errf(path, "must be in [0,1], got %g", v)
	}
}

// share checks a share that must be positive: in (0,1].
func (ck *checker) share(path string, v float64) {
	if v <= 0 || v > 1 {
		ck.errf(path, "must be in (0,1], got %g", v)
	}
}

func (ck *checker) depth(path string, v int) { ck.intRange(path, v, 0, MaxDepth) }

// uscc accepts a code whose only fault is its check character when ingest accepts those.
func (ck *checker) uscc(c *Config, path, code string) {
	err := credit.CheckUSCC(code)
	if err == nil || (errors.Is(err, credit.ErrBadCheckChar) && c.Ingest.AcceptBadChecksums) {
		return
	}
	ck.errf(path, "invalid USCC %q: %v", code, err)
}

func (ck *checker) usccList(c *Config, path string, codes []string) {
	for i, code := range codes {
		p := fmt.Sprintf("%s[%d]", path, i)
		ck.uscc(c, p, code)
		if slices.Index(codes, code) < i {
			ck.errf(p, "USCC %s listed twice", code)
		}
	}
}

func (ck *checker) listenAddr(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		ck.errf(path, "%q is not host:port: %v", addr, err)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ck.errf(path, "%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if strings.ContainsAny(host, " /") {
		ck.errf(path, "%q: bad host %q", addr, host)
	}
}

// httpURL checks a URL that is not a secret, so messages may quote it.
func (ck *checker) httpURL(path, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		ck.errf(path, "%v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		ck.errf(path, "%q: scheme must be http or https", raw)
	case u.Hostname() == "":
		ck.errf(path, "%q has no host", raw)
	}
}

// Validate fills the defaults that depend on other fields (a subscription's chain
// depths and language) and checks every field and cross-field rule. It returns all
// problems joined with errors.Join, each an *Error.
func (c *Config) Validate() error {
	ck := &checker{c: c}
	c.check(ck)
	return ck.err()
}

func (c *Config) check(ck *checker) {
	ck.listenAddr("listen", c.Listen)
	if c.OpsListen != "" {
		ck.listenAddr("ops_listen", c.OpsListen)
		if c.OpsListen == c.Listen {
			ck.errf("ops_listen", "must differ from listen (%s)", c.Listen)
		}
	}
	ck.positive("shutdown_timeout", c.ShutdownTimeout)
	if strings.TrimSpace(c.DataDir) == "" {
		ck.errf("data_dir", "required")
	}
	ck.oneOf("log.level", c.Log.Level, []string{"debug", "info", "warn", "error"})
	ck.oneOf("log.format", c.Log.Format, []string{"text", "json"})

	c.checkStore(ck)
	c.checkHTTP(ck)
	if c.UI.SessionIdle < time.Minute || c.UI.SessionIdle > 30*24*time.Hour {
		ck.errf("ui.session_idle", "must be between 1m and 720h, got %s", c.UI.SessionIdle)
	}
	if c.Ingest.MaxErrors < 1 || c.Ingest.MaxErrors > 1_000_000 {
		ck.errf("ingest.max_errors", "must be between 1 and 1000000, got %d", c.Ingest.MaxErrors)
	}
	ck.share("onboarding.default_sales_share", c.Onboarding.DefaultSalesShare)
	c.checkModel(ck)
	c.checkChain(ck)
	c.checkESRI(ck)
	c.checkChecks(ck)
	c.checkRepair(ck)
	c.checkSchedule(ck)
	c.checkSources(ck)
	c.checkAlerts(ck)

	if c.Metrics.MaxLeaderSeries < 0 {
		ck.errf("metrics.max_leader_series", "must not be negative, got %d", c.Metrics.MaxLeaderSeries)
	}
	ck.usccList(c, "metrics.watchlist", c.Metrics.Watchlist)
	c.checkLists(ck)
}

func (c *Config) checkStore(ck *checker) {
	if s := c.Store.DatabaseURL.Reveal(); s != "" {
		// The message must not quote the URL: it carries the password.
		u, err := url.Parse(s)
		switch {
		case err != nil:
			ck.errf("store.database_url", "not a valid URL")
		case u.Scheme != "postgres" && u.Scheme != "postgresql":
			ck.errf("store.database_url", "scheme must be postgres or postgresql (leave empty for the embedded store), got %q", u.Scheme)
		}
	}
	ck.intRange("store.max_conns", c.Store.MaxConns, 1, 1000)
	if d := c.Store.LeaderCheckInterval; d <= 0 || d > 10*time.Second {
		// Leadership must move within 30 s of the leader's death (docs/operations.md).
		ck.errf("store.leader_check_interval", "must be between 1ms and 10s so that leadership moves within 30s, got %s", FormatDuration(d))
	}
}

func (c *Config) checkHTTP(ck *checker) {
	h := c.HTTP
	if h.MaxBodyBytes <= 0 {
		ck.errf("http.max_body_bytes", "must be positive, got %s", h.MaxBodyBytes)
	}
	if h.MaxIngestBytes <= 0 {
		ck.errf("http.max_ingest_bytes", "must be positive, got %s", h.MaxIngestBytes)
	}
	ck.positive("http.read_header_timeout", h.ReadHeaderTimeout)
	ck.positive("http.request_timeout", h.RequestTimeout)
	ck.intRange("http.max_concurrent_requests", h.MaxConcurrentRequests, 1, 1_000_000)
	ck.intRange("http.max_concurrent_ingests", h.MaxConcurrentIngests, 1, 1024)
	if h.MaxConcurrentIngests > h.MaxConcurrentRequests {
		ck.errf("http.max_concurrent_ingests", "%d exceeds http.max_concurrent_requests %d", h.MaxConcurrentIngests, h.MaxConcurrentRequests)
	}
	ck.positive("http.body_read_timeout", h.BodyReadTimeout)
	ck.intRange("http.max_body_reads_per_token", h.MaxBodyReadsPerToken, 1, 1024)
	ck.intRange("http.max_chain_members", h.MaxChainMembers, 1, 10_000_000)
}

var (
	versionRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$`)
	eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

func (c *Config) checkModel(ck *checker) {
	m := c.Model
	if !versionRE.MatchString(m.Version) {
		ck.errf("model.version", "%q must be 1 to 64 letters, digits, '_', '.', '+' or '-'", m.Version)
	}
	if m.Base < 0 || m.Base > 1000 {
		ck.errf("model.base", "must be in [0,1000], got %g", m.Base)
	}
	if m.PositiveCap < 0 || m.PositiveCap > 1000 {
		ck.errf("model.positive_cap", "must be in [0,1000], got %g", m.PositiveCap)
	}
	for _, sev := range credit.Severities {
		if d := m.HalfLife.For(sev); d < 0 {
			ck.errf("model.half_life."+string(sev), "must not be negative (0 means no decay), got %s", FormatDuration(d))
		}
	}
	g := m.Grades
	if !(1000 >= g.A && g.A > g.B && g.B > g.C && g.C >= 0) {
		ck.errf("model.grades", "thresholds must satisfy 1000 >= a > b > c >= 0, got a=%g b=%g c=%g", g.A, g.B, g.C)
	}
	if m.Midpoint < 0 || m.Midpoint > 1000 {
		ck.errf("model.midpoint", "must be in [0,1000], got %g", m.Midpoint)
	}
	if m.Scale <= 0 {
		ck.errf("model.scale", "must be positive, got %g", m.Scale)
	}
	ck.unit("model.alpha_up", m.AlphaUp)
	ck.unit("model.alpha_down", m.AlphaDown)
	if m.Tolerance <= 0 || m.Tolerance >= 1 {
		ck.errf("model.tolerance", "must be in (0,1), got %g", m.Tolerance)
	}
	ck.intRange("model.max_iterations", m.MaxIterations, 1, 100_000)

	known := credit.NewCatalogue()
	for i, et := range m.EventTypes {
		p := fmt.Sprintf("model.event_types[%d]", i)
		at := func(key string) string { return p + "." + key }
		if !eventTypeRE.MatchString(et.Name) {
			ck.errf(at("name"), "%q must be 1 to 64 lower-case letters, digits or '_', starting with a letter", et.Name)
		}
		for j := range i {
			if m.EventTypes[j].Name == et.Name {
				ck.errf(at("name"), "event type %q is also configured at model.event_types[%d]", et.Name, j)
				break
			}
		}
		if et.Severity != "" && !et.Severity.Valid() {
			ck.errf(at("severity"), "%q is not one of info, low, medium, high, critical", et.Severity)
		}
		if et.Points != nil && (*et.Points < -1000 || *et.Points > 1000) {
			ck.errf(at("points"), "must be in [-1000,1000], got %g", *et.Points)
		}
		if len(et.Meaning) > 256 {
			ck.errf(at("meaning"), "longer than 256 bytes")
		}
		if _, ok := known.Lookup(et.Name); !ok {
			// A new type has nothing to inherit.
			if et.Points == nil {
				ck.errf(at("points"), "required for new event type %q", et.Name)
			}
			if et.Severity == "" {
				ck.errf(at("severity"), "required for new event type %q", et.Name)
			}
			if et.Publicity == nil {
				ck.errf(at("publicity"), "required for new event type %q (e.g. 1y, 18mo, 90d, until_repaired)", et.Name)
			}
		}
	}
}

// Catalogue returns the event catalogue: the documented defaults with model.event_types
// applied. An entry for a known type changes only the fields it sets.
func (c *Config) Catalogue() credit.Catalogue {
	base := credit.NewCatalogue()
	overrides := make([]credit.EventType, 0, len(c.Model.EventTypes))
	for _, et := range c.Model.EventTypes {
		t, ok := base.Lookup(et.Name)
		if !ok {
			t = credit.EventType{Name: et.Name, Meaning: et.Name}
		}
		if et.Meaning != "" {
			t.Meaning = et.Meaning
		}
		if et.Points != nil {
			t.Points = *et.Points
		}
		if et.Severity != "" {
			t.Severity = et.Severity
		}
		if et.Publicity != nil {
			t.Publicity = *et.Publicity
		}
		overrides = append(overrides, t)
	}
	return credit.NewCatalogue(overrides...)
}

func (c *Config) checkChain(ck *checker) {
	ch := c.Chain
	ck.depth("chain.depth_up", ch.DepthUp)
	ck.depth("chain.depth_down", ch.DepthDown)
	ck.intRange("chain.top_contributors", ch.TopContributors, 1, 1000)
	ck.share("chain.single_source_share", ch.SingleSourceShare)
	ck.unit("chain.single_source_substitutability", ch.SingleSourceSubstitutability)
}

var sectorRE = regexp.MustCompile(`^[A-T][0-9]*$`)

func (c *Config) checkESRI(ck *checker) {
	e := c.ESRI
	if e.Eps <= 0 || e.Eps >= 1 {
		ck.errf("esri.eps", "must be in (0,1), got %g", e.Eps)
	}
	ck.intRange("esri.ess_default", e.EssDefault, 0, 2)
	ck.intRange("esri.sector_digits", e.SectorDigits, 1, 5)
	if e.MaxSteps < 0 {
		ck.errf("esri.max_steps", "must not be negative (0: no bound), got %d", e.MaxSteps)
	}
	if e.WholeGraphMaxFirms < 0 {
		ck.errf("esri.whole_graph_max_firms", "must not be negative (0 disables whole-graph ESRI), got %d", e.WholeGraphMaxFirms)
	}
	for i, x := range e.Essentiality {
		p := fmt.Sprintf("esri.essentiality[%d]", i)
		for _, s := range []struct{ key, v string }{{"supplier_sector", x.SupplierSector}, {"customer_sector", x.CustomerSector}} {
			if !sectorRE.MatchString(s.v) || len(s.v) != e.SectorDigits {
				ck.errf(p+"."+s.key, "%q is not a sector of esri.sector_digits=%d characters (GB/T 4754 letter then digits, e.g. %q)",
					s.v, e.SectorDigits, "C1331"[:min(max(e.SectorDigits, 1), 5)])
			}
		}
		ck.intRange(p+".level", x.Level, 0, 2)
		for j := range i {
			if y := e.Essentiality[j]; y.SupplierSector == x.SupplierSector && y.CustomerSector == x.CustomerSector {
				ck.errf(p, "pair %s → %s is also given at esri.essentiality[%d]", x.SupplierSector, x.CustomerSector, j)
				break
			}
		}
	}
}

func (c *Config) checkSchedule(ck *checker) {
	s := &c.Schedule
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "" || s.Timezone == "Local" {
		ck.errf("schedule.timezone", "unknown time zone %q (use an IANA name such as Asia/Shanghai or UTC)", s.Timezone)
		loc = nil
	}
	s.loc = loc
	for _, j := range s.jobs() {
		path := "schedule." + j.Name
		if j.Spec != "" {
			if _, err := ParseSchedule(j.Spec, loc); err != nil {
				ck.errf(path, "invalid cron spec %q: %v", j.Spec, err)
			}
		}
		ck.positive("schedule.timeouts."+j.Name, j.Timeout)
	}
	ck.positive("schedule.timeouts.sources", s.Timeouts.Sources)
	if s.FullReread < 0 {
		ck.errf("schedule.full_reread", "must not be negative (0: every full scan reads the store whole)")
	}
}

var sourceNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (c *Config) checkSources(ck *checker) {
	for i := range c.Sources {
		s := &c.Sources[i]
		p := fmt.Sprintf("sources[%d]", i)
		at := func(key string) string { return p + "." + key }
		notFor := func(key string, set bool) {
			if set {
				ck.errf(at(key), "not used by source kind %s", s.Kind)
			}
		}
		switch {
		case s.Name == "":
			ck.errf(at("name"), "required")
		case !sourceNameRE.MatchString(s.Name):
			ck.errf(at("name"), "%q must be 1 to 64 characters of a-z, 0-9, '_' and '-'", s.Name)
		}
		for j := range i {
			if c.Sources[j].Name == s.Name && s.Name != "" {
				ck.errf(at("name"), "duplicate source name %q (also sources[%d])", s.Name, j)
				break
			}
		}
		if !s.Data.Valid() {
			ck.errf(at("data"), "%q is not one of %s", s.Data, credit.KindNames())
		}
		switch {
		case s.Schedule == "":
			ck.errf(at("schedule"), "required (a cron spec such as \"*/10 * * * *\")")
		default:
			if _, err := ParseSchedule(s.Schedule, c.Schedule.loc); err != nil {
				ck.errf(at("schedule"), "invalid cron spec %q: %v", s.Schedule, err)
			}
		}
		switch s.Kind {
		case SourceDir:
			if strings.TrimSpace(s.Dir) == "" {
				ck.errf(at("dir"), "required for source kind dir")
			}
			notFor("url", s.URL != "")
			notFor("token", s.Token != "")
			notFor("format", s.Format != "")
		case SourceHTTP:
			if s.URL == "" {
				ck.errf(at("url"), "required for source kind http")
			} else {
				ck.httpURL(at("url"), s.URL)
			}
			if s.Format != "" {
				ck.oneOf(at("format"), s.Format, []string{"csv", "ndjson"})
			}
			ck.positive(at("timeout"), s.Timeout)
			if s.Timeout > c.Schedule.Timeouts.Sources && c.Schedule.Timeouts.Sources > 0 {
				ck.errf(at("timeout"), "%s exceeds schedule.timeouts.sources %s, which bounds the whole import",
					FormatDuration(s.Timeout), FormatDuration(c.Schedule.Timeouts.Sources))
			}
			notFor("dir", s.Dir != "")
		case "":
			ck.errf(at("kind"), "required (dir or http)")
		default:
			ck.errf(at("kind"), "%q is not one of dir, http", s.Kind)
		}
	}
}

func (c *Config) checkAlerts(ck *checker) {
	a := c.Alerts
	ck.oneOf("alerts.language", a.Language, Languages)
	ck.positive("alerts.repeat_interval", a.RepeatInterval)
	ck.intRange("alerts.max_attempts", a.MaxAttempts, 1, 1000)
	ck.positive("alerts.backoff.initial", a.Backoff.Initial)
	ck.positive("alerts.backoff.max", a.Backoff.Max)
	if a.Backoff.Max < a.Backoff.Initial {
		ck.errf("alerts.backoff.max", "%s is less than alerts.backoff.initial %s",
			FormatDuration(a.Backoff.Max), FormatDuration(a.Backoff.Initial))
	}
	if a.ExternalURL != "" {
		ck.httpURL("alerts.external_url", a.ExternalURL)
	}
	for i, p := range a.WebhookAllowlist {
		if !hostPatternRE.MatchString(p) {
			ck.errf(fmt.Sprintf("alerts.webhook_allowlist[%d]", i),
				"%q is not a host name or a *.domain pattern", p)
		}
	}
	for i, p := range a.AllowPrivateTargets {
		at := fmt.Sprintf("alerts.allow_private_targets[%d]", i)
		if !strings.Contains(p, "/") {
			if _, err := netip.ParseAddr(p); err != nil && !hostPatternRE.MatchString(p) {
				ck.errf(at, "%q is not an address range, an address, a host name or a *.domain pattern", p)
			}
			continue
		}
		switch r, err := netip.ParsePrefix(p); {
		case err != nil:
			ck.errf(at, "%q is not an address range (CIDR, e.g. 10.20.0.0/16)", p)
		case r != r.Masked():
			ck.errf(at, "%q has bits set beyond its prefix length: write %s", p, r.Masked())
		}
	}

	ck.rateLimits(a.RateLimits)
	ck.checkSMTP(a.SMTP)

	for i := range c.Alerts.Subscriptions {
		s := &c.Alerts.Subscriptions[i]
		p := fmt.Sprintf("alerts.subscriptions[%d]", i)
		ck.subscription(c, p, s)
		for j := range i {
			if c.Alerts.Subscriptions[j].Name == s.Name && s.Name != "" {
				ck.errf(p+".name", "duplicate subscription name %q (also alerts.subscriptions[%d])", s.Name, j)
				break
			}
		}
	}
}

// rateLimits checks alerts.rate_limits: keyed by the channel types that send requests
// (notify's registry), each limit a positive count per positive period.
func (ck *checker) rateLimits(r RateLimitsConfig) {
	var limited []string
	for _, typ := range notify.Types() {
		if k, _ := notify.Lookup(typ); !k.Local && !k.Mail {
			limited = append(limited, typ)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(r)) {
		if k, _ := notify.Lookup(typ); k.Mail {
			ck.errf("alerts.rate_limits."+typ, "%s is limited per server: set alerts.smtp.rate_limit", k.Name)
			continue
		}
		if !slices.Contains(limited, typ) {
			ck.errf("alerts.rate_limits."+typ, "%q is not a channel type that sends requests (%s)", typ, strings.Join(limited, ", "))
			continue
		}
		for i, rate := range r[typ] {
			if rate.Count <= 0 || rate.Per <= 0 {
				ck.errf(fmt.Sprintf("alerts.rate_limits.%s[%d]", typ, i), "must allow a positive count per positive period, got %s", rate)
			}
		}
	}
}
