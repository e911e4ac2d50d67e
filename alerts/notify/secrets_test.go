package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/internal/testlog"
)

// TestSecretsNeverLeak drives every channel through every failure we know — answers
// that echo the secrets back included — and searches everything the package produced
// (logs at debug level, errors, results, the notifiers printed) for the secrets.
func TestSecretsNeverLeak(t *testing.T) {
	var logs testlog.Buffer
	var said []string
	note := func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }

	// echo is what a careless receiver might quote back: the request's URL (key, token,
	// signature), its basic-auth password and the channel's secrets.
	echo := func(kind string, r *http.Request) string {
		_, pw, _ := r.BasicAuth()
		return strings.Join(append(testKinds[kind].secrets, r.URL.String(), r.URL.RawQuery, pw), " ")
	}
	handlers := map[string]func(kind string) func(http.ResponseWriter, *http.Request, []byte){
		"500 echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Error(w, "bad request to "+echo(kind, r), 500)
			}
		},
		"404 echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) { http.Error(w, echo(kind, r), 404) }
		},
		"429": func(string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(429)
			}
		},
		"redirect": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.Redirect(w, r, "http://127.0.0.1:1/x?"+url.QueryEscape(echo(kind, r)), http.StatusFound)
			}
		},
		"hang": func(string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() }
		},
		"huge echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.WriteHeader(500)
				w.Write(bytes.Repeat([]byte(echo(kind, r)+" "), 5000))
			}
		},
		"vendor error echoing": func(kind string) func(http.ResponseWriter, *http.Request, []byte) {
			return func(w http.ResponseWriter, r *http.Request, _ []byte) {
				msg, _ := json.Marshal("invalid request, hint: " + echo(kind, r))
				testKinds[kind].refuse(string(msg))(w, r, nil)
			}
		},
	}
	kinds := httpKinds()
	for name, h := range handlers {
		for _, kind := range kinds {
			rv := newReceiver(t, nil, h(kind))
			opts := testOptions(t, newFakeClock(), &logs)
			opts.Timeout = 50 * time.Millisecond
			nt := mustNotifier(t, testChannel(kind, rv.URL), opts)
			note("%v %+v %#v", nt, nt, nt)
			for _, r := range nt.Send(context.Background(), batch3("zh")) {
				if r.Err == nil {
					t.Errorf("%s %s: no error", name, kind)
					continue
				}
				note("%s %s: %v %+v %#v %s", name, kind, r.Err, r, r, r.Code)
			}
		}
	}
	// A receiver that is gone, and a rate limit that holds.
	gone := newReceiver(t, nil, answer(200, ""))
	base := gone.URL
	gone.Close()
	for _, kind := range kinds {
		opts := testOptions(t, newFakeClock(), &logs)
		opts.Rates = wecomRates()
		nt := mustNotifier(t, testChannel(kind, base), opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for range 22 {
			for _, r := range nt.Send(ctx, []*Notification{firingDowngrade("en")}) {
				note("gone %s: %v %+v", kind, r.Err, r)
			}
		}
		cancel()
	}
	// Channels refused at construction.
	for _, kind := range kinds {
		ch := testChannel(kind, "ftp://hooks.example.com")
		_, err := New(ch, Options{})
		note("%v", err)
		ch = testChannel(kind, "https://hooks.example.com")
		_, err = New(ch, Options{HostAllowed: func(h string) bool { return strings.HasSuffix(h, ".internal") }})
		note("%v", err)
		if err == nil {
			t.Errorf("%s: a host off the allow-list was accepted", kind)
		}
	}
	_, err := New(Channel{Type: "webhook", URL: secret("https://h.example.com/x?token=" + webhookToken)}, Options{})
	note("%v", err)
	_, err = New(Channel{Type: "webhook", URL: secret("https://h.example.com/%zz" + webhookToken), Secret: secret(webhookSecret)}, Options{})
	note("%v", err)

	everything := logs.String() + "\n" + strings.Join(said, "\n")
	for _, s := range testSecrets() {
		if i := strings.Index(everything, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, everything[max(0, i-200):min(len(everything), i+100)])
		}
	}
	if !strings.Contains(everything, Redacted) || !logs.Contains(`"destination"`) {
		t.Error("the test did not exercise what it meant to")
	}
}

// TestEmailSecretsNeverLeak drives the e-mail channel through servers that quote the
// SMTP password back — in a refused login, a refused recipient, a refused message —
// and searches everything the package produced (debug logs, errors, results, the
// notifier printed) for the password and for AUTH PLAIN's argument, which carries it.
func TestEmailSecretsNeverLeak(t *testing.T) {
	var logs testlog.Buffer
	var said []string
	note := func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }
	plainArg := base64.StdEncoding.EncodeToString([]byte("\x00" + mailUser + "\x00" + mailPass))
	echo := "you sent " + mailPass + " (" + plainArg + ", " + base64.StdEncoding.EncodeToString([]byte(mailPass)) + ")"
	refusal := func(code int) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 7, 0}, Message: echo}
	}
	clock := newFakeClock()
	servers := map[string]notifytest.MailOptions{
		"login refused":         {Username: mailUser, Password: "another", AuthFailure: refusal(535)},
		"login refused for now": {Username: mailUser, Password: "another", AuthFailure: refusal(454)},
		"recipient refused":     {Rcpt: func(string) error { return refusal(550) }},
		"message refused":       {Data: func(int, []byte) error { return refusal(554) }},
		"message deferred":      {Data: func(int, []byte) error { return refusal(451) }},
	}
	for name, o := range servers {
		ms := newMailServer(t, clock, o)
		nt := mustNotifier(t, emailChannel("ops@example.com"), mailOptions(t, ms, clock, &logs))
		note("%v %+v %#v", nt, nt, nt)
		for _, r := range nt.Send(context.Background(), batch3("zh")) {
			if r.Err == nil {
				t.Errorf("%s: delivered", name)
				continue
			}
			note("%s: %v %+v %#v", name, r.Err, r, r)
		}
	}
	_, err := New(emailChannel("ops"), Options{SMTP: &SMTPServer{Host: "smtp.example.com", Password: secret(mailPass), From: mailFrom}})
	note("%v", err)

	everything := logs.String() + "\n" + strings.Join(said, "\n")
	for _, s := range []string{mailPass, plainArg, base64.StdEncoding.EncodeToString([]byte(mailPass))} {
		if i := strings.Index(everything, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, everything[max(0, i-200):min(len(everything), i+100)])
		}
	}
	if !strings.Contains(everything, "you sent "+Redacted) || !logs.Contains(`"destination"`) {
		t.Error("the test did not exercise what it meant to")
	}
}
