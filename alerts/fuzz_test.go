package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// Receivers are not trusted (SPEC §15): these fuzz the reading of their answers.

// FuzzRetryAfter: a Retry-After header, in seconds or as an HTTP date, gives a wait
// within [0, 1 h]; delay-seconds of any length mean that many seconds, capped.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{
		"120", "0", "3600", "3601", " 30 ", "99999999999999999999", "Sat, 21 Nov 2026 08:05:00 GMT",
		"Saturday, 21-Nov-26 08:05:00 GMT", "Sat Nov 21 08:05:00 2026", "Fri, 20 Nov 2026 08:05:00 GMT",
		"", "-5", "+5", "1.5", "soon", "0x10", "120s", "Sat, 21 Nov 2026 08:05:00 CET",
	} {
		f.Add(s)
	}
	limit := big.NewInt(int64(maxRetryAfter / time.Second))
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		d := retryAfter(h, t0)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("Retry-After %q: wait %s", v, d)
		}
		s := strings.TrimSpace(v)
		if s != "" && strings.Trim(s, "0123456789") == "" {
			n, _ := new(big.Int).SetString(s, 10)
			want := maxRetryAfter
			if n.Cmp(limit) < 0 {
				want = time.Duration(n.Int64()) * time.Second
			}
			if d != want {
				t.Fatalf("Retry-After %q: wait %s, want %s", v, d, want)
			}
		}
		if at, err := http.ParseTime(s); err == nil {
			want := min(max(at.Sub(t0), 0), maxRetryAfter)
			if d != want {
				t.Fatalf("Retry-After %q (%s): wait %s, want %s", v, at, d, want)
			}
		}
	})
}

// answerTransport answers every request with a fixed status, Retry-After and body,
// without a network.
type answerTransport struct {
	status     int
	retryAfter string
	body       []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	h := http.Header{}
	if a.retryAfter != "" {
		h.Set("Retry-After", a.retryAfter)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(bytes.NewReader(a.body)), Request: req}, nil
}

