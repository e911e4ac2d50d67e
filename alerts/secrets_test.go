package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// TestSecretsNeverLeak drives every channel through every failure we know — answers
// that echo the secrets back included — and searches everything the package produced
// (logs at debug level, errors, results, the notifiers printed) for the secrets.
func TestSecretsNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	var said []string
	note := func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }

	// echo is what a careless receiver might quote back: the request's URL (key, token,
	// signature), its basic-auth password and the channel's secrets.
	echo := func(kind string, r *http.Request) string {
		_, pw, _ := r.BasicAuth()
		return strings.Join(append(secretsOf(kind), r.URL.String(), r.URL.RawQuery, pw), " ")
	}
	handlers := map[string]func(kind string) func(http.ResponseWriter, *http.Request, []byte){
		"500 echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Error(w, "bad request to "+echo(kind, r), 500)
			}
		},
		"404 echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) { http.Error(w, echo(kind, r), 404) }
		},
		"429": func(string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(429)
			}
		},
		"redirect": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Redirect(w, r, "http://127.0.0.1:1/x?"+url.QueryEscape(echo(kind, r)), http.StatusFound)
			}
		},
		"hang": func(string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() }
		},
		"huge echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.WriteHeader(500)
				w.Write(bytes.Repeat([]byte(echo(kind, r)+" "), 5000))
			}
		},
		"vendor error echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				msg, _ := json.Marshal("invalid request, hint: " + echo(kind, r))
				switch kind {
				case config.ChannelWeCom:
					answer(200, `{"errcode":93000,"errmsg":`+string(msg)+`}`)(w, r, nil)
				case config.ChannelDingTalk:
					answer(200, `{"errcode":310000,"errmsg":`+string(msg)+`}`)(w, r, nil)
				case config.ChannelFeishu:
					answer(200, `{"code":19021,"msg":`+string(msg)+`}`)(w, r, nil)
				default:
					answer(400, `{"error":`+string(msg)+`}`)(w, r, nil)
				}
			}
		},
	}
	kinds := []string{config.ChannelWebhook, config.ChannelAlertmanager, config.ChannelWeCom, config.ChannelDingTalk, config.ChannelFeishu}
	for name, h := range handlers {
		for _, kind := range kinds {
			rv := newReceiver(t, nil, h(kind))
			opts := testOptions(t, newFakeClock(), &logs)
			opts.Timeout = 50 * time.Millisecond
			nt := mustNotifier(t, testChannel(kind, rv.URL), opts)
			note("%v %+v %#v", nt, nt, nt)
			for _, r := range nt.Send(context.Background(), batch3("zh")) {
				if r.Err == nil {
					t.Errorf("%s %s: no error", name, kind)
					continue
				}
				note("%s %s: %v %+v %#v %s", name, kind, r.Err, r, r, r.Code)
			}
		}
	}
	// A receiver that is gone, and a rate limit that holds.
	gone := newReceiver(t, nil, answer(200, ""))
	base := gone.URL
	gone.Close()
	for _, kind := range kinds {
		opts := testOptions(t, newFakeClock(), &logs)
		opts.RateLimits = config.RateLimitsConfig{Webhook: wecomRates, Alertmanager: wecomRates, WeCom: wecomRates, DingTalk: wecomRates, Feishu: wecomRates}
		nt := mustNotifier(t, testChannel(kind, base), opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for range 22 {
			for _, r := range nt.Send(ctx, []*Notification{firingDowngrade("en")}) {
				note("gone %s: %v %+v", kind, r.Err, r)
			}
		}
		cancel()
	}
	// Channels refused at construction.
	for _, kind := range kinds {
		ch := testChannel(kind, "ftp://hooks.example.com")
		_, err := NewNotifier(ch, Options{})
		note("%v", err)
		ch = testChannel(kind, "https://hooks.example.com")
		_, err = NewNotifier(ch, Options{HostAllowed: config.AlertsConfig{WebhookAllowlist: []string{"*.internal"}}.HostAllowed})
		note("%v", err)
		if err == nil {
			t.Errorf("%s: a host off the allow-list was accepted", kind)
		}
	}
	_, err := NewNotifier(config.Channel{Type: "webhook", URL: config.Secret("https://h.example.com/x?token=" + webhookToken)}, Options{})
	note("%v", err)
	_, err = NewNotifier(config.Channel{Type: "webhook", URL: config.Secret("https://h.example.com/%zz" + webhookToken), Secret: webhookSecret}, Options{})
	note("%v", err)

	everything := logs.String() + "\n" + strings.Join(said, "\n")
	for _, s := range testSecrets {
		if i := strings.Index(everything, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, everything[max(0, i-200):min(len(everything), i+100)])
		}
	}
	if !strings.Contains(everything, config.Redacted) || !strings.Contains(logs.String(), `"destination"`) {
		t.Error("the test did not exercise what it meant to")
	}
}

