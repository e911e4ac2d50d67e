package daemon_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/tokens"
)

// The secrets of TestSecretsNeverLeak. Several hold characters a URL escapes, so that
// their escaped forms are searched for too.
const (
	secPGPassword  = "PGPW/3b9e+71c=d2"
	secHookSecret  = "HOOKSEC-1f0b5e93a7"
	secHookKey     = "HOOKKEY/84c1+e2="
	secWeComKey    = "WECOMKEY-90d3f2a6c1+x"
	secDTToken     = "DTTOKEN/5a7c0e9f1b"
	secDTSecret    = "SECDT-2b8e6f0a4c"
	secFSToken     = "FSHOOK-7e3a9c1d5b2f0468"
	secFSSecret    = "FSSEC-c4a2e0b8d6"
	secAMPassword  = "AMPW/0e6c2a8f+4"
	secSourceToken = "SRCTOKEN-6d1f9b3e7a"
	secSourceKey   = "SRCKEY/a5c3e1f7b9"
	secAPIHookKey  = "APIKEY/3c5e7a9b+1"
	secAPISecret   = "APISEC-8f6d4b2a0c"
	secAPIWeComKey = "APIWECOM-71b3d5f9e2"
)

// secForms are the ways a secret may be written: as is, and escaped for a query, a
// path and a URL's user info.
func secForms(s string) []string {
	ui := url.UserPassword("u", s).String()
	return slices.Compact(slices.Sorted(slices.Values([]string{s, url.QueryEscape(s), url.PathEscape(s), ui[2:]})))
}

