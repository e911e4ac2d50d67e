package notify

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Secrets of the test webhook: its URL's token and its signing secret.
const (
	webhookSecret = "whsec_test_0123456789"
	webhookToken  = "wh-url-token-SECRET-8c2f"
)

func init() {
	testKinds[TypeWebhook] = testKind{
		channel: func(base string) Channel {
			return Channel{Type: TypeWebhook, URL: secret(base + "/hooks/chainrisk?token=" + webhookToken), Secret: secret(webhookSecret)}
		},
		secrets: []string{webhookSecret, webhookToken},
		ok:      answer(200, ``),
		refuse:  func(msg string) Handler { return answer(400, `{"error":`+msg+`}`) },
	}
}

func TestWebhookSignatureVector(t *testing.T) {
	// $ printf '%s' '1700000000.{"id":"n1"}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789'
	// SHA2-256(stdin)= f629bf5a362511e72e550bdbdbccdf2fdd2d0217d8970001980461a2da214cb8
	if got, want := webhookSignature("whsec_test_0123456789", "1700000000", []byte(`{"id":"n1"}`)), "f629bf5a362511e72e550bdbdbccdf2fdd2d0217d8970001980461a2da214cb8"; got != want {
		t.Errorf("webhookSignature = %s, want %s", got, want)
	}
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
	nt := mustNotifier(t, testChannel(TypeWebhook, rv.URL), testOptions(t, clock, nil))
	if r := nt.Send(context.Background(), []*Notification{n}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if len(rv.Requests()) != 1 || len(problems) > 0 {
		t.Fatalf("%d requests; problems: %v", len(rv.Requests()), problems)
	}
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
	nt := mustNotifier(t, testChannel(TypeWebhook, rv.URL), testOptions(t, newFakeClock(), nil))
	r := send1(t, nt)
	if r.Err == nil || !r.Retryable || !strings.Contains(r.Err.Error(), "HTTP 500; detail: database is down") {
		t.Fatalf("first attempt: %+v", r)
	}
	if r := send1(t, nt); r.Err != nil {
		t.Fatalf("second attempt: %v", r.Err)
	}
	reqs := rv.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
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
			nt := mustNotifier(t, testChannel(TypeWebhook, rv.URL), testOptions(t, newFakeClock(), nil))
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
	nt := mustNotifier(t, testChannel(TypeWebhook, rv.URL), testOptions(t, clock, nil))
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
	if n := len(rv.Requests()); n != 1 {
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
	nt := mustNotifier(t, testChannel(TypeWebhook, rv.URL), opts)
	start := time.Now()
	r := send1(t, nt)
	if r.Err == nil || !r.Retryable || !strings.Contains(r.Err.Error(), "no answer within 100ms") || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("got %+v", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}
