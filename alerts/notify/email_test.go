package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/internal/testlog"
)

// The e-mail channel's tests run a real SMTP server (notifytest.MailServer, on
// github.com/emersion/go-smtp) on 127.0.0.1, with STARTTLS under a certificate made
// for the test and AUTH PLAIN.

const (
	mailUser = "alerts@example.com"
	mailPass = "smtp-Pa55word-4f9c1e" // the secret no output may show
	mailFrom = "chainrisk 预警 <alerts@example.com>"
)

// newMailServer starts a server that requires mailUser and mailPass (unless o says
// otherwise) and stamps messages with clock.
func newMailServer(t *testing.T, clock Clock, o notifytest.MailOptions) *notifytest.MailServer {
	t.Helper()
	if o.Username == "" && !o.NoTLS {
		o.Username, o.Password = mailUser, mailPass
	}
	o.Clock = clock
	return notifytest.NewMailServer(t, o)
}

// mailOptions are testOptions with the server as alerts.smtp would make it.
func mailOptions(t *testing.T, ms *notifytest.MailServer, clock Clock, logs *testlog.Buffer) Options {
	t.Helper()
	opts := testOptions(t, clock, logs)
	opts.SMTP = &SMTPServer{Host: ms.Host, Port: ms.Port, RootCAs: ms.Roots, Username: mailUser,
		Password: secret(mailPass), From: mailFrom, Timeout: 5 * time.Second}
	return opts
}

func emailChannel(to ...string) Channel { return Channel{Type: TypeEmail, To: to} }

// parsedMail is a received message read back as a mail client would.
type parsedMail struct {
	header   mail.Header
	subject  string            // decoded
	fromName string            // decoded
	parts    map[string]string // media type → decoded body
	cte      []string          // each part's Content-Transfer-Encoding
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	p := parsedMail{header: m.Header, parts: map[string]string{}}
	if p.subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From %q: %v", m.Header.Get("From"), err)
	}
	p.fromName = from[0].Name
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, ctParams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if ctParams["charset"] != "utf-8" {
			t.Errorf("part %s: charset %q", ct, ctParams["charset"])
		}
		cte := part.Header.Get("Content-Transfer-Encoding")
		p.cte = append(p.cte, cte)
		raw, _ := io.ReadAll(part)
		p.parts[ct] = decodeQP(t, raw)
	}
	return p
}

