package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

func TestSignatureVectors(t *testing.T) {
	// Vectors from the integrations reference (DingTalk, Feishu), confirmed with
	//   printf '%s' $'1700000000000\nSEC0123456789abcdef' | openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
	//   → TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=
	//   printf '' | openssl dgst -sha256 -hmac $'1599360473\ntest-secret' -binary | base64
	//   → wSds2BzzFIIGf/WrhUO+NI1q/9j+FRJd3JNHKAq0NZY=
	if got, want := dingtalkSign("SEC0123456789abcdef", 1700000000000), "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="; got != want {
		t.Errorf("dingtalkSign = %s, want %s", got, want)
	}
	if got, want := feishuSign("test-secret", 1599360473), "wSds2BzzFIIGf/WrhUO+NI1q/9j+FRJd3JNHKAq0NZY="; got != want {
		t.Errorf("feishuSign = %s, want %s", got, want)
	}
	// $ printf '%s' '1700000000.{"id":"n1"}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789'
	// SHA2-256(stdin)= f629bf5a362511e72e550bdbdbccdf2fdd2d0217d8970001980461a2da214cb8
	if got, want := webhookSignature("whsec_test_0123456789", "1700000000", []byte(`{"id":"n1"}`)), "f629bf5a362511e72e550bdbdbccdf2fdd2d0217d8970001980461a2da214cb8"; got != want {
		t.Errorf("webhookSignature = %s, want %s", got, want)
	}
}

// The receivers below check each request the way the vendor would, recomputing the
// signature with the formula written out again here rather than the package's helper.

func hmacSHA256(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func TestWebhookRequest(t *testing.T) {
	clock := newFakeClock()
	n := firingDowngrade("en")
	var problems []string
	rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
		fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
		ts := r.Header.Get("X-Chainrisk-Timestamp")
		if ts != strconv.FormatInt(t0.Unix(), 10) {
			fail("timestamp %q", ts)
		}
		want := "sha256=" + hex.EncodeToString(hmacSHA256(webhookSecret, ts+"."+string(body)))
		if got := r.Header.Get("X-Chainrisk-Signature"); got != want {
			fail("signature %q, want %q", got, want)
		}
		if got := r.Header.Get("Idempotency-Key"); got != n.ID {
			fail("Idempotency-Key %q", got)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			fail("Content-Type %q", got)
		}
		if got := r.URL.Query().Get("token"); got != webhookToken {
			fail("token %q", got)
		}
		var b map[string]any
		if err := json.Unmarshal(body, &b); err != nil {
			fail("body: %v", err)
		}
		for _, k := range []string{"id", "fingerprint", "rule", "severity", "status", "subject", "leader", "tier", "path", "summary", "reasons", "started_at", "ended_at", "subscription"} {
			if _, ok := b[k]; !ok {
				fail("body lacks %q", k)
			}
		}
		if b["id"] != n.ID || b["status"] != "firing" || b["tier"] != 2.0 || b["ended_at"] != nil {
			fail("body fields: %v", b)
		}
		if s, _ := b["summary"].(string); !strings.Contains(s, castings.USCC) || !strings.Contains(s, "tier-2 supplier") {
			fail("summary %q", s)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	nt := mustNotifier(t, testChannel(config.ChannelWebhook, rv.URL), testOptions(t, clock, nil))
	if r := nt.Send(context.Background(), []*Notification{n}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if len(rv.requests()) != 1 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.requests()), problems)
	}
}

func TestWeComRequest(t *testing.T) {
	clock := newFakeClock()
	var problems []string
	rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != wecomKey {
			problems = append(problems, "url "+r.URL.String())
		}
		var m struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" ||
			!strings.HasPrefix(m.Markdown.Content, "### chainrisk 信用预警\n<font color=\"warning\">**【警告】信用等级下调") {
			problems = append(problems, "body "+string(body))
		}
		okAnswer(config.ChannelWeCom)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(config.ChannelWeCom, rv.URL), testOptions(t, clock, nil))
	if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if len(rv.requests()) != 1 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.requests()), problems)
	}
}