// secConfigFile writes the daemon's config file: a PostgreSQL URL with a password,
// every channel type with its keys and secrets (the webhook to a receiver that echoes
// what it gets, the others to a closed port), and an http source with a token and a
// key in its URL. broken adds mistakes that make the file invalid.
func secConfigFile(t *testing.T, path, dsn, echo string, base int, broken bool) {
	t.Helper()
	closed := "http://127.0.0.1:1"
	channels := []map[string]any{
		{"type": "webhook", "url": echo + "/hook?key=" + url.QueryEscape(secHookKey), "secret": secHookSecret},
		{"type": "wecom", "url": closed + "/cgi-bin/webhook/send?key=" + url.QueryEscape(secWeComKey)},
		{"type": "dingtalk", "url": closed + "/robot/send?access_token=" + url.QueryEscape(secDTToken), "secret": secDTSecret},
		{"type": "feishu", "url": closed + "/open-apis/bot/v2/hook/" + url.PathEscape(secFSToken), "secret": secFSSecret},
		// Behind a proxy that takes a key in its path (user info is refused).
		{"type": "alertmanager", "urls": []string{"http://127.0.0.1:1/" + url.PathEscape(secAMPassword) + "/"}},
	}
	storeCfg := map[string]any{"database_url": dsn}
	// The tenant's subscription below posts to loopback: allowed here by name.
	alertsCfg := map[string]any{"allow_private_targets": []string{"127.0.0.1"},
		"subscriptions": []any{map[string]any{"name": "sec-all", "subscriber": "ops",
			"scope": map[string]any{"kind": "all"}, "channels": channels}}}
	doc := map[string]any{
		"store":  storeCfg,
		"model":  map[string]any{"base": base},
		"alerts": alertsCfg,
		"sources": []any{map[string]any{"name": "feed", "kind": "http", "data": "events", "schedule": "@every 1s",
			"url": echo + "?apikey=" + url.QueryEscape(secSourceKey), "token": secSourceToken}},
	}
	if broken {
		storeCfg["database_url"] = "mysql://root:" + url.QueryEscape(secPGPassword) + "@db:3306/chainrisk"
		alertsCfg["subscriptionz"] = []any{}
		channels[0]["url"] = "gopher://hooks.example.com/x?key=" + url.QueryEscape(secHookKey)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// secExchange is one request and what came back.
type secExchange struct {
	what   string
	status int
	header http.Header
	body   string
}

// TestSecretsNeverLeak runs the daemon with a config full of distinctive secrets and
// logs at debug level, exercises it — start, /metrics, every GET route of the OpenAPI
// document, subscriptions made and read through the API with secrets in their bodies,
// failing deliveries to channel URLs that carry keys (one receiver echoing everything
// back), a failing http source with a token, a reload with an invalid then a valid
// file, refused credentials — then searches the logs, every answer's body and
// headers, /metrics, the operator's stdout and the outbox's last errors for each
// secret and its URL-escaped forms.
func TestSecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		http.Error(w, "refused "+r.URL.String()+" auth="+r.Header.Get("Authorization")+" sig="+r.Header.Get("X-Chainrisk-Signature"), 500)
	}))
	defer echo.Close()

	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secPGPassword)
	dsn := u.String()
	dir := t.TempDir()
	file := filepath.Join(dir, "chainrisk.yaml")
	secConfigFile(t, file, dsn, echo.URL, 800, false)
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = dir

	log, logs := testlog.Text(slog.LevelDebug)
	var stdout testlog.Buffer
	reload := make(chan struct{})
	runCtx, cancel := context.WithCancel(ctx)
	d, err := daemon.New(runCtx, daemon.Options{Config: cfg, ConfigFile: file, Demo: true, Listen: "127.0.0.1:0", Reload: reload,
		Stdout: &stdout, Logger: log})
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	defer stop()
	base := "http://" + d.Addr()
	secWait(t, 20*time.Second, "ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	// The demo printed its admin token for the operator, last of the start-up: it is a
	// secret everywhere else.
	secWait(t, 20*time.Second, "the token hand-over", func() bool { return stdout.Contains("export CHAINRISK_TOKEN=") })
	demoToken := regexp.MustCompile(tokens.Prefix + `[A-Za-z0-9_-]{43}`).FindString(stdout.String())
	if demoToken == "" {
		t.Fatalf("no demo token printed: %q", stdout.String())
	}
	// Its file in the data directory is the owner's alone.
	tokenFile := filepath.Join(dir, daemon.TokenFileName)
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file %s: %v, %v; want mode 0600", tokenFile, fi, err)
	} else if b, _ := os.ReadFile(tokenFile); string(b) != demoToken+"\n" {
		t.Errorf("token file %s does not hold the printed token", tokenFile)
	}
	st := d.State()
	leader := st.Snap.IDs[st.Leaders[0]]
	admin, _, err := tokens.Create(ctx, d.Store(), "sec-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	tenant, _, err := tokens.Create(ctx, d.Store(), "sec-tenant", tokens.RoleTenant, leader)
	if err != nil {
		t.Fatal(err)
	}

	var seen []secExchange
	do := func(what, method, path, token, ctype, body string, header map[string]string) secExchange {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		x := secExchange{what: what + " " + method + " " + path, status: resp.StatusCode, header: resp.Header, body: string(b)}
		seen = append(seen, x)
		return x
	}
	must := func(x secExchange, status int) secExchange {
		t.Helper()
		if x.status != status {
			t.Errorf("%s: %d, want %d: %.300s", x.what, x.status, status, x.body)
		}
		return x
	}

	// Subscriptions through the API, secrets in the bodies; a new alert in the tenant's
	// chain then goes to them (and fails: the URLs lead nowhere).
	subBody := func(name string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "subscriber": "procurement",
			"scope": map[string]any{"kind": "chain", "leader": leader}, "min_severity": "info",
			"channels": []any{
				map[string]any{"type": "webhook", "url": "http://127.0.0.1:1/api-hook?key=" + url.QueryEscape(secAPIHookKey), "secret": secAPISecret},
				map[string]any{"type": "wecom", "url": "http://127.0.0.1:1/cgi-bin/webhook/send?key=" + secAPIWeComKey}}})
		return string(b)
	}
	must(do("tenant subscribes", "POST", "/api/v1/subscriptions", tenant, "application/json", subBody("sec-tenant-sub"), nil), 201)
	// The admin's goes elsewhere: one destination's notifications queue behind each other.
	adminSub := strings.Replace(subBody("sec-admin-sub"), `"kind":"chain","leader":"`+leader+`"`, `"kind":"all"`, 1)
	adminSub = strings.ReplaceAll(adminSub, "127.0.0.1:1/", "127.0.0.1:2/")
	must(do("admin subscribes", "POST", "/api/v1/subscriptions", admin, "application/json", adminSub, nil), 201)
	must(do("tenant replaces", "PUT", "/api/v1/subscriptions/sec-tenant-sub", tenant, "application/json", subBody("sec-tenant-sub"), nil), 200)
	must(do("a bad subscription", "POST", "/api/v1/subscriptions", tenant, "application/json",
		strings.Replace(subBody("sec-bad"), "http://127.0.0.1:1/api-hook", "gopher://127.0.0.1:1/api-hook", 1), nil), 400)
	var firm string
	for _, v := range st.Leaders[1:] {
		firm = st.Snap.IDs[v]
	}
	csv := "event_id,uscc,type,occurred_at\nSEC-1," + leader + ",bankruptcy," + time.Now().AddDate(0, 0, -1).Format("2006-01-02") +
		"\nSEC-2," + firm + ",bankruptcy," + time.Now().AddDate(0, 0, -1).Format("2006-01-02") + "\n"
	must(do("ingest", "POST", "/api/v1/events", admin, "text/csv", csv, nil), 200)

	// Every GET route of the OpenAPI document, as admin, as the tenant and without a token.
	var alertID string
	var alertList struct{ Alerts []struct{ ID string } }
	secWait(t, 20*time.Second, "alerts listed", func() bool {
		x := do("alerts", "GET", "/api/v1/alerts?limit=5", admin, "", "", nil)
		_ = json.Unmarshal([]byte(x.body), &alertList)
		return len(alertList.Alerts) > 0
	})
	alertID = alertList.Alerts[0].ID
	var scan struct{ ID int64 }
	_ = json.Unmarshal([]byte(must(do("rescan", "POST", "/api/v1/rescans", admin, "application/json", `{"scope":"all"}`, nil), 202).body), &scan)
	var sil struct{ ID string }
	_ = json.Unmarshal([]byte(must(do("silence", "POST", "/api/v1/silences", admin, "application/json",
		`{"matchers":[{"name":"rule","op":"=","value":"stale_data"}],"duration":"1h","comment":"sec"}`, nil), 201).body), &sil)
	must(do("ack", "POST", "/api/v1/alerts/"+alertID+"/ack", admin, "", "", nil), 200)
	must(do("stress", "POST", "/api/v1/stress", admin, "application/json", `{"shocks":[{"uscc":"`+leader+`"}]}`, nil), 200)
	var check struct{ ID int64 }
	_ = json.Unmarshal([]byte(must(do("check", "POST", "/api/v1/checks", admin, "application/json", `{"uscc":"`+leader+`"}`, nil), 201).body), &check)
	doc, err := os.ReadFile(filepath.Join("..", "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		t.Fatal(err)
	}
	gets := 0
	for path, ops := range spec.Paths {
		if _, ok := ops["get"]; !ok {
			continue
		}
		gets++
		p := strings.NewReplacer("{uscc}", leader, "{leader}", leader, "{name}", "sec-tenant-sub").Replace(path)
		switch {
		case strings.HasPrefix(path, "/api/v1/rescans/"):
			p = strings.Replace(p, "{id}", fmt.Sprint(scan.ID), 1)
		case strings.HasPrefix(path, "/api/v1/alerts/"):
			p = strings.Replace(p, "{id}", alertID, 1)
		case strings.HasPrefix(path, "/api/v1/silences/"):
			p = strings.Replace(p, "{id}", sil.ID, 1)
		case strings.HasPrefix(path, "/api/v1/checks/"):
			p = strings.Replace(p, "{id}", fmt.Sprint(check.ID), 1)
		case path == "/api/v1/esri":
			p += "?leader=" + leader
		case path == "/api/v1/lists/{name}":
			p = "/api/v1/lists/discipline"
		}
		if x := do("admin", "GET", p, admin, "", "", nil); x.status != 200 {
			t.Errorf("%s: %d %.200s", x.what, x.status, x.body)
		}
		do("tenant", "GET", p, tenant, "", "", nil)
		do("no token", "GET", p, "", "", "", nil)
	}
	for _, p := range []string{"/api/v1/subscriptions/sec-all", "/api/v1/subscriptions/sec-admin-sub", "/api/v1/deliveries?limit=1000",
		"/api/v1/deliveries?state=dead", "/healthz", "/readyz", "/metrics"} {
		must(do("admin", "GET", p, admin, "", "", nil), 200)
	}
	if gets < 15 {
		t.Errorf("only %d GET routes in the OpenAPI document", gets)
	}

	// Refused credentials: a bad token, the token in the query or another header.
	for _, x := range []secExchange{
		do("bad token", "GET", "/api/v1/leaders", tokens.Prefix+strings.Repeat("Z", 43), "", "", nil),
		do("token in the query", "GET", "/api/v1/leaders?access_token="+admin+"&token="+url.QueryEscape(secSourceToken), "", "", "", nil),
		do("token in another header", "GET", "/api/v1/leaders", "", "", "", map[string]string{"X-Api-Key": admin}),
		do("basic auth", "GET", "/api/v1/leaders", "", "", "", map[string]string{"Authorization": "Basic " +
			base64.StdEncoding.EncodeToString([]byte("admin:"+admin))}),
		do("secret as a token", "GET", "/api/v1/leaders", secHookSecret, "", "", nil),
	} {
		must(x, 401)
	}

	// Deliveries fail on every channel, with errors about URLs that carry keys.
	var failed []store.OutboxEntry
	var missing []string
	defer func() {
		if len(missing) > 0 {
			t.Logf("channels without a failed delivery: %v", missing)
		}
	}()
	secWait(t, 30*time.Second, "a failed delivery on every channel", func() bool {
		list, err := d.Store().Deliveries(ctx, store.DeliveryFilter{Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		failed = failed[:0]
		for _, o := range list {
			if o.LastError != "" {
				kinds[o.Subscription+"/"+o.ChannelType] = true
				failed = append(failed, o)
			}
		}
		missing = missing[:0]
		for _, k := range []string{"sec-all/webhook", "sec-all/wecom", "sec-all/dingtalk", "sec-all/feishu", "sec-all/alertmanager",
			"sec-tenant-sub/webhook", "sec-tenant-sub/wecom", "sec-admin-sub/webhook"} {
			if !kinds[k] {
				missing = append(missing, k)
			}
		}
		return len(missing) == 0
	})
	must(do("deliveries", "GET", "/api/v1/deliveries?limit=1000", admin, "", "", nil), 200)
	must(do("tenant deliveries", "GET", "/api/v1/deliveries?limit=1000", tenant, "", "", nil), 200)

	// The source failed against the echoing server.
	secWait(t, 20*time.Second, "the http source failing", func() bool {
		return logs.Contains("cron job failed") && logs.Contains("feed")
	})

	// Reload: an invalid file (its mistakes next to the secrets) is refused, a valid one taken.
	secConfigFile(t, file, dsn, echo.URL, 800, true)
	reload <- struct{}{}
	secWait(t, 10*time.Second, "the invalid reload refused", func() bool {
		return logs.Contains("config reload failed")
	})
	secConfigFile(t, file, dsn, echo.URL, 850, false)
	reload <- struct{}{}
	secWait(t, 10*time.Second, "the valid reload taken", func() bool { return d.Config().Model.Base == 850 })
	metrics := must(do("metrics", "GET", "/metrics", "", "", "", nil), 200)
	if !strings.Contains(metrics.body, "chainrisk_config_reload_success 1") {
		t.Error("the reload is not in /metrics")
	}
	stop()

	// Everything the daemon said, searched for every secret.
	secrets := map[string]string{
		"database password": secPGPassword, "webhook secret": secHookSecret, "webhook key": secHookKey, "WeCom key": secWeComKey,
		"DingTalk token": secDTToken, "DingTalk secret": secDTSecret, "Feishu hook": secFSToken, "Feishu secret": secFSSecret,
		"Alertmanager password": secAMPassword, "source token": secSourceToken, "source key": secSourceKey,
		"API webhook key": secAPIHookKey, "API webhook secret": secAPISecret, "API WeCom key": secAPIWeComKey,
		"admin token": admin, "tenant token": tenant, "demo token": demoToken,
	}
	type place struct{ name, text string }
	places := []place{{"the logs", logs.String()}}
	for _, x := range seen {
		places = append(places, place{"the answer to " + x.what, fmt.Sprint(x.header) + "\n" + x.body})
	}
	for _, o := range failed {
		places = append(places, place{"last_error of " + o.Subscription + "/" + o.ChannelType, o.LastError})
	}
	out := strings.Replace(stdout.String(), demoToken, "<demo token>", -1)
	places = append(places, place{"stdout", out})
	for what, s := range secrets {
		for _, form := range secForms(s) {
			for _, p := range places {
				if i := strings.Index(p.text, form); i >= 0 {
					t.Errorf("the %s (%q) is in %s: …%s…", what, form, p.name, p.text[max(0, i-150):min(len(p.text), i+len(form)+50)])
				}
			}
		}
	}
	// The test saw what it meant to: errors naming the channels' hosts, redacted.
	if !logs.Contains("127.0.0.1:1/<redacted>") || len(failed) < 8 || len(seen) < 60 {
		t.Errorf("the daemon was not exercised as planned: %d failures, %d answers", len(failed), len(seen))
	}
}

func secWait(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
