package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Secrets of the test Feishu bot: the token in its URL's path, its signing secret.
const (
	feishuToken  = "fs-hook-7d1e6c1f-SECRET-0004"
	feishuSecret = "feishu-signing-SECRET-0005"
)

func init() {
	testKinds[TypeFeishu] = testKind{
		channel: func(base string) Channel {
			return Channel{Type: TypeFeishu, URL: secret(base + "/open-apis/bot/v2/hook/" + feishuToken), Secret: secret(feishuSecret)}
		},
		secrets: []string{feishuToken, feishuSecret},
		ok:      answer(200, `{"code":0,"msg":"success","data":{}}`),
		refuse:  func(msg string) Handler { return answer(200, `{"code":19021,"msg":`+msg+`}`) },
		code:    feishuCodeOf,
		goldens: map[string]func(*Options){
			"feishu-post": nil,
			"feishu-card": func(o *Options) { o.FeishuMessage = FeishuInteractive },
		},
	}
}

func TestFeishuSignatureVector(t *testing.T) {
	// From the integrations reference, confirmed with
	//   printf '' | openssl dgst -sha256 -hmac $'1599360473\ntest-secret' -binary | base64
	//   → wSds2BzzFIIGf/WrhUO+NI1q/9j+FRJd3JNHKAq0NZY=
	if got, want := feishuSign("test-secret", 1599360473), "wSds2BzzFIIGf/WrhUO+NI1q/9j+FRJd3JNHKAq0NZY="; got != want {
		t.Errorf("feishuSign = %s, want %s", got, want)
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
				okAnswer(TypeFeishu)(w, r, body)
			})
			opts := testOptions(t, clock, nil)
			opts.FeishuMessage = kind
			nt := mustNotifier(t, testChannel(TypeFeishu, rv.URL), opts)
			if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
			if len(rv.Requests()) != 1 || len(problems) > 0 {
				t.Fatalf("%d requests; problems: %v", len(rv.Requests()), problems)
			}
		})
	}
}

func TestFeishuResignsAfter19021(t *testing.T) {
	clock := newFakeClock()
	var calls atomic.Int32
	rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if calls.Add(1) == 1 {
			answer(200, `{"code":19021,"msg":"timestamp is not within one hour"}`)(w, r, body)
			return
		}
		okAnswer(TypeFeishu)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(TypeFeishu, rv.URL), testOptions(t, clock, nil))
	if r := send1(t, nt); r.Err == nil || !r.Retryable {
		t.Fatalf("first: %+v", r)
	}
	clock.Advance(10 * time.Second)
	if r := send1(t, nt); r.Err != nil {
		t.Fatalf("retry: %v", r.Err)
	}
	reqs := rv.Requests()
	if bytes.Equal(reqs[0].Body, reqs[1].Body) {
		t.Fatal("the retry was not signed afresh")
	}
}

func TestFeishuCodes(t *testing.T) {
	checkCodes(t, TypeFeishu, []codeCase{
		{200, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, true, 0, "19021", "bad signature or stale timestamp"},
		{400, `{"code":19021,"msg":"sign match fail"}`, true, 0, "19021", "bad signature"},
		{200, `{"code":11232,"msg":"frequency limited psm"}`, true, time.Minute, "11232", "rate limited"},
		{200, `{"StatusCode":0,"StatusMessage":"success"}`, false, 0, "", ""},
		{500, `oops`, true, 0, "", "HTTP 500"},
	})
}

// feishuCodeOf reads a Feishu answer as its documentation gives it, apart from the
// package's own reading: {"code": int, "msg": string} or, from older endpoints,
// {"StatusCode": int, "StatusMessage": string}.
func feishuCodeOf(body []byte) (int, bool) {
	var a struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	switch {
	case json.Unmarshal(body, &a) != nil:
		return 0, false
	case a.Code != nil:
		return *a.Code, true
	case a.StatusCode != nil:
		return *a.StatusCode, true
	}
	return 0, false
}
