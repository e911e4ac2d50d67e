package deployments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/store/backend"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	repoRoot = ".."
	// datasourceUID is the provisioned Prometheus datasource every panel must use.
	datasourceUID = "chainrisk-prometheus"
	// scrapeJob is the job name the rules and dashboards expect.
	scrapeJob = "chainriskd"
	// demoLeaders is how many leading firms the demo dataset has.
	demoLeaders = 3
)

// prometheusBuiltins are series Prometheus makes itself.
var prometheusBuiltins = map[string]bool{"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true}

// --- Files ------------------------------------------------------------------------

// deployed names a file under deployments/.
func deployed(parts ...string) string {
	return filepath.Join(append([]string{repoRoot, "deployments"}, parts...)...)
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeYAML decodes a single-document YAML file into v.
func decodeYAML(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// yamlDocuments decodes every document of a multi-document YAML file.
func yamlDocuments(t *testing.T, name string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, name)))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs = append(docs, &n)
	}
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// --- Tools -------------------------------------------------------------------------

// tool finds a Prometheus tool, skipping loudly when it is missing unless
// CHAINRISK_REQUIRE_TOOLS=1 (CI), which makes that a failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	pkg := map[string]string{"amtool": "prometheus-alertmanager"}[name]
	if pkg == "" {
		pkg = "prometheus"
	}
	missing := fmt.Sprintf("%s is not installed (apt-get install -y %s)", name, pkg)
	if os.Getenv("CHAINRISK_REQUIRE_TOOLS") == "1" {
		t.Fatal("CHAINRISK_REQUIRE_TOOLS=1 but " + missing)
	}
	t.Skip("!!! SKIPPING: " + missing + "; set CHAINRISK_REQUIRE_TOOLS=1 to make this a failure !!!")
	return ""
}

// runTool runs a tool and fails the test, with its output, when it does not exit 0.
func runTool(t *testing.T, dir string, stdin io.Reader, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir, cmd.Stdin = dir, stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// --- The daemon --------------------------------------------------------------------

// startDaemon runs chainriskd in-process with the demo data on a loopback port and
// returns its base URL once it is ready; it stops when the test ends.
func startDaemon(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	log, logs := testlog.Text(slog.LevelInfo)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Demo: true, Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon Run: %v", err)
		}
		http.DefaultClient.CloseIdleConnections()
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	base := "http://" + d.OpsAddr()
	eventually(t, 15*time.Second, "chainriskd ready", func() (bool, string) {
		code, body, err := get(base + "/readyz")
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %s %v", code, body, err)
	})
	return base
}

