package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// Options configure the notifiers NewNotifier builds.
type Options struct {
	// HTTPClient sends the requests; nil means a client of the notifier's own. Notifiers
	// never follow redirects, whatever the client's CheckRedirect says.
	HTTPClient *http.Client
	// Timeout bounds one request; 0 means 10 s.
	Timeout time.Duration
	// Logger receives the log channel's lines and debug lines about deliveries; nil
	// means slog.Default().
	Logger *slog.Logger
	// RateLimits are the limits per destination of each channel type
	// (config.AlertsConfig.RateLimits).
	RateLimits config.RateLimitsConfig
	// Limiter enforces RateLimits. Give every notifier of a process the same Limiter, so
	// that two subscriptions posting to one robot share that robot's budget; nil gives
	// the notifier a limiter of its own.
	Limiter *Limiter
	// HostAllowed vets the host of every channel URL (config.AlertsConfig.HostAllowed);
	// nil allows any host.
	HostAllowed func(host string) bool
	// Clock is the time source for signatures, endsAt and rate limits; nil means the
	// system clock.
	Clock Clock
	// ResendInterval is how often the caller re-posts firing alerts to Alertmanager
	// (config schedules.resend_alerts); a firing alert's endsAt is now + 4 × it, so
	// Alertmanager resolves the alerts of a sender that died. 0 means 1 m.
	ResendInterval time.Duration
	// FeishuMessage is the Feishu message type: "post" (the default) or "interactive"
	// (a card coloured by severity).
	FeishuMessage string
}

// Feishu message types (Options.FeishuMessage).
const (
	FeishuPost        = "post"
	FeishuInteractive = "interactive"
)

const (
	defaultTimeout        = 10 * time.Second
	defaultResendInterval = time.Minute
)

