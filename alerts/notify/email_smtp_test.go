package notify

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
)

// sendMail sends one notification on a fresh notifier of channel and returns its result.
func sendMail(t *testing.T, ch Channel, opts Options) Result {
	t.Helper()
	return mustNotifier(t, ch, opts).Send(context.Background(), []*Notification{firingDowngrade("en")})[0]
}

// wantFailure checks a failed result: retryable or not, its code, and the start of
// its error — our words, before the detail (DetailSep), which only admins read.
func wantFailure(t *testing.T, r Result, retryable bool, code, ours string) {
	t.Helper()
	if r.Err == nil {
		t.Fatal("delivered")
	}
	msg, _, _ := strings.Cut(r.Err.Error(), DetailSep)
	if r.Retryable != retryable || r.Code != code || msg != ours {
		t.Errorf("got retryable %v, code %q, %q; want %v, %q, %q", r.Retryable, r.Code, msg, retryable, code, ours)
	}
}

// TestEmailWrongPassword: the server refuses the login for good (535): the
// notification fails permanently, and the error says so in our words, without the
// password.
func TestEmailWrongPassword(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{})
	opts := mailOptions(t, ms, clock, nil)
	opts.SMTP.Password = secret("not-the-Password-9")
	r := sendMail(t, emailChannel("ops@example.com"), opts)
	wantFailure(t, r, false, "535", "email via SMTP: SMTP 535 at AUTH: authentication failed (check alerts.smtp.username and password)")
	if strings.Contains(r.Err.Error(), "not-the-Password-9") || !strings.Contains(r.Err.Error(), "Authentication failed") {
		t.Errorf("error %q", r.Err)
	}
	if len(ms.Offered()) != 0 {
		t.Error("a message was offered")
	}
}

// TestEmailRecipientsRefused: a recipient refused for good (550) among others gets
// nothing and the others get the message, which fails permanently naming the refused
// one; a recipient refused for the time being (450) holds the message back from
// everyone, to be retried; all refused for good, nothing is sent.
func TestEmailRecipientsRefused(t *testing.T) {
	refuse := func(addr string) error {
		switch addr {
		case "gone@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case "full@example.com":
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}
	for _, tc := range []struct {
		name, code, ours string
		to               []string
		retryable        bool
		delivered        []string
	}{
		{"one gone", "550", "email via SMTP: sent to 2 of 3 recipients; SMTP 550 at RCPT TO: recipient gone@example.com refused",
			[]string{"ops@example.com", "gone@example.com", "risk@example.org"}, false, []string{"ops@example.com", "risk@example.org"}},
		{"one full", "450", "email via SMTP: SMTP 450 at RCPT TO: recipient full@example.com refused",
			[]string{"ops@example.com", "gone@example.com", "full@example.com"}, true, nil},
		{"all gone", "550", "email via SMTP: SMTP 550 at RCPT TO: recipient gone@example.com refused",
			[]string{"gone@example.com"}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			ms := newMailServer(t, clock, notifytest.MailOptions{Rcpt: refuse})
			r := sendMail(t, emailChannel(tc.to...), mailOptions(t, ms, clock, nil))
			wantFailure(t, r, tc.retryable, tc.code, tc.ours)
			var got []string
			for _, m := range ms.Mails() {
				got = append(got, m.To...)
			}
			if !slices.Equal(got, tc.delivered) {
				t.Errorf("delivered to %v, want %v", got, tc.delivered)
			}
		})
	}
}

// TestEmailSessionGoesOn: a message the server refuses for good fails alone; the
// session goes on (RSET) with the rest of the batch.
func TestEmailSessionGoesOn(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{Data: func(n int, _ []byte) error {
		if n == 2 {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "looks like spam"}
		}
		return nil
	}})
	rs := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, ms, clock, nil)).Send(context.Background(), batch3("zh"))
	if rs[0].Err != nil || rs[2].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	wantFailure(t, rs[1], false, "554", "email via SMTP: SMTP 554 at end of DATA")
	if conns, datas := ms.Sessions(); conns != 1 || datas != 3 || len(ms.Mails()) != 2 {
		t.Errorf("%d connections, %d messages offered, %d accepted", conns, datas, len(ms.Mails()))
	}
}

