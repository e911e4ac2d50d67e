package notify

import (
	"strings"
	"testing"
)

func TestNewValidation(t *testing.T) {
	allow := func(h string) bool { return h == "qyapi.weixin.qq.com" || strings.HasSuffix(h, ".example.com") }
	for _, tc := range []struct {
		name string
		ch   Channel
		opts Options
		want string // "" = accepted
	}{
		{"log", Channel{Type: "log"}, Options{}, ""},
		{"wecom", Channel{Type: "wecom", URL: secret("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey)}, Options{HostAllowed: allow}, ""},
		{"allow-list subdomain", Channel{Type: "webhook", URL: secret("https://hooks.example.com/x"), Secret: secret("s")}, Options{HostAllowed: allow}, ""},
		{"allow-list refuses", Channel{Type: "webhook", URL: secret("https://evil.test/x"), Secret: secret("s")}, Options{HostAllowed: allow}, `host "evil.test" is not allowed`},
		{"scheme", Channel{Type: "wecom", URL: secret("file:///etc/passwd")}, Options{}, "scheme must be http or https"},
		{"no host", Channel{Type: "feishu", URL: secret("https:///hook/x"), Secret: secret("s")}, Options{}, "URL has no host"},
		{"missing url", Channel{Type: "dingtalk", Secret: secret("s")}, Options{}, "dingtalk channel: url: required"},
		{"webhook without secret", Channel{Type: "webhook", URL: secret("https://h.example.com")}, Options{}, "secret is required"},
		{"alertmanager without urls", Channel{Type: "alertmanager"}, Options{}, "at least one URL"},
		{"alertmanager bad url", Channel{Type: "alertmanager", URLs: secrets("https://am.example.com", "gopher://am2.example.com")}, Options{}, "urls[1]"},
		{"unknown type", Channel{Type: "pager"}, Options{}, `unknown channel type "pager"`},
		{"feishu message type", Channel{Type: "feishu", URL: secret("https://open.feishu.cn/open-apis/bot/v2/hook/x"), Secret: secret("s")}, Options{FeishuMessage: "sticker"}, "post, interactive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.ch, tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// Every channel type is registered once, names itself, and — unless it delivers
// inside the process or by mail — has the fixtures the tests common to every HTTP
// channel need, in its own test file.
func TestEveryChannelTested(t *testing.T) {
	if registered != len(kinds) {
		t.Errorf("%d registrations for %d channel types: a type is registered twice", registered, len(kinds))
	}
	for _, typ := range Types() {
		k, _ := Lookup(typ)
		if k.Type != typ || k.Name == "" || k.build == nil {
			t.Errorf("%s: incomplete kind %+v", typ, k)
		}
		if tk, ok := testKinds[typ]; !k.Local && !k.Mail && (!ok || tk.channel == nil || tk.ok == nil || tk.refuse == nil || len(tk.secrets) == 0) {
			t.Errorf("%s has no complete testKind: register one in its test file", typ)
		}
	}
}
