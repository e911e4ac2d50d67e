package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
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
		return reply{}, d.wrap("build request", err)
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
		return reply{}, d.wrap(transportProblem(err), err)
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
// errors retryable (honouring Retry-After); redirects, other 4xx and the outbound
// policy's refusals permanent.
func (p *poster) httpResult(d *destination, r reply, err error) Result {
	var refused *refusedTarget
	switch {
	case errors.As(err, &refused):
		return Result{Err: err}
	case err != nil:
		return Result{Err: err, Retryable: true}
	case r.status >= 200 && r.status < 300:
		return Result{}
	case r.status >= 300 && r.status < 400:
		return Result{Err: d.errorf("HTTP %d: redirects are not followed (point the channel at the final URL)", r.status)}
	case r.status == http.StatusRequestTimeout || r.status == http.StatusTooManyRequests || r.status >= 500:
		return Result{
			Err:        d.failf(r.body, "HTTP %d", r.status),
			Retryable:  true,
			RetryAfter: retryAfter(r.header, p.clock.Now()),
		}
	}
	return Result{Err: d.failf(r.body, "HTTP %d", r.status)}
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

// DetailSep joins, in a failed delivery's error, what chainrisk says about it — the
// channel, the destination's scheme and host, what went wrong — and the detail that
// came from elsewhere: a receiver's answer, a transport error (which may quote what
// the receiver sent). Admins and logs get both; tenants only what comes before it
// (tenantError), so a tenant's URL cannot make the daemon read internal services out.
const DetailSep = "; detail: "

// detailLimit bounds the detail of an error, in bytes.
const detailLimit = 200

// deliveryError is an error about one destination, in the two parts DetailSep joins;
// it unwraps to the cause, so callers can still test for context.DeadlineExceeded.
type deliveryError struct {
	msg    string // ours, and free of secrets by construction
	detail string // from elsewhere: scrubbed of the destination's secrets, on one line
	cause  error
}

func (e *deliveryError) Error() string {
	if e.detail == "" {
		return e.msg
	}
	return e.msg + DetailSep + e.detail
}

func (e *deliveryError) Unwrap() error { return e.cause }

// errorf says in our words what went wrong with the destination; the arguments must
// be ours too (codes, counts, ids), never text that came from the receiver.
func (d *destination) errorf(format string, args ...any) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + fmt.Sprintf(format, args...)}
}

// failf is errorf with the start of the receiver's answer as the detail.
func (d *destination) failf(answer []byte, format string, args ...any) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + fmt.Sprintf(format, args...), detail: d.clean(string(answer))}
}

// explain says what went wrong when the cause is ours too (a template, the rate
// limiter, a cancelled context): its text joins the message.
func (d *destination) explain(what string, cause error) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + what + ": " + cause.Error(), cause: cause}
}

// wrap says what went wrong in our words, with the cause's text as the detail.
func (d *destination) wrap(what string, cause error) error {
	return &deliveryError{msg: d.kind + " " + d.shown + ": " + what, detail: d.clean(cause.Error()), cause: cause}
}

// clean makes text from elsewhere fit for an error's detail: the destination's
// secrets replaced, on one line, at most detailLimit bytes.
func (d *destination) clean(s string) string {
	s = strings.Join(strings.Fields(d.scrub.Replace(strings.ToValidUTF8(s, ""))), " ")
	if len(s) > detailLimit {
		s = s[:detailLimit]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// transportProblem says in our words what went wrong on the way to a receiver; the
// error's own text, which may quote the receiver (a banner in a "malformed HTTP
// response"), goes to the detail.
func transportProblem(err error) string {
	var refused *refusedTarget
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &refused):
		return "refused: " + refused.class + " address"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	case errors.As(err, &dnsErr):
		return "host name lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &certErr):
		return "TLS certificate not accepted"
	case errors.As(err, &recErr), errors.As(err, &alertErr):
		return "TLS handshake failed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return "the answer is not HTTP"
	}
	return "request failed"
}

// splitError returns an error's two parts: ours and the detail. An error not made by
// a destination is ours whole.
func splitError(err error) (msg, detail string) {
	if e, ok := err.(*deliveryError); ok {
		return e.msg, e.detail
	}
	return err.Error(), ""
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
		return Result{Err: d.explain("not sent", err), Retryable: true}
	}
	if err := d.lim.Wait(ctx, d.key, d.rates); err != nil {
		var rl *RateLimitedError
		errors.As(err, &rl)
		r := Result{Err: d.explain("not sent", err), Retryable: true}
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
			msg, detail := splitError(stop.Err)
			r.Err = &deliveryError{msg: "not sent after an earlier failure: " + msg, detail: detail, cause: stop.Err}
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
