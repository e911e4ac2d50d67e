package config

import (
	"log/slog"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
)

// Config is chainriskd's whole configuration. Every field has a default (see Default
// and config.example.yaml); a config file overrides only what it names.
type Config struct {
	// Listen is the API address; /healthz, /readyz and /metrics are served there too
	// unless OpsListen is set.
	Listen string `yaml:"listen" json:"listen"`
	// OpsListen, when set, moves /healthz, /readyz and /metrics to their own address.
	OpsListen string `yaml:"ops_listen" json:"ops_listen"`
	// ShutdownTimeout bounds a graceful shutdown (SIGINT/SIGTERM).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" json:"shutdown_timeout"`
	// DataDir holds the embedded store (chainrisk.db) and its lock.
	// CHAINRISK_DATA_DIR overrides it.
	DataDir string `yaml:"data_dir" json:"data_dir"`

	Log    LogConfig    `yaml:"log" json:"log"`
	Store  StoreConfig  `yaml:"store" json:"store"`
	HTTP   HTTPConfig   `yaml:"http" json:"http"`
	Ingest IngestConfig `yaml:"ingest" json:"ingest"`
	// Onboarding tunes what leading firms supply themselves (docs/onboarding.md).
	Onboarding OnboardingConfig `yaml:"onboarding" json:"onboarding"`
	Model      ModelConfig      `yaml:"model" json:"model"`
	Chain      ChainConfig      `yaml:"chain" json:"chain"`
	ESRI       ESRIConfig       `yaml:"esri" json:"esri"`
	Checks     ChecksConfig     `yaml:"checks" json:"checks"`
	Repair     RepairConfig     `yaml:"repair" json:"repair"`
	Lists      ListsConfig      `yaml:"lists" json:"lists"` // graded lists (docs/models.md)
	Schedule   ScheduleConfig   `yaml:"schedule" json:"schedule"`
	Sources    []Source         `yaml:"sources" json:"sources"`
	Alerts     AlertsConfig     `yaml:"alerts" json:"alerts"`
	Metrics    MetricsConfig    `yaml:"metrics" json:"metrics"`
	UI         UIConfig         `yaml:"ui" json:"ui"` // the web console (docs/console.md)

	// file names the config file ("" for built-in defaults); pos says where each key
	// path was written; bad which key paths failed to decode (so that validation does
	// not add a second message about their leftover value); env which key paths came
	// from the environment (and from which variable). They let Validate point at the
	// offending line.
	file string
	pos  map[string]position
	bad  map[string]bool
	env  map[string]string
}

// File returns the path the config was loaded from, or "" for the built-in defaults.
func (c *Config) File() string { return c.file }

// LogConfig selects the log/slog handler.
type LogConfig struct {
	Level  string `yaml:"level" json:"level"`   // debug, info, warn, error
	Format string `yaml:"format" json:"format"` // text, json
}

// SlogLevel returns Level as a slog.Level (info when Level is unknown).
func (l LogConfig) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// StoreConfig selects and tunes the store.
type StoreConfig struct {
	// DatabaseURL, when it is a postgres:// (or postgresql://) URL, selects PostgreSQL;
	// empty means the embedded SQLite store in DataDir. CHAINRISK_DATABASE_URL overrides it.
	DatabaseURL Secret `yaml:"database_url" json:"database_url"`
	// MaxConns bounds the PostgreSQL pool (the leadership connection comes on top).
	MaxConns int `yaml:"max_conns" json:"max_conns"`
	// LeaderCheckInterval is how often a replica re-checks (or tries to take) the
	// PostgreSQL advisory lock that makes it the leader.
	LeaderCheckInterval time.Duration `yaml:"leader_check_interval" json:"leader_check_interval"`
}

// UIConfig tunes the web console served under /ui/ (docs/console.md).
type UIConfig struct {
	// SessionIdle is how long a console session lasts without a request; each
	// request moves its expiry forward.
	SessionIdle time.Duration `yaml:"session_idle" json:"session_idle"`
	// SecureCookies marks the console's cookies Secure even on a plain-HTTP
	// listener: for a daemon behind a TLS-terminating proxy. They are Secure
	// whenever the request itself came over TLS.
	SecureCookies bool `yaml:"secure_cookies" json:"secure_cookies"`
}

// DefaultSessionIdle is ui.session_idle's default.
const DefaultSessionIdle = 8 * time.Hour

