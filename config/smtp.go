package config

import (
	"crypto/x509"
	"fmt"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
)

// SMTPConfig is alerts.smtp: the mail server every e-mail channel sends through
// (docs/alerts.md "E-mail"). An e-mail channel needs its host.
type SMTPConfig struct {
	Host string `yaml:"host" json:"host,omitempty"`
	// Port is 0 for the default: 587, or 465 with implicit_tls (SMTPConfig.PortOrDefault).
	Port int `yaml:"port" json:"port,omitempty"`
	// StartTLS is required (the default: no mail, no password, over a connection
	// the server would not encrypt), opportunistic (encrypt when the server offers
	// it) or none (a server on loopback only).
	StartTLS string `yaml:"starttls" json:"starttls"`
	// ImplicitTLS speaks TLS from the first byte (port 465) instead of STARTTLS.
	ImplicitTLS bool `yaml:"implicit_tls" json:"implicit_tls,omitempty"`
	// CAFile is a PEM file of the certificates the server's certificate must chain
	// to, instead of the system's roots (a private CA); "" means the system's. A
	// relative path is relative to the config file's directory.
	CAFile string `yaml:"ca_file" json:"ca_file,omitempty"`
	// Username and Password log in with AUTH PLAIN; no username, no login.
	Username string `yaml:"username" json:"username,omitempty"`
	Password Secret `yaml:"password" json:"password,omitempty"`
	// From is the sender: an address with an optional display name
	// ("chainrisk 预警 <alerts@example.com>").
	From string `yaml:"from" json:"from,omitempty"`
	// HelloName is what EHLO says; "" means localhost.
	HelloName string `yaml:"hello_name" json:"hello_name,omitempty"`
	// Timeout bounds the connection and each message's exchange.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// RateLimit bounds the messages sent through the server, all channels together.
	RateLimit Rate `yaml:"rate_limit" json:"rate_limit"`
	// TenantDomains are the recipient domains a tenant's subscription may mail
	// (each with its subdomains): the platform's server does not send to any address
	// a tenant names. Empty: tenants' subscriptions take no e-mail channel.
	TenantDomains []string `yaml:"tenant_domains" json:"tenant_domains,omitempty"`
}

// TenantMayMail reports whether a tenant's e-mail channel may send to addr: its
// domain is one of TenantDomains or below one.
func (s SMTPConfig) TenantMayMail(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := strings.ToLower(addr[at+1:])
	for _, d := range s.TenantDomains {
		d = strings.ToLower(d)
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// SMTP defaults.
const (
	DefaultSMTPPort        = 587
	DefaultSMTPImplicitTLS = 465
)

// defaultSMTP is alerts.smtp's defaults: no server, STARTTLS required, 10 s, 60/min.
func defaultSMTP() SMTPConfig {
	return SMTPConfig{StartTLS: notify.StartTLSRequired, Timeout: 10 * time.Second, RateLimit: Rate{Count: 60, Per: time.Minute}}
}

// resolvePaths makes a relative ca_file relative to the directory of the config file
// that names it, wherever the daemon runs.
func (s *SMTPConfig) resolvePaths(configFile string) {
	if s.CAFile != "" && configFile != "" && !filepath.IsAbs(s.CAFile) {
		s.CAFile = filepath.Join(filepath.Dir(configFile), s.CAFile)
	}
}

// PortOrDefault is the port to connect to.
func (s SMTPConfig) PortOrDefault() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.ImplicitTLS:
		return DefaultSMTPImplicitTLS
	}
	return DefaultSMTPPort
}

// RootCAs reads ca_file: nil (the system's roots) when it is not set.
func (s SMTPConfig) RootCAs() (*x509.CertPool, error) {
	if s.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", s.CAFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", s.CAFile)
	}
	return pool, nil
}

// Server is the server as package notify takes it, with ca_file read.
func (s SMTPConfig) Server() (*notify.SMTPServer, error) {
	roots, err := s.RootCAs()
	if err != nil {
		return nil, fmt.Errorf("alerts.smtp.ca_file: %w", err)
	}
	srv := &notify.SMTPServer{Host: s.Host, Port: s.PortOrDefault(), StartTLS: s.StartTLS, ImplicitTLS: s.ImplicitTLS,
		RootCAs: roots, Username: s.Username, From: s.From, HelloName: s.HelloName, Timeout: s.Timeout}
	if s.Password != "" {
		srv.Password = s.Password
	}
	if s.RateLimit.Count > 0 && s.RateLimit.Per > 0 {
		srv.Rates = []notify.Rate{notify.Rate(s.RateLimit)}
	}
	return srv, nil
}

