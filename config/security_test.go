package config_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
)

// secKey rides in every channel URL below: no error may quote it.
const secKey = "CFGKEY-52e0b7"

// secChannelURLs are channel URLs and why a config with alerts.webhook_allowlist
// [hooks.example.com, "*.example.org", 203.0.113.7, "*.1"] refuses them ("" = accepted).
var secChannelURLs = []struct{ url, why string }{
	{"file:///etc/passwd?key=" + secKey, `scheme must be http or https, got "file"`},
	{"gopher://hooks.example.com/x?key=" + secKey, `scheme must be http or https, got "gopher"`},
	{"javascript:alert(1)//" + secKey, `scheme must be http or https, got "javascript"`},
	{"ftp://hooks.example.com/x?key=" + secKey, `scheme must be http or https, got "ftp"`},
	{"hooks.example.com/x?key=" + secKey, `scheme must be http or https, got ""`},
	{"//hooks.example.com/x?key=" + secKey, `scheme must be http or https, got ""`},
	{"https:hooks.example.com/" + secKey, "URL has no host"},
	{"https://hooks.example.com\t/x?key=" + secKey, "not a valid URL"},
	{"https://evil.test/x?key=" + secKey, `host "evil.test" is not allowed by alerts.webhook_allowlist`},
	// A suffix pattern matches subdomains only: not a name that merely ends alike,
	// nor the domain itself.
	{"https://evilexample.org/x?key=" + secKey, `host "evilexample.org" is not allowed`},
	{"https://example.org/x?key=" + secKey, `host "example.org" is not allowed`},
	{"https://hooks.example.com.evil.test/x?key=" + secKey, `host "hooks.example.com.evil.test" is not allowed`},
	// Userinfo and fragments cannot smuggle an allowed name in front of another host.
	{"https://hooks.example.com@evil.test/x?key=" + secKey, `host "evil.test" is not allowed`},
	{"https://hooks.example.com%2F@evil.test/x?key=" + secKey, `host "evil.test" is not allowed`},
	{"https://evil.test#@hooks.example.com/" + secKey, `host "evil.test" is not allowed`},
	// IP literals: listed ones only; a suffix pattern never matches an address.
	{"https://127.0.0.1/x?key=" + secKey, `host "127.0.0.1" is not allowed`},
	{"https://10.0.0.1:8443/x?key=" + secKey, `host "10.0.0.1" is not allowed`},
	{"http://[::1]:8080/x?key=" + secKey, `host "::1" is not allowed`},
	// User info is refused whatever the host: it would go out as Basic auth.
	{"https://chainrisk:" + secKey + "@hooks.example.com/x", "user info (name:password@) is not allowed in a channel URL"},
	{"https://" + secKey + "@hooks.example.com/x", "user info (name:password@) is not allowed in a channel URL"},
	{"https://@hooks.example.com/x?key=" + secKey, "user info (name:password@) is not allowed in a channel URL"},
	{"https://203.0.113.7/x?key=" + secKey, ""},
	{"https://hooks.example.com/x?key=" + secKey, ""},
	{"HTTPS://HOOKS.Example.COM/x?key=" + secKey, ""},
	{"https://hooks.example.com./x?key=" + secKey, ""},
	{"https://a.b.example.org:8443/x?key=" + secKey, ""},
	{"http://HOOKS.EXAMPLE.ORG./x?key=" + secKey, ""},
}

