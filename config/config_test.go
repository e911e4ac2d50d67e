package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/credit"
)

// testSecrets are the secret values full.good.yaml carries, inline or through ${ENV}.
var testSecrets = []string{
	"pgpass-SECRET1", "tok-SECRET2", "whsec-SECRET3", "wecomkey-SECRET4", "dttoken-SECRET5",
	"dtsecret-SECRET6", "feishuhook-SECRET7", "feishusecret-SECRET8", "ampass-SECRET9", "smtppass-SECRET10",
}

func setTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv(EnvDataDir, "")
	t.Setenv(EnvDatabaseURL, "")
	t.Setenv("CHAINRISK_TEST_PGPASS", "pgpass-SECRET1")
	t.Setenv("CHAINRISK_TEST_TOKEN", "tok-SECRET2")
	t.Setenv("CHAINRISK_TEST_DINGTALK", "dtsecret-SECRET6")
}

func TestGoodFiles(t *testing.T) {
	setTestEnv(t)
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			// A loaded config is valid as it stands, and validating again changes nothing.
			before := exported(c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate after Load: %v", err)
			}
			if !reflect.DeepEqual(before, exported(c)) {
				t.Error("Validate changed a loaded config")
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	setTestEnv(t)
	tests := map[string][]string{
		"unknown-key.bad.yaml": {
			`unknown-key.bad.yaml:3:1: unknown key "listne" at the top level; did you mean "listen"?`,
		},
		"onboarding.bad.yaml": {
			`onboarding.bad.yaml:4:3: unknown key "default_sale_share" in onboarding; did you mean "default_sales_share"?`,
			`onboarding.bad.yaml:3:3: onboarding.default_sales_share: must be in (0,1], got 1.5`,
		},
		"unknown-job.bad.yaml": {
			`unknown-job.bad.yaml:4:3: unknown key "reindex" in schedule`,
		},
		"typo-suggestion.bad.yaml": {
			`typo-suggestion.bad.yaml:3:3: unknown key "depht_up" in chain; did you mean "depth_up"?`,
		},
		"unknown-keys-all.bad.yaml": {
			`:3:3: unknown key "max_con" in store; did you mean "max_conns"?`,
			`:9:30: unknown key "level" in alerts.subscriptions[0].channels[0]`,
			`:10:1: unknown key "frobnicate" at the top level`,
		},
		"wrong-type.bad.yaml": {
			`wrong-type.bad.yaml:2:14: store.max_conns: expected an integer, got string "ten"`,
			`:4:25: ingest.accept_bad_checksums: expected true or false, got string "maybe"`,
			`:6:11: model.grades: expected a mapping, got a list`,
			`:7:10: model.scale: expected a number, got string "eighty"`,
		},
		"bad-cron.bad.yaml": {
			`:2:3: schedule.full_scan: invalid cron spec "0 25 * * *": end of range (25) above maximum (23)`,
			`:3:3: schedule.resend_alerts: invalid cron spec "* * * *": expected exactly 5 fields`,
			`schedule.expire_events: invalid cron spec "@every 10ms": @every needs a duration of at least 1s`,
			`:10:5: sources[0].schedule: invalid cron spec "0 0 30 2 *": the schedule never fires`,
		},
		"bare-cron-tz.bad.yaml": {
			`:2:3: schedule.esri: invalid cron spec "CRON_TZ=": a CRON_TZ= or TZ= prefix must be followed by a space and a schedule`,
			`schedule.full_scan: invalid cron spec "TZ=Asia/Shanghai"`,
		},
		"bad-timezone.bad.yaml": {
			`:2:3: schedule.timezone: unknown time zone "Asia/Harbin_Nowhere"`,
		},
		"grades-order.bad.yaml": {
			`:2:3: model.grades: thresholds must satisfy 1000 >= a > b > c >= 0, got a=700 b=750 c=500`,
		},
		"alpha-range.bad.yaml": {
			`:2:3: model.alpha_up: must be in [0,1], got 1.2`,
			`:3:3: model.alpha_down: must be in [0,1], got -0.1`,
			`:4:3: model.scale: must be positive, got 0`,
		},
		"duplicate-source.bad.yaml": {
			`:7:5: sources[1].name: duplicate source name "feed" (also sources[0])`,
		},
		"dir-source-without-dir.bad.yaml": {
			`:2:5: sources[0].dir: required for source kind dir`,
			`:6:5: sources[0].url: not used by source kind dir`,
		},
		"http-source-ftp.bad.yaml": {
			`:6:5: sources[0].url: "ftp://files.example.com/enterprises.csv": scheme must be http or https`,
			`:7:5: sources[0].format: "xml" is not one of csv, ndjson`,
		},
		"source-unknown-data.bad.yaml": {
			`:4:5: sources[0].data: "holdings" is not one of enterprises, relations, events, repairs or shareholdings`,
		},
		"webhook-without-secret.bad.yaml": {
			`:7:11: alerts.subscriptions[0].channels[0].secret: required for channel type webhook`,
		},
		"dingtalk-without-secret.bad.yaml": {
			`:7:11: alerts.subscriptions[0].channels[0].secret: required for channel type dingtalk`,
		},
		// Which rules there are is package alerts' to say: credit_crunch is its to refuse.
		"rule-listed-twice.bad.yaml": {
			`:6:32: alerts.subscriptions[0].rules[1]: rule "grade_downgrade" listed twice`,
		},
		"bad-leader-uscc.bad.yaml": {
			`:5:28: alerts.subscriptions[0].scope.leader: invalid USCC "91230100MA1B2C3D4X": bad check character`,
			`:5:56: alerts.subscriptions[0].scope.depth_up: must be between 0 and 10, got 11`,
		},
		"unset-env.bad.yaml": {
			`:9:19: alerts.subscriptions[0].channels[0].secret: environment variable CHAINRISK_TEST_SURELY_UNSET is not set`,
		},
		"allowlist-violation.bad.yaml": {
			`:9:11: alerts.subscriptions[0].channels[0].url: host "evil.example.net" is not allowed by alerts.webhook_allowlist`,
			`alerts.subscriptions[0].channels[1].urls[1]: host "corp.example.com" is not allowed`,
		},
		"private-targets.bad.yaml": {
			`:2:41: alerts.allow_private_targets[1]: "10.20.0.1/16" has bits set beyond its prefix length: write 10.20.0.0/16`,
			`alerts.allow_private_targets[2]: "10.0.0.0/33" is not an address range (CIDR, e.g. 10.20.0.0/16)`,
			`alerts.allow_private_targets[3]: "http://10.0.0.1" is not an address range (CIDR, e.g. 10.20.0.0/16)`,
			`alerts.allow_private_targets[4]: "*" is not an address range, an address, a host name or a *.domain pattern`,
			`alerts.allow_private_targets[5]: "" is not an address range, an address, a host name or a *.domain pattern`,
			`:9:11: alerts.subscriptions[0].channels[0].url: user info (name:password@) is not allowed in a channel URL`,
			`alerts.subscriptions[0].channels[1].urls[1]: user info (name:password@) is not allowed in a channel URL`,
		},
		"event-type-severity.bad.yaml": {
			`:4:7: model.event_types[0].severity: "severe" is not one of info, low, medium, high, critical`,
			`model.event_types[1].severity: required for new event type "brand_new"`,
			`model.event_types[1].publicity: required for new event type "brand_new"`,
		},
		"negative-max-attempts.bad.yaml": {
			`:2:3: alerts.max_attempts: must be between 1 and 1000, got -3`,
		},
		"duplicate-key.bad.yaml": {
			`:3:3: duplicate key "level" in log (first written at line 2)`,
		},
		"bad-duration.bad.yaml": {
			`:1:19: shutdown_timeout: invalid duration "30"`,
			`:3:20: alerts.repeat_interval: invalid duration "1x"`,
			`alerts.backoff.max: 10s is less than alerts.backoff.initial 1m`,
		},
		"body-reads.bad.yaml": {
			`:2:3: http.body_read_timeout: must be positive, got 0s`,
			`:3:3: http.max_body_reads_per_token: must be between 1 and 1024, got 0`,
		},
		"bad-bytes.bad.yaml": {
			`:2:19: http.max_body_bytes: invalid byte size "1.5 potatoes"`,
			`:3:21: http.max_ingest_bytes: invalid byte size "-1"`,
		},
		"syntax.bad.yaml": {
			`syntax.bad.yaml:4:1: invalid YAML: mapping values are not allowed in this context`,
		},
		"not-a-mapping.bad.yaml": {
			`:1:1: the config must be a mapping of keys, got a list`,
		},
		"two-documents.bad.yaml": {
			`:3:1: a config file holds one YAML document`,
		},
		"database-url.bad.yaml": {
			`:2:3: store.database_url: scheme must be postgres or postgresql`,
			`:3:3: store.leader_check_interval: must be between 1ms and 10s`,
		},
		"scopes.bad.yaml": {
			`:5:7: alerts.subscriptions[0].scope.usccs: scope kind watchlist needs at least one USCC`,
			`alerts.subscriptions[1].name: duplicate subscription name "watch"`,
			`alerts.subscriptions[1].scope.leader: not used with scope kind "all"`,
			`alerts.subscriptions[1].min_severity: "high" is not one of info, warning, critical`,
			`alerts.subscriptions[1].language: "fr" is not one of zh, en`,
			`alerts.subscriptions[1].channels: at least one channel is required`,
			`alerts.subscriptions[2].name: "bad name!" must be`,
			`alerts.subscriptions[2].subscriber: required`,
			`alerts.subscriptions[2].scope.kind: "everything" is not one of chain, watchlist, all`,
			`alerts.subscriptions[2].channels[0].type: "slack" is not one of`,
		},
		"channels.bad.yaml": {
			`alerts.subscriptions[0].channels[0].url: required for channel type wecom`,
			`alerts.subscriptions[0].channels[0].secret: not used by channel type wecom`,
			`alerts.subscriptions[0].channels[1].urls: at least one Alertmanager URL is required`,
			`alerts.subscriptions[0].channels[1].url: not used by channel type alertmanager`,
			`alerts.subscriptions[0].channels[2].url: URL has no host`,
			`alerts.subscriptions[0].channels[3].url: not used by channel type log`,
		},
		"essentiality.bad.yaml": {
			`esri.eps: must be in (0,1), got 0`,
			`esri.ess_default: must be between 0 and 2, got 3`,
			`esri.max_steps: must not be negative (0: no bound), got -5`,
			`esri.essentiality[0].customer_sector: "C1331" is not a sector of esri.sector_digits=3 characters`,
			`esri.essentiality[1]: pair C13 → C1331 is also given at esri.essentiality[0]`,
			`esri.essentiality[1].customer_sector: "C1331" is not a sector`,
			`esri.essentiality[1].level: must be between 0 and 2, got 5`,
		},
		"smtp.bad.yaml": {
			`:2:3: alerts.smtp.username: required with alerts.smtp.password`,
			`:3:5: alerts.smtp.host: "smtp.example.com:587": write the port in alerts.smtp.port`,
			`:4:5: alerts.smtp.port: must be between 0 and 65535, got 70000`,
			`:5:5: alerts.smtp.starttls: "sometimes" is not one of required, opportunistic, none`,
			`:6:5: alerts.smtp.ca_file: testdata/smtp-ca-empty.txt holds no PEM certificate`,
			`:8:5: alerts.smtp.from: "chainrisk alerts" is not an address`,
			`:9:5: alerts.smtp.timeout: must be positive, got 0s`,
			`alerts.smtp.tenant_domains[1]: "*.example.org" is not a domain name (example.com)`,
			`alerts.smtp.tenant_domains[2]: "localhost" is not a domain name (example.com)`,
			`:12:5: alerts.rate_limits.email: e-mail is limited per server: set alerts.smtp.rate_limit`,
		},
		"smtp-none.bad.yaml": {
			`:5:5: alerts.smtp.starttls: none sends mail in clear: only for a server on loopback (localhost, 127.0.0.1, ::1); use opportunistic for a relay without TLS`,
		},
		"email-channels.bad.yaml": {
			`:7:12: alerts.subscriptions[0].channels[0].type: channel type email needs an SMTP server: alerts.smtp.host is not set`,
			`:8:11: alerts.subscriptions[0].channels[1].type: channel type email needs an SMTP server`,
			`:8:11: alerts.subscriptions[0].channels[1].to: at least one address is required for channel type email`,
			`:9:11: alerts.subscriptions[0].channels[2].type: channel type email needs an SMTP server`,
			`:10:11: alerts.subscriptions[0].channels[2].url: not used by channel type email`,
			`:11:33: alerts.subscriptions[0].channels[2].to[1]: "ops" is not an e-mail address (name@example.com)`,
			`:11:38: alerts.subscriptions[0].channels[2].to[2]: "Risk <risk@example.com>" is not an e-mail address`,
			`:11:65: alerts.subscriptions[0].channels[2].to[3]: "OPS@example.com" listed twice (also [0])`,
			`:15:11: alerts.subscriptions[0].channels[3].to: not used by channel type webhook`,
		},
		"rate-limits.bad.yaml": {
			`:3:5: alerts.rate_limits.slack: "slack" is not a channel type that sends requests (alertmanager, `,
			`:4:5: alerts.rate_limits.log: "log" is not a channel type that sends requests`,
			`:5:13: alerts.rate_limits.wecom[0]: invalid rate "0/min"`,
			`:6:14: alerts.rate_limits.feishu[0]: invalid rate "5 per second"`,
		},
		"publicity.bad.yaml": {
			`:6:18: model.event_types[0].publicity: invalid publicity period "18m": write months as "mo"`,
		},
		"checks.bad.yaml": {
			`:2:3: checks.depth: must be between 1 and 10, got 11`,
			`:3:3: checks.beneficial_threshold: must be in (0,1], got 0`,
			`:4:3: checks.min_share: must be in [0,1], got 1.5`,
			`:5:3: checks.max_steps: must be positive, got 0`,
			`:7:5: checks.rules.major_holder_share: must be in (0,1], got 1.25`,
			`:8:5: checks.rules.reject_grade: "E" is not one of A, B, C, D`,
			`:9:5: checks.rules.caution_grade: "c" is not one of A, B, C, D`,
			`:10:5: checks.rules.reject_severity: "fatal" is not one of info, low, medium, high, critical`,
			`:11:5: checks.rules.caution_severity: "severe" is not one of info, low, medium, high, critical`,
			`:12:5: checks.rules.unknown_target: "pass" is not one of caution, reject`,
			`:13:5: checks.rules.min_known_share: must be in [0,1], got -0.5`,
		},
		"checks-order.bad.yaml": {
			`:4:5: checks.rules.caution_grade: D must be a better grade than checks.rules.reject_grade C`,
			`:6:5: checks.rules.caution_severity: high must be less severe than checks.rules.reject_severity high`,
		},
		"listen.bad.yaml": {
			`:1:1: listen: "localhost" is not host:port`,
			`:2:1: ops_listen: "localhost" is not host:port`,
			`ops_listen: must differ from listen`,
			`log.level: "verbose" is not one of debug, info, warn, error`,
			`log.format: "xml" is not one of text, json`,
			`metrics.max_leader_series: must not be negative, got -1`,
			`metrics.watchlist[0]: invalid USCC "not-a-uscc"`,
		},
	}

	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d bad files but %d table entries: keep them in step", len(files), len(tests))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected errors for %s", name)
			}
			c, err := Load(f)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			got := err.Error()
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("error lacks %q; got:\n%s", w, got)
				}
			}
			// Exactly the problems expected: none missing, none extra.
			if n := len(problems(err)); n != len(want) {
				t.Errorf("got %d problems, want %d:\n%s", n, len(want), got)
			}
			for _, s := range []string{"dbpass-SECRET", "wh-SECRET-KEY", "dttoken-SECRET5"} {
				if strings.Contains(got, s) {
					t.Errorf("error message leaks secret %q:\n%s", s, got)
				}
			}
			for _, e := range problems(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Errorf("problem %v is %T, not *Error", e, e)
				}
			}
		})
	}
}

