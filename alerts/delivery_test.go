package alerts

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

func send1(t *testing.T, nt Notifier) Result {
	t.Helper()
	r := nt.Send(context.Background(), []*Notification{firingDowngrade("en")})
	if len(r) != 1 {
		t.Fatalf("%d results for 1 notification", len(r))
	}
	return r[0]
}

func TestWebhook500Then200(t *testing.T) {
	var calls atomic.Int32
	rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if calls.Add(1) == 1 {
			http.Error(w, "database is down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	nt := mustNotifier(t, testChannel(config.ChannelWebhook, rv.URL), testOptions(t, newFakeClock(), nil))
	r := send1(t, nt)
	if r.Err == nil || !r.Retryable || !strings.Contains(r.Err.Error(), "HTTP 500; detail: database is down") {
		t.Fatalf("first attempt: %+v", r)
	}
	if r := send1(t, nt); r.Err != nil {
		t.Fatalf("second attempt: %v", r.Err)
	}
	reqs := rv.requests()
	if len(reqs) != 2 || reqs[0].header.Get("Idempotency-Key") != reqs[1].header.Get("Idempotency-Key") {
		t.Fatalf("want 2 requests with one idempotency key, got %d", len(reqs))
	}
}

func TestWebhookStatuses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		header     map[string]string
		retryable  bool
		retryAfter time.Duration
	}{
		{"429 with Retry-After seconds", 429, map[string]string{"Retry-After": "120"}, true, 120 * time.Second},
		{"503 with Retry-After date", 503, map[string]string{"Retry-After": t0.Add(90 * time.Second).Format(http.TimeFormat)}, true, 90 * time.Second},
		{"429 with an absurd Retry-After", 429, map[string]string{"Retry-After": "99999999"}, true, time.Hour},
		{"408", 408, nil, true, 0},
		{"502", 502, nil, true, 0},
		{"400", 400, nil, false, 0},
		{"401", 401, nil, false, 0},
		{"404", 404, nil, false, 0},
		{"422", 422, nil, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
			})
			nt := mustNotifier(t, testChannel(config.ChannelWebhook, rv.URL), testOptions(t, newFakeClock(), nil))
			r := send1(t, nt)
			if r.Err == nil || r.Retryable != tc.retryable || r.RetryAfter != tc.retryAfter {
				t.Fatalf("got %+v, want retryable %v after %s", r, tc.retryable, tc.retryAfter)
			}
		})
	}
}

