package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/tokens"
)

// The demo's leaders (demo/data/enterprises.csv).
const (
	soy   = "912301099436075960" // 黑龙江松花江大豆产业集团股份有限公司
	dairy = "91230200MA1YJ9AK5N" // 齐齐哈尔鹤乡乳业集团股份有限公司
	petro = "91230600827251000R" // 大庆三江石油化工集团有限公司
)

// clock is the daemon's clock, moved forward by tests (no sleeps).
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time           { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(by time.Duration) { c.off.Add(int64(by)) }

// demo is a demo daemon on loopback with tokens of each kind.
type demo struct {
	t      testing.TB
	d      *daemon.Daemon
	base   string
	clock  *clock
	tokens map[string]string // by role name: admin, analyst, ingest, tenant (of the soybean leader)
	logs   *bytes.Buffer
}

// startDemo runs a demo daemon in-process on a loopback port until the test ends.
func startDemo(t testing.TB) *demo {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	return startDaemon(t, daemon.Options{Config: cfg, Demo: true})
}

func startDaemon(t testing.TB, opts daemon.Options) *demo {
	t.Helper()
	dm := &demo{t: t, clock: &clock{}, tokens: map[string]string{}, logs: &bytes.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	opts.Listen = "127.0.0.1:0"
	opts.Now = dm.clock.now
	opts.Logger = slog.New(slog.NewTextHandler(dm.logs, nil))
	d, err := daemon.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("daemon.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	dm.d, dm.base = d, "http://"+d.Addr()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(dm.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never answered 200")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, role := range map[string]tokens.Role{"admin": tokens.RoleAdmin, "analyst": tokens.RoleAnalyst,
		"ingest": tokens.RoleIngest, "tenant": tokens.RoleTenant} {
		leader := ""
		if role == tokens.RoleTenant {
			leader = soy
		}
		plain, _, err := tokens.Create(context.Background(), d.Store(), "console-"+name, role, leader)
		if err != nil {
			t.Fatal(err)
		}
		dm.tokens[name] = plain
	}
	return dm
}

// browserless is a cookie-keeping HTTP client that does not follow redirects.
type browserless struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (dm *demo) client() *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: dm.t, base: dm.base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	code int
	body string
	h    http.Header
}

func (b *browserless) do(method, path string, form url.Values, header ...string) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{code: resp.StatusCode, body: string(raw), h: resp.Header}
}

func (b *browserless) get(path string) answer { b.t.Helper(); return b.do("GET", path, nil) }

var csrfField = regexp.MustCompile(`(?s)<form [^>]*action="([^"]+)"[^>]*>\s*(?:<[^>]*>\s*)*?<input type="hidden" name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the page's form posting to action.
func csrf(t testing.TB, page, action string) string {
	t.Helper()
	for _, m := range csrfField.FindAllStringSubmatch(page, -1) {
		if m[1] == action {
			return m[2]
		}
	}
	t.Fatalf("no form posting to %s with a csrf field in the page:\n%s", action, page)
	return ""
}

// signIn signs the client in with token and returns the answer to the form.
func (b *browserless) signIn(token string) answer {
	b.t.Helper()
	form := b.get("/ui/signin")
	if form.code != http.StatusOK {
		b.t.Fatalf("GET /ui/signin = %d", form.code)
	}
	return b.do("POST", "/ui/signin", url.Values{"token": {token}, "csrf": {csrf(b.t, form.body, "/ui/signin")}})
}

// cookie returns the client's cookie called name for the console ("" when none).
func (b *browserless) cookie(name string) string {
	u, _ := url.Parse(b.base + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie replaces the client's cookie called name.
func (b *browserless) setCookie(name, value string) {
	u, _ := url.Parse(b.base + "/ui/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/ui/"}})
}

var mainRE = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)

// mainOf returns a page's <main> element's content.
func mainOf(page string) string {
	if m := mainRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// upload posts a multipart form with the CSRF token (when given), fields (name, value
// pairs) and, when name is not empty, a file of that name holding data in field.
func (b *browserless) upload(path, csrfValue, field, name string, data []byte, fields ...string) answer {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrfValue != "" {
		_ = w.WriteField("csrf", csrfValue)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		_ = w.WriteField(fields[i], fields[i+1])
	}
	if name != "" {
		f, _ := w.CreateFormFile(field, name)
		_, _ = f.Write(data)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{code: resp.StatusCode, body: string(raw), h: resp.Header}
}