func TestDingTalkRequest(t *testing.T) {
	clock := newFakeClock()
	var problems []string
	var signs []string
	rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
		q := r.URL.Query()
		ts := q.Get("timestamp")
		want := base64.StdEncoding.EncodeToString(hmacSHA256(dingtalkSecret, ts+"\n"+dingtalkSecret))
		if q.Get("sign") != want {
			problems = append(problems, "sign "+q.Get("sign")+" want "+want)
		}
		// Encoded exactly once: the raw query holds the base64 escaped, never "%25".
		if !strings.Contains(r.URL.RawQuery, "sign="+url.QueryEscape(want)) || strings.Contains(r.URL.RawQuery, "%25") {
			problems = append(problems, "raw query "+r.URL.RawQuery)
		}
		if q.Get("access_token") != dingtalkToken {
			problems = append(problems, "access_token "+q.Get("access_token"))
		}
		if ts != strconv.FormatInt(clock.Now().UnixMilli(), 10) {
			problems = append(problems, "timestamp "+ts)
		}
		signs = append(signs, q.Get("sign"))
		var m struct {
			MsgType  string `json:"msgtype"`
			Markdown struct{ Title, Text string }
			At       struct {
				IsAtAll *bool `json:"isAtAll"`
			}
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.At.IsAtAll == nil || *m.At.IsAtAll ||
			!strings.HasPrefix(m.Markdown.Title, "[WARNING] Credit grade downgraded") || !strings.HasPrefix(m.Markdown.Text, "#### chainrisk credit alert\n\n**[WARNING]") {
			problems = append(problems, "body "+string(body))
		}
		okAnswer(config.ChannelDingTalk)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(config.ChannelDingTalk, rv.URL), testOptions(t, clock, nil))
	for range 2 {
		if r := nt.Send(context.Background(), []*Notification{firingDowngrade("en")}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		clock.Advance(1500 * time.Millisecond)
	}
	if len(rv.requests()) != 2 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.requests()), problems)
	}
	if signs[0] == signs[1] {
		t.Error("the second send was not signed afresh")
	}
}

func TestFeishuRequest(t *testing.T) {
	for _, kind := range []string{FeishuPost, FeishuInteractive} {
		t.Run(kind, func(t *testing.T) {
			clock := newFakeClock()
			var problems []string
			rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if r.URL.Path != "/open-apis/bot/v2/hook/"+feishuToken {
					problems = append(problems, "path "+r.URL.Path)
				}
				var m struct {
					Timestamp string `json:"timestamp"`
					Sign      string `json:"sign"`
					MsgType   string `json:"msg_type"`
					Content   *struct {
						Post map[string]struct {
							Title   string
							Content [][]map[string]string
						} `json:"post"`
					} `json:"content"`
					Card *struct {
						Schema string
						Header struct {
							Title    struct{ Tag, Content string }
							Template string
						}
					} `json:"card"`
				}
				if err := json.Unmarshal(body, &m); err != nil {
					problems = append(problems, err.Error())
				}
				if m.Timestamp != strconv.FormatInt(t0.Unix(), 10) {
					problems = append(problems, "timestamp "+m.Timestamp)
				}
				if want := base64.StdEncoding.EncodeToString(hmacSHA256(m.Timestamp+"\n"+feishuSecret, "")); m.Sign != want {
					problems = append(problems, "sign "+m.Sign+" want "+want)
				}
				if m.MsgType != kind {
					problems = append(problems, "msg_type "+m.MsgType)
				}
				switch kind {
				case FeishuPost:
					if m.Content == nil || m.Content.Post["zh_cn"].Title != "chainrisk 信用预警" || len(m.Content.Post["zh_cn"].Content) < 3 {
						problems = append(problems, "post "+string(body))
					}
				case FeishuInteractive:
					if m.Card == nil || m.Card.Schema != "2.0" || m.Card.Header.Template != "orange" || m.Card.Header.Title.Content != "chainrisk 信用预警" {
						problems = append(problems, "card "+string(body))
					}
				}
				okAnswer(config.ChannelFeishu)(w, r, body)
			})
			opts := testOptions(t, clock, nil)
			opts.FeishuMessage = kind
			nt := mustNotifier(t, testChannel(config.ChannelFeishu, rv.URL), opts)
			if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
			if len(rv.requests()) != 1 || len(problems) > 0 {
				t.Fatalf("%d requests; problems: %v", len(rv.requests()), problems)
			}
		})
	}
}
