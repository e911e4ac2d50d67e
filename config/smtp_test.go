package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
)

// TestSMTPFromFile: full.good.yaml's alerts.smtp as package notify gets it — the port
// implicit_tls implies, the CA read, the password from the environment, the limit.
func TestSMTPFromFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := c.Alerts.SMTP.Server()
	if err != nil {
		t.Fatal(err)
	}
	if srv.Host != "smtp.example.com" || srv.Port != 465 || !srv.ImplicitTLS || srv.StartTLS != notify.StartTLSRequired ||
		srv.Username != "alerts@example.com" || srv.From != "chainrisk 预警 <alerts@example.com>" ||
		srv.HelloName != "chainrisk.example.com" || srv.Timeout != 20*time.Second {
		t.Errorf("server %+v", srv)
	}
	if srv.Password.Reveal() != "smtppass-SECRET10" || srv.RootCAs == nil || len(srv.Rates) != 1 || srv.Rates[0] != (notify.Rate{Count: 30, Per: time.Minute}) {
		t.Errorf("password, CA or rate: %v %v %v", srv.Password, srv.RootCAs, srv.Rates)
	}
	ch := c.Alerts.Subscriptions[1].Channels[1]
	if ch.Type != notify.TypeEmail || strings.Join(ch.To, ",") != "risk@example.com,ops@example.org" {
		t.Errorf("email channel %+v", ch)
	}
}

// TestSMTPChecks: the checks of alerts.smtp that need a host, one at a time on the
// defaults.
func TestSMTPChecks(t *testing.T) {
	ok := func(s *SMTPConfig) {}
	for _, tc := range []struct {
		name string
		set  func(*SMTPConfig)
		want string // "" = valid
	}{
		{"minimal", ok, ""},
		{"default port", func(s *SMTPConfig) { s.Port = 0 }, ""},
		{"none on localhost", func(s *SMTPConfig) { s.Host, s.StartTLS = "localhost", notify.StartTLSNone }, ""},
		{"none on 127.0.0.1", func(s *SMTPConfig) { s.Host, s.StartTLS = "127.0.0.1", notify.StartTLSNone }, ""},
		{"none on ::1", func(s *SMTPConfig) { s.Host, s.StartTLS = "::1", notify.StartTLSNone }, ""},
		{"none on a relay", func(s *SMTPConfig) { s.Host, s.StartTLS = "10.1.2.3", notify.StartTLSNone }, "alerts.smtp.starttls: none sends mail in clear"},
		{"implicit and opportunistic", func(s *SMTPConfig) { s.ImplicitTLS, s.StartTLS = true, notify.StartTLSOpportunistic },
			"alerts.smtp.starttls: opportunistic is not used with implicit_tls"},
		{"wildcard host", func(s *SMTPConfig) { s.Host = "*.example.com" }, `alerts.smtp.host: "*.example.com" is not a host name`},
		{"username alone", func(s *SMTPConfig) { s.Username = "u" }, "alerts.smtp.password: required with alerts.smtp.username"},
		{"from with a name", func(s *SMTPConfig) { s.From = `"chainrisk alerts" <alerts@example.com>` }, ""},
		{"from missing", func(s *SMTPConfig) { s.From = "" }, "alerts.smtp.from: required"},
		{"no CA file", func(s *SMTPConfig) { s.CAFile = "testdata/no-such.pem" }, "alerts.smtp.ca_file: cannot read testdata/no-such.pem"},
		{"zero rate", func(s *SMTPConfig) { s.RateLimit = Rate{} }, "alerts.smtp.rate_limit: must allow a positive count"},
		{"hello name", func(s *SMTPConfig) { s.HelloName = "bad name" }, `alerts.smtp.hello_name: "bad name" is not a host name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Alerts.SMTP.Host, c.Alerts.SMTP.Port, c.Alerts.SMTP.From = "smtp.example.com", 587, "alerts@example.com"
			tc.set(&c.Alerts.SMTP)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	if p := (SMTPConfig{}).PortOrDefault(); p != 587 {
		t.Errorf("default port %d", p)
	}
	if p := (SMTPConfig{ImplicitTLS: true}).PortOrDefault(); p != 465 {
		t.Errorf("implicit TLS port %d", p)
	}
}

// TestEmailSubscriptionFromAPI: a subscription made through the API is checked as
// the file's are: its e-mail channel needs alerts.smtp.host, and valid addresses;
// its JSON form shows the addresses (they are not secrets).
func TestEmailSubscriptionFromAPI(t *testing.T) {
	const body = `{"name": "mail", "subscriber": "group", "scope": {"kind": "all"},
		"channels": [{"type": "email", "to": ["ops@example.com", "ops@"]}]}`
	c := Default()
	var s Subscription
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	err := c.NormalizeSubscription(&s)
	for _, want := range []string{"channels[0].type: channel type email needs an SMTP server: alerts.smtp.host is not set",
		`channels[0].to[1]: "ops@" is not an e-mail address`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("%T is not *Error", err)
	}

	c.Alerts.SMTP.Host, c.Alerts.SMTP.From = "smtp.example.com", "alerts@example.com"
	s.Channels[0].To = []string{"ops@example.com", "risk@example.org"}
	if err := c.NormalizeSubscription(&s); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(s.Channels[0])
	if string(out) != `{"type":"email","to":["ops@example.com","risk@example.org"]}` {
		t.Errorf("JSON %s", out)
	}
}