// HTTPConfig bounds the HTTP API.
type HTTPConfig struct {
	MaxBodyBytes          ByteSize      `yaml:"max_body_bytes" json:"max_body_bytes"`     // every request but ingest
	MaxIngestBytes        ByteSize      `yaml:"max_ingest_bytes" json:"max_ingest_bytes"` // POST /api/v1/{enterprises,...}
	ReadHeaderTimeout     time.Duration `yaml:"read_header_timeout" json:"read_header_timeout"`
	RequestTimeout        time.Duration `yaml:"request_timeout" json:"request_timeout"`
	MaxConcurrentRequests int           `yaml:"max_concurrent_requests" json:"max_concurrent_requests"`
	MaxConcurrentIngests  int           `yaml:"max_concurrent_ingests" json:"max_concurrent_ingests"`
	// BodyReadTimeout is the longest wait for the next bytes of a request body; the
	// whole body must also arrive within RequestTimeout.
	BodyReadTimeout time.Duration `yaml:"body_read_timeout" json:"body_read_timeout"`
	// MaxBodyReadsPerToken bounds the request bodies one token may be sending at once.
	MaxBodyReadsPerToken int `yaml:"max_body_reads_per_token" json:"max_body_reads_per_token"`
	// MaxChainMembers bounds GET /api/v1/chains/{leader}?members=all; the members
	// endpoint pages and streams chains of any size.
	MaxChainMembers int `yaml:"max_chain_members" json:"max_chain_members"`
}

// IngestConfig tunes ingest batches (API, CLI and sources).
type IngestConfig struct {
	// AcceptBadChecksums accepts USCCs whose only fault is the check character, with a
	// warning (docs/models.md). It also lets such codes appear in this config.
	AcceptBadChecksums bool `yaml:"accept_bad_checksums" json:"accept_bad_checksums"`
	// MaxErrors bounds how many rejected rows a batch summary lists (all are counted).
	MaxErrors int `yaml:"max_errors" json:"max_errors"`
}

// OnboardingConfig tunes the relations a tenant supplies for its leading firm
// (docs/onboarding.md, "Leaders' own supplier lists").
type OnboardingConfig struct {
	// DefaultSalesShare is the sales share of a leader's row that gave none when
	// neither the registry's relation for the pair nor amount / supplier revenue
	// tells it; in (0,1]. Such a share is always labelled estimated.
	DefaultSalesShare float64 `yaml:"default_sales_share" json:"default_sales_share"`
}

// ModelConfig parameterises scoring (docs/models.md) and network distress (docs/models.md).
type ModelConfig struct {
	// Version is stamped on every result; change it when changing the model.
	Version     string         `yaml:"version" json:"version"`
	Base        float64        `yaml:"base" json:"base"`
	PositiveCap float64        `yaml:"positive_cap" json:"positive_cap"`
	HalfLife    HalfLifeConfig `yaml:"half_life" json:"half_life"`
	Grades      GradesConfig   `yaml:"grades" json:"grades"`
	Midpoint    float64        `yaml:"midpoint" json:"midpoint"`
	Scale       float64        `yaml:"scale" json:"scale"`
	AlphaUp     float64        `yaml:"alpha_up" json:"alpha_up"`
	AlphaDown   float64        `yaml:"alpha_down" json:"alpha_down"`
	// Tolerance and MaxIterations stop the network-distress fixpoint.
	Tolerance     float64 `yaml:"tolerance" json:"tolerance"`
	MaxIterations int     `yaml:"max_iterations" json:"max_iterations"`
	// EventTypes override catalogue entries by name (fields left out keep the
	// catalogue's values) or declare new types.
	EventTypes []EventTypeConfig `yaml:"event_types" json:"event_types"`
}

// HalfLifeConfig is the decay half-life per event severity; 0 means no decay.
type HalfLifeConfig struct {
	Critical time.Duration `yaml:"critical" json:"critical"`
	High     time.Duration `yaml:"high" json:"high"`
	Medium   time.Duration `yaml:"medium" json:"medium"`
	Low      time.Duration `yaml:"low" json:"low"`
	Info     time.Duration `yaml:"info" json:"info"`
}

// For returns the half-life of a severity (0, no decay, for an unknown one).
func (h HalfLifeConfig) For(s credit.Severity) time.Duration {
	switch s {
	case credit.SeverityCritical:
		return h.Critical
	case credit.SeverityHigh:
		return h.High
	case credit.SeverityMedium:
		return h.Medium
	case credit.SeverityLow:
		return h.Low
	case credit.SeverityInfo:
		return h.Info
	}
	return 0
}

// GradesConfig holds the lowest score of grades A, B and C; lower scores are D.
type GradesConfig struct {
	A float64 `yaml:"a" json:"a"`
	B float64 `yaml:"b" json:"b"`
	C float64 `yaml:"c" json:"c"`
}