// isLoopback says whether host names this machine: localhost or a loopback address.
func isLoopback(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().IsLoopback()
	}
	return strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}

// checkSMTP checks alerts.smtp once a host is set; without one, e-mail channels are
// refused where they are written (checker.channel).
func (ck *checker) checkSMTP(s SMTPConfig) {
	if s.Host == "" {
		return
	}
	_, ipErr := netip.ParseAddr(s.Host)
	switch {
	case strings.Contains(s.Host, ":") && ipErr != nil:
		ck.errf("alerts.smtp.host", "%q: write the port in alerts.smtp.port", s.Host)
	case ipErr != nil && (!hostPatternRE.MatchString(s.Host) || strings.Contains(s.Host, "*")):
		ck.errf("alerts.smtp.host", "%q is not a host name or an address", s.Host)
	}
	ck.intRange("alerts.smtp.port", s.Port, 0, 65535)
	ck.oneOf("alerts.smtp.starttls", s.StartTLS, []string{notify.StartTLSRequired, notify.StartTLSOpportunistic, notify.StartTLSNone})
	switch {
	case s.ImplicitTLS && s.StartTLS != notify.StartTLSRequired:
		ck.errf("alerts.smtp.starttls", "%s is not used with implicit_tls (TLS from the first byte)", s.StartTLS)
	case s.StartTLS == notify.StartTLSNone && !isLoopback(s.Host):
		ck.errf("alerts.smtp.starttls", "none sends mail in clear: only for a server on loopback (localhost, 127.0.0.1, ::1); "+
			"use opportunistic for a relay without TLS")
	}
	if _, err := s.RootCAs(); err != nil {
		ck.errf("alerts.smtp.ca_file", "%v", err)
	}
	switch {
	case s.Username != "" && s.Password == "":
		ck.errf("alerts.smtp.password", "required with alerts.smtp.username")
	case s.Username == "" && s.Password != "":
		ck.errf("alerts.smtp.username", "required with alerts.smtp.password")
	}
	switch from, err := mail.ParseAddress(s.From); {
	case s.From == "":
		ck.errf("alerts.smtp.from", "required: the sender's address (chainrisk <alerts@example.com>)")
	case err != nil:
		ck.errf("alerts.smtp.from", "%q is not an address, with or without a display name (chainrisk <alerts@example.com>)", s.From)
	default:
		if err := notify.CheckMailAddress(from.Address); err != nil {
			ck.errf("alerts.smtp.from", "%v", err)
		}
	}
	if s.HelloName != "" && !hostPatternRE.MatchString(s.HelloName) {
		ck.errf("alerts.smtp.hello_name", "%q is not a host name", s.HelloName)
	}
	for i, d := range s.TenantDomains {
		if !hostPatternRE.MatchString(d) || strings.Contains(d, "*") || !strings.Contains(d, ".") {
			ck.errf(fmt.Sprintf("alerts.smtp.tenant_domains[%d]", i), "%q is not a domain name (example.com)", d)
		}
	}
	ck.positive("alerts.smtp.timeout", s.Timeout)
	if s.RateLimit.Count <= 0 || s.RateLimit.Per <= 0 {
		ck.errf("alerts.smtp.rate_limit", "must allow a positive count per positive period, got %s", s.RateLimit)
	}
}

// mailChannel checks what an e-mail channel needs beyond its fields: the server,
// and its addresses.
func (ck *checker) mailChannel(c *Config, path string, ch *Channel) {
	if c.Alerts.SMTP.Host == "" {
		ck.errf(join(path, "type"), "channel type %s needs an SMTP server: alerts.smtp.host is not set", ch.Type)
	}
	if len(ch.To) == 0 {
		return // said by the field check
	}
	notify.CheckMailRecipients(ch.To, func(i int, err error) {
		at := join(path, "to")
		if i >= 0 {
			at = fmt.Sprintf("%s[%d]", at, i)
		}
		ck.errf(at, "%v", err)
	})
}