// decodeQP decodes a quoted-printable body through a multipart reader of its own,
// which decodes it transparently, and turns its CRLFs into LFs.
func decodeQP(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("--x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.Write(raw)
	b.WriteString("\r\n--x--\r\n")
	part, err := multipart.NewReader(&b, "x").NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(part)
	if err != nil {
		t.Fatalf("not quoted-printable: %v", err)
	}
	return strings.ReplaceAll(string(body), "\r\n", "\n")
}

// TestEmailDelivers sends a notification in each language and reads it back: the
// envelope, the encrypted and authenticated session, the headers (Subject and the
// sender's name decoding to Chinese), and both parts saying the summary.
func TestEmailDelivers(t *testing.T) {
	for _, tc := range []struct {
		lang, subject, subjectStart, link, footer string
	}{
		{"zh", "【警告】信用等级下调：宁波精工铸件有限公司（91330206MA2AHK5R3T） B → C", "=?utf-8?b?",
			"详情：https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T", "chainrisk 信用预警 · 订阅 yuanhang-chain"},
		{"en", "[WARNING] Credit grade downgraded: 宁波精工铸件有限公司 (91330206MA2AHK5R3T) B → C", "=?utf-8?q?",
			"Details: https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T", "chainrisk credit alert · subscription yuanhang-chain"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			clock := newFakeClock()
			ms := newMailServer(t, clock, notifytest.MailOptions{})
			nt := mustNotifier(t, emailChannel("ops@example.com", "risk@example.org"), mailOptions(t, ms, clock, nil))
			n := firingDowngrade(tc.lang)
			n.AlertID = "4b1f0c2d9e8a7b6c"
			if r := nt.Send(context.Background(), []*Notification{n}); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
			mails := ms.Mails()
			if len(mails) != 1 {
				t.Fatalf("%d messages", len(mails))
			}
			m := mails[0]
			if m.From != "alerts@example.com" || !slices.Equal(m.To, []string{"ops@example.com", "risk@example.org"}) {
				t.Errorf("envelope from %q to %q", m.From, m.To)
			}
			if !m.TLS || m.User != mailUser {
				t.Errorf("session TLS %v, user %q", m.TLS, m.User)
			}
			p := parseMail(t, m.Data)
			if p.subject != tc.subject || !strings.HasPrefix(p.header.Get("Subject"), tc.subjectStart) {
				t.Errorf("Subject %q (raw %q), want %q", p.subject, p.header.Get("Subject"), tc.subject)
			}
			if p.fromName != "chainrisk 预警" || !strings.Contains(p.header.Get("From"), "=?utf-8?") {
				t.Errorf("From %q (name %q)", p.header.Get("From"), p.fromName)
			}
			for name, want := range map[string]string{
				"To":                       "ops@example.com, risk@example.org",
				"Message-Id":               "<chainrisk.ntf-0001@example.com>",
				"Date":                     "Sat, 21 Nov 2026 08:00:00 +0000", // t0
				"Mime-Version":             "1.0",
				"Auto-Submitted":           "auto-generated",
				"X-Chainrisk-Alert":        "4b1f0c2d9e8a7b6c",
				"X-Chainrisk-Notification": "ntf-0001",
				"X-Chainrisk-Severity":     "warning",
				"X-Chainrisk-Status":       "firing",
			} {
				if got := strings.ReplaceAll(p.header.Get(name), "\r\n", ""); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if !slices.Equal(p.cte, []string{"quoted-printable", "quoted-printable"}) || len(p.parts) != 2 {
				t.Fatalf("parts %v, encodings %v", slices.Collect(mapKeys(p.parts)), p.cte)
			}
			summary, _ := Summary(n)
			text := p.parts["text/plain"]
			if !strings.HasPrefix(text, summary+"\n\n"+tc.link+"\n") || !strings.HasSuffix(text, "\n-- \n"+tc.footer+"\n") {
				t.Errorf("text part:\n%s", text)
			}
			html := p.parts["text/html"]
			for _, want := range []string{`<html lang="` + tc.lang + `">`, ">" + tc.subject + "</h2>", "<li>tax_arrears −120 (2026-10-08)</li>",
				`<a href="https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T">`, tc.footer} {
				if !strings.Contains(html, want) {
					t.Errorf("html part lacks %q:\n%s", want, html)
				}
			}
		})
	}
}

// mapKeys lists a map's keys.
func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestEmailHTMLEscaped: a firm name with markup is text in the HTML part, and a link
// that is not http(s) goes nowhere.
func TestEmailHTMLEscaped(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{})
	nt := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, ms, clock, nil))
	n := firingDowngrade("en")
	n.Subject.Name = `<script>alert("x")</script> & Co`
	n.URL = "javascript:alert(1)"
	if r := nt.Send(context.Background(), []*Notification{n}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	p := parseMail(t, ms.Mails()[0].Data)
	html, text := p.parts["text/html"], p.parts["text/plain"]
	if strings.Contains(html, "<script>") || strings.Contains(html, "javascript:") ||
		!strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co") || !strings.Contains(html, `href="#ZgotmplZ"`) {
		t.Errorf("html part not escaped:\n%s", html)
	}
	if !strings.Contains(text, `<script>alert("x")</script> & Co`) || !strings.Contains(p.subject, `<script>alert("x")</script> & Co`) {
		t.Errorf("the text part and the subject say the name as it is:\n%s\n%s", p.subject, text)
	}
}

// TestEmailRetrySameMessage: a server that answers 451 to a message makes the attempt
// retryable; the retry, rendered anew later, is the same message (same Message-ID)
// and is delivered.
func TestEmailRetrySameMessage(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{Data: func(n int, _ []byte) error {
		if n == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "local error, try again"}
		}
		return nil
	}})
	nt := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, ms, clock, nil))
	r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")})[0]
	if r.Err == nil || !r.Retryable || r.Code != "451" || !strings.HasPrefix(r.Err.Error(), "email via SMTP: SMTP 451 at end of DATA"+DetailSep) ||
		!strings.Contains(r.Err.Error(), "try again") {
		t.Fatalf("first attempt: %+v", r)
	}
	clock.Advance(30 * time.Second)
	if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")})[0]; r.Err != nil {
		t.Fatalf("retry: %v", r.Err)
	}
	offered := ms.Offered()
	if len(offered) != 2 || offered[0].Refused == nil || offered[1].Refused != nil {
		t.Fatalf("offered %d messages: %+v", len(offered), offered)
	}
	first, second := parseMail(t, offered[0].Data), parseMail(t, offered[1].Data)
	if id := first.header.Get("Message-ID"); id != second.header.Get("Message-ID") || id != "<chainrisk.ntf-0001@example.com>" {
		t.Errorf("Message-IDs %q and %q", id, second.header.Get("Message-ID"))
	}
	if first.header.Get("Date") == second.header.Get("Date") {
		t.Error("the retry was not rendered anew")
	}
}