// Clock is the notifiers' and the limiter's time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done, when it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewNotifier builds the notifier of one subscription channel. It checks the channel's
// URLs (http or https, a host the allow-list accepts); its errors show a URL as scheme
// and host only, since robot keys and tokens live in the path and query.
func NewNotifier(ch config.Channel, opts Options) (Notifier, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if ch.Type == config.ChannelLog {
		return &logNotifier{log: opts.Logger}, nil
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Limiter == nil {
		opts.Limiter = NewLimiter(opts.Clock)
	}
	if opts.ResendInterval <= 0 {
		opts.ResendInterval = defaultResendInterval
	}
	p := newPoster(opts)
	switch ch.Type {
	case config.ChannelWebhook, config.ChannelWeCom, config.ChannelDingTalk, config.ChannelFeishu:
		if len(ch.URLs) > 0 {
			return nil, fmt.Errorf("alerts: %s channel: urls is not used (use url)", ch.Type)
		}
		d, err := newDestination(ch.Type, "url", ch.URL, ch.Secret, opts)
		if err != nil {
			return nil, err
		}
		switch ch.Type {
		case config.ChannelWebhook:
			if ch.Secret == "" {
				return nil, fmt.Errorf("alerts: webhook channel: secret is required")
			}
			return &webhook{dest: d, secret: seal(ch.Secret), p: p}, nil
		case config.ChannelWeCom:
			return &bot{dest: d, v: wecom{}, p: p}, nil
		case config.ChannelDingTalk:
			return &bot{dest: d, v: &dingtalk{secret: seal(ch.Secret)}, p: p}, nil
		default:
			f := &feishu{secret: seal(ch.Secret)}
			switch opts.FeishuMessage {
			case "", FeishuPost:
			case FeishuInteractive:
				f.card = true
			default:
				return nil, fmt.Errorf("alerts: feishu message type %q is not one of post, interactive", opts.FeishuMessage)
			}
			return &bot{dest: d, v: f, p: p}, nil
		}
	case config.ChannelAlertmanager:
		if len(ch.URLs) == 0 {
			return nil, fmt.Errorf("alerts: alertmanager channel: at least one URL is required")
		}
		a := &alertmanager{resend: opts.ResendInterval, p: p}
		for i, u := range ch.URLs {
			api, err := alertmanagerAPI(u)
			if err != nil {
				return nil, fmt.Errorf("alerts: alertmanager channel: urls[%d] %s: %w", i, u, err)
			}
			d, err := newDestination(ch.Type, fmt.Sprintf("urls[%d]", i), api, "", opts)
			if err != nil {
				return nil, err
			}
			a.dests = append(a.dests, d)
		}
		return a, nil
	case "":
		return nil, fmt.Errorf("alerts: channel type is required")
	}
	return nil, fmt.Errorf("alerts: unknown channel type %q", ch.Type)
}

// destination is one URL a notifier posts to, with what it takes to speak of it
// without giving its secrets away.
type destination struct {
	kind  string // channel type
	url   sealed // revealed only to build the request
	shown string // scheme://host/<redacted>, for errors and logs
	rates []config.Rate
	key   string // the limiter's key
	lim   *Limiter
	scrub *strings.Replacer
}

func newDestination(kind, field string, u, secret config.Secret, opts Options) (*destination, error) {
	if err := checkURL(u, opts.HostAllowed); err != nil {
		if u != "" {
			field += " " + u.String()
		}
		return nil, fmt.Errorf("alerts: %s channel: %s: %w", kind, field, err)
	}
	return &destination{
		kind:  kind,
		url:   seal(u),
		shown: u.String(),
		rates: opts.RateLimits.For(kind),
		key:   limiterKey(kind, u.Reveal()),
		lim:   opts.Limiter,
		scrub: newScrubber(u, secret),
	}, nil
}

// checkURL accepts http(s) URLs without user info, with a host the allow-list
// accepts. Its errors never quote the URL.
func checkURL(s config.Secret, hostAllowed func(string) bool) error {
	if s == "" {
		return fmt.Errorf("required")
	}
	u, err := url.Parse(s.Reveal())
	switch {
	case err != nil:
		return fmt.Errorf("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme must be http or https")
	case u.Hostname() == "":
		return fmt.Errorf("URL has no host")
	case hostAllowed != nil && !hostAllowed(u.Hostname()):
		return fmt.Errorf("host %q is not allowed by alerts.webhook_allowlist", u.Hostname())
	case u.User != nil:
		return config.ErrUserInfo
	}
	return nil
}

// newScrubber replaces every secret part of a destination with "<redacted>" in text
// that came from elsewhere (a receiver's answer, a vendor's error message, a transport
// error): the whole URL, its user info, query and query values, the signing secret,
// and the path — whole, escaped or not, every tail of it from a slash on (a receiver's
// "Cannot POST /hooks/T01/B02/x7Yz" quotes it) and each segment that may be a key
// (8 bytes or more, or 4 or more with a digit). Webhook paths carry keys as often as
// queries do.
func newScrubber(u, secret config.Secret) *strings.Replacer {
	parts := []string{u.Reveal(), secret.Reveal()}
	if p, err := url.Parse(u.Reveal()); err == nil {
		parts = append(parts, p.RawQuery, p.User.String(), p.User.Username())
		if pw, ok := p.User.Password(); ok {
			parts = append(parts, pw)
		}
		for _, vs := range p.Query() {
			parts = append(parts, vs...)
		}
		for _, path := range []string{p.Path, p.EscapedPath()} {
			if p.RawQuery != "" {
				parts = append(parts, path+"?"+p.RawQuery)
			}
			for i := range len(path) {
				if path[i] == '/' {
					parts = append(parts, path[i:])
				}
			}
			for seg := range strings.SplitSeq(path, "/") {
				if len(seg) >= 8 || len(seg) >= 4 && strings.ContainsAny(seg, "0123456789") {
					parts = append(parts, seg, url.PathEscape(seg))
				}
			}
		}
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return len(s) < 4 })
	// Longest first, so that a URL is replaced whole rather than piece by piece.
	slices.SortFunc(parts, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	var args []string
	for _, p := range slices.Compact(parts) {
		args = append(args, p, config.Redacted)
	}
	return strings.NewReplacer(args...)
}

// sealed keeps a secret behind a pointer. fmt prints a struct's unexported fields
// without calling their String methods — a config.Secret field would print in clear
// with %v — but prints a pointer inside a struct as an address.
type sealed struct{ p *string }

func seal(s config.Secret) sealed {
	v := s.Reveal()
	return sealed{&v}
}

func (s sealed) reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

func (s sealed) set() bool { return s.reveal() != "" }