// FuzzReceiverAnswer sends a notification to each kind of channel and answers with a
// fuzzed status, Retry-After and body: delivered only on a 2xx (and, from a robot, its
// code 0); a 4xx or redirect from a plain HTTP receiver is final, a 5xx, 408 or 429 is
// retried; the wait stays within an hour; the error is one line without a secret, even
// when the receiver echoes one.
func FuzzReceiverAnswer(f *testing.F) {
	for _, c := range []struct {
		kind   uint8
		status int
		after  string
		body   string
	}{
		{0, 200, "", ""}, {0, 503, "120", "down"}, {0, 429, "Sat, 21 Nov 2026 08:05:00 GMT", ""}, {0, 400, "", `{"error":"bad"}`},
		{0, 302, "", ""}, {0, 408, "", ""}, {0, 500, "", "key=" + webhookToken + "\nsecret " + webhookSecret},
		{1, 200, "", `{"errcode":0,"errmsg":"ok"}`}, {1, 200, "", `{"errcode":45009,"errmsg":"api freq out of limit"}`},
		{1, 200, "", `{"errcode":-1,"errmsg":"system busy"}`}, {1, 200, "", `{"errcode":93000,"errmsg":"invalid webhook url ` + wecomKey + `"}`},
		{1, 200, "", "<html>ok</html>"}, {1, 502, "", `{"errcode":0}`}, {1, 200, "30", `{"errcode":45002,"errmsg":"too large"}`},
		{2, 200, "", `{"errcode":0,"errmsg":"ok"}`}, {2, 200, "", `{"errcode":310000,"errmsg":"sign not match ` + dingtalkToken + `"}`},
		{2, 200, "", `{"errcode":"0"}`}, {2, 200, "", `{"errcode":310000,"errmsg":"` + dingtalkSecret + `"}`},
		{3, 200, "", `{"code":0,"msg":"success","data":{}}`}, {3, 200, "", `{"code":19021,"msg":"sign match fail"}`},
		{3, 200, "", `{"StatusCode":0,"StatusMessage":"success"}`}, {3, 200, "", `{"code":11232,"msg":"frequency limited"}`},
		{3, 400, "", `{"code":9499,"msg":"Bad Request ` + feishuToken + `"}`},
		{4, 200, "", ""}, {4, 400, "", `{"code":602,"message":"labels are required"}`}, {4, 503, "5", ""},
		{4, 401, "", "bad password " + amPassword},
	} {
		f.Add(c.kind, c.status, c.after, []byte(c.body))
	}
	kinds := []string{config.ChannelWebhook, config.ChannelWeCom, config.ChannelDingTalk, config.ChannelFeishu, config.ChannelAlertmanager}
	// The secrets of each test channel (testChannel). Another channel's secret in an
	// answer is text the receiver already knew, not one the notifier could leak.
	channelSecrets := map[string][]string{
		config.ChannelWebhook:      {webhookToken, webhookSecret},
		config.ChannelWeCom:        {wecomKey},
		config.ChannelDingTalk:     {dingtalkToken, dingtalkSecret},
		config.ChannelFeishu:       {feishuToken, feishuSecret},
		config.ChannelAlertmanager: {amPassword},
	}
	f.Fuzz(func(t *testing.T, kind uint8, status int, after string, body []byte) {
		k := kinds[int(kind)%len(kinds)]
		status = 100 + int(uint(status)%900)
		n, err := NewNotifier(testChannel(k, "http://receiver.test"), Options{
			HTTPClient: &http.Client{Transport: answerTransport{status, after, body}},
			Timeout:    time.Second,
			Logger:     slog.New(slog.DiscardHandler),
			Clock:      newFakeClock(),
		})
		if err != nil {
			t.Fatal(err)
		}
		results := n.Send(context.Background(), []*Notification{firingDowngrade("zh")})
		if len(results) != 1 {
			t.Fatalf("%d results", len(results))
		}
		r := results[0]
		if r.RetryAfter < 0 || r.RetryAfter > maxRetryAfter {
			t.Fatalf("%s, HTTP %d: wait %s", k, status, r.RetryAfter)
		}
		if r.Err != nil {
			msg := r.Err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("%s, HTTP %d: error on several lines: %q", k, status, msg)
			}
			for _, s := range channelSecrets[k] {
				if strings.Contains(msg, s) {
					t.Fatalf("%s, HTTP %d: error shows a secret: %q", k, status, msg)
				}
			}
		}
		ok2xx := status >= 200 && status < 300
		if r.OK() && !ok2xx {
			t.Fatalf("%s: delivered on HTTP %d", k, status)
		}
		switch k {
		case config.ChannelWebhook, config.ChannelAlertmanager:
			transient := status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
			switch {
			case ok2xx && !r.OK():
				t.Fatalf("%s: HTTP %d not delivered: %v", k, status, r.Err)
			case transient && (r.OK() || !r.Retryable):
				t.Fatalf("%s: HTTP %d gave %+v, want a retry", k, status, r)
			case status >= 300 && status < 500 && !transient && (r.OK() || r.Retryable || r.RetryAfter != 0):
				t.Fatalf("%s: HTTP %d gave %+v, want a final refusal", k, status, r)
			}
		default:
			if len(body) > maxReplyBody {
				return // read in part: whatever it says
			}
			code, known := vendorCode(k, body)
			switch {
			case r.OK() && (!known || code != 0):
				t.Fatalf("%s: delivered on %q", k, body)
			case ok2xx && known && code == 0 && !r.OK():
				t.Fatalf("%s: HTTP %d with code 0 not delivered: %v", k, status, r.Err)
			case ok2xx && !known && (r.OK() || !r.Retryable):
				t.Fatalf("%s: HTTP %d with an unreadable answer %q gave %+v, want a retry", k, status, body, r)
			}
		}
	})
}

// vendorCode reads a robot's answer as its documentation gives it: WeCom and DingTalk
// {"errcode": int, "errmsg": string}, Feishu {"code": int, "msg": string} or, from older
// endpoints, {"StatusCode": int, "StatusMessage": string}.
func vendorCode(kind string, body []byte) (int, bool) {
	if kind != config.ChannelFeishu {
		var a struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if json.Unmarshal(body, &a) != nil || a.ErrCode == nil {
			return 0, false
		}
		return *a.ErrCode, true
	}
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
