package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wecomKey is the test robot's key, in its URL.
const wecomKey = "wk-3f9a1c2e-7b44-4d0e-SECRET-0001"

func init() {
	testKinds[TypeWeCom] = testKind{
		channel: func(base string) Channel {
			return Channel{Type: TypeWeCom, URL: secret(base + "/cgi-bin/webhook/send?key=" + wecomKey)}
		},
		secrets: []string{wecomKey},
		ok:      answer(200, `{"errcode":0,"errmsg":"ok"}`),
		refuse:  func(msg string) Handler { return answer(200, `{"errcode":93000,"errmsg":`+msg+`}`) },
		code:    errcodeOf,
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
		okAnswer(TypeWeCom)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), testOptions(t, clock, nil))
	if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if len(rv.Requests()) != 1 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.Requests()), problems)
	}
}

func TestWeCom45009BlocksRobotForEveryNotifier(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, nil, answer(200, `{"errcode":45009,"errmsg":"api freq out of limit"}`))
	opts := testOptions(t, clock, nil)
	opts.Limiter = NewLimiter(clock)
	a := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts)
	b := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts) // another subscription, same robot
	if r := send1(t, a); r.Code != "45009" {
		t.Fatalf("first: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := b.Send(ctx, []*Notification{firingDowngrade("zh")})[0]
	if !r.Retryable || r.RetryAfter != time.Minute || len(rv.Requests()) != 1 {
		t.Fatalf("second notifier: %+v after %d requests", r, len(rv.Requests()))
	}
}

func TestWeComCodes(t *testing.T) {
	checkCodes(t, TypeWeCom, []codeCase{
		{200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, true, time.Minute, "45009", "rate limit"},
		{200, `{"errcode":-1,"errmsg":"system busy"}`, true, 0, "-1", "busy"},
		{200, `{"errcode":45002,"errmsg":"content exceed max length"}`, false, 0, "45002", "too large"},
		{200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, false, 0, "93000", "invalid webhook URL"},
		{200, `{"errcode":12345,"errmsg":"something new"}`, false, 0, "12345", "something new"},
	})
}