func TestWebhookRetryAfterBlocksDestination(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	nt := mustNotifier(t, testChannel(config.ChannelWebhook, rv.URL), testOptions(t, clock, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The first request is refused; the other two of the batch are not sent.
	rs := nt.Send(ctx, batch3("en"))
	for i, r := range rs {
		if r.Err == nil || !r.Retryable || r.RetryAfter != 120*time.Second {
			t.Errorf("notification %d: %+v", i, r)
		}
	}
	// Within the pause nothing goes out, however short the wait.
	clock.Advance(30 * time.Second)
	r := nt.Send(ctx, []*Notification{firingDowngrade("en")})[0]
	var rl *RateLimitedError
	if !errors.As(r.Err, &rl) || r.RetryAfter != 90*time.Second {
		t.Errorf("during the pause: %+v", r)
	}
	if n := len(rv.requests()); n != 1 {
		t.Errorf("%d requests reached the receiver, want 1", n)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	opts := testOptions(t, newFakeClock(), nil)
	opts.Timeout = 100 * time.Millisecond
	nt := mustNotifier(t, testChannel(config.ChannelWebhook, rv.URL), opts)
	start := time.Now()
	r := send1(t, nt)
	if r.Err == nil || !r.Retryable || !strings.Contains(r.Err.Error(), "no answer within 100ms") || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("got %+v", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) { elsewhere.Add(1) })
	for _, kind := range []string{config.ChannelWebhook, config.ChannelWeCom, config.ChannelDingTalk, config.ChannelFeishu, config.ChannelAlertmanager} {
		t.Run(kind, func(t *testing.T) {
			rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
				http.Redirect(w, r, other.URL+"/stolen", http.StatusTemporaryRedirect)
			})
			nt := mustNotifier(t, testChannel(kind, rv.URL), testOptions(t, newFakeClock(), nil))
			r := send1(t, nt)
			if r.Err == nil || r.Retryable || !strings.Contains(r.Err.Error(), "redirects are not followed") {
				t.Fatalf("got %+v", r)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

// countingTransport counts the bytes read from answer bodies.
type countingTransport struct {
	http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.RoundTripper.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestHugeAnswer(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	for _, tc := range []struct {
		kind      string
		status    int
		ok        bool
		retryable bool
	}{
		{config.ChannelWebhook, 200, true, false},
		{config.ChannelWebhook, 500, false, true},
		{config.ChannelWeCom, 200, false, true}, // unreadable: delivered or not, we cannot tell
		{config.ChannelFeishu, 200, false, true},
	} {
		t.Run(tc.kind+" "+http.StatusText(tc.status), func(t *testing.T) {
			rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) {
				w.WriteHeader(tc.status)
				w.Write(huge)
			})
			opts := testOptions(t, newFakeClock(), nil)
			ct := &countingTransport{RoundTripper: opts.HTTPClient.Transport}
			opts.HTTPClient = &http.Client{Transport: ct}
			nt := mustNotifier(t, testChannel(tc.kind, rv.URL), opts)
			r := send1(t, nt)
			if (r.Err == nil) != tc.ok || r.Retryable != tc.retryable {
				t.Fatalf("got %+v", r)
			}
			if r.Err != nil && len(r.Err.Error()) > 400 {
				t.Errorf("error of %d bytes", len(r.Err.Error()))
			}
			if n := ct.read.Load(); n > maxReplyBody {
				t.Errorf("read %d bytes of the answer, limit %d", n, maxReplyBody)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	rv := newReceiver(t, nil, answer(200, ""))
	base := rv.URL
	rv.Close()
	for _, kind := range []string{config.ChannelWebhook, config.ChannelWeCom, config.ChannelAlertmanager} {
		nt := mustNotifier(t, testChannel(kind, base), testOptions(t, newFakeClock(), nil))
		if r := send1(t, nt); r.Err == nil || !r.Retryable {
			t.Errorf("%s: %+v", kind, r)
		}
	}
}

func TestBotCodes(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		status     int
		answer     string
		retryable  bool
		retryAfter time.Duration
		code       string
		text       string
	}{
		{config.ChannelWeCom, 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, true, time.Minute, "45009", "rate limit"},
		{config.ChannelWeCom, 200, `{"errcode":-1,"errmsg":"system busy"}`, true, 0, "-1", "busy"},
		{config.ChannelWeCom, 200, `{"errcode":45002,"errmsg":"content exceed max length"}`, false, 0, "45002", "too large"},
		{config.ChannelWeCom, 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, false, 0, "93000", "invalid webhook URL"},
		{config.ChannelWeCom, 200, `{"errcode":12345,"errmsg":"something new"}`, false, 0, "12345", "something new"},
		{config.ChannelDingTalk, 200, `{"errcode":310000,"errmsg":"sign not match"}`, false, 0, "310000", "signature, keyword or IP allow-list"},
		{config.ChannelDingTalk, 200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, true, 10 * time.Minute, "130101", "too fast"},
		{config.ChannelFeishu, 200, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, true, 0, "19021", "bad signature or stale timestamp"},
		{config.ChannelFeishu, 400, `{"code":19021,"msg":"sign match fail"}`, true, 0, "19021", "bad signature"},
		{config.ChannelFeishu, 200, `{"code":11232,"msg":"frequency limited psm"}`, true, time.Minute, "11232", "rate limited"},
		{config.ChannelFeishu, 200, `{"StatusCode":0,"StatusMessage":"success"}`, false, 0, "", ""},
		{config.ChannelFeishu, 500, `oops`, true, 0, "", "HTTP 500"},
	} {
		t.Run(tc.kind+" "+tc.code, func(t *testing.T) {
			rv := newReceiver(t, nil, answer(tc.status, tc.answer))
			nt := mustNotifier(t, testChannel(tc.kind, rv.URL), testOptions(t, newFakeClock(), nil))
			r := send1(t, nt)
			if tc.text == "" {
				if r.Err != nil {
					t.Fatalf("got %v", r.Err)
				}
				return
			}
			if r.Err == nil || r.Retryable != tc.retryable || r.RetryAfter != tc.retryAfter || r.Code != tc.code || !strings.Contains(r.Err.Error(), tc.text) {
				t.Fatalf("got %+v (%v), want retryable %v after %s code %q", r, r.Err, tc.retryable, tc.retryAfter, tc.code)
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
		okAnswer(config.ChannelFeishu)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(config.ChannelFeishu, rv.URL), testOptions(t, clock, nil))
	if r := send1(t, nt); r.Err == nil || !r.Retryable {
		t.Fatalf("first: %+v", r)
	}
	clock.Advance(10 * time.Second)
	if r := send1(t, nt); r.Err != nil {
		t.Fatalf("retry: %v", r.Err)
	}
	reqs := rv.requests()
	if bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatal("the retry was not signed afresh")
	}
}

func TestWeCom45009BlocksRobotForEveryNotifier(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, nil, answer(200, `{"errcode":45009,"errmsg":"api freq out of limit"}`))
	opts := testOptions(t, clock, nil)
	opts.Limiter = NewLimiter(clock)
	a := mustNotifier(t, testChannel(config.ChannelWeCom, rv.URL), opts)
	b := mustNotifier(t, testChannel(config.ChannelWeCom, rv.URL), opts) // another subscription, same robot
	if r := send1(t, a); r.Code != "45009" {
		t.Fatalf("first: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := b.Send(ctx, []*Notification{firingDowngrade("zh")})[0]
	if !r.Retryable || r.RetryAfter != time.Minute || len(rv.requests()) != 1 {
		t.Fatalf("second notifier: %+v after %d requests", r, len(rv.requests()))
	}
}

func TestLogNotifier(t *testing.T) {
	var logs bytes.Buffer
	nt := mustNotifier(t, config.Channel{Type: config.ChannelLog}, testOptions(t, nil, &logs))
	rs := nt.Send(context.Background(), append(batch3("en"), resolvedChainRisk("zh")))
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("%d: %v", i, r.Err)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{`"level":"WARN"`, `"rule":"grade_downgrade"`, `"uscc":"91330206MA2AHK5R3T"`, `"leader":"91330000MA27U8T41B"`, `"tier":2`, `"summary":"[WARNING] Credit grade downgraded`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], `"level":"ERROR"`) || !strings.Contains(lines[3], `"level":"INFO"`) {
		t.Errorf("levels: %s", logs.String())
	}
}