// problems splits an errors.Join error into its parts.
func problems(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// exported returns c without the bookkeeping that records where keys were written.
func exported(c *Config) Config {
	x := *c
	x.file, x.pos, x.bad, x.env = "", nil, nil, nil
	x.Schedule.loc = nil
	return x
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	// Default returns a fresh value every time.
	a, b := Default(), Default()
	a.Alerts.RateLimits[notify.TypeWeCom][0].Count = 1
	a.Alerts.Rules.SetEnabled("chain_risk", false)
	if b.Alerts.RateLimits[notify.TypeWeCom][0].Count != 20 || len(b.Alerts.Rules) != 0 {
		t.Fatal("Default shares maps or slices between calls")
	}
}

func TestLoadWithoutFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported(c), exported(Default())) {
		t.Fatal("Load(\"\") differs from Default()")
	}
	if c.Listen != "127.0.0.1:8480" || c.DataDir != "./data" || (c.Store.DatabaseURL != "") {
		t.Fatalf("defaults: listen %s, data_dir %s, postgres %v", c.Listen, c.DataDir, (c.Store.DatabaseURL != ""))
	}

	t.Setenv(EnvDataDir, "/srv/chainrisk")
	t.Setenv(EnvDatabaseURL, "postgres://u:envpass-SECRET@db/chainrisk")
	c, err = Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/srv/chainrisk" || !(c.Store.DatabaseURL != "") {
		t.Fatalf("environment ignored: data_dir %s, database_url %s", c.DataDir, c.Store.DatabaseURL)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	setTestEnv(t)
	doc := []byte("data_dir: /from/file\nstore:\n  database_url: postgres://u:p@file/db\n")
	t.Setenv(EnvDataDir, "/from/env")
	t.Setenv(EnvDatabaseURL, "postgres://u:p@env/db")
	c, err := Parse(doc, "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/env" || c.Store.DatabaseURL.Reveal() != "postgres://u:p@env/db" {
		t.Fatalf("got data_dir %q, database_url %q", c.DataDir, c.Store.DatabaseURL.Reveal())
	}

	t.Setenv(EnvDatabaseURL, "mysql://u:envpass-SECRET@env/db")
	_, err = Parse(doc, "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "store.database_url (from $CHAINRISK_DATABASE_URL): scheme must be postgres") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "envpass-SECRET") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestPartialOverride(t *testing.T) {
	setTestEnv(t)
	c, err := Parse([]byte(`
model:
  grades: {a: 900}
  half_life: {low: 90d}
alerts:
  rules:
    severe_event: {enabled: false}
    chain_risk: {critical: 0.5}
`), "partial.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Model.Grades.A = 900
	want.Model.HalfLife.Low = 90 * 24 * time.Hour
	got := exported(c)
	rules := got.Alerts.Rules
	got.Alerts.Rules = want.Alerts.Rules
	if !reflect.DeepEqual(got, exported(want)) {
		t.Fatalf("partial config changed more than it named:\n got %+v\nwant %+v", got, exported(want))
	}
	// The rules' settings are kept as written, for the rules to read.
	if len(rules) != 2 || rules["severe_event"].Enabled == nil || *rules["severe_event"].Enabled ||
		rules["chain_risk"].Enabled != nil {
		t.Errorf("rules: %+v", rules)
	}
	params := struct {
		Warning  float64 `yaml:"warning"`
		Critical float64 `yaml:"critical"`
	}{Warning: 0.2, Critical: 0.4}
	if err := c.DecodeRule("chain_risk", &params); err != nil || params.Warning != 0.2 || params.Critical != 0.5 {
		t.Errorf("chain_risk's parameters: %+v, %v", params, err)
	}
	if err := c.DecodeRule("severe_event", &struct{}{}); err != nil {
		t.Errorf("severe_event has no parameters written: %v", err)
	}
}

func TestFullFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Store.DatabaseURL.Reveal(); got != "postgres://chainrisk:pgpass-SECRET1@db.internal:5432/chainrisk?sslmode=require" {
		t.Errorf("database_url = %q", got)
	}
	if c.HTTP.MaxBodyBytes != 2*MiB || c.HTTP.MaxIngestBytes != 100_000_000 {
		t.Errorf("byte sizes: %d %d", c.HTTP.MaxBodyBytes, c.HTTP.MaxIngestBytes)
	}
	if c.HTTP.BodyReadTimeout != 20*time.Second || c.HTTP.MaxBodyReadsPerToken != 4 {
		t.Errorf("body reads: %v, %d per token", c.HTTP.BodyReadTimeout, c.HTTP.MaxBodyReadsPerToken)
	}
	if c.Model.HalfLife.Info != 36*time.Hour {
		t.Errorf("half_life.info = %v", c.Model.HalfLife.Info)
	}
	if got := c.Alerts.RateLimits.For(notify.TypeFeishu); !reflect.DeepEqual(got, []Rate{{5, time.Second}, {100, time.Minute}, {1000, time.Hour}}) {
		t.Errorf("feishu rate limits = %v", got)
	}
	src := c.Sources[0]
	if src.Timeout != 30*time.Second || src.Strict {
		t.Errorf("source defaults not applied: %+v", src)
	}
	if c.Sources[1].Token.Reveal() != "tok-SECRET2" {
		t.Errorf("token = %q", c.Sources[1].Token.Reveal())
	}
	s := c.Alerts.Subscriptions[0]
	if up, down := s.Scope.Depths(); up != 2 || down != 2 {
		t.Errorf("depths = %d, %d; want 2 (given) and 2 (chain.depth_down)", up, down)
	}
	if s.Channels[2].Secret.Reveal() != "dtsecret-SECRET6" {
		t.Errorf("dingtalk secret = %q", s.Channels[2].Secret.Reveal())
	}
	if s := c.Alerts.Subscriptions[1]; s.Language != "en" || s.MinSeverity != "critical" {
		t.Errorf("subscription defaults: %+v", s)
	}
	if s := c.Alerts.Subscriptions[2]; s.MinSeverity != AlertInfo || s.Language != "en" {
		t.Errorf("subscription defaults: min_severity %q language %q", s.MinSeverity, s.Language)
	}
	if ep := c.ESRI.Params(); ep.Essentiality("C13", "C14") != 2 || ep.Essentiality("G54", "C13") != 0 || ep.Essentiality("C14", "C13") != 1 {
		t.Error("essentiality lookup")
	}
	if c.ESRI.Params().Sector("C1331") != "C13" {
		t.Error("sector")
	}
	if c.Schedule.Location().String() != "UTC" {
		t.Errorf("location %v", c.Schedule.Location())
	}
}

// TestSecretsNeverPrinted formats a whole loaded config every way a program might.
func TestSecretsNeverPrinted(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var outputs = map[string]string{
		"%v":  fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", c),
		"%#v": fmt.Sprintf("%#v", c),
		"%s":  fmt.Sprintf("%s", c.Alerts.Subscriptions[0].Channels),
		"%v*": fmt.Sprintf("%v", *c),
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	ys, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(ys)
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"slog json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("config", "config", c, "store", c.Store, "channel", c.Alerts.Subscriptions[0].Channels[2],
			"secret", c.Alerts.Subscriptions[0].Channels[0].Secret)
		outputs[h.name] = buf.String()
	}
	for how, out := range outputs {
		for _, s := range testSecrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q", how, s)
			}
		}
		if !strings.Contains(out, Redacted) && !strings.Contains(out, `\u003credacted\u003e`) {
			t.Errorf("%s output shows no redacted value:\n%s", how, out)
		}
	}
	// The redacted form keeps enough to tell which database or bot is meant.
	if !strings.Contains(outputs["%+v"], "postgres://db.internal:5432/<redacted>") ||
		!strings.Contains(outputs["json"], `"https://oapi.dingtalk.com/\u003credacted\u003e"`) {
		t.Errorf("redacted URLs lost scheme and host:\n%s", outputs["json"])
	}
}