func get(u string) (int, string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// eventually polls cond until it holds or timeout passes; last describes the last try.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (ok bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exportedNames are the metric names of an exposition: every family, with the
// _bucket, _sum and _count series of histograms and summaries.
func exportedNames(body string) map[string]bool {
	names := map[string]bool{}
	for line := range strings.Lines(body) {
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		names[f[2]] = true
		switch f[3] {
		case "histogram":
			names[f[2]+"_bucket"] = true
			fallthrough
		case "summary":
			names[f[2]+"_sum"], names[f[2]+"_count"] = true, true
		}
	}
	return names
}

// --- PromQL in dashboards and rules --------------------------------------------------

var (
	stringLiteral = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	// An identifier not glued to a preceding name, number or Grafana variable ($x).
	identifier = regexp.MustCompile(`(?:^|[^A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)`)
)

// metricsIn lists the metric names an expression reads: chainrisk_*, go_*, process_*,
// recording rules (names with a colon) and Prometheus' own series.
func metricsIn(expr string) []string {
	var names []string
	for _, m := range identifier.FindAllStringSubmatch(stringLiteral.ReplaceAllString(expr, `""`), -1) {
		n := m[1]
		if strings.Contains(n, ":") || prometheusBuiltins[n] ||
			strings.HasPrefix(n, "chainrisk_") || strings.HasPrefix(n, "go_") || strings.HasPrefix(n, "process_") {
			names = append(names, n)
		}
	}
	return names
}

func TestMetricsIn(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`sum by (kind, le) (rate(chainrisk_scan_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval]))`,
			[]string{"chainrisk_scan_duration_seconds_bucket"}},
		{`time() - job_kind:chainrisk_scan_last_success_timestamp_seconds:max{kind="full"} > 26 * 3600 or on (job) up`,
			[]string{"job_kind:chainrisk_scan_last_success_timestamp_seconds:max", "up"}},
		{`label_values(chainrisk_leader_chain_risk, leader)`, []string{"chainrisk_leader_chain_risk"}},
		{`max(chainrisk_leader_chain_risk{leader="chainrisk_not_a_metric"}) + process_open_fds`,
			[]string{"chainrisk_leader_chain_risk", "process_open_fds"}},
		{`rate(x[1h:5m]) and $chainrisk_var`, nil},
	} {
		if got := metricsIn(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("metricsIn(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}

type dashboard struct {
	file string
	raw  map[string]any
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob(deployed("grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s (%v)", deployed("grafana", "dashboards"), err)
	}
	var ds []dashboard
	for _, f := range files {
		var raw map[string]any
		if err := json.Unmarshal(readFile(t, f), &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ds = append(ds, dashboard{file: filepath.Base(f), raw: raw})
	}
	return ds
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []map[string]any {
	var out []map[string]any
	items, _ := v.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// panels flattens the dashboard's panels, those inside collapsed rows included.
func (d dashboard) panels() []map[string]any {
	var out []map[string]any
	for _, p := range list(d.raw["panels"]) {
		out = append(out, p)
		out = append(out, list(p["panels"])...)
	}
	return out
}

func (d dashboard) variables() []map[string]any {
	tmpl, _ := d.raw["templating"].(map[string]any)
	return list(tmpl["list"])
}

// query is a PromQL expression (or a Grafana variable query) and where it comes from.
type query struct {
	where string
	expr  string
}

func (d dashboard) queries() []query {
	var qs []query
	for _, p := range d.panels() {
		for _, tg := range list(p["targets"]) {
			qs = append(qs, query{fmt.Sprintf("%s: panel %q, query %s", d.file, str(p["title"]), str(tg["refId"])), str(tg["expr"])})
		}
	}
	for _, v := range d.variables() {
		if v["type"] != "query" {
			continue
		}
		q := str(v["query"])
		if m, ok := v["query"].(map[string]any); ok {
			q = str(m["query"])
		}
		qs = append(qs, query{fmt.Sprintf("%s: variable %s", d.file, str(v["name"])), q})
	}
	return qs
}

func dsUID(v any) string {
	m, _ := v.(map[string]any)
	return str(m["uid"])
}

type rulesFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	var f rulesFile
	decodeYAML(t, deployed("prometheus", "rules", "chainrisk.rules.yml"), &f)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("no rules in chainrisk.rules.yml")
	}
	return rules
}

// --- Grafana ------------------------------------------------------------------------

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, Type, UID, Access, URL string
			IsDefault                    bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	decodeYAML(t, deployed("grafana", "provisioning", "datasources", "prometheus.yaml"), &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 {
		t.Fatalf("datasources: apiVersion %d, %d datasources; want 1 and 1", ds.APIVersion, len(ds.Datasources))
	}
	if d := ds.Datasources[0]; d.UID != datasourceUID || d.Type != "prometheus" || d.Access != "proxy" || !d.IsDefault {
		t.Errorf("datasource = %+v, want uid %s, type prometheus, access proxy, the default", d, datasourceUID)
	}
	if u, err := url.Parse(ds.Datasources[0].URL); err != nil || u.Host != "prometheus:9090" {
		t.Errorf("datasource url %q: want the compose service prometheus:9090", ds.Datasources[0].URL)
	}

	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name, Type string
			OrgID      int `yaml:"orgId"`
			Options    struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeYAML(t, deployed("grafana", "provisioning", "dashboards", "chainrisk.yaml"), &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || prov.Providers[0].OrgID != 1 {
		t.Fatalf("dashboard providers = %+v, want one file provider of org 1", prov)
	}
	// The compose stack mounts the dashboards where the provider looks.
	c := loadCompose(t)
	if got := c.mountTarget(t, "grafana", "./grafana/dashboards"); got != prov.Providers[0].Options.Path {
		t.Errorf("compose mounts ./grafana/dashboards at %q, the provider reads %q", got, prov.Providers[0].Options.Path)
	}
	if got := c.mountTarget(t, "grafana", "./grafana/provisioning"); got != "/etc/grafana/provisioning" {
		t.Errorf("compose mounts ./grafana/provisioning at %q, want /etc/grafana/provisioning", got)
	}
}

func TestDashboards(t *testing.T) {
	dashboards := loadDashboards(t)
	uids, titles := map[string]string{}, map[string]string{}
	for _, d := range dashboards {
		uid, title := str(d.raw["uid"]), str(d.raw["title"])
		if uid == "" || title == "" {
			t.Errorf("%s: uid %q, title %q: both are required", d.file, uid, title)
		}
		if prev, dup := uids[uid]; dup {
			t.Errorf("%s and %s share the uid %q", prev, d.file, uid)
		}
		if prev, dup := titles[title]; dup {
			t.Errorf("%s and %s share the title %q", prev, d.file, title)
		}
		uids[uid], titles[title] = d.file, d.file
		if b := readFile(t, deployed("grafana", "dashboards", d.file)); bytes.Contains(b, []byte("${DS_")) {
			t.Errorf("%s: holds an export placeholder ${DS_...}; refer to the datasource uid %s", d.file, datasourceUID)
		}

		ids := map[float64]bool{}
		for _, p := range d.panels() {
			title := str(p["title"])
			id, _ := p["id"].(float64)
			if ids[id] {
				t.Errorf("%s: panel %q: id %v used twice", d.file, title, id)
			}
			ids[id] = true
			if p["gridPos"] == nil {
				t.Errorf("%s: panel %q has no gridPos", d.file, title)
			}
			if p["type"] == "row" {
				continue
			}
			if got := dsUID(p["datasource"]); got != datasourceUID {
				t.Errorf("%s: panel %q: datasource uid %q, want %q", d.file, title, got, datasourceUID)
			}
			targets := list(p["targets"])
			if len(targets) == 0 {
				t.Errorf("%s: panel %q has no queries", d.file, title)
			}
			for _, tg := range targets {
				if tg["datasource"] != nil && dsUID(tg["datasource"]) != datasourceUID {
					t.Errorf("%s: panel %q, query %s: datasource uid %q, want %q", d.file, title, str(tg["refId"]), dsUID(tg["datasource"]), datasourceUID)
				}
				if strings.TrimSpace(str(tg["expr"])) == "" {
					t.Errorf("%s: panel %q, query %s: empty expr", d.file, title, str(tg["refId"]))
				}
			}
		}
		for _, v := range d.variables() {
			if v["type"] == "query" && dsUID(v["datasource"]) != datasourceUID {
				t.Errorf("%s: variable %s: datasource uid %q, want %q", d.file, str(v["name"]), dsUID(v["datasource"]), datasourceUID)
			}
		}
	}
	for _, want := range []string{"Supply-chain risk overview", "chainrisk daemon health"} {
		if titles[want] == "" {
			t.Errorf("no dashboard titled %q", want)
		}
	}
	// The overview's per-leader panels hang on the leader variable.
	for _, d := range dashboards {
		if str(d.raw["title"]) != "Supply-chain risk overview" {
			continue
		}
		found := false
		for _, q := range d.queries() {
			if strings.HasSuffix(q.where, "variable leader") {
				found = q.expr == "label_values(chainrisk_leader_chain_risk, leader)"
			}
		}
		if !found {
			t.Errorf("%s: no variable leader from label_values(chainrisk_leader_chain_risk, leader)", d.file)
		}
	}
}

// --- Metric names against the running daemon -------------------------------------------

// allQueries are the dashboards' and the rules' expressions.
func allQueries(t *testing.T) []query {
	t.Helper()
	var qs []query
	for _, d := range loadDashboards(t) {
		qs = append(qs, d.queries()...)
	}
	for _, r := range loadRules(t) {
		qs = append(qs, query{"chainrisk.rules.yml: " + r.Record + r.Alert, r.Expr})
	}
	return qs
}

func TestMetricNames(t *testing.T) {
	base := startDaemon(t)
	code, body, err := get(base + "/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", code, err)
	}
	if strings.TrimSpace(body) == "" {
		t.Fatal("GET /metrics answered an empty exposition")
	}
	exported := exportedNames(body)
	if !exported["chainrisk_leader_chain_risk"] {
		t.Fatalf("the demo daemon exports no chainrisk_leader_chain_risk:\n%s", body)
	}
	recorded := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Record != "" {
			recorded[r.Record] = true
		}
	}
	for _, q := range allQueries(t) {
		names := metricsIn(q.expr)
		if len(names) == 0 && !strings.Contains(q.expr, "time()") {
			t.Errorf("%s: names no metric: %q", q.where, q.expr)
		}
		for _, n := range names {
			switch {
			case strings.Contains(n, ":"):
				if !recorded[n] {
					t.Errorf("%s: %s is no recording rule of chainrisk.rules.yml", q.where, n)
				}
			case exported[n], prometheusBuiltins[n]:
			default:
				t.Errorf("%s: chainriskd exports no metric %s", q.where, n)
			}
		}
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		// promtool exits 0 on empty input; the body was checked above. Exit 3: lint problems.
		runTool(t, "", strings.NewReader(body), "promtool", "check", "metrics")
	})
}

// --- Prometheus rules --------------------------------------------------------------------

type ruleTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			EvalTime  string           `yaml:"eval_time"`
			Alertname string           `yaml:"alertname"`
			ExpAlerts []map[string]any `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestRuleConventions needs no tools: labels, annotations, runbooks, and a unit test of
// each alert firing and not firing.
func TestRuleConventions(t *testing.T) {
	var tests ruleTestFile
	decodeYAML(t, deployed("prometheus", "rules", "chainrisk.rules.test.yml"), &tests)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	runbooks := string(readFile(t, filepath.Join(repoRoot, "docs", "operations.md")))
	alerts := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		alerts[r.Alert] = true
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning (alertmanager.yml routes by it)", r.Alert, s)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		if want := "docs/operations.md#" + strings.ToLower(r.Alert); !strings.HasSuffix(r.Annotations["runbook_url"], want) {
			t.Errorf("%s: runbook_url %q does not end in %s", r.Alert, r.Annotations["runbook_url"], want)
		}
		if !strings.Contains(runbooks, "\n### "+r.Alert+"\n") {
			t.Errorf("%s: docs/operations.md has no runbook heading \"### %s\"", r.Alert, r.Alert)
		}
		if !fires[r.Alert] || !quiet[r.Alert] {
			t.Errorf("%s: chainrisk.rules.test.yml must test it firing (%v) and not firing (%v)", r.Alert, fires[r.Alert], quiet[r.Alert])
		}
	}
	for _, want := range []string{"ChainriskScanStale", "ChainriskNoLeader", "ChainriskMultipleLeaders", "ChainriskDeadLetters",
		"ChainriskDeliveryFailureRatio", "ChainriskConfigReloadFailed", "ChainriskDown"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
	for name := range fires {
		if !alerts[name] {
			t.Errorf("chainrisk.rules.test.yml tests %s, which is no alert", name)
		}
	}
}

func TestPromtool(t *testing.T) {
	rules := deployed("prometheus", "rules")
	t.Run("check rules", func(t *testing.T) {
		runTool(t, rules, nil, "promtool", "check", "rules", "chainrisk.rules.yml")
	})
	t.Run("test rules", func(t *testing.T) {
		runTool(t, rules, nil, "promtool", "test", "rules", "chainrisk.rules.test.yml")
	})
	t.Run("check config", func(t *testing.T) {
		// The compose stack mounts the rules at /etc/prometheus/rules: point a copy of
		// the config at the repository's, so that the check loads them too.
		abs, err := filepath.Abs(rules)
		if err != nil {
			t.Fatal(err)
		}
		cfg := strings.ReplaceAll(string(readFile(t, deployed("prometheus", "prometheus.yml"))), "/etc/prometheus/rules/", abs+"/")
		file := filepath.Join(t.TempDir(), "prometheus.yml")
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out := runTool(t, "", nil, "promtool", "check", "config", file); !strings.Contains(out, "rules found") {
			t.Errorf("promtool check config loaded no rules:\n%s", out)
		}
	})
}

func TestPrometheusScrapeConfig(t *testing.T) {
	var p struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string                       `yaml:"job_name"`
			MetricsPath   string                       `yaml:"metrics_path"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeYAML(t, deployed("prometheus", "prometheus.yml"), &p)
	c := loadCompose(t)
	found := false
	for _, sc := range p.ScrapeConfigs {
		if sc.JobName != scrapeJob {
			continue
		}
		found = true
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %s, chainriskd serves /metrics", scrapeJob, sc.MetricsPath)
		}
		// The target is the compose service on the port its config listens on.
		_, port, _ := net.SplitHostPort(composeConfig(t, c).Listen)
		if len(sc.StaticConfigs) != 1 || !slices.Equal(sc.StaticConfigs[0].Targets, []string{"chainriskd:" + port}) {
			t.Errorf("job %s targets %+v, want [chainriskd:%s]", scrapeJob, sc.StaticConfigs, port)
		}
	}
	if !found {
		t.Errorf("prometheus.yml has no job %s (the rules and dashboards expect that name)", scrapeJob)
	}
	if len(p.Alerting.Alertmanagers) != 1 || !slices.Equal(p.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, []string{"alertmanager:9093"}) {
		t.Errorf("alerting: %+v, want the compose service alertmanager:9093", p.Alerting)
	}
	if got := c.mountTarget(t, "prometheus", "./prometheus/rules"); len(p.RuleFiles) != 1 || filepath.Dir(p.RuleFiles[0]) != got {
		t.Errorf("rule_files %q are not in the directory compose mounts the rules at (%s)", p.RuleFiles, got)
	}
}