// TestEmailTLSPolicy: what each STARTTLS mode does with servers with and without
// TLS, and with a certificate the client does not trust.
func TestEmailTLSPolicy(t *testing.T) {
	clock := newFakeClock()
	plain := newMailServer(t, clock, notifytest.MailOptions{NoTLS: true})
	tlsSrv := newMailServer(t, clock, notifytest.MailOptions{})
	implicit := newMailServer(t, clock, notifytest.MailOptions{ImplicitTLS: true})
	noAuth := func(o Options) Options { o.SMTP.Username, o.SMTP.Password = "", nil; return o }

	// required (the default) with a server without STARTTLS: nothing sent, no password.
	r := sendMail(t, emailChannel("ops@example.com"), mailOptions(t, plain, clock, nil))
	wantFailure(t, r, true, "", "email via SMTP: the server does not offer STARTTLS (alerts.smtp.starttls: required)")

	// A certificate not signed by RootCAs.
	opts := mailOptions(t, tlsSrv, clock, nil)
	opts.SMTP.RootCAs = nil
	wantFailure(t, sendMail(t, emailChannel("ops@example.com"), opts), true, "", "email via SMTP: STARTTLS: TLS certificate not accepted")

	// none to a server on loopback without TLS or AUTH: delivered in clear.
	opts = noAuth(mailOptions(t, plain, clock, nil))
	opts.SMTP.StartTLS = StartTLSNone
	if r := sendMail(t, emailChannel("ops@example.com"), opts); r.Err != nil {
		t.Fatalf("none: %v", r.Err)
	}
	// opportunistic with a server offering STARTTLS: encrypted.
	opts = mailOptions(t, tlsSrv, clock, nil)
	opts.SMTP.StartTLS = StartTLSOpportunistic
	if r := sendMail(t, emailChannel("ops@example.com"), opts); r.Err != nil {
		t.Fatalf("opportunistic: %v", r.Err)
	}
	// Implicit TLS (port 465's way).
	opts = mailOptions(t, implicit, clock, nil)
	opts.SMTP.ImplicitTLS = true
	if r := sendMail(t, emailChannel("ops@example.com"), opts); r.Err != nil {
		t.Fatalf("implicit TLS: %v", r.Err)
	}
	if m := plain.Mails(); len(m) != 1 || m[0].TLS {
		t.Errorf("plain server: %+v", m)
	}
	for _, ms := range []*notifytest.MailServer{tlsSrv, implicit} {
		if m := ms.Mails(); len(m) != 1 || !m[0].TLS || m[0].User != mailUser {
			t.Errorf("TLS server: %+v", m)
		}
	}
}

// TestEmailNoPasswordInClear: opportunistic, with a server on a loopback address that
// is not "localhost" to net/smtp and offers no STARTTLS: the password is not sent.
func TestEmailNoPasswordInClear(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	l.Close()
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{NoTLS: true, Listen: "127.0.0.2:0", Username: mailUser, Password: mailPass})
	opts := mailOptions(t, ms, clock, nil)
	opts.SMTP.StartTLS = StartTLSOpportunistic
	r := sendMail(t, emailChannel("ops@example.com"), opts)
	wantFailure(t, r, true, "", "email via SMTP: AUTH not sent: the connection is not encrypted (alerts.smtp.starttls)")
	if len(ms.Offered()) != 0 {
		t.Error("a message was offered")
	}
}

// TestEmailConnectionProblems: no server listening, and a server that never answers
// the message, are retryable and worded as such.
func TestEmailConnectionProblems(t *testing.T) {
	clock := newFakeClock()
	gone := newMailServer(t, clock, notifytest.MailOptions{})
	opts := mailOptions(t, gone, clock, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.SMTP.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	wantFailure(t, sendMail(t, emailChannel("ops@example.com"), opts), true, "", "email via SMTP: connection refused (connect)")

	release := make(chan struct{})
	hang := newMailServer(t, clock, notifytest.MailOptions{Data: func(int, []byte) error { <-release; return nil }})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	opts = mailOptions(t, hang, clock, nil)
	opts.SMTP.Timeout = 300 * time.Millisecond
	wantFailure(t, sendMail(t, emailChannel("ops@example.com"), opts), true, "", "email via SMTP: no answer within 300ms (end of DATA)")

	// Cut short by the caller: retryable, and the cause shows.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, hang, clock, nil)).Send(ctx, []*Notification{firingDowngrade("en")})[0]
	if !r.Retryable || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("cancelled: %+v", r)
	}
}

// TestEmailValidation: what New refuses of an e-mail channel, field by field.
func TestEmailValidation(t *testing.T) {
	srv := &SMTPServer{Host: "smtp.example.com", Port: 587, From: mailFrom}
	many := make([]string, MaxMailRecipients+1)
	for i := range many {
		many[i] = "u" + string(rune('a'+i)) + "@example.com"
	}
	for _, tc := range []struct {
		name string
		ch   Channel
		smtp *SMTPServer
		want string // "" = accepted
	}{
		{"ok", emailChannel("ops@example.com", "risk@example.org"), srv, ""},
		{"twenty", emailChannel(many[:MaxMailRecipients]...), srv, ""},
		{"no server", emailChannel("ops@example.com"), nil, "email channel: no SMTP server is configured (alerts.smtp.host)"},
		{"no addresses", emailChannel(), srv, "email channel: to: at least one address is required"},
		{"too many", emailChannel(many...), srv, "to: 21 addresses; at most 20"},
		{"not an address", emailChannel("ops@example.com", "ops"), srv, `to[1]: "ops" is not an e-mail address`},
		{"display name", emailChannel("Ops <ops@example.com>"), srv, `to[0]: "Ops <ops@example.com>" is not an e-mail address`},
		{"header injection", emailChannel("ops@example.com\r\nBcc: x@evil.test"), srv, "to[0]:"},
		{"non-ASCII", emailChannel("运维@example.com"), srv, "internationalized addresses are not supported"},
		{"twice", emailChannel("ops@example.com", "OPS@example.com"), srv, `to[1]: "OPS@example.com" listed twice (also [0])`},
		{"url", Channel{Type: TypeEmail, To: []string{"ops@example.com"}, URL: secret("https://x.example.com")}, srv, "url is not used"},
		{"to on a webhook", Channel{Type: TypeWebhook, URL: secret("https://x.example.com"), Secret: secret("s"), To: []string{"a@b.c"}}, srv, "to is not used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.ch, Options{SMTP: tc.smtp})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