// EventTypeConfig is one model.event_types entry. Nil/empty fields keep the catalogue
// entry's values when Name is a known type; a new type must give points, severity and
// publicity.
type EventTypeConfig struct {
	Name      string          `yaml:"name" json:"name"`
	Meaning   string          `yaml:"meaning" json:"meaning"`
	Points    *float64        `yaml:"points" json:"points"`
	Severity  credit.Severity `yaml:"severity" json:"severity"`
	Publicity *credit.Period  `yaml:"publicity" json:"publicity"` // "3y", "18mo", "90d", "until_repaired"
}

// ChainConfig parameterises chain exposure (docs/models.md).
type ChainConfig struct {
	DepthUp         int `yaml:"depth_up" json:"depth_up"`
	DepthDown       int `yaml:"depth_down" json:"depth_down"`
	TopContributors int `yaml:"top_contributors" json:"top_contributors"`
	// A supplier is a single source when its purchase share is at least
	// SingleSourceShare and its substitutability at most SingleSourceSubstitutability.
	SingleSourceShare            float64 `yaml:"single_source_share" json:"single_source_share"`
	SingleSourceSubstitutability float64 `yaml:"single_source_substitutability" json:"single_source_substitutability"`
}

// MaxDepth bounds chain depths in config, subscriptions and API queries.
const MaxDepth = 10

// ESRIConfig parameterises the systemic-importance index (docs/models.md).
type ESRIConfig struct {
	Eps          float64        `yaml:"eps" json:"eps"`
	EssDefault   int            `yaml:"ess_default" json:"ess_default"`
	Essentiality []Essentiality `yaml:"essentiality" json:"essentiality"`
	// SectorDigits is how many leading characters of the GB/T 4754 industry code make
	// a firm's sector: 3 means the letter and two digits ("C13").
	SectorDigits       int `yaml:"sector_digits" json:"sector_digits"`
	WholeGraphMaxFirms int `yaml:"whole_graph_max_firms" json:"whole_graph_max_firms"`
	// MaxSteps bounds the update steps of one firm's cascade; 0 (the default) means
	// none, as in the reference implementation. A member stopped by the bound is
	// reported with converged false.
	MaxSteps int `yaml:"max_steps" json:"max_steps"`
}

// Essentiality is one entry of the sector essentiality matrix: how much a buying sector
// needs a supplying one (0 irrelevant, 1 non-essential, 2 essential).
type Essentiality struct {
	SupplierSector string `yaml:"supplier_sector" json:"supplier_sector"`
	CustomerSector string `yaml:"customer_sector" json:"customer_sector"`
	Level          int    `yaml:"level" json:"level"`
}

// DefaultFullReread is schedule.full_reread's default: a week of nightly full
// scans read changes, and one in seven reads the store whole.
const DefaultFullReread = 7 * 24 * time.Hour

// ScheduleConfig holds the cron jobs (docs/operations.md). A spec may be empty to disable its job.
type ScheduleConfig struct {
	// Timezone applies to every spec without its own CRON_TZ= or TZ= prefix.
	Timezone     string `yaml:"timezone" json:"timezone"`
	FullScan     string `yaml:"full_scan" json:"full_scan"`
	ESRI         string `yaml:"esri" json:"esri"`
	ExpireEvents string `yaml:"expire_events" json:"expire_events"`
	ResendAlerts string `yaml:"resend_alerts" json:"resend_alerts"`
	// RepairEligible evaluates the repair_eligible alert rule with the clock
	// (docs/alerts.md), daily.
	RepairEligible string `yaml:"repair_eligible" json:"repair_eligible"`
	// SendDigests sends the digests due of the digest subscriptions (docs/alerts.md,
	// "Digests"); each subscription's digest_at says when its digests are due.
	SendDigests string         `yaml:"send_digests" json:"send_digests"`
	Timeouts    TimeoutsConfig `yaml:"timeouts" json:"timeouts"`
	// FullReread is how often a full scan reads the store whole and compares it with
	// the dataset the leader holds; in between, a full scan re-reads only the rows
	// changed since the last one (docs/operations.md, "Full scans"). 0: every full
	// scan reads the store whole.
	FullReread time.Duration `yaml:"full_reread" json:"full_reread"`

	loc *time.Location
}