// --- Alertmanager ---------------------------------------------------------------------

func TestAlertmanagerConfig(t *testing.T) {
	file, err := filepath.Abs(deployed("alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	runTool(t, "", nil, "amtool", "check-config", file)
	route := func(receiver string, labels ...string) {
		t.Helper()
		args := append([]string{"config", "routes", "test", "--config.file=" + file, "--verify.receivers=" + receiver}, labels...)
		runTool(t, "", nil, "amtool", args...)
	}
	bySeverity := map[string]string{"critical": "ops-pager", "warning": "ops-tickets"}
	for _, r := range loadRules(t) {
		if r.Alert != "" {
			route(bySeverity[r.Labels["severity"]], "alertname="+r.Alert, "severity="+r.Labels["severity"], "job="+scrapeJob)
		}
	}
	// chainriskd's own credit alerts (its alertmanager channel) never page operators.
	route("risk-analysts", "alertname=chain_risk", "severity=critical", "uscc=91230100MA1B2C3D49", "leader=91230100MA1B2C3D49")
}

// --- docker compose ---------------------------------------------------------------------

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeYAML(t, deployed("docker-compose.yml"), &c)
	return c
}

// mountTarget is where service mounts the bind source src.
func (c composeFile) mountTarget(t *testing.T, service, src string) string {
	t.Helper()
	for _, v := range c.Services[service].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[0] == src {
			return parts[1]
		}
	}
	t.Errorf("compose service %s does not mount %s", service, src)
	return ""
}

