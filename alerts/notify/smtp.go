package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"
)

// STARTTLS modes of an SMTPServer (alerts.smtp.starttls).
const (
	// StartTLSRequired upgrades every connection with STARTTLS and sends nothing to a
	// server that does not offer it: the default.
	StartTLSRequired = "required"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and sends in clear
	// otherwise (a relay without TLS). net/smtp still refuses to send a password in
	// clear to any host but localhost.
	StartTLSOpportunistic = "opportunistic"
	// StartTLSNone never upgrades: for a server on loopback only (config validation
	// holds it there).
	StartTLSNone = "none"
)

// SMTPServer is the mail server e-mail channels send through: the config's
// alerts.smtp, which package config checks at load.
type SMTPServer struct {
	Host string
	Port int
	// StartTLS is StartTLSRequired (also ""), StartTLSOpportunistic or StartTLSNone;
	// ImplicitTLS speaks TLS from the first byte instead (port 465).
	StartTLS    string
	ImplicitTLS bool
	// RootCAs verify the server's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Username and Password authenticate with AUTH PLAIN; no username, no AUTH.
	Username string
	Password Secret
	// From is the sender, an address with an optional display name
	// ("chainrisk 预警 <alerts@example.com>"); its address is the envelope sender too.
	From string
	// Timeout bounds the connection and each message's exchange; 0 means
	// Options.Timeout.
	Timeout time.Duration
	// Rates limit the messages sent through this server, whichever channel sends them.
	Rates []Rate
	// HelloName is what EHLO says; "" means "localhost", as net/smtp does.
	HelloName string
}