// secConfig is a config file with one subscription whose only channel is ch (YAML in
// JSON's syntax, which YAML reads).
func secConfig(allowlist []string, ch map[string]any) []byte {
	doc := map[string]any{"alerts": map[string]any{
		"webhook_allowlist": allowlist,
		"subscriptions": []any{map[string]any{"name": "s", "subscriber": "g", "scope": map[string]any{"kind": "all"},
			"channels": []any{ch}}},
	}}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

// Every channel type's URL in a config file: schemes other than http and https, no
// host, and hosts alerts.webhook_allowlist does not accept are refused with the field
// and the reason, never quoting the URL's key; allowed hosts pass whatever their case
// or trailing dot.
func TestChannelURLsInConfigFiles(t *testing.T) {
	allow := []string{"hooks.example.com", "*.example.org", "203.0.113.7", "*.1"}
	for _, tc := range secChannelURLs {
		for _, typ := range []string{notify.TypeWebhook, notify.TypeWeCom, notify.TypeDingTalk, notify.TypeFeishu,
			notify.TypeAlertmanager} {
			ch := map[string]any{"type": typ, "url": tc.url, "secret": "s"}
			field := "alerts.subscriptions[0].channels[0].url"
			switch typ {
			case notify.TypeWeCom:
				delete(ch, "secret")
			case notify.TypeAlertmanager:
				ch = map[string]any{"type": typ, "urls": []string{"https://hooks.example.com:9093", tc.url}}
				field = "alerts.subscriptions[0].channels[0].urls[1]"
			}
			_, err := config.Parse(secConfig(allow, ch), "sec.yaml")
			switch {
			case tc.why == "" && err != nil:
				t.Errorf("%s %s: refused: %v", typ, tc.url, err)
			case tc.why != "" && (err == nil || !strings.Contains(err.Error(), field+": "+tc.why)):
				t.Errorf("%s %s: %v, want %s: %s", typ, tc.url, err, field, tc.why)
			}
			if err != nil && strings.Contains(err.Error(), secKey) {
				t.Errorf("%s %s: the error quotes the key: %v", typ, tc.url, err)
			}
		}
	}
	// Without an allow-list any host goes, but the scheme is still checked.
	if _, err := config.Parse(secConfig(nil, map[string]any{"type": "webhook", "url": "https://evil.test/x", "secret": "s"}), "sec.yaml"); err != nil {
		t.Errorf("no allow-list: %v", err)
	}
	if _, err := config.Parse(secConfig(nil, map[string]any{"type": "webhook", "url": "file:///etc/passwd", "secret": "s"}), "sec.yaml"); err == nil {
		t.Error("no allow-list: a file: URL was accepted")
	}
	if _, err := config.Parse(secConfig(nil, map[string]any{"type": "webhook", "url": "https://u:p@evil.test/x", "secret": "s"}), "sec.yaml"); err == nil ||
		!strings.Contains(err.Error(), "user info") {
		t.Errorf("no allow-list: user info: %v", err)
	}
}

// PrivateTargetAllowed matches the URL's host against the names and addresses of
// alerts.allow_private_targets, and the dialled address against its ranges and
// addresses (IPv4-mapped ones as IPv4).
func TestPrivateTargetAllowed(t *testing.T) {
	a := config.AlertsConfig{AllowPrivateTargets: []string{"10.20.0.0/16", "192.0.2.10", "fd00:1::/64", "alertmanager.internal",
		"*.svc.cluster.local"}}
	for _, tc := range []struct {
		host, ip string // ip "": not dialled yet
		want     bool
	}{
		{"alertmanager.internal", "", true},
		{"ALERTMANAGER.internal.", "", true},
		{"am.monitoring.svc.cluster.local", "", true},
		{"svc.cluster.local", "", false},
		{"evil.test", "10.20.5.6", true}, // a name resolving into an allowed range
		{"evil.test", "10.21.0.1", false},
		{"evil.test", "::ffff:10.20.0.1", true},
		{"10.20.0.1", "", false}, // as a host name: ranges apply to addresses
		{"10.20.0.1", "10.20.0.1", true},
		{"192.0.2.10", "", true},
		{"evil.test", "192.0.2.10", true},
		{"evil.test", "192.0.2.11", false},
		{"evil.test", "fd00:1::5", true},
		{"evil.test", "fd00:2::5", false},
		{"evil.test", "127.0.0.1", false},
		{"localhost", "127.0.0.1", false},
	} {
		var ip netip.Addr
		if tc.ip != "" {
			ip = netip.MustParseAddr(tc.ip)
		}
		if got := a.PrivateTargetAllowed(tc.host, ip); got != tc.want {
			t.Errorf("PrivateTargetAllowed(%q, %q) = %v, want %v", tc.host, tc.ip, got, tc.want)
		}
	}
	if (config.AlertsConfig{}).PrivateTargetAllowed("localhost", netip.MustParseAddr("127.0.0.1")) {
		t.Error("an empty list allows something")
	}
}

// The allow-list's own patterns are checked: a host name, an IP address or
// *.domain, nothing else.
func TestAllowlistPatterns(t *testing.T) {
	for _, p := range []string{"*", "*.", "*example.com", "*.*.example.com", "https://hooks.example.com", "hooks.example.com/x",
		"hooks.example.com.", "user@hooks.example.com", "hooks example.com", ""} {
		_, err := config.Parse(secConfig([]string{"hooks.example.com", p}, map[string]any{"type": "log"}), "sec.yaml")
		if want := fmt.Sprintf("alerts.webhook_allowlist[1]: %q is not a host name or a *.domain pattern", p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("pattern %q: %v", p, err)
		}
	}
	for _, p := range []string{"hooks.example.com", "*.example.com", "203.0.113.7", "HOOKS.Example.com", "*.corp-1.example.com"} {
		if _, err := config.Parse(secConfig([]string{p}, map[string]any{"type": "log"}), "sec.yaml"); err != nil {
			t.Errorf("pattern %q: %v", p, err)
		}
	}
	a := config.AlertsConfig{WebhookAllowlist: []string{"*.0.1", "*.example.com", "192.0.2.10"}}
	for host, want := range map[string]bool{"10.0.0.1": false, "127.0.0.1": false, "192.0.2.10": true, "192.0.2.100": false,
		"a.example.com": true, "A.EXAMPLE.COM.": true, "example.com": false, "evilexample.com": false, "::1": false} {
		if got := a.HostAllowed(host); got != want {
			t.Errorf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}
