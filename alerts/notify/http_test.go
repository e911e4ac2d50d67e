package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) { elsewhere.Add(1) })
	for _, kind := range []string{TypeWebhook, TypeWeCom, TypeDingTalk, TypeFeishu, TypeAlertmanager} {
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
		{TypeWebhook, 200, true, false},
		{TypeWebhook, 500, false, true},
		{TypeWeCom, 200, false, true}, // unreadable: delivered or not, we cannot tell
		{TypeFeishu, 200, false, true},
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
	for _, kind := range []string{TypeWebhook, TypeWeCom, TypeAlertmanager} {
		nt := mustNotifier(t, testChannel(kind, base), testOptions(t, newFakeClock(), nil))
		if r := send1(t, nt); r.Err == nil || !r.Retryable {
			t.Errorf("%s: %+v", kind, r)
		}
	}
}

// A receiver that redirects elsewhere never gets the notification sent on: not for any
// redirect status (307 and 308 would repeat the POST with its body and signature),
// not even through an HTTP client configured to follow redirects. The attempt fails
// permanently, saying why, and the key the redirect carried along reaches no one.
func TestRedirectsNeverFollowed(t *testing.T) {
	kinds := httpKinds()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, kind := range kinds {
			for _, follows := range []bool{false, true} {
				elsewhere := newReceiver(t, nil, okAnswer(kind))
				rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, _ []byte) {
					http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), status)
				})
				opts := testOptions(t, newFakeClock(), nil)
				if follows {
					opts.HTTPClient.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
				}
				nt := mustNotifier(t, testChannel(kind, rv.URL), opts)
				for i, r := range nt.Send(context.Background(), batch3("en")) {
					if r.Err == nil || r.Retryable || !strings.Contains(r.Err.Error(), "redirects are not followed") {
						t.Errorf("%d %s (client follows: %v) #%d: %+v", status, kind, follows, i, r)
					}
				}
				if n := len(elsewhere.Requests()); n != 0 {
					t.Errorf("%d %s (client follows: %v): the redirect target got %d requests", status, kind, follows, n)
				}
				if len(rv.Requests()) == 0 {
					t.Errorf("%d %s: the receiver got nothing", status, kind)
				}
				if follows && opts.HTTPClient.CheckRedirect == nil {
					t.Error("the caller's client was changed")
				}
			}
		}
	}
}
