package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// MailServer is a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1 for the
// e-mail channel's tests: STARTTLS with a certificate made for the test, AUTH PLAIN,
// and what it received recorded.
type MailServer struct {
	Host string
	Port int
	// CAPEM is the server certificate in PEM (it is its own CA); Roots holds it.
	CAPEM []byte
	Roots *x509.CertPool

	opts MailOptions
	srv  *smtp.Server

	mu    sync.Mutex
	mails []Mail
	conns map[*smtp.Conn]bool
	datas int
}

// MailOptions configure a MailServer. The zero value offers STARTTLS and takes mail
// without authentication.
type MailOptions struct {
	// NoTLS offers no STARTTLS; AUTH is then allowed in clear. ImplicitTLS speaks TLS
	// from the first byte (port 465's way) instead of offering STARTTLS.
	NoTLS, ImplicitTLS bool
	// Listen is the address to listen on; "" means 127.0.0.1:0.
	Listen string
	// Username and Password, when set, are required (AUTH PLAIN, after STARTTLS).
	Username, Password string
	// AuthFailure answers a wrong login; nil means go-smtp's 535.
	AuthFailure error
	// Rcpt, when set, may refuse a recipient.
	Rcpt func(addr string) error
	// Data, when set, may refuse the n-th message (from 1), data, after reading it.
	Data func(n int, data []byte) error
	// Clock stamps what arrives; nil leaves it zero.
	Clock interface{ Now() time.Time }
}

// Mail is a message offered to the server: accepted, or refused with Refused.
type Mail struct {
	Refused error
	From    string
	To      []string
	Data    []byte
	TLS     bool      // the session was encrypted
	User    string    // the user authenticated, if any
	At      time.Time // by the test's clock
}

// NewMailServer starts a server on 127.0.0.1, closed when the test ends.
func NewMailServer(t testing.TB, o MailOptions) *MailServer {
	t.Helper()
	ms := &MailServer{opts: o, conns: map[*smtp.Conn]bool{}}
	ms.srv = smtp.NewServer(smtp.BackendFunc(ms.newSession))
	ms.srv.Domain = "127.0.0.1"
	ms.srv.ErrorLog = log.New(io.Discard, "", 0)
	ms.srv.ReadTimeout, ms.srv.WriteTimeout = 10*time.Second, 10*time.Second
	if o.NoTLS {
		ms.srv.AllowInsecureAuth = true
	} else {
		cert, caPEM, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		ms.CAPEM = caPEM
		ms.Roots = x509.NewCertPool()
		ms.Roots.AppendCertsFromPEM(caPEM)
		ms.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", o.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if o.ImplicitTLS {
		l = tls.NewListener(l, ms.srv.TLSConfig)
		ms.srv.TLSConfig = nil // no STARTTLS on a connection that is TLS already
	}
	addr := l.Addr().(*net.TCPAddr)
	ms.Host, ms.Port = addr.IP.String(), addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ms.srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = ms.srv.Close()
		<-done
	})
	return ms
}

// Addr is host:port.
func (ms *MailServer) Addr() string { return net.JoinHostPort(ms.Host, strconv.Itoa(ms.Port)) }

// Mails returns the messages accepted so far, in order.
func (ms *MailServer) Mails() []Mail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var out []Mail
	for _, m := range ms.mails {
		if m.Refused == nil {
			out = append(out, m)
		}
	}
	return out
}

// Offered returns every message offered so far, the refused ones included.
func (ms *MailServer) Offered() []Mail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]Mail(nil), ms.mails...)
}

// Sessions counts the connections that said EHLO (once, though they say it again
// after STARTTLS) and the messages offered.
func (ms *MailServer) Sessions() (connections, datas int) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return len(ms.conns), ms.datas
}

func (ms *MailServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	ms.mu.Lock()
	ms.conns[c] = true
	ms.mu.Unlock()
	return &mailSession{ms: ms, conn: c}, nil
}

// mailSession is one connection's state.
type mailSession struct {
	ms   *MailServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.ms.opts.Username || password != s.ms.opts.Password {
			if s.ms.opts.AuthFailure != nil {
				return s.ms.opts.AuthFailure
			}
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.opts.Username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ms.opts.Rcpt != nil {
		if err := s.ms.opts.Rcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, encrypted := s.conn.TLSConnectionState()
	m := Mail{From: s.from, To: append([]string(nil), s.to...), Data: b, TLS: encrypted, User: s.user}
	if s.ms.opts.Clock != nil {
		m.At = s.ms.opts.Clock.Now()
	}
	s.ms.mu.Lock()
	s.ms.datas++
	n := s.ms.datas
	s.ms.mu.Unlock()
	if s.ms.opts.Data != nil {
		m.Refused = s.ms.opts.Data(n, b) // may block: outside the lock
	}
	s.ms.mu.Lock()
	s.ms.mails = append(s.ms.mails, m)
	s.ms.mu.Unlock()
	return m.Refused
}

func (s *mailSession) Reset() { s.from, s.to = "", nil }

func (s *mailSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost that is its own CA.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "chainrisk test mail server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	if cert.Leaf, err = x509.ParseCertificate(der); err != nil {
		return tls.Certificate{}, nil, errors.Join(errors.New("parse the test certificate"), err)
	}
	return cert, pemBytes, nil
}