func TestNewNotifierValidation(t *testing.T) {
	allow := config.AlertsConfig{WebhookAllowlist: []string{"qyapi.weixin.qq.com", "*.example.com"}}.HostAllowed
	for _, tc := range []struct {
		name string
		ch   config.Channel
		opts Options
		want string // "" = accepted
	}{
		{"log", config.Channel{Type: "log"}, Options{}, ""},
		{"wecom", config.Channel{Type: "wecom", URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey}, Options{HostAllowed: allow}, ""},
		{"allow-list subdomain", config.Channel{Type: "webhook", URL: "https://hooks.example.com/x", Secret: "s"}, Options{HostAllowed: allow}, ""},
		{"allow-list refuses", config.Channel{Type: "webhook", URL: "https://evil.test/x", Secret: "s"}, Options{HostAllowed: allow}, `host "evil.test" is not allowed`},
		{"scheme", config.Channel{Type: "wecom", URL: "file:///etc/passwd"}, Options{}, "scheme must be http or https"},
		{"no host", config.Channel{Type: "feishu", URL: "https:///hook/x", Secret: "s"}, Options{}, "URL has no host"},
		{"missing url", config.Channel{Type: "dingtalk", Secret: "s"}, Options{}, "dingtalk channel: url: required"},
		{"webhook without secret", config.Channel{Type: "webhook", URL: "https://h.example.com"}, Options{}, "secret is required"},
		{"alertmanager without urls", config.Channel{Type: "alertmanager"}, Options{}, "at least one URL"},
		{"alertmanager bad url", config.Channel{Type: "alertmanager", URLs: []config.Secret{"https://am.example.com", "gopher://am2.example.com"}}, Options{}, "urls[1]"},
		{"unknown type", config.Channel{Type: "pager"}, Options{}, `unknown channel type "pager"`},
		{"feishu message type", config.Channel{Type: "feishu", URL: "https://open.feishu.cn/open-apis/bot/v2/hook/x", Secret: "s"}, Options{FeishuMessage: "sticker"}, "post, interactive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewNotifier(tc.ch, tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestAlertmanagerAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://am:9093":                     "http://am:9093/api/v2/alerts",
		"http://am:9093/":                    "http://am:9093/api/v2/alerts",
		"https://h/alertmanager":             "https://h/alertmanager/api/v2/alerts",
		"https://h/am/api/v2/alerts":         "https://h/am/api/v2/alerts",
		"http://am:9093/api/v2/alerts/":      "http://am:9093/api/v2/alerts/",
		"https://proxy/k%2Fey+1/":            "https://proxy/k%2Fey+1/api/v2/alerts",
		"https://proxy/k%2Fey/api/v2/alerts": "https://proxy/k%2Fey/api/v2/alerts",
	} {
		got, err := alertmanagerAPI(config.Secret(in))
		if err != nil || got.Reveal() != want {
			t.Errorf("%s: got %s, %v; want %s", in, got.Reveal(), err, want)
		}
	}
}

// secretsOf lists the secrets of a test channel of kind.
func secretsOf(kind string) []string {
	switch kind {
	case config.ChannelWebhook:
		return []string{webhookSecret, webhookToken}
	case config.ChannelAlertmanager:
		return []string{amPassword}
	case config.ChannelWeCom:
		return []string{wecomKey}
	case config.ChannelDingTalk:
		return []string{dingtalkToken, dingtalkSecret}
	case config.ChannelFeishu:
		return []string{feishuToken, feishuSecret}
	}
	return nil
}
