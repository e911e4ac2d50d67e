package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Secrets of the test DingTalk robot: the access token in its URL, its signing secret.
const (
	dingtalkToken  = "dtok0123456789abcdef-SECRET-0002"
	dingtalkSecret = "SECdingtalk-signing-SECRET-0003"
)

func init() {
	testKinds[TypeDingTalk] = testKind{
		channel: func(base string) Channel {
			return Channel{Type: TypeDingTalk, URL: secret(base + "/robot/send?access_token=" + dingtalkToken), Secret: secret(dingtalkSecret)}
		},
		secrets: []string{dingtalkToken, dingtalkSecret},
		ok:      answer(200, `{"errcode":0,"errmsg":"ok"}`),
		refuse:  func(msg string) Handler { return answer(200, `{"errcode":310000,"errmsg":`+msg+`}`) },
		code:    errcodeOf,
	}
}

func TestDingTalkSignatureVector(t *testing.T) {
	// From the integrations reference, confirmed with
	//   printf '%s' $'1700000000000\nSEC0123456789abcdef' | openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
	//   → TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=
	if got, want := dingtalkSign("SEC0123456789abcdef", 1700000000000), "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="; got != want {
		t.Errorf("dingtalkSign = %s, want %s", got, want)
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
		okAnswer(TypeDingTalk)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(TypeDingTalk, rv.URL), testOptions(t, clock, nil))
	for range 2 {
		if r := nt.Send(context.Background(), []*Notification{firingDowngrade("en")}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		clock.Advance(1500 * time.Millisecond)
	}
	if len(rv.Requests()) != 2 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.Requests()), problems)
	}
	if signs[0] == signs[1] {
		t.Error("the second send was not signed afresh")
	}
}

func TestDingTalkCodes(t *testing.T) {
	checkCodes(t, TypeDingTalk, []codeCase{
		{200, `{"errcode":310000,"errmsg":"sign not match"}`, false, 0, "310000", "signature, keyword or IP allow-list"},
		{200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, true, 10 * time.Minute, "130101", "too fast"},
	})
}
