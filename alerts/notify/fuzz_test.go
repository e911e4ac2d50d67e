package notify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Receivers are not trusted (docs/reliability.md): these fuzz the reading of their answers.

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
	kinds := httpKinds()
	// idx is a channel type's index in kinds: the fuzzed kind picks a channel by it.
	idx := func(typ string) uint8 { return uint8(slices.Index(kinds, typ)) }
	for _, c := range []struct {
		kind   uint8
		status int
		after  string
		body   string
	}{
		{idx(TypeWebhook), 200, "", ""}, {idx(TypeWebhook), 503, "120", "down"}, {idx(TypeWebhook), 429, "Sat, 21 Nov 2026 08:05:00 GMT", ""}, {idx(TypeWebhook), 400, "", `{"error":"bad"}`},
		{idx(TypeWebhook), 302, "", ""}, {idx(TypeWebhook), 408, "", ""}, {idx(TypeWebhook), 500, "", "key=" + webhookToken + "\nsecret " + webhookSecret},
		{idx(TypeWeCom), 200, "", `{"errcode":0,"errmsg":"ok"}`}, {idx(TypeWeCom), 200, "", `{"errcode":45009,"errmsg":"api freq out of limit"}`},
		{idx(TypeWeCom), 200, "", `{"errcode":-1,"errmsg":"system busy"}`}, {idx(TypeWeCom), 200, "", `{"errcode":93000,"errmsg":"invalid webhook url ` + wecomKey + `"}`},
		{idx(TypeWeCom), 200, "", "<html>ok</html>"}, {idx(TypeWeCom), 502, "", `{"errcode":0}`}, {idx(TypeWeCom), 200, "30", `{"errcode":45002,"errmsg":"too large"}`},
		{idx(TypeDingTalk), 200, "", `{"errcode":0,"errmsg":"ok"}`}, {idx(TypeDingTalk), 200, "", `{"errcode":310000,"errmsg":"sign not match ` + dingtalkToken + `"}`},
		{idx(TypeDingTalk), 200, "", `{"errcode":"0"}`}, {idx(TypeDingTalk), 200, "", `{"errcode":310000,"errmsg":"` + dingtalkSecret + `"}`},
		{idx(TypeFeishu), 200, "", `{"code":0,"msg":"success","data":{}}`}, {idx(TypeFeishu), 200, "", `{"code":19021,"msg":"sign match fail"}`},
		{idx(TypeFeishu), 200, "", `{"StatusCode":0,"StatusMessage":"success"}`}, {idx(TypeFeishu), 200, "", `{"code":11232,"msg":"frequency limited"}`},
		{idx(TypeFeishu), 400, "", `{"code":9499,"msg":"Bad Request ` + feishuToken + `"}`},
		{idx(TypeAlertmanager), 200, "", ""}, {idx(TypeAlertmanager), 400, "", `{"code":602,"message":"labels are required"}`}, {idx(TypeAlertmanager), 503, "5", ""},
		{idx(TypeAlertmanager), 401, "", "bad password " + amPassword},
	} {
		f.Add(c.kind, c.status, c.after, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, status int, after string, body []byte) {
		k := kinds[int(kind)%len(kinds)]
		tk := testKinds[k]
		status = 100 + int(uint(status)%900)
		n, err := New(testChannel(k, "http://receiver.test"), Options{
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
			for _, s := range tk.secrets { // another channel's secret in an answer is no leak
				if strings.Contains(msg, s) {
					t.Fatalf("%s, HTTP %d: error shows a secret: %q", k, status, msg)
				}
			}
		}
		ok2xx := status >= 200 && status < 300
		if r.OK() && !ok2xx {
			t.Fatalf("%s: delivered on HTTP %d", k, status)
		}
		switch {
		case tk.code == nil:
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
			code, known := tk.code(body)
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