// composeEnv expands ${NAME:-default} the way compose does when NAME is unset.
func composeEnv(s string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

// composeConfig parses chainriskd's config as the compose stack runs it.
func composeConfig(t *testing.T, c composeFile) *config.Config {
	t.Helper()
	t.Setenv(config.EnvDatabaseURL, composeEnv(c.Services["chainriskd"].Environment[config.EnvDatabaseURL]))
	cfg, err := config.Parse(readFile(t, deployed("chainriskd.compose.yaml")), "chainriskd.compose.yaml")
	if err != nil {
		t.Fatalf("chainriskd.compose.yaml: %v", err)
	}
	return cfg
}

func TestCompose(t *testing.T) {
	c := loadCompose(t)
	for _, s := range []string{"chainriskd", "postgres", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("compose has no service %s", s)
		}
	}
	// Every bind mount's source exists; every named volume is declared.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			if strings.HasPrefix(src, ".") {
				if !exists(deployed(src)) {
					t.Errorf("service %s mounts %s, which is not in deployments/", name, src)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts the undeclared volume %s", name, src)
			}
		}
	}

	d := c.Services["chainriskd"]
	if !exists(filepath.Join("..", "deployments", d.Build.Context, d.Build.Dockerfile)) || d.Build.Dockerfile != "Dockerfile" {
		t.Errorf("chainriskd builds %s/%s; want the repository's Dockerfile", d.Build.Context, d.Build.Dockerfile)
	}
	if len(d.Command) != 2 || d.Command[0] != "-config" || c.mountTarget(t, "chainriskd", "./chainriskd.compose.yaml") != d.Command[1] {
		t.Errorf("chainriskd runs %q; want -config on the mounted chainriskd.compose.yaml", d.Command)
	}
	cfg := composeConfig(t, c)
	if !backend.IsPostgres(cfg.Store.DatabaseURL.Reveal()) || !strings.Contains(cfg.Store.DatabaseURL.Reveal(), "@postgres:5432/") {
		t.Errorf("chainriskd's store is not the compose postgres service")
	}
	if cfg.Listen != "0.0.0.0:8480" || !slices.Contains(d.Ports, "127.0.0.1:8480:8480") {
		t.Errorf("chainriskd listens on %s and publishes %q; want 0.0.0.0:8480 published on 127.0.0.1:8480", cfg.Listen, d.Ports)
	}
	var deps map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := d.DependsOn.Decode(&deps); err != nil || deps["postgres"].Condition != "service_healthy" {
		t.Errorf("chainriskd must wait for postgres to be healthy (depends_on: %v)", err)
	}

	pg := c.Services["postgres"]
	if pg.Image != "postgres:15" || len(pg.Healthcheck.Test) == 0 || c.mountTarget(t, "postgres", "postgres") != "/var/lib/postgresql/data" {
		t.Errorf("postgres: image %q, healthcheck %q; want postgres:15 with a healthcheck and a data volume", pg.Image, pg.Healthcheck.Test)
	}
	if got := c.mountTarget(t, "prometheus", "./prometheus/prometheus.yml"); got != "/etc/prometheus/prometheus.yml" {
		t.Errorf("prometheus.yml mounted at %q", got)
	}
	if got := c.mountTarget(t, "alertmanager", "./alertmanager/alertmanager.yml"); got != "/etc/alertmanager/alertmanager.yml" {
		t.Errorf("alertmanager.yml mounted at %q", got)
	}
}

