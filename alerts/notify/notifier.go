package notify

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Notifier delivers notifications on one channel.
type Notifier interface {
	// Send delivers a batch: bots may merge several notifications into one message,
	// other channels send one request each. It makes one attempt and returns one
	// Result per notification, in order; retrying is the caller's business.
	Send(ctx context.Context, batch []*Notification) []Result
}

// Result is the outcome of one notification's delivery attempt.
type Result struct {
	// Err is nil when the notification was delivered. It never contains a secret.
	Err error
	// Retryable says whether a later attempt may succeed.
	Retryable bool
	// RetryAfter is the earliest sensible retry (0: the caller's backoff decides).
	RetryAfter time.Duration
	// Code is the vendor's error code, if the vendor gave one ("45009").
	Code string
}

// OK reports whether the notification was delivered.
func (r Result) OK() bool { return r.Err == nil }

// Options configure the notifiers New builds.
type Options struct {
	// HTTPClient sends the requests; nil means a client of the notifier's own. Notifiers
	// never follow redirects, whatever the client's CheckRedirect says.
	HTTPClient *http.Client
	// Timeout bounds one request; 0 means 10 s.
	Timeout time.Duration
	// Logger receives the log channel's lines and debug lines about deliveries; nil
	// means slog.Default().
	Logger *slog.Logger
	// Rates are the limits per destination of the channel's type (the config's
	// alerts.rate_limits); nil means none.
	Rates []Rate
	// Limiter enforces Rates. Give every notifier of a process the same Limiter, so
	// that two subscriptions posting to one robot share that robot's budget; nil gives
	// the notifier a limiter of its own.
	Limiter *Limiter
	// HostAllowed vets the host of every channel URL (the config's
	// alerts.webhook_allowlist); nil allows any host.
	HostAllowed func(host string) bool
	// Clock is the time source for signatures, endsAt and rate limits; nil means the
	// system clock.
	Clock Clock
	// ResendInterval is how often the caller re-posts firing alerts to the channels
	// that are refreshed (Kind.Refreshed: Alertmanager); a firing alert's endsAt is
	// now + 4 × it, so Alertmanager resolves the alerts of a sender that died. 0 means
	// 1 m.
	ResendInterval time.Duration
	// FeishuMessage is the Feishu message type: "post" (the default) or "interactive"
	// (a card coloured by severity).
	FeishuMessage string
	// SMTP is the mail server e-mail channels send through (the config's alerts.smtp);
	// nil or without a host, e-mail channels cannot be built.
	SMTP *SMTPServer
}

const (
	defaultTimeout        = 10 * time.Second
	defaultResendInterval = time.Minute
)

// withDefaults fills in what the caller left zero.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(o.Clock)
	}
	if o.ResendInterval <= 0 {
		o.ResendInterval = defaultResendInterval
	}
	return o
}

// Clock is the notifiers' and the limiter's time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done, when it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the system's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
