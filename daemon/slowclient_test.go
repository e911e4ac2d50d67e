package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/tokens"
)

// testSlowClients runs the daemon with the demo data and a short
// http.body_read_timeout, opens 256 tenant connections whose bodies stall after one
// byte and one stalled ingest, and checks that admin reads and an ingest (with a
// token looked up for the first time) answer normally meanwhile; then that every
// stalled body is answered: 429 at once past the tenant's max_body_reads_per_token,
// 408 body_timeout for the others once body_read_timeout passed.
func testSlowClients(t *testing.T, cfg *config.Config) {
	const idle = 3 * time.Second
	cfg.HTTP.BodyReadTimeout = idle
	d, stop := start(t, cfg, true)
	defer stop()
	ctx := context.Background()
	st := d.State()
	var leader string
	for _, v := range st.Leaders {
		leader = st.Snap.IDs[v]
	}
	plain := map[string]string{}
	for _, tc := range []struct {
		name   string
		role   tokens.Role
		leader string
	}{{"slow-admin", tokens.RoleAdmin, ""}, {"slow-tenant", tokens.RoleTenant, leader}, {"slow-ingest", tokens.RoleIngest, ""}} {
		token, _, err := tokens.Create(ctx, d.Store(), tc.name, tc.role, tc.leader)
		if err != nil {
			t.Fatal(err)
		}
		plain[tc.name] = token
	}

	type answer struct{ status int }
	var answers []chan answer
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	stallOne := func(path, token, ctype, first string) {
		c, err := net.Dial("tcp", d.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: chainrisk\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\n%s",
			path, token, ctype, first)
		ch := make(chan answer, 1)
		answers = append(answers, ch)
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				ch <- answer{}
				return
			}
			resp.Body.Close()
			ch <- answer{resp.StatusCode}
		}()
	}
	for range 256 {
		stallOne("/api/v1/subscriptions", plain["slow-tenant"], "application/json", "{")
	}
	stallOne("/api/v1/events", plain["slow-ingest"], "text/csv", "e")
	begun := time.Now()
	// Wait until the daemon is reading the bodies it accepted.
	perToken := config.Default().HTTP.MaxBodyReadsPerToken
	want := fmt.Sprintf("chainrisk_api_request_bodies_reading %d\n", perToken+1)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, m := get(t, "http://"+d.Addr()+"/metrics"); strings.Contains(m, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q", want)
		}
	}

	do := func(method, path, token, ctype, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+d.Addr()+path, strings.NewReader(body))
		if body == "" {
			req.Body = nil
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	calls := time.Now()
	if code, body := do("GET", "/api/v1/leaders", plain["slow-admin"], "", ""); code != 200 {
		t.Errorf("admin read beside 257 stalled bodies: %d %s", code, body)
	}
	if code, body := do("GET", "/api/v1/enterprises/"+leader, plain["slow-admin"], "", ""); code != 200 {
		t.Errorf("admin read of a firm: %d %s", code, body)
	}
	event := "event_id,uscc,type,occurred_at,source\nSLOW-D1," + leader + ",honor,2026-11-01,测试\n"
	if code, body := do("POST", "/api/v1/events", plain["slow-ingest"], "text/csv", event); code != 200 {
		t.Errorf("ingest beside a stalled ingest: %d %s", code, body)
	}
	t.Logf("the three calls beside the stalled bodies took %v", time.Since(calls).Round(time.Millisecond))

	var refused, timedOut atomic.Int32
	for _, ch := range answers {
		a := <-ch
		switch a.status {
		case http.StatusTooManyRequests:
			refused.Add(1)
		case http.StatusRequestTimeout:
			timedOut.Add(1)
		default:
			t.Errorf("a stalled body answered %d, want 429 or 408", a.status)
		}
	}
	if refused.Load() != int32(256-perToken) || timedOut.Load() != int32(perToken+1) {
		t.Errorf("stalled bodies: %d refused, %d timed out; want %d and %d", refused.Load(), timedOut.Load(), 256-perToken, perToken+1)
	}
	t.Logf("every stalled body answered %v after the first byte", time.Since(begun).Round(time.Millisecond))
}

func TestSlowClientsSQLite(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	testSlowClients(t, cfg)
}

func TestSlowClientsPostgres(t *testing.T) {
	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(pgtest.URL(t))
	testSlowClients(t, cfg)
}