func TestSecretFormats(t *testing.T) {
	s := Secret("hunter2")
	for _, f := range []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%#v", "%10s", "%d"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("%s prints %q", f, out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal")
	}
	if Secret("").String() != "" {
		t.Error("an empty secret should print empty")
	}
	for in, want := range map[string]string{
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k": "https://qyapi.weixin.qq.com/<redacted>",
		"postgres://u:p@db:5432/x":                               "postgres://db:5432/<redacted>",
		"SECabcdef":                                              Redacted,
		"ftp://u:p@host/x":                                       Redacted,
	} {
		if got := Secret(in).String(); got != want {
			t.Errorf("Secret(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "alpha", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct{ in, want, err string }{
		{"${A}", "alpha", ""},
		{"https://x/?key=${A}&t=${EMPTY}", "https://x/?key=alpha&t=", ""},
		{"pa$$word$A${", "pa$$word$A${", ""},
		{"${B}", "", "environment variable B is not set"},
		{"${B}${C}", "", "environment variables B, C are not set"},
	} {
		got, err := expandEnv(tc.in, lookup)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("expandEnv(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestExampleConfig checks that config.example.yaml loads, shows exactly the defaults,
// and mentions every key of the Config type.
func TestExampleConfig(t *testing.T) {
	setTestEnv(t)
	const path = "../config.example.yaml"
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// The rules' settings are the rules' (package alerts tests that the file shows
	// their defaults).
	got := exported(c)
	got.Alerts.Rules = RulesConfig{}
	if !reflect.DeepEqual(got, exported(Default())) {
		t.Errorf("config.example.yaml differs from Default():\n got %+v\nwant %+v", got, exported(Default()))
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlKeys(reflect.TypeFor[Config](), "") {
		name := key[strings.LastIndexAny(key, ".]")+1:]
		if !strings.Contains(string(text), name+":") {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
	for _, ct := range notify.Types() {
		if !strings.Contains(string(text), "type: "+ct) {
			t.Errorf("config.example.yaml has no example of channel type %s", ct)
		}
		if k, _ := notify.Lookup(ct); !k.Local && !k.Mail && !strings.Contains(string(text), "\n    "+ct+": [") {
			t.Errorf("config.example.yaml does not show the rate limits of channel type %s", ct)
		}
	}
}

// yamlKeys lists the key paths of every field under t.
func yamlKeys(t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
		path += "[]"
	}
	if t.Kind() != reflect.Struct || scalars[t] != nil {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		p := join(path, name)
		keys = append(keys, p)
		keys = append(keys, yamlKeys(t.Field(i).Type, p)...)
	}
	return keys
}

func TestCatalogue(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := c.Catalogue()
	minor, _ := cat.Lookup("penalty_minor")
	if minor.Points != -30 || minor.Severity != credit.SeverityLow || minor.Publicity != (credit.Period{Months: 3}) || minor.Meaning != "行政处罚(轻微)" {
		t.Errorf("override by name lost catalogue fields: %+v", minor)
	}
	env, ok := cat.Lookup("environmental_violation")
	if !ok || env.Points != -150 || env.Severity != credit.SeverityHigh || env.Publicity != (credit.Period{Months: 18}) || env.Meaning != "环保违法" {
		t.Errorf("new type: %+v, %v", env, ok)
	}
	if len(cat.Names()) != len(credit.DefaultEventTypes())+1 {
		t.Errorf("catalogue has %d types", len(cat.Names()))
	}
	if got, _ := Default().Catalogue().Lookup("bankruptcy"); got.Points != -500 {
		t.Errorf("default catalogue: %+v", got)
	}
}

func TestNormalizeSubscription(t *testing.T) {
	c := Default()
	c.Alerts.WebhookAllowlist = []string{"*.example.com"}
	var s Subscription
	if err := json.Unmarshal([]byte(`{"name": "api-sub", "subscriber": "group",
		"scope": {"kind": "chain", "leader": "91230100MA1B2C3D49", "depth_up": 0},
		"channels": [{"type": "webhook", "url": "https://hooks.example.com/x", "secret": "s3"}]}`), &s); err != nil {
		t.Fatal(err)
	}
	if err := c.NormalizeSubscription(&s); err != nil {
		t.Fatal(err)
	}
	if up, down := s.Scope.Depths(); up != 0 || down != 1 {
		t.Errorf("depths %d, %d; want 0 (given) and 1 (default)", up, down)
	}
	if s.Language != "zh" || s.MinSeverity != "info" {
		t.Errorf("defaults: %+v", s)
	}
	// The JSON form uses the documented field names and never shows the secret.
	out, _ := json.Marshal(s)
	for _, f := range []string{`"name":`, `"subscriber":`, `"scope":{"kind":"chain","leader":`, `"depth_up":0`, `"depth_down":1`,
		`"min_severity":"info"`, `"channels":[{"type":"webhook","url":"https://hooks.example.com/\u003credacted\u003e","secret":"\u003credacted\u003e"}]`, `"language":"zh"`} {
		if !strings.Contains(string(out), f) {
			t.Errorf("JSON lacks %s: %s", f, out)
		}
	}

	bad := Subscription{Name: "x", Subscriber: "g", Scope: Scope{Kind: "chain", Leader: "bad"},
		Channels: []Channel{{Type: "feishu", URL: "https://evil.test/hook"}}}
	err := c.NormalizeSubscription(&bad)
	if err == nil {
		t.Fatal("bad subscription accepted")
	}
	for _, w := range []string{`scope.leader: invalid USCC "bad"`, "channels[0].secret: required for channel type feishu",
		`channels[0].url: host "evil.test" is not allowed by alerts.webhook_allowlist`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	a := AlertsConfig{WebhookAllowlist: []string{"hooks.example.com", "*.corp.example.com"}}
	for host, want := range map[string]bool{
		"hooks.example.com": true, "HOOKS.example.com": true, "a.corp.example.com": true,
		"a.b.corp.example.com": true, "corp.example.com": false, "evil.com": false,
		"hooks.example.com.evil.com": false, "xcorp.example.com": false,
	} {
		if got := a.HostAllowed(host); got != want {
			t.Errorf("HostAllowed(%q) = %v", host, got)
		}
	}
	if !(AlertsConfig{}).HostAllowed("anything") {
		t.Error("an empty allow-list must allow any host")
	}
}

func TestJobs(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/jobs-disabled.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Sources = []Source{{Name: "feed", Schedule: "@hourly"}}
	var names []string
	for _, j := range c.Jobs() {
		names = append(names, j.Name)
		if _, err := ParseSchedule(j.Spec, c.Schedule.Location()); err != nil {
			t.Errorf("job %s: %v", j.Name, err)
		}
	}
	if want := []string{"full_scan", "expire_events", "resend_alerts", "repair_eligible", "send_digests", "source:feed"}; !reflect.DeepEqual(names, want) {
		t.Errorf("jobs %v, want %v", names, want)
	}
}

func TestRestartRequired(t *testing.T) {
	a, b := Default(), Default()
	b.Listen = "127.0.0.1:9999"
	b.Alerts.MaxAttempts = 3
	b.HTTP.MaxBodyBytes = 2 * MiB
	if got := RestartRequired(a, b); !reflect.DeepEqual(got, []string{"listen", "http"}) {
		t.Errorf("got %v", got)
	}
}

func TestAliasBomb(t *testing.T) {
	doc := `
a: &a [{kind: all}, {kind: all}, {kind: all}, {kind: all}, {kind: all}, {kind: all}, {kind: all}, {kind: all}, {kind: all}]
alerts:
  subscriptions: &s
    - {name: x, subscriber: g, scope: {kind: all}, channels: &c [{type: log}, {type: log}, {type: log}, {type: log}, {type: log}]}
`
	// Build a document whose aliases expand to far more values than it holds.
	var b strings.Builder
	b.WriteString("x0: &x0 {type: log}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]\n")
	}
	_, err := Parse([]byte(doc+b.String()), "bomb.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	start := time.Now()
	merge := "m0: &m0 {listen: \"127.0.0.1:1\"}\n"
	for i := 1; i < 10; i++ {
		merge += fmt.Sprintf("m%d: &m%d {<<: [*m%d, *m%d, *m%d, *m%d, *m%d, *m%d, *m%d, *m%d]}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	merge += "<<: *m9\n"
	_, err = Parse([]byte(merge), "merge-bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("merge bomb: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("merge bomb took %v", d)
	}
}
