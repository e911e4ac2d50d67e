package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrNotLoopback refuses a target outside this machine: load is for tests of a daemon
// running here, never for someone else's server.
var ErrNotLoopback = errors.New("not a loopback address (127.0.0.0/8, ::1, localhost)")

// CheckLoopback accepts an http or https URL whose host is a loopback IP address or
// "localhost", and refuses anything else.
func CheckLoopback(server string) error {
	u, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("target %q: %w", server, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: want an http:// or https:// URL", server)
	}
	if u.User != nil {
		return fmt.Errorf("target %q: credentials go in the token, not the URL", server)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("target %q: %w", server, ErrNotLoopback)
	}
	return nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialLoopback is the dialer's last word: whatever a name resolved to, a connection
// goes to a loopback address or nowhere.
func dialLoopback(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
	}
	return nil
}

// TargetOptions configure a Target.
type TargetOptions struct {
	// Token is the API bearer token.
	Token string
	// Timeout bounds one request, answer read included (default 30 s).
	Timeout time.Duration
	// Conns bounds the connections to the target, which are kept open for reuse
	// (default 64). Requests beyond it wait for a connection: give at least the
	// requests in flight.
	Conns int
}

// Target is a chainriskd API on this machine. Its methods build the requests of a run.
type Target struct {
	base   string
	token  string
	client *http.Client
}

// NewTarget checks that server is on this machine and prepares a client for it.
func NewTarget(server string, opts TargetOptions) (*Target, error) {
	if err := CheckLoopback(server); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Conns <= 0 {
		opts.Conns = 64
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, Control: dialLoopback}).DialContext,
		MaxIdleConns:        opts.Conns,
		MaxIdleConnsPerHost: opts.Conns,
		// Without a bound, a request sent as the previous one's connection is being
		// returned to the pool dials another, and the target sees more connections
		// than clients.
		MaxConnsPerHost:   opts.Conns,
		IdleConnTimeout:   90 * time.Second,
		ForceAttemptHTTP2: false,
	}
	return &Target{
		base:  strings.TrimRight(server, "/"),
		token: opts.Token,
		client: &http.Client{Transport: tr, Timeout: opts.Timeout,
			// A run measures the answer it got; a redirect is one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

// Close drops the connections kept for reuse.
func (t *Target) Close() { t.client.CloseIdleConnections() }

// send performs one request and reads the answer to its end, so that the connection
// is reused. The body, when out is set, is decoded into it on a 200.
func (t *Target) send(ctx context.Context, method, path, contentType string, body io.Reader, out any) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return 0, resp.Header, fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		// The exchange did not finish: a failed call, not an answer.
		return 0, resp.Header, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return resp.StatusCode, resp.Header, nil
}

// Discover lists the USCCs a run can read: the leaders the token sees and the members
// of their chains, sorted.
func (t *Target) Discover(ctx context.Context) ([]string, error) {
	var leaders struct {
		Leaders []struct {
			USCC string `json:"uscc"`
		} `json:"leaders"`
	}
	if err := t.getJSON(ctx, "/api/v1/leaders?limit=10000", &leaders); err != nil {
		return nil, fmt.Errorf("discover firms: %w", err)
	}
	seen := map[string]bool{}
	for _, l := range leaders.Leaders {
		seen[l.USCC] = true
		// The chain's members, a page at a time.
		q := url.Values{"limit": {"1000"}}
		for {
			var page struct {
				Members []struct {
					USCC string `json:"uscc"`
				} `json:"members"`
				NextCursor *string `json:"next_cursor"`
			}
			if err := t.getJSON(ctx, "/api/v1/chains/"+url.PathEscape(l.USCC)+"/members?"+q.Encode(), &page); err != nil {
				return nil, fmt.Errorf("discover firms: %w", err)
			}
			for _, m := range page.Members {
				seen[m.USCC] = true
			}
			if page.NextCursor == nil {
				break
			}
			q.Set("cursor", *page.NextCursor)
		}
	}
	if len(seen) == 0 {
		return nil, errors.New("discover firms: the daemon shows no leaders to this token")
	}
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	slices.Sort(out)
	return out, nil
}

func (t *Target) getJSON(ctx context.Context, path string, out any) error {
	status, _, err := t.send(ctx, http.MethodGet, path, "", nil, out)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", path, status)
	}
	return nil
}