// TestEmailRateLimit: the server's limit (2 a minute) holds across channels — two
// notifiers sharing the process's limiter send 3 messages at one instant: 2 go at t0,
// the third when the first leaves the window, at t0 + 60 s.
func TestEmailRateLimit(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{})
	opts := mailOptions(t, ms, clock, nil)
	opts.SMTP.Rates = []Rate{{2, time.Minute}}
	opts.Limiter = NewLimiter(clock)
	a := mustNotifier(t, emailChannel("ops@example.com"), opts)
	b := mustNotifier(t, emailChannel("risk@example.org"), opts)
	for _, r := range a.Send(context.Background(), batch3("zh")[:2]) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if r := b.Send(context.Background(), []*Notification{resolvedChainRisk("zh")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	mails := ms.Mails()
	if len(mails) != 3 {
		t.Fatalf("%d messages", len(mails))
	}
	for i, want := range []time.Duration{0, 0, time.Minute} {
		if got := mails[i].At.Sub(t0); got != want {
			t.Errorf("message %d sent at t0+%s, want t0+%s", i, got, want)
		}
	}
	// The clock stands at t0 + 60 s, the window holds that send: a fourth goes at once
	// (the window's 2nd latest send, at t0, + 60 s = now), and a fifth would wait until
	// the 3rd + 60 s = t0 + 120 s. Under a deadline shorter than that wait it is not
	// sent, and the result says when to try.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.Send(ctx, []*Notification{firingDowngrade("zh")})
	r := b.Send(ctx, []*Notification{firingDowngrade("zh")})[0]
	var rl *RateLimitedError
	if !errors.As(r.Err, &rl) || !r.Retryable || r.RetryAfter != time.Minute || len(ms.Mails()) != 4 {
		t.Errorf("over the limit: %+v, %d messages", r, len(ms.Mails()))
	}
}

// TestEmailOneSessionPerBatch: a batch goes over one connection, a message each.
func TestEmailOneSessionPerBatch(t *testing.T) {
	clock := newFakeClock()
	ms := newMailServer(t, clock, notifytest.MailOptions{})
	nt := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, ms, clock, nil))
	for _, r := range nt.Send(context.Background(), batch3("en")) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	sessions, datas := ms.Sessions()
	if sessions != 1 || datas != 3 || len(ms.Mails()) != 3 {
		t.Errorf("%d sessions, %d messages", sessions, datas)
	}
	var ids []string
	for _, m := range ms.Mails() {
		ids = append(ids, parseMail(t, m.Data).header.Get("X-Chainrisk-Notification"))
	}
	if !slices.Equal(ids, []string{"ntf-0001", "ntf-0003", "ntf-0004"}) {
		t.Errorf("notifications %v", ids)
	}
}

// TestEmailGolden records the messages as the server received them (CRLF shown as
// LF), with their parts decoded, for the payload goldens' notifications.
func TestEmailGolden(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		for _, tc := range goldenCases {
			name := "email." + lang + "." + tc.name + ".golden"
			t.Run(name, func(t *testing.T) {
				clock := newFakeClock()
				ms := newMailServer(t, clock, notifytest.MailOptions{})
				nt := mustNotifier(t, emailChannel("ops@example.com", "risk@example.org"), mailOptions(t, ms, clock, nil))
				for i, r := range nt.Send(context.Background(), tc.batch(lang)) {
					if r.Err != nil {
						t.Fatalf("notification %d: %v", i, r.Err)
					}
				}
				var out bytes.Buffer
				for i, m := range ms.Mails() {
					if i > 0 {
						out.WriteString("\n----\n\n")
					}
					fmt.Fprintf(&out, "MAIL FROM:<%s>\n", m.From)
					for _, to := range m.To {
						fmt.Fprintf(&out, "RCPT TO:<%s>\n", to)
					}
					out.WriteString("DATA\n" + strings.ReplaceAll(string(m.Data), "\r\n", "\n") + ".\n")
					p := parseMail(t, m.Data)
					fmt.Fprintf(&out, "\n# Subject as shown\n%s\n\n# text/plain as shown\n%s\n# text/html as shown\n%s",
						p.subject, p.parts["text/plain"], p.parts["text/html"])
				}
				golden(t, name, out.Bytes())
			})
		}
	}
}
