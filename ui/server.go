package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/api"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Prefix is where the console is served on the API listener.
const Prefix = "/ui/"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed all:assets
var assetFiles embed.FS

// Options configure a Server.
type Options struct {
	// API serves every page's data: the console calls it in-process as the signed-in
	// caller (api.Server.ServeAs), so its role checks and visibility apply unchanged.
	API *api.Server
	// Sessions keeps the console's sessions (shared by replicas through the store).
	Sessions func() store.UISessionStore
	// Config gives ui.session_idle and ui.secure_cookies; nil means config.Default.
	Config func() *config.Config
	// Now is the clock of session expiry; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// GraphCap bounds the nodes the chain graph draws (0: DefaultGraphCap).
	GraphCap int
}

// DefaultGraphCap is how many members a chain graph draws at most; a larger chain
// shows its highest contributors and says so.
const DefaultGraphCap = 300

// Server is the web console. Build it with New, mount it with Register.
type Server struct {
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template // by language, then page name inside
}

// page is one route of the console: adding a page is one entry of Server.routes,
// one handler, one template and its messages (docs/console.md).
type page struct {
	pattern string
	// public pages need no session (sign-in); the others redirect to it without one.
	public bool
	h      func(c *call) error
}

// New builds the console; it fails only if a template does not parse.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Config == nil {
		opts.Config = config.Default
	}
	if opts.GraphCap <= 0 {
		opts.GraphCap = DefaultGraphCap
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, lang := range languages {
		t, err := template.New("").Funcs(funcs(lang)).ParseFS(templateFiles, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("ui templates: %w", err)
		}
		s.pages[lang] = t
	}
	assets, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix(Prefix+"assets/", http.FileServerFS(assets))
	s.mux.Handle("GET "+Prefix+"assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}))
	for _, p := range s.routes() {
		s.mux.Handle(p.pattern, s.handler(p))
	}
	return s, nil
}

// routes lists the console's pages.
func (s *Server) routes() []page {
	return []page{
		{pattern: "GET " + Prefix + "signin", public: true, h: s.signInPage},
		{pattern: "POST " + Prefix + "signin", public: true, h: s.signIn},
		{pattern: "POST " + Prefix + "signout", h: s.signOut},
		{pattern: "GET " + Prefix + "{$}", h: s.leadersPage},
		{pattern: "GET " + Prefix + "chains/{leader}", h: s.chainPage},
		{pattern: "GET " + Prefix + "chains/{leader}/{file}", h: s.chainDownload},
		{pattern: "GET " + Prefix + "enterprises/{uscc}", h: s.firmPage},
		{pattern: "GET " + Prefix + "enterprises/{uscc}/report", h: s.firmReport},
		{pattern: "GET " + Prefix + "checks", h: s.checksPage},
		{pattern: "POST " + Prefix + "checks", h: s.postCheck},
		{pattern: "GET " + Prefix + "checks/{id}", h: s.checkPage},
		{pattern: "GET " + Prefix + "screenings", h: s.screeningsPage},
		{pattern: "POST " + Prefix + "screenings", h: s.postScreening},
		{pattern: "GET " + Prefix + "lists", h: s.listsPage},
		{pattern: "GET " + Prefix + "lists/{name}", h: s.listPage},
		{pattern: "GET " + Prefix + "lists/{name}/members.csv", h: s.listCSV},
		{pattern: "GET " + Prefix + "search", h: s.searchPage},
		{pattern: "GET " + Prefix + "alerts", h: s.alertsPage},
		{pattern: "GET " + Prefix + "alerts/{id}", h: s.alertPage},
		{pattern: "POST " + Prefix + "alerts/{id}/ack", h: s.ackAlert},
		{pattern: "POST " + Prefix + "alerts/{id}/workflow", h: s.alertWorkflow},
		{pattern: "POST " + Prefix + "alerts/{id}/feedback", h: s.alertFeedback},
		{pattern: "GET " + Prefix + "stress", h: s.stressPage},
		{pattern: "GET " + Prefix + "onboarding", h: s.onboardingPage},
		{pattern: "POST " + Prefix + "onboarding", h: s.onboardUpload},
		{pattern: "POST " + Prefix + "onboarding/import", h: s.onboardImport},
		{pattern: "POST " + Prefix + "onboarding/withdraw", h: s.onboardWithdraw},
		{pattern: Prefix, public: true, h: func(c *call) error { return errNotFound }},
	}
}

// Register mounts the console on mux under /ui/, and sends / there.
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, s)
	mux.Handle("GET /{$}", http.RedirectHandler(Prefix, http.StatusFound))
}

// ServeHTTP serves one request of the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

// call is one request to a page.
type call struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	lang string
	sess *session // nil on public pages without a session
}

func (c *call) t(key string) string { return text(c.lang, key) }

func (s *Server) handler(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{s: s, w: w, r: r, lang: language(r)}
		if r.URL.Query().Get("lang") != "" {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: c.lang, Path: Prefix, MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
		}
		w.Header().Set("Cache-Control", "no-store")
		sess, err := s.session(r)
		switch {
		case err == nil:
			c.sess = sess
		case p.public:
		default:
			s.fail(c, err)
			return
		}
		if r.Method == http.MethodPost && !p.public {
			if err := c.readForm(); err != nil {
				s.fail(c, err)
				return
			}
			if err := c.checkCSRF(c.sess.row.CSRF); err != nil {
				s.fail(c, err)
				return
			}
		}
		if err := p.h(c); err != nil {
			s.fail(c, err)
		}
	})
}

// view is what every template gets.
type view struct {
	Lang  string
	Title string
	// Path is the request's path and query without lang, for the language switch.
	Path string
	Who  *api.Principal // nil when signed out
	CSRF string
	// Page is the page's own data.
	Page any
}

// render writes the page called name with status.
func (c *call) render(status int, name, title string, data any) error {
	v := view{Lang: c.lang, Title: title, Path: pathWithout(c.r, "lang"), Page: data}
	if c.sess != nil {
		v.Who, v.CSRF = c.sess.who, c.sess.row.CSRF
	}
	var buf bytes.Buffer
	if err := c.s.pages[c.lang].ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf.Bytes())
	return nil
}

// pathWithout returns r's path and query without the parameter drop.
func pathWithout(r *http.Request, drop string) string {
	q := r.URL.Query()
	q.Del(drop)
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// with returns base with the query parameter set (and page reset unless it is the
// one being set).
func with(path string, kv ...string) string {
	p, rawq, _ := strings.Cut(path, "?")
	q, _ := urlParseQuery(rawq)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}