// TimeoutsConfig bounds each run of a cron job.
type TimeoutsConfig struct {
	FullScan       time.Duration `yaml:"full_scan" json:"full_scan"`
	ESRI           time.Duration `yaml:"esri" json:"esri"`
	ExpireEvents   time.Duration `yaml:"expire_events" json:"expire_events"`
	ResendAlerts   time.Duration `yaml:"resend_alerts" json:"resend_alerts"`
	RepairEligible time.Duration `yaml:"repair_eligible" json:"repair_eligible"`
	SendDigests    time.Duration `yaml:"send_digests" json:"send_digests"`
	// Sources bounds one run of a source's import (fetch or directory scan plus ingest).
	Sources time.Duration `yaml:"sources" json:"sources"`
}

// Source kinds.
const (
	SourceDir  = "dir"
	SourceHTTP = "http"
)

// Source is a scheduled import (docs/operations.md).
type Source struct {
	Name     string      `yaml:"name" json:"name"`
	Kind     string      `yaml:"kind" json:"kind"` // dir or http
	Data     credit.Kind `yaml:"data" json:"data"` // one of credit.Kinds
	Schedule string      `yaml:"schedule" json:"schedule"`
	// Strict commits nothing from a file or response that has any bad row.
	Strict bool `yaml:"strict" json:"strict"`
	// Dir (kind dir) is watched for new *.csv, *.ndjson and *.jsonl files, which are
	// moved to Dir/done or Dir/failed once imported.
	Dir string `yaml:"dir" json:"dir"`
	// URL (kind http) is fetched with GET, with If-None-Match when an ETag was seen.
	URL   string `yaml:"url" json:"url"`
	Token Secret `yaml:"token" json:"token"` // bearer token (kind http)
	// Timeout bounds one HTTP request (kind http).
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// Format (kind http) forces csv or ndjson; empty means from the Content-Type.
	Format string `yaml:"format" json:"format"`
}

func (s *Source) setDefaults() { s.Timeout = 30 * time.Second }

// AlertsConfig drives alert rules, lifecycle, delivery and subscriptions (docs/alerts.md).
type AlertsConfig struct {
	// Language of summaries for subscriptions that do not choose one: zh or en.
	Language       string        `yaml:"language" json:"language"`
	RepeatInterval time.Duration `yaml:"repeat_interval" json:"repeat_interval"`
	// MaxAttempts is how many delivery attempts a notification gets before it is dead.
	MaxAttempts int           `yaml:"max_attempts" json:"max_attempts"`
	Backoff     BackoffConfig `yaml:"backoff" json:"backoff"`
	// ExternalURL is the daemon's address as users reach it, for links in alerts.
	ExternalURL string `yaml:"external_url" json:"external_url"`
	// WebhookAllowlist restricts the hosts every channel URL may point at: exact host
	// names or "*.example.com" (any subdomain). Empty allows any host.
	WebhookAllowlist []string `yaml:"webhook_allowlist" json:"webhook_allowlist"`
	// AllowPrivateTargets lets tenants' subscriptions reach loopback, private,
	// link-local and other internal addresses they are otherwise refused: address
	// ranges ("10.20.0.0/16"), addresses, host names or "*.example.com" patterns
	// (names are trusted as the admin's own: their addresses are not checked).
	AllowPrivateTargets []string         `yaml:"allow_private_targets" json:"allow_private_targets"`
	Rules               RulesConfig      `yaml:"rules" json:"rules"`
	RateLimits          RateLimitsConfig `yaml:"rate_limits" json:"rate_limits"`
	// SMTP is the mail server of e-mail channels (smtp.go).
	SMTP          SMTPConfig     `yaml:"smtp" json:"smtp"`
	Subscriptions []Subscription `yaml:"subscriptions" json:"subscriptions"`
}

// BackoffConfig is the exponential backoff (with jitter) between delivery attempts.
type BackoffConfig struct {
	Initial time.Duration `yaml:"initial" json:"initial"`
	Max     time.Duration `yaml:"max" json:"max"`
}

// RulesConfig holds each alert rule's settings by rule name (alerts.rules.<name>).
// Package alerts owns the rules — their names, defaults and parameters — and checks
// these settings against them (alerts.CheckConfig, which chainriskd runs wherever it
// loads a config); config cannot import alerts, which reads the config, and so keeps
// them as written. A rule the file leaves out takes its defaults.
type RulesConfig map[string]RuleConfig

// RuleConfig is one rule's settings: whether it is enabled, and its parameters —
// every other key — as written, which the rule decodes (Config.DecodeRule).
type RuleConfig struct {
	// Enabled is nil where the file does not say: the rule's default holds.
	Enabled *bool `yaml:"enabled" json:"enabled,omitempty"`
	params  *yaml.Node
}

