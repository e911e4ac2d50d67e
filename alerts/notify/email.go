package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// TypeEmail sends each notification as an e-mail to the channel's addresses, through
// the SMTP server of the config (alerts.smtp).
const TypeEmail = "email"

// MaxMailRecipients bounds the addresses of one e-mail channel.
const MaxMailRecipients = 20

func init() {
	register(Kind{Type: TypeEmail, Name: "e-mail", To: Required, Mail: true, build: newEmail})
}

// CheckMailAddress accepts an RFC 5322 addr-spec as net/mail reads it —
// "ops@example.com", without a display name or angle brackets — in ASCII, with a
// domain.
func CheckMailAddress(s string) error {
	a, err := mail.ParseAddress(s)
	switch {
	case s == "":
		return fmt.Errorf("empty address")
	case err != nil || a.Name != "" || a.Address != s:
		return fmt.Errorf("%q is not an e-mail address (name@example.com)", s)
	case strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }):
		return fmt.Errorf("%q: internationalized addresses are not supported", s)
	}
	return nil
}

// CheckMailRecipients checks a channel's addresses: 1 to MaxMailRecipients, each
// valid (CheckMailAddress), none twice. bad receives each problem with the index of
// the address (-1 for the list).
func CheckMailRecipients(to []string, bad func(i int, err error)) {
	switch {
	case len(to) == 0:
		bad(-1, fmt.Errorf("at least one address is required"))
	case len(to) > MaxMailRecipients:
		bad(-1, fmt.Errorf("%d addresses; at most %d", len(to), MaxMailRecipients))
	}
	seen := map[string]int{}
	for i, a := range to {
		if err := CheckMailAddress(a); err != nil {
			bad(i, err)
			continue
		}
		if j, dup := seen[strings.ToLower(a)]; dup {
			bad(i, fmt.Errorf("%q listed twice (also [%d])", a, j))
		}
		seen[strings.ToLower(a)] = i
	}
}

// email sends one message per notification — one Message-ID per idempotency key —
// over one SMTP session per batch.
type email struct {
	srv     SMTPServer // without its password
	pass    sealed
	from    *mail.Address
	to      []string
	timeout time.Duration
	dest    *destination
	p       *poster
	log     *slog.Logger
}

// newEmail is the notifier of an e-mail channel.
func newEmail(ch Channel, o Options) (Notifier, error) {
	if o.SMTP == nil || o.SMTP.Host == "" {
		return nil, fmt.Errorf("alerts: email channel: no SMTP server is configured (alerts.smtp.host)")
	}
	var problems []string
	CheckMailRecipients(ch.To, func(i int, err error) {
		if i >= 0 {
			problems = append(problems, fmt.Sprintf("to[%d]: %v", i, err))
		} else {
			problems = append(problems, fmt.Sprintf("to: %v", err))
		}
	})
	if len(problems) > 0 {
		return nil, fmt.Errorf("alerts: email channel: %s", strings.Join(problems, "; "))
	}
	from, err := mail.ParseAddress(o.SMTP.From)
	if err != nil {
		return nil, fmt.Errorf("alerts: email channel: alerts.smtp.from is not an address")
	}
	srv := *o.SMTP
	srv.Password = nil
	timeout := srv.Timeout
	if timeout <= 0 {
		timeout = o.Timeout
	}
	pass := reveal(o.SMTP.Password)
	b64 := base64.StdEncoding.EncodeToString
	return &email{
		srv: srv, pass: sealed{&pass}, from: from, to: ch.To, timeout: timeout, p: newPoster(o), log: o.Logger,
		dest: &destination{
			kind:  TypeEmail,
			shown: "via SMTP", // the server's name goes to the detail, which tenants never read
			rates: srv.Rates,
			key:   limiterKey(TypeEmail, srv.addr()),
			lim:   o.Limiter,
			// A server may quote what it got: the password, or AUTH PLAIN's argument.
			scrub: redactor([]string{pass, b64([]byte(pass)), b64([]byte("\x00" + srv.Username + "\x00" + pass))}),
		},
	}, nil
}

// Send sends the batch over one session, opened at the first message and again
// after an error that left it unusable; the rate limit is the server's.
func (e *email) Send(ctx context.Context, batch []*Notification) []Result {
	var s *mailSession
	defer func() { s.close() }()
	reqs := make([]request, len(batch))
	for i, n := range batch {
		reqs[i] = request{owners: []int{i}, send: func(ctx context.Context) Result {
			var r Result
			s, r = e.deliver(ctx, s, n)
			return r
		}}
	}
	return e.p.sendAll(ctx, e.dest, reqs, len(batch))
}

// deliver sends one notification over s (nil: a new session), and returns the
// session to go on with (nil when it is closed).
func (e *email) deliver(ctx context.Context, s *mailSession, n *Notification) (*mailSession, Result) {
	msg, err := composeMail(n, e.from, e.to, e.p.clock.Now())
	if err != nil {
		return s, Result{Err: e.dest.explain("compose the message of notification "+n.ID, err)}
	}
	start := e.p.clock.Now()
	if s == nil {
		if s, err = dialMail(ctx, &e.srv, e.pass.reveal(), e.timeout); err != nil {
			return nil, e.result(ctx, err, mailOutcome{})
		}
	}
	out, err := s.send(ctx, e.from.Address, e.to, msg)
	e.log.Debug("alert delivery", "channel", TypeEmail, "destination", e.srv.addr(), "recipients", len(e.to),
		"accepted", out.accepted, "duration", e.p.clock.Now().Sub(start))
	var se *mailStageError
	if err != nil && (!errors.As(err, &se) || !se.usable) {
		s.drop()
		s = nil
	}
	return s, e.result(ctx, err, out)
}

// result judges an attempt: sent to every recipient, or to some with the others
// refused for good (a permanent failure naming them); a 4xx reply, a connection or
// TLS problem retryable; a 5xx reply permanent. Its error says what happened in our
// words, and leaves the server's own text and address to the detail.
func (e *email) result(ctx context.Context, err error, out mailOutcome) Result {
	if err == nil {
		if len(out.refused) == 0 {
			return Result{}
		}
		r := out.refused[0]
		code := smtpCode(r.err)
		return Result{
			Err: e.dest.failf([]byte(e.srv.addr()+" answered: "+r.err.Error()), "sent to %d of %d recipients; SMTP %d at RCPT TO: recipient %s refused",
				out.accepted, len(e.to), code, r.addr),
			Code: strconv.Itoa(code),
		}
	}
	if ctx.Err() != nil {
		return Result{Err: e.dest.explain("cut short", ctx.Err()), Retryable: true}
	}
	var se *mailStageError
	if !errors.As(err, &se) {
		return Result{Err: e.dest.wrap("send failed", err), Retryable: true}
	}
	code := smtpCode(se.err)
	what := mailProblem(se)
	var ne net.Error
	if code == 0 && errors.As(se.err, &ne) && ne.Timeout() {
		what = fmt.Sprintf("no answer within %s (%s)", e.timeout, se.stage)
	}
	res := Result{Err: e.dest.failf([]byte(e.srv.addr()+": "+se.err.Error()), "%s", what), Retryable: code/100 != 5}
	if code != 0 {
		res.Code = strconv.Itoa(code)
	}
	return res
}