// --- Kubernetes --------------------------------------------------------------------------

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	node *yaml.Node
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type deployment struct {
	Spec struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []struct {
					Name  string   `yaml:"name"`
					Image string   `yaml:"image"`
					Args  []string `yaml:"args"`
					Env   []struct {
						Name      string `yaml:"name"`
						ValueFrom struct {
							SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					LivenessProbe  *probe `yaml:"livenessProbe"`
					ReadinessProbe *probe `yaml:"readinessProbe"`
					StartupProbe   *probe `yaml:"startupProbe"`
					Resources      struct {
						Requests map[string]string `yaml:"requests"`
						Limits   map[string]string `yaml:"limits"`
					} `yaml:"resources"`
					SecurityContext struct {
						AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
						ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
						RunAsNonRoot             bool  `yaml:"runAsNonRoot"`
						Capabilities             struct {
							Drop []string `yaml:"drop"`
						} `yaml:"capabilities"`
					} `yaml:"securityContext"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func loadKubernetes(t *testing.T) map[string]k8sObject {
	t.Helper()
	files, err := filepath.Glob(deployed("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deployments/kubernetes (%v)", err)
	}
	objs := map[string]k8sObject{}
	for _, f := range files {
		for _, n := range yamlDocuments(t, f) {
			var o k8sObject
			if err := n.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Errorf("%s: a document without kind or apiVersion", f)
				continue
			}
			o.node = n
			if _, dup := objs[o.Kind]; dup {
				t.Errorf("%s: a second %s", f, o.Kind)
			}
			objs[o.Kind] = o
		}
	}
	return objs
}

func decodeNode(t *testing.T, o k8sObject, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
}

// selects reports whether every label of selector is in labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetes(t *testing.T) {
	objs := loadKubernetes(t)
	for kind, api := range map[string]string{"Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1",
		"ServiceMonitor": "monitoring.coreos.com/v1", "PodDisruptionBudget": "policy/v1", "Kustomization": "kustomize.config.k8s.io/v1beta1"} {
		if o, ok := objs[kind]; !ok || o.APIVersion != api {
			t.Fatalf("deployments/kubernetes: no %s of %s (found %q)", kind, api, o.APIVersion)
		}
	}

	var dep deployment
	decodeNode(t, objs["Deployment"], &dep)
	spec := dep.Spec.Template.Spec
	pod := dep.Spec.Template.Metadata.Labels
	if dep.Spec.Replicas != 2 {
		t.Errorf("Deployment: %d replicas, want 2", dep.Spec.Replicas)
	}
	if !selects(dep.Spec.Selector.MatchLabels, pod) {
		t.Errorf("Deployment: selector %v does not select its pods %v", dep.Spec.Selector.MatchLabels, pod)
	}
	if !spec.SecurityContext.RunAsNonRoot || spec.SecurityContext.RunAsUser == 0 {
		t.Errorf("Deployment: pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", spec.SecurityContext)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("Deployment: %d containers, want 1", len(spec.Containers))
	}
	ctr := spec.Containers[0]
	ports := map[string]int{}
	for _, p := range ctr.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for _, c := range []struct {
		name string
		p    *probe
		path string
	}{{"liveness", ctr.LivenessProbe, "/healthz"}, {"readiness", ctr.ReadinessProbe, "/readyz"}, {"startup", ctr.StartupProbe, "/healthz"}} {
		if c.p == nil || c.p.HTTPGet.Path != c.path || ports[c.p.HTTPGet.Port] == 0 {
			t.Errorf("Deployment: %s probe %+v, want GET %s on a named container port", c.name, c.p, c.path)
		}
	}
	if ctr.Resources.Requests["cpu"] == "" || ctr.Resources.Requests["memory"] == "" || ctr.Resources.Limits["memory"] == "" {
		t.Errorf("Deployment: resources %+v: want cpu and memory requests and a memory limit", ctr.Resources)
	}
	sc := ctr.SecurityContext
	if !sc.ReadOnlyRootFilesystem || !sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		!slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("Deployment: container securityContext %+v: want non-root, read-only root, no privilege escalation, no capabilities", sc)
	}

	// The config file: the ConfigMap mounted where -config points, parsed as the pod does.
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	decodeNode(t, objs["ConfigMap"], &cm)
	var secret struct {
		StringData map[string]string `yaml:"stringData"`
	}
	decodeNode(t, objs["Secret"], &secret)
	if len(ctr.Args) != 2 || ctr.Args[0] != "-config" {
		t.Fatalf("Deployment: args %q, want -config FILE", ctr.Args)
	}
	cfgDir, cfgFile := filepath.Split(ctr.Args[1])
	mounted := ""
	for _, m := range ctr.VolumeMounts {
		if m.MountPath == filepath.Clean(cfgDir) {
			mounted = m.Name
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == mounted && (v.ConfigMap == nil || v.ConfigMap.Name != objs["ConfigMap"].Metadata.Name) {
			t.Errorf("Deployment: volume %s is not the ConfigMap %s", v.Name, objs["ConfigMap"].Metadata.Name)
		}
	}
	if mounted == "" || cm.Data[cfgFile] == "" {
		t.Fatalf("Deployment: -config %s is not a file of the mounted ConfigMap", ctr.Args[1])
	}
	hasDB := false
	for _, e := range ctr.Env {
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name == "" {
			continue
		}
		if ref.Name != objs["Secret"].Metadata.Name || secret.StringData[ref.Key] == "" {
			t.Errorf("Deployment: env %s reads %s/%s, which the Secret example lacks", e.Name, ref.Name, ref.Key)
		}
		t.Setenv(e.Name, secret.StringData[ref.Key])
		hasDB = hasDB || e.Name == config.EnvDatabaseURL
	}
	if !hasDB {
		t.Errorf("Deployment: %s does not come from the Secret", config.EnvDatabaseURL)
	}
	cfg, err := config.Parse([]byte(cm.Data[cfgFile]), "ConfigMap "+cfgFile)
	if err != nil {
		t.Fatalf("ConfigMap: %v", err)
	}
	if !backend.IsPostgres(cfg.Store.DatabaseURL.Reveal()) {
		t.Error("ConfigMap: two replicas need PostgreSQL")
	}
	if _, port, _ := net.SplitHostPort(cfg.Listen); port != strconv.Itoa(ports["http"]) {
		t.Errorf("ConfigMap: listen %s, the container port is %d", cfg.Listen, ports["http"])
	}
	if cfg.OpsListen != "" {
		t.Errorf("ConfigMap: ops_listen %s: the probes and the ServiceMonitor use the API port", cfg.OpsListen)
	}
	if grace := time.Duration(spec.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.ShutdownTimeout {
		t.Errorf("Deployment: terminationGracePeriodSeconds %v must exceed shutdown_timeout %v", grace, cfg.ShutdownTimeout)
	}

	var svc struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	decodeNode(t, objs["Service"], &svc)
	if !selects(svc.Spec.Selector, pod) {
		t.Errorf("Service: selector %v does not select the pods %v", svc.Spec.Selector, pod)
	}
	svcPorts := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Name] = true
		if ports[p.TargetPort] == 0 {
			t.Errorf("Service: port %s targets %q, no container port of that name", p.Name, p.TargetPort)
		}
	}

	var sm struct {
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Endpoints []struct {
				Port string `yaml:"port"`
				Path string `yaml:"path"`
			} `yaml:"endpoints"`
		} `yaml:"spec"`
	}
	decodeNode(t, objs["ServiceMonitor"], &sm)
	if !selects(sm.Spec.Selector.MatchLabels, objs["Service"].Metadata.Labels) {
		t.Errorf("ServiceMonitor: selector %v does not select the Service (labels %v)", sm.Spec.Selector.MatchLabels, objs["Service"].Metadata.Labels)
	}
	if objs["Service"].Metadata.Name != scrapeJob {
		t.Errorf("Service %s: the ServiceMonitor's job label is the Service name; the rules expect %s", objs["Service"].Metadata.Name, scrapeJob)
	}
	if len(sm.Spec.Endpoints) != 1 || !svcPorts[sm.Spec.Endpoints[0].Port] || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor: endpoints %+v, want /metrics on a Service port (%v)", sm.Spec.Endpoints, svcPorts)
	}

	var pdb struct {
		Spec struct {
			MinAvailable int `yaml:"minAvailable"`
			Selector     struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
		} `yaml:"spec"`
	}
	decodeNode(t, objs["PodDisruptionBudget"], &pdb)
	if pdb.Spec.MinAvailable != 1 || !selects(pdb.Spec.Selector.MatchLabels, pod) {
		t.Errorf("PodDisruptionBudget: %+v, want minAvailable 1 over the pods", pdb.Spec)
	}

	var kust struct {
		Resources []string `yaml:"resources"`
	}
	decodeNode(t, objs["Kustomization"], &kust)
	for _, r := range kust.Resources {
		if !exists(deployed("kubernetes", r)) {
			t.Errorf("kustomization.yaml lists %s, which does not exist", r)
		}
		if strings.Contains(r, "secret") {
			t.Errorf("kustomization.yaml applies %s: the Secret is an example with placeholders", r)
		}
	}
}

// --- systemd -------------------------------------------------------------------------------

// unitDirectives reads a systemd unit: section → key → values (a key may repeat).
func unitDirectives(t *testing.T, name string) map[string]map[string][]string {
	t.Helper()
	units := map[string]map[string][]string{}
	section := ""
	for i, line := range strings.Split(string(readFile(t, name)), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			units[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a directive: %q", name, i+1, line)
			}
			units[section][k] = append(units[section][k], v)
		}
	}
	return units
}

func TestSystemdUnit(t *testing.T) {
	u := unitDirectives(t, deployed("systemd", "chainriskd.service"))
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			t.Fatalf("chainriskd.service has no [%s]", s)
		}
	}
	svc := u["Service"]
	for k, want := range map[string]string{
		"User":                    "chainrisk",
		"ExecStart":               "/usr/local/bin/chainriskd -config /etc/chainrisk/chainrisk.yaml",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"StateDirectory":          "chainrisk",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"NoNewPrivileges":         "yes",
		"PrivateTmp":              "yes",
		"CapabilityBoundingSet":   "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallFilter":        "@system-service",
		"Restart":                 "on-failure",
	} {
		if !slices.Contains(svc[k], want) {
			t.Errorf("[Service] %s=%q, want %q", k, svc[k], want)
		}
	}
	if n, err := strconv.Atoi(strings.Join(svc["LimitNOFILE"], "")); err != nil || n < 4096 {
		t.Errorf("[Service] LimitNOFILE=%q, want a number of at least 4096", svc["LimitNOFILE"])
	}
	stop, err := time.ParseDuration(strings.Join(svc["TimeoutStopSec"], ""))
	if err != nil || stop <= config.Default().ShutdownTimeout {
		t.Errorf("[Service] TimeoutStopSec=%q must exceed the default shutdown_timeout %v", svc["TimeoutStopSec"], config.Default().ShutdownTimeout)
	}
	// The user exists once systemd-sysusers has read the snippet.
	if sysusers := string(readFile(t, deployed("systemd", "chainrisk.sysusers.conf"))); !regexp.MustCompile(`(?m)^u chainrisk\s`).MatchString(sysusers) {
		t.Error("chainrisk.sysusers.conf does not create the user chainrisk")
	}
}

// --- Dockerfile -----------------------------------------------------------------------------

func TestDockerfile(t *testing.T) {
	// Instructions, with continuation lines joined and comments dropped.
	var ins [][2]string
	text := strings.ReplaceAll(string(readFile(t, filepath.Join(repoRoot, "Dockerfile"))), "\\\n", " ")
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, args, _ := strings.Cut(line, " ")
		ins = append(ins, [2]string{strings.ToUpper(op), strings.TrimSpace(args)})
	}
	var froms []string
	last := map[string]string{} // instruction → its last arguments
	all := ""
	for _, in := range ins {
		if in[0] == "FROM" {
			froms = append(froms, in[1])
		}
		last[in[0]] = in[1]
		all += in[0] + " " + in[1] + "\n"
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:1.26 ") {
		t.Errorf("FROM %q: want a golang:1.26 build stage and a runtime stage", froms)
	}
	if rt := froms[len(froms)-1]; !strings.HasPrefix(rt, "gcr.io/distroless/static") && rt != "scratch" {
		t.Errorf("runtime stage FROM %s: want distroless static or scratch", rt)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/chainriskd", "EXPOSE 8480"} {
		if !strings.Contains(all, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if u := last["USER"]; u == "" || u == "root" || strings.HasPrefix(u, "0") {
		t.Errorf("USER %q: want a non-root user", u)
	}
	if !strings.Contains(last["ENTRYPOINT"], "chainriskd") {
		t.Errorf("ENTRYPOINT %s: want chainriskd", last["ENTRYPOINT"])
	}
}

// TestDockerignore makes sure the build context keeps every file the image's build
// reads: go.mod, go.sum, and the Go and embedded files of the packages it compiles.
func TestDockerignore(t *testing.T) {
	var patterns []string
	for line := range strings.Lines(string(readFile(t, filepath.Join(repoRoot, ".dockerignore")))) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") || strings.Contains(line, "**") {
			t.Fatalf(".dockerignore: %q: this test only understands plain patterns", line)
		}
		patterns = append(patterns, filepath.Clean(strings.TrimPrefix(line, "/")))
	}
	ignored := func(rel string) bool {
		parts := strings.Split(rel, "/")
		for i := 1; i <= len(parts); i++ {
			for _, p := range patterns {
				if ok, _ := filepath.Match(p, strings.Join(parts[:i], "/")); ok {
					return true
				}
			}
		}
		return false
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/chainriskd", "./cmd/chainriskctl")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Path string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/chainrisk/chainrisk" {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(root, filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list found only %d files to build", len(needed))
	}
	for _, f := range needed {
		if ignored(f) {
			t.Errorf(".dockerignore hides %s, which the image's build needs", f)
		}
	}
}

// --- A real Prometheus scraping the daemon ---------------------------------------------------

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// promQuery runs an instant query; err covers transport and PromQL errors alike.
func promQuery(base, q string) ([]promResult, error) {
	code, body, err := get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", code, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType != "vector" {
		return []promResult{{}}, nil // a scalar: one value
	}
	var res []promResult
	err = json.Unmarshal(r.Data.Result, &res)
	return res, err
}

func (r promResult) float(t *testing.T) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(str(r.Value[1]), 64)
	if err != nil {
		t.Fatalf("sample %v: %v", r.Value, err)
	}
	return f
}

// startPrometheus runs the Prometheus binary bin scraping target every second, with
// the chainrisk rules loaded, and returns its base URL when ready.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	rules, err := filepath.Abs(deployed("prometheus", "rules", "chainrisk.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%q]
`, rules, scrapeJob, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	var logs testlog.Buffer
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		http.DefaultClient.CloseIdleConnections()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	eventually(t, 15*time.Second, "prometheus ready", func() (bool, string) {
		code, body, err := get(base + "/-/ready")
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %s %v; log: %s", code, body, err, logs.String())
	})
	return base
}

func TestPrometheusScrapesDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	bin := tool(t, "prometheus")
	daemonURL := startDaemon(t)
	prom := startPrometheus(t, bin, strings.TrimPrefix(daemonURL, "http://"))

	var leaders []promResult
	eventually(t, 20*time.Second, "one chainrisk_leader_chain_risk series per demo leader", func() (bool, string) {
		var err error
		leaders, err = promQuery(prom, "chainrisk_leader_chain_risk")
		return err == nil && len(leaders) == demoLeaders, fmt.Sprintf("%d series, %v", len(leaders), err)
	})
	for _, l := range leaders {
		if l.Metric["job"] != scrapeJob || l.Metric["leader"] == "" {
			t.Errorf("series %v: want job %s and a leader label", l.Metric, scrapeJob)
		}
	}

	last, err := promQuery(prom, `chainrisk_scan_last_success_timestamp_seconds{kind="full"}`)
	if err != nil || len(last) != 1 {
		t.Fatalf("last full scan: %v, %v", last, err)
	}
	if at := time.Unix(int64(last[0].float(t)), 0); time.Since(at) > 5*time.Minute || time.Until(at) > time.Minute {
		t.Errorf("last full scan at %v: not within the last 5 minutes", at)
	}

	// Prometheus keeps the target's job and moves the cron metrics' own job label to
	// exported_job, which the rules and the health dashboard group by.
	cron, err := promQuery(prom, "chainrisk_cron_job_runs_total")
	if err != nil || len(cron) == 0 {
		t.Fatalf("chainrisk_cron_job_runs_total: %v, %v", cron, err)
	}
	for _, s := range cron {
		if s.Metric["job"] != scrapeJob || s.Metric["exported_job"] == "" {
			t.Errorf("cron series %v: want job %s and exported_job", s.Metric, scrapeJob)
		}
	}

	// The rules run on the real series: one leader, and no alert about a healthy daemon.
	eventually(t, 10*time.Second, "job:chainrisk_leader:sum == 1", func() (bool, string) {
		r, err := promQuery(prom, "job:chainrisk_leader:sum")
		return err == nil && len(r) == 1 && r[0].float(t) == 1 && r[0].Metric["job"] == scrapeJob, fmt.Sprintf("%v %v", r, err)
	})
	// ChainriskDown's absent() is pending until the first scrape; the next evaluation
	// clears it.
	eventually(t, 10*time.Second, "no Chainrisk alert about a healthy demo daemon", func() (bool, string) {
		alerts, err := promQuery(prom, `ALERTS{alertname=~"Chainrisk.+"}`)
		return err == nil && len(alerts) == 0, fmt.Sprintf("%v %v", alerts, err)
	})

	// Every dashboard query is valid PromQL; the overview's gauges have data.
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$leader", leaders[0].Metric["leader"], "$instance", ".*")
	labelValues := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`)
	for _, d := range loadDashboards(t) {
		for _, q := range d.queries() {
			expr := vars.Replace(q.expr)
			if m := labelValues.FindStringSubmatch(expr); m != nil {
				expr = fmt.Sprintf("count by (%s) (%s)", m[2], m[1])
			}
			if strings.Contains(expr, "$") {
				t.Errorf("%s: unknown variable in %q", q.where, q.expr)
				continue
			}
			res, err := promQuery(prom, expr)
			if err != nil {
				t.Errorf("%s: %q: %v", q.where, expr, err)
				continue
			}
			if str(d.raw["uid"]) == "chainrisk-overview" && !strings.Contains(expr, "[") && len(res) == 0 {
				t.Errorf("%s: no data for %q", q.where, expr)
			}
		}
	}
}