// addr is host:port.
func (s *SMTPServer) addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// tlsConfig verifies the server as Host, with RootCAs.
func (s *SMTPServer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.Host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

// mailSession is one SMTP connection, authenticated, which sends one message after
// the other until an error leaves it unusable.
type mailSession struct {
	conn    net.Conn
	c       *smtp.Client
	timeout time.Duration
}

// errNoStartTLS: starttls is required and the server does not offer it.
var errNoStartTLS = errors.New("the server does not offer STARTTLS, which alerts.smtp.starttls requires")

// dialMail connects to the server, says EHLO, upgrades with STARTTLS as its mode
// says and authenticates. Every step, the connection included, ends within timeout
// or with ctx.
func dialMail(ctx context.Context, srv *SMTPServer, password string, timeout time.Duration) (s *mailSession, err error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", srv.addr())
	if err != nil {
		return nil, &mailStageError{stage: "connect", err: err}
	}
	s = &mailSession{conn: conn, timeout: timeout}
	defer func() {
		if err != nil {
			s.drop()
			s = nil
		}
	}()
	stop := s.watch(ctx)
	defer stop()
	if srv.ImplicitTLS {
		tc := tls.Client(conn, srv.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return s, &mailStageError{stage: "TLS", err: err}
		}
		conn = tc
	}
	if s.c, err = smtp.NewClient(conn, srv.Host); err != nil {
		return s, &mailStageError{stage: "greeting", err: err}
	}
	hello := srv.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := s.c.Hello(hello); err != nil {
		return s, &mailStageError{stage: "EHLO", err: err}
	}
	if !srv.ImplicitTLS && srv.StartTLS != StartTLSNone {
		if ok, _ := s.c.Extension("STARTTLS"); ok {
			if err := s.c.StartTLS(srv.tlsConfig()); err != nil {
				return s, &mailStageError{stage: "STARTTLS", err: err}
			}
		} else if srv.StartTLS != StartTLSOpportunistic {
			return s, &mailStageError{stage: "STARTTLS", err: errNoStartTLS}
		}
	}
	if srv.Username != "" {
		// PlainAuth refuses to send the password over a connection that is not
		// encrypted, unless the server is localhost.
		if err := s.c.Auth(smtp.PlainAuth("", srv.Username, password, srv.Host)); err != nil {
			return s, &mailStageError{stage: "AUTH", err: err}
		}
	}
	return s, nil
}

// watch bounds what follows by the session's timeout and by ctx: the connection's
// deadline is set, and moved to the past when ctx ends, which interrupts a read or
// write in progress. The returned func undoes the watch on ctx.
func (s *mailSession) watch(ctx context.Context) func() bool {
	dl := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = s.conn.SetDeadline(dl)
	return context.AfterFunc(ctx, func() { _ = s.conn.SetDeadline(time.Unix(1, 0)) })
}

// close quits politely and closes the connection.
func (s *mailSession) close() { s.closeConn(true) }

// drop closes a connection that failed: a QUIT could only wait for an answer that
// will not come.
func (s *mailSession) drop() { s.closeConn(false) }

func (s *mailSession) closeConn(polite bool) {
	if s == nil {
		return
	}
	if s.c != nil && polite {
		_ = s.conn.SetDeadline(time.Now().Add(time.Second))
		_ = s.c.Quit()
		_ = s.c.Close()
	}
	_ = s.conn.Close()
}

// rcptRefusal is a recipient the server refused.
type rcptRefusal struct {
	addr string
	err  error
}

// mailOutcome is what became of one message: sent to the recipients the server
// accepted (none when it was not sent), and the refusals.
type mailOutcome struct {
	accepted int
	refused  []rcptRefusal
}

// send makes one mail transaction. When the server refuses some recipients for the
// time being (4xx) nothing is sent, so that a retry reaches everyone once; when it
// refuses some for good (5xx) and accepts others, the message goes to those. A
// transaction the server refused leaves the session usable (RSET); any other error
// leaves it to be closed.
func (s *mailSession) send(ctx context.Context, from string, to []string, msg []byte) (mailOutcome, error) {
	stop := s.watch(ctx)
	defer stop()
	var out mailOutcome
	if err := s.c.Mail(from); err != nil {
		return out, s.abort(&mailStageError{stage: "MAIL FROM", err: err})
	}
	temporary := false
	for _, addr := range to {
		if err := s.c.Rcpt(addr); err != nil {
			if smtpCode(err) == 0 {
				return out, &mailStageError{stage: "RCPT TO", err: err}
			}
			temporary = temporary || smtpCode(err)/100 == 4
			out.refused = append(out.refused, rcptRefusal{addr, err})
			continue
		}
		out.accepted++
	}
	if out.accepted == 0 || temporary {
		first := out.refused[0]
		for _, r := range out.refused {
			if smtpCode(r.err)/100 == 4 {
				first = r
				break
			}
		}
		out.accepted = 0
		return out, s.abort(&mailStageError{stage: "RCPT TO", err: first.err, rcpt: first.addr})
	}
	w, err := s.c.Data()
	if err != nil {
		return out, s.abort(&mailStageError{stage: "DATA", err: err})
	}
	if _, err := w.Write(msg); err != nil {
		return out, &mailStageError{stage: "DATA", err: err}
	}
	if err := w.Close(); err != nil {
		// The server's answer to the message: refused, or an I/O error.
		return out, s.abort(&mailStageError{stage: "end of DATA", err: err})
	}
	return out, nil
}

// abort resets a transaction the server refused, so that the session can go on; err
// is returned as it is.
func (s *mailSession) abort(err *mailStageError) error {
	if smtpCode(err.err) != 0 && s.c.Reset() == nil {
		err.usable = true
	}
	return err
}

// mailStageError is a failure at one stage of the SMTP exchange: the server's reply
// (a *textproto.Error) or what went wrong on the way.
type mailStageError struct {
	stage  string // connect, TLS, greeting, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA, end of DATA
	err    error
	rcpt   string // the recipient refused, at RCPT TO
	usable bool   // the session may send on (the server refused, RSET answered)
}

func (e *mailStageError) Error() string { return e.stage + ": " + e.err.Error() }

func (e *mailStageError) Unwrap() error { return e.err }

// smtpCode is the reply code of a server's refusal, 0 for other errors.
func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// mailProblem words, in our words only, what went wrong: a server's reply by its
// code, anything else as transportProblem does. The server's own text is left to
// the detail.
func mailProblem(e *mailStageError) string {
	code := smtpCode(e.err)
	switch {
	case code == 0 && errors.Is(e.err, errNoStartTLS):
		return "the server does not offer STARTTLS (alerts.smtp.starttls: required)"
	case code == 0 && e.stage == "AUTH" && e.err.Error() == "unencrypted connection":
		// net/smtp's PlainAuth: no password in clear but to localhost.
		return "AUTH not sent: the connection is not encrypted (alerts.smtp.starttls)"
	case code == 0 && e.stage == "STARTTLS", code == 0 && e.stage == "TLS":
		return e.stage + ": " + transportProblem(e.err)
	case code == 0:
		return transportProblem(e.err) + " (" + e.stage + ")"
	case e.stage == "AUTH" && code/100 == 5:
		return fmt.Sprintf("SMTP %d at AUTH: authentication failed (check alerts.smtp.username and password)", code)
	case code == 530:
		return fmt.Sprintf("SMTP %d at %s: the server requires authentication (alerts.smtp.username and password)", code, e.stage)
	case e.rcpt != "":
		return fmt.Sprintf("SMTP %d at RCPT TO: recipient %s refused", code, e.rcpt)
	}
	return fmt.Sprintf("SMTP %d at %s", code, e.stage)
}
