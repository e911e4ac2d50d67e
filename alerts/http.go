package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/version"
)

const (
	// maxReplyBody bounds what is read of an answer: receivers are not trusted.
	maxReplyBody = 64 << 10
	// maxRetryAfter caps a receiver's Retry-After, so a hostile or broken one cannot park
	// notifications for days.
	maxRetryAfter = time.Hour
)

// poster sends the HTTP requests of every HTTP channel.
type poster struct {
	client    *http.Client
	timeout   time.Duration
	clock     Clock
	log       *slog.Logger
	userAgent string
}

func newPoster(opts Options) *poster {
	c := &http.Client{}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		c = &cp
	}
	// A redirect would take the payload (and for bots the signature) to a host the
	// allow-list never saw: hand the 3xx back instead and treat it as an error.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &poster{
		client:    c,
		timeout:   opts.Timeout,
		clock:     opts.Clock,
		log:       opts.Logger,
		userAgent: "chainrisk/" + version.Get().Version,
	}
}

// reply is what came back: the status, the headers and at most maxReplyBody bytes.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// post sends body to target (the destination's URL, perhaps with a signature added).
// Its errors name the destination by scheme and host only.
func (p *poster) post(ctx context.Context, d *destination, target string, header http.Header, body []byte) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return reply{}, d.errorf("build request: %v", d.scrubErr(err))
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("User-Agent", p.userAgent)
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := p.clock.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL, key and signature included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return reply{}, d.wrap(fmt.Sprintf("no answer within %s", p.timeout), err)
		}
		return reply{}, d.wrap("post", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	p.log.Debug("alert delivery", "channel", d.kind, "destination", d.shown,
		"status", resp.StatusCode, "duration", p.clock.Now().Sub(start))
	if err != nil && resp.StatusCode/100 != 2 {
		return r, d.wrap(fmt.Sprintf("read answer (HTTP %d)", resp.StatusCode), err)
	}
	return r, nil
}

// httpResult judges a plain HTTP answer: 2xx delivered; 408, 429, 5xx and transport
// errors retryable (honouring Retry-After); redirects and other 4xx permanent.
func (p *poster) httpResult(d *destination, r reply, err error) Result {
	switch {
	case err != nil:
		return Result{Err: err, Retryable: true}
	case r.status >= 200 && r.status < 300:
		return Result{}
	case r.status >= 300 && r.status < 400:
		return Result{Err: d.errorf("HTTP %d: redirects are not followed (point the channel at the final URL)", r.status)}
	case r.status == http.StatusRequestTimeout || r.status == http.StatusTooManyRequests || r.status >= 500:
		return Result{
			Err:        d.errorf("HTTP %d%s", r.status, d.snippet(r.body)),
			Retryable:  true,
			RetryAfter: retryAfter(r.header, p.clock.Now()),
		}
	}
	return Result{Err: d.errorf("HTTP %d%s", r.status, d.snippet(r.body))}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	// Seconds too many for an int64 are still seconds: ParseInt gives the int64 limit.
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = time.Duration(min(max(secs, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// deliveryError is an error about one destination, its text scrubbed of secrets; it
// unwraps to the cause, so callers can still test for context.DeadlineExceeded.
type deliveryError struct {
	msg   string
	cause error
}

func (e *deliveryError) Error() string { return e.msg }
func (e *deliveryError) Unwrap() error { return e.cause }

func (d *destination) errorf(format string, args ...any) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + d.scrub.Replace(fmt.Sprintf(format, args...))}
}

func (d *destination) wrap(what string, cause error) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + what + ": " + d.scrub.Replace(cause.Error()), cause: cause}
}

func (d *destination) scrubErr(err error) string { return d.scrub.Replace(err.Error()) }

// snippet quotes the start of an answer's body on one line, scrubbed, for an error.
func (d *destination) snippet(b []byte) string {
	const limit = 200
	s := strings.Join(strings.Fields(d.scrub.Replace(strings.ToValidUTF8(string(b), ""))), " ")
	if len(s) > limit {
		s = s[:limit]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	if s == "" {
		return ""
	}
	return ": " + s
}

// request is one request of a batch and the notifications it carries.
type request struct {
	owners []int
	send   func(ctx context.Context) Result
}

// attempt sends one request under the destination's rate limit. A destination that asks
// for a pause (Retry-After, a vendor's rate-limit code) is blocked in the limiter, for
// every notifier that shares it.
func (p *poster) attempt(ctx context.Context, d *destination, send func(context.Context) Result) Result {
	if err := ctx.Err(); err != nil {
		return Result{Err: d.wrap("not sent", err), Retryable: true}
	}
	if err := d.lim.Wait(ctx, d.key, d.rates); err != nil {
		var rl *RateLimitedError
		errors.As(err, &rl)
		r := Result{Err: d.wrap("not sent", err), Retryable: true}
		if rl != nil {
			r.RetryAfter = rl.Wait
		}
		return r
	}
	r := send(ctx)
	if r.Err != nil && r.RetryAfter > 0 {
		d.lim.Block(d.key, p.clock.Now().Add(r.RetryAfter))
	}
	return r
}

// sendAll sends requests in order. After a retryable failure it stops — the receiver is
// unwell, and the rest would only spend its rate budget — and the notifications not
// sent share that failure. A notification carried by several requests (a message split
// in parts) gets the first failure among them.
func (p *poster) sendAll(ctx context.Context, d *destination, reqs []request, n int) []Result {
	results := make([]Result, n)
	var stop *Result
	for _, rq := range reqs {
		var r Result
		if stop != nil {
			r = *stop
			r.Err = &deliveryError{msg: "not sent after an earlier failure: " + stop.Err.Error(), cause: stop.Err}
		} else if r = p.attempt(ctx, d, rq.send); r.Err != nil && r.Retryable {
			stop = &r
		}
		for _, i := range rq.owners {
			if results[i].Err == nil {
				results[i] = r
			}
		}
	}
	return results
}