// SetEnabled enables or disables the rule called name, as alerts.rules.<name>.enabled
// in a file would.
func (r RulesConfig) SetEnabled(name string, on bool) {
	rc := r[name]
	rc.Enabled = &on
	r[name] = rc
}

// RateLimitsConfig holds the rate limits of each channel type that sends requests,
// by type, each applying per destination (robot or URL); e-mail's is the server's
// (alerts.smtp.rate_limit). Every limit of a list
// applies at once: feishu's ["5/s", "100/min"]. A type the file leaves out keeps the
// default its channel registers (notify.Kind.Rates); an empty list means no limit.
type RateLimitsConfig map[string][]Rate

// For returns the limits of a channel type (none for an unlimited one).
func (r RateLimitsConfig) For(channelType string) []Rate { return r[channelType] }

// defaultRateLimits are the limits the channel types that send requests register
// (nil: none).
func defaultRateLimits() RateLimitsConfig {
	out := RateLimitsConfig{}
	for _, typ := range notify.Types() {
		k, _ := notify.Lookup(typ)
		if k.Local || k.Mail {
			continue
		}
		var rates []Rate
		for _, r := range k.Rates {
			rates = append(rates, Rate(r))
		}
		out[typ] = rates
	}
	return out
}

// MetricsConfig bounds metric cardinality (docs/operations.md).
type MetricsConfig struct {
	// MaxLeaderSeries bounds the leaders that get per-leader series.
	MaxLeaderSeries int `yaml:"max_leader_series" json:"max_leader_series"`
	// Watchlist names firms that get per-firm series besides the leaders.
	Watchlist []string `yaml:"watchlist" json:"watchlist"`
}

// Defaults that other packages need without a Config at hand.
const (
	DefaultListen    = "127.0.0.1:8480"
	DefaultDataDir   = "./data"
	DefaultTimezone  = "Asia/Shanghai"
	DefaultDepthUp   = graph.DefaultDepthUp
	DefaultDepthDown = graph.DefaultDepthDown
)

// Default returns the built-in configuration: the daemon runs with it and no file.
func Default() *Config {
	return &Config{
		Listen:          DefaultListen,
		ShutdownTimeout: 30 * time.Second,
		DataDir:         DefaultDataDir,
		Log:             LogConfig{Level: "info", Format: "text"},
		Store: StoreConfig{
			MaxConns:            10,
			LeaderCheckInterval: 5 * time.Second,
		},
		HTTP: HTTPConfig{
			MaxBodyBytes:          1 * MiB,
			MaxIngestBytes:        64 * MiB,
			ReadHeaderTimeout:     10 * time.Second,
			RequestTimeout:        5 * time.Minute,
			MaxConcurrentRequests: 256,
			MaxConcurrentIngests:  4,
			BodyReadTimeout:       30 * time.Second,
			MaxBodyReadsPerToken:  8,
			MaxChainMembers:       50000,
		},
		Ingest:     IngestConfig{MaxErrors: 1000},
		Onboarding: OnboardingConfig{DefaultSalesShare: 0.1},
		Model:      defaultModel(),
		Chain:      defaultChain(),
		ESRI:       defaultESRI(),
		Checks:     defaultChecks(),
		Repair:     RepairConfig{Rules: map[string]RepairRuleConfig{}},
		Lists:      defaultLists(),
		UI:         UIConfig{SessionIdle: DefaultSessionIdle},
		Schedule: ScheduleConfig{
			Timezone:       DefaultTimezone,
			FullScan:       "0 2 * * *",
			ESRI:           "0 3 * * 0",
			ExpireEvents:   "@hourly",
			ResendAlerts:   "* * * * *",
			RepairEligible: "0 8 * * *",
			SendDigests:    "* * * * *",
			FullReread:     DefaultFullReread,
			Timeouts: TimeoutsConfig{
				FullScan:       30 * time.Minute,
				ESRI:           2 * time.Hour,
				ExpireEvents:   5 * time.Minute,
				ResendAlerts:   time.Minute,
				RepairEligible: 5 * time.Minute,
				SendDigests:    time.Minute,
				Sources:        10 * time.Minute,
			},
		},
		Alerts: AlertsConfig{
			Language:       "zh",
			RepeatInterval: 24 * time.Hour,
			MaxAttempts:    12,
			Backoff:        BackoffConfig{Initial: 10 * time.Second, Max: 30 * time.Minute},
			Rules:          RulesConfig{},
			RateLimits:     defaultRateLimits(),
			SMTP:           defaultSMTP(),
		},
		Metrics: MetricsConfig{MaxLeaderSeries: 2000},
	}
}
