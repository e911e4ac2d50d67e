package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
	"github.com/chainrisk/chainrisk/visibility"
)

// Store is what the API reads of the store itself — the data, the scans, the results
// and their history, the chain ESRI, and the tokens; alerts, silences, subscriptions
// and deliveries go through the alert pipeline (Backend.Alerts).
type Store interface {
	store.DataStore
	store.ScanStore
	store.ResultStore
	store.ESRIStore
	store.CheckStore
	store.TokenStore
}

// Backend is what the API needs of the daemon.
type Backend interface {
	// State is the latest published state; nil before the first scan, when the data
	// endpoints answer 503 not_ready.
	State() *monitor.State
	Store() Store
	// Config is the current config (chain depths, ingest settings).
	Config() *config.Config
	// Ingest imports one body as one atomic batch, counts metrics, and triggers the
	// incremental scan. The input's File must be empty, so that rejected rows read
	// "line: field: reason". The body has been read in full (from memory or a
	// temporary file), so the batch never waits on the client. An error means
	// nothing was committed.
	Ingest(ctx context.Context, kind credit.Kind, format ingest.Format, body io.Reader, strict bool, trigger string) (ingest.Summary, error)
	// Supply imports one body of relations a tenant supplies for its leader (the
	// leader's USCC) as one atomic batch, beside the registry's relations
	// (docs/onboarding.md), and triggers the incremental scan, as Ingest.
	Supply(ctx context.Context, leader string, format ingest.Format, body io.Reader, strict bool, trigger string) (ingest.Summary, error)
	// Withdraw deletes the relation a leader supplied for its purchases from supplier
	// (store.ErrNotFound when there is none) and triggers the incremental scan.
	Withdraw(ctx context.Context, leader, supplier, trigger string) error
	// Rescan queues a scan of scope ("all", "chain:<uscc>", "enterprise:<uscc>");
	// concurrent triggers for a scope coalesce into one follow-up scan. It returns the
	// scan record (status queued or running).
	Rescan(ctx context.Context, scope, trigger string) (*store.Scan, error)
	// Alerts is the alert pipeline behind the alert, silence, subscription and
	// delivery endpoints; nil makes them answer 503.
	Alerts() *alerts.Manager
}

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// HTTP bounds request bodies, time and concurrency; zero fields take the defaults
	// of config.Default(). The semaphores are sized once, at NewServer.
	HTTP config.HTTPConfig
	// Registerer receives the API's metrics; nil registers none.
	Registerer prometheus.Registerer
	// TokenCacheTTL is how long a token lookup is trusted (0: DefaultTokenCacheTTL).
	// A revoked token stops working within this time.
	TokenCacheTTL time.Duration
	// Now is the clock of token use times and of silences given as a duration; nil
	// means time.Now. The daemon passes the clock of its alert pipeline.
	Now func() time.Time
}

// Server serves /api/v1. Build it with NewServer, mount it with Register.
type Server struct {
	b       Backend
	log     *slog.Logger
	http    config.HTTPConfig
	mux     *http.ServeMux // the routes below, and nothing else
	routes  []*route
	byPat   map[string]*route
	sem     chan struct{} // requests being worked on (their bodies read)
	ingests chan struct{} // ingests being worked on
	bodies  bodyReads     // bodies being received, per token
	auth    *authenticator
	now     func() time.Time
	views   visibility.Views
	stress  monitor.StressCache
	esri    monitor.ChainESRICache
	m       *metrics
	// storeErrs thins out the log of a store outage's failed requests.
	storeErrs logThrottle
	hops      hopPool // scratch of the enterprise endpoint's chain search
	// chains and esriMembers keep the chains last paged through and their ESRI.
	chains      chainIndexes
	esriMembers esriMembers
	summaries   summaries
}

// access says who may call a route; admin tokens may call every route.
type access uint8

const (
	allowIngest access = 1 << iota
	allowAnalyst
	// allowTenant lets tenants in; the handler then limits them to their chain.
	allowTenant
	// open routes need no token.
	open
)

func (a access) allows(r tokens.Role) bool {
	switch r {
	case tokens.RoleAdmin:
		return true
	case tokens.RoleIngest:
		return a&allowIngest != 0
	case tokens.RoleAnalyst:
		return a&allowAnalyst != 0
	case tokens.RoleTenant:
		return a&allowTenant != 0
	}
	return false
}

// route is one endpoint.
type route struct {
	pattern string // "METHOD /path", as given to the ServeMux
	access  access
	query   []string // the query parameters it takes; any other is a 400
	// anyQuery leaves the query to the handler (routes mounted with Handle).
	anyQuery bool
	ingest   bool // takes the ingest body limit and an ingest slot
	// large takes bodies of matchBodyFactor times the general limit (a list of names).
	large bool
	// produces lists the media types the route answers with (default JSON).
	produces []string
	h        func(rq *request) error
}

// request is one call being served.
type request struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	route *route
	who   *Principal      // nil on open routes
	body  *ingest.Spooled // the request body, once read in full
	cfg   *config.Config
	state *monitor.State // taken once, so that one answer never mixes two scans
}

const mediaJSON = "application/json"

// NewServer builds the API over b.
func NewServer(b Backend, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	def := config.Default().HTTP
	h := opts.HTTP
	if h.MaxBodyBytes <= 0 {
		h.MaxBodyBytes = def.MaxBodyBytes
	}
	if h.MaxIngestBytes <= 0 {
		h.MaxIngestBytes = def.MaxIngestBytes
	}
	if h.RequestTimeout <= 0 {
		h.RequestTimeout = def.RequestTimeout
	}
	if h.MaxConcurrentRequests <= 0 {
		h.MaxConcurrentRequests = def.MaxConcurrentRequests
	}
	if h.MaxConcurrentIngests <= 0 {
		h.MaxConcurrentIngests = def.MaxConcurrentIngests
	}
	if h.BodyReadTimeout <= 0 {
		h.BodyReadTimeout = def.BodyReadTimeout
	}
	if h.MaxBodyReadsPerToken <= 0 {
		h.MaxBodyReadsPerToken = def.MaxBodyReadsPerToken
	}
	s := &Server{
		b: b, log: opts.Logger, http: h, mux: http.NewServeMux(), byPat: make(map[string]*route),
		sem: make(chan struct{}, h.MaxConcurrentRequests), ingests: make(chan struct{}, h.MaxConcurrentIngests),
		bodies: bodyReads{max: h.MaxBodyReadsPerToken, count: make(map[string]int)},
		hops:   make(hopPool, 4),
		m:      newMetrics(opts.Registerer), now: opts.Now,
	}
	s.auth = newAuthenticator(func() store.TokenStore { return b.Store() }, opts.TokenCacheTTL, opts.Now, opts.Logger, s.m)
	for _, rt := range s.table() {
		s.add(rt)
	}
	return s
}

// table lists the API's routes (api/openapi.json); api/openapi.json documents each of them,
// which TestOpenAPIMatchesRoutes checks.
func (s *Server) table() []*route {
	const (
		readers = allowAnalyst | allowTenant
		control = allowIngest
	)
	rs := []*route{
		{pattern: "GET /api/v1/openapi.json", access: open, h: s.openAPI},

		{pattern: "GET /api/v1/enterprises", access: readers, query: []string{"q", "region", "industry", "tag", "grade", "status",
			"sort", "limit", "cursor"}, h: s.searchEnterprises},
		{pattern: "GET /api/v1/enterprises/{uscc}", access: readers, h: s.getEnterprise},
		{pattern: "GET /api/v1/enterprises/{uscc}/events", access: readers, h: s.getEvents},
		{pattern: "GET /api/v1/enterprises/{uscc}/history", access: readers, query: []string{"from", "to", "limit"},
			h: s.getEnterpriseHistory},
		{pattern: "GET /api/v1/enterprises/{uscc}/repair-plan", access: readers, h: s.getRepairPlan},
		{pattern: "GET /api/v1/enterprises/{uscc}/ownership", access: readers, query: []string{"format", "depth"},
			produces: []string{mediaJSON, mediaDOT}, h: s.getOwnership},
		{pattern: "GET /api/v1/enterprises/{uscc}/report", access: readers, produces: []string{mediaHTML}, h: s.getReport},
		{pattern: "GET /api/v1/chains/{leader}", access: readers, query: []string{"depth_up", "depth_down", "members"}, h: s.getChain},
		{pattern: "GET /api/v1/chains/{leader}/members", access: readers, query: []string{"depth_up", "depth_down", "limit", "cursor",
			"tier", "grade", "min_contribution", "format"}, produces: []string{mediaJSON, mediaNDJSON, mediaCSV}, h: s.getChainMembers},
		{pattern: "GET /api/v1/chains/{leader}/graph", access: readers, query: []string{"format", "depth_up", "depth_down"},
			produces: []string{mediaJSON, mediaDOT}, h: s.getChainGraph},
		{pattern: "GET /api/v1/chains/{leader}/history", access: readers, query: []string{"from", "to", "limit"},
			h: s.getChainHistory},
		{pattern: "GET /api/v1/leaders", access: readers, query: []string{"sort", "order", "limit", "cursor"}, h: s.getLeaders},
		{pattern: "POST /api/v1/checks", access: allowAnalyst, h: s.postCheck},
		{pattern: "GET /api/v1/checks", access: allowAnalyst, query: []string{"uscc", "limit", "cursor"}, h: s.getChecks},
		{pattern: "GET /api/v1/checks/{id}", access: allowAnalyst, h: s.getCheck},
		{pattern: "POST /api/v1/screenings", access: allowAnalyst, query: []string{"format"},
			produces: []string{mediaJSON, mediaCSV}, h: s.postScreening},
		{pattern: "POST /api/v1/matches", access: readers, large: true, h: s.postMatches},
		{pattern: "GET /api/v1/event-types", access: readers, h: s.getEventTypes},
		{pattern: "GET /api/v1/lists", access: allowAnalyst, h: s.getLists},
		{pattern: "GET /api/v1/lists/{name}", access: allowAnalyst, query: []string{"region", "industry", "tag", "limit", "cursor", "format"},
			produces: []string{mediaJSON, mediaCSV}, h: s.getList},

		{pattern: "POST /api/v1/stress", access: readers, h: s.postStress},
		{pattern: "GET /api/v1/esri", access: readers, query: []string{"leader"}, h: s.getESRI},

		{pattern: "POST /api/v1/rescans", access: control, h: s.postRescan},
		{pattern: "GET /api/v1/rescans/{id}", access: control | allowAnalyst, h: s.getRescan},
		{pattern: "GET /api/v1/scans", access: control | allowAnalyst, query: []string{"limit", "cursor"}, h: s.getScans},

		{pattern: "GET /api/v1/alerts", access: readers, query: []string{"state", "severity", "rule", "leader", "uscc", "limit", "language",
			"status", "assignee", "cursor"}, h: s.getAlerts},
		{pattern: "GET /api/v1/alerts/{id}", access: readers, query: []string{"language"}, h: s.getAlert},
		{pattern: "POST /api/v1/alerts/{id}/ack", access: readers, h: s.postAck},
		{pattern: "PATCH /api/v1/alerts/{id}", access: readers, h: s.patchAlert},
		{pattern: "POST /api/v1/alerts/{id}/feedback", access: readers, h: s.postFeedback},
		{pattern: "GET /api/v1/feedback", access: allowAnalyst, query: []string{"verdict", "rule", "uscc", "limit", "cursor"}, h: s.getFeedback},
		{pattern: "GET /api/v1/silences", access: allowAnalyst, query: []string{"state", "limit", "cursor"}, h: s.getSilences},
		{pattern: "POST /api/v1/silences", access: allowAnalyst, h: s.postSilence},
		{pattern: "GET /api/v1/silences/{id}", access: allowAnalyst, h: s.getSilence},
		{pattern: "DELETE /api/v1/silences/{id}", access: allowAnalyst, h: s.deleteSilence},
		// Analysts read subscriptions; tenants manage their own.
		{pattern: "GET /api/v1/subscriptions", access: readers, query: []string{"limit", "cursor"}, h: s.getSubscriptions},
		{pattern: "POST /api/v1/subscriptions", access: allowTenant, h: s.postSubscription},
		{pattern: "GET /api/v1/subscriptions/{name}", access: readers, h: s.getSubscription},
		{pattern: "PUT /api/v1/subscriptions/{name}", access: allowTenant, h: s.putSubscription},
		{pattern: "DELETE /api/v1/subscriptions/{name}", access: allowTenant, h: s.deleteSubscription},
		{pattern: "POST /api/v1/subscriptions/{name}/snapshot", access: allowTenant, h: s.postSnapshot},
		{pattern: "GET /api/v1/deliveries", access: readers, query: []string{"state", "subscription", "alert", "limit", "cursor"},
			h: s.getDeliveries},
	}
	for _, k := range credit.Kinds {
		rt := &route{pattern: "POST /api/v1/" + string(k), access: control, query: []string{"strict"},
			ingest: true, h: s.ingest(k)}
		if k == credit.KindRelations {
			// A tenant posts its leader's own purchases here (docs/onboarding.md); every
			// other ingest route stays closed to tenants.
			rt.access, rt.h = control|allowTenant, s.postRelations
		}
		rs = append(rs, rt)
	}
	return append(rs,
		&route{pattern: "GET /api/v1/relations", access: readers | control, query: []string{"supplier", "customer", "source", "limit", "cursor"},
			h: s.getRelations},
		&route{pattern: "DELETE /api/v1/relations", access: allowTenant, query: []string{"supplier"}, h: s.deleteRelations})
}

// bodyLimit is the most bytes a route's request body may have.
func (s *Server) bodyLimit(rt *route) int64 {
	switch {
	case rt.ingest:
		return int64(s.http.MaxIngestBytes)
	case rt.large:
		return matchBodyFactor * int64(s.http.MaxBodyBytes)
	}
	return int64(s.http.MaxBodyBytes)
}

func (s *Server) add(rt *route) {
	if len(rt.produces) == 0 {
		rt.produces = []string{mediaJSON}
	}
	s.routes = append(s.routes, rt)
	s.byPat[rt.pattern] = rt
	s.mux.Handle(rt.pattern, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		rq := r.Context().Value(requestKey{}).(*request)
		rq.r = r // with its path values
		if err := s.serve(rq); err != nil {
			s.fail(rq, err)
		}
	}))
}

// requestKey carries the *request from ServeHTTP to the route's handler, which the
// ServeMux calls with the path values set.
type requestKey struct{}

// Handle mounts another route under /api/v1 (an extension of the API) behind the
// same auth, limits and metrics. Tokens of the given roles and admin tokens may call it;
// the handler finds the caller with PrincipalFrom and answers errors with WriteError.
// Tenant handlers must limit themselves to Principal.Sees. Call it before serving.
func (s *Server) Handle(pattern string, roles []tokens.Role, h http.Handler) {
	var a access
	for _, r := range roles {
		switch r {
		case tokens.RoleIngest:
			a |= allowIngest
		case tokens.RoleAnalyst:
			a |= allowAnalyst
		case tokens.RoleTenant:
			a |= allowTenant
		}
	}
	s.add(&route{pattern: pattern, access: a, anyQuery: true, produces: []string{"*/*"}, h: func(rq *request) error {
		rq.r = rq.r.WithContext(context.WithValue(rq.r.Context(), principalKey{}, rq.who))
		h.ServeHTTP(rq.w, rq.r)
		return nil
	}})
}

// Register mounts the API on mux under /api/v1/.
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle("/api/v1/", s)
}

// ServeHTTP routes, counts and bounds one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	rt := s.byPat[pattern]
	label := "unmatched"
	if rt != nil {
		label = rt.pattern
	}
	s.m.inFlight.Inc()
	rq := &request{s: s, w: sw, r: r, route: rt}
	defer func() {
		s.m.inFlight.Dec()
		code := sw.status()
		elapsed := time.Since(start)
		s.m.requests.WithLabelValues(label, strconv.Itoa(code)).Inc()
		s.m.duration.WithLabelValues(label).Observe(elapsed.Seconds())
		level := slog.LevelDebug
		if rt != nil && (rt.ingest || r.Method != http.MethodGet) {
			level = slog.LevelInfo
		}
		attrs := []any{"method", r.Method, "route", label, "status", code, "seconds", elapsed.Seconds()}
		if rq.who != nil {
			attrs = append(attrs, "token", rq.who.Name) // the name only, never the token
		}
		s.log.Log(context.WithoutCancel(r.Context()), level, "api request", attrs...)
	}()
	if rt == nil {
		closeUnread(sw, r, false)
		s.unmatched(sw, r, h)
		return
	}
	// The request timeout runs from the first byte of the body, not from when a slot
	// was free.
	ctx, cancel := context.WithTimeout(r.Context(), s.http.RequestTimeout)
	defer cancel()
	defer func() {
		if rq.body != nil {
			_ = rq.body.Close()
		}
	}()
	s.mux.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, requestKey{}, rq)))
}

// serve runs the checks every route shares, in the order of their status codes'
// precedence: 401, 403, 400 (parameters), 406, 413; then it reads the body (408,
// 429 for a token already sending too many), takes a slot (503, 429 for ingest)
// and calls the handler. Authentication and reading the body hold no slot: a
// caller sending slowly must not take a place that others need.
func (s *Server) serve(rq *request) error {
	r, rt := rq.r, rq.route
	if rt.access&open == 0 {
		who, err := s.caller(r)
		if err != nil {
			return err
		}
		rq.who = who
		if !rt.access.allows(who.Role) {
			return errorf(http.StatusForbidden, codeForbidden, "a %s token may not call %s", who.Role, rt.pattern)
		}
	}
	if !rt.anyQuery {
		if err := checkQuery(r, rt.query); err != nil {
			return err
		}
	}
	if !acceptable(r.Header.Get("Accept"), rt.produces) {
		return errorf(http.StatusNotAcceptable, codeNotAcceptable, "this endpoint answers with %v", rt.produces)
	}
	limit := s.bodyLimit(rt)
	if r.ContentLength > limit {
		return errTooLarge(limit)
	}
	if err := s.readBody(rq, limit); err != nil {
		return err
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		s.m.rejected.WithLabelValues("overload").Inc()
		return errOverloaded
	}
	if rt.ingest {
		select {
		case s.ingests <- struct{}{}:
			defer func() { <-s.ingests }()
		default:
			s.m.rejected.WithLabelValues("ingest_limit").Inc()
			return errTooManyIngests
		}
	}
	if rt.access&open != 0 {
		return rt.h(rq) // the document; no data
	}
	rq.cfg = s.b.Config()
	rq.state = s.b.State()
	if rq.who != nil {
		rq.who.view = rq.viewOf(rq.who.Viewer())
	}
	return rt.h(rq)
}

// unmatched answers a request no route takes: 404 or 405 in the error envelope.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeError(w, errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed, "%s is not allowed here (allowed: %s)",
			r.Method, rec.header.Get("Allow")))
	case http.StatusNotFound, 0:
		writeError(w, errorf(http.StatusNotFound, codeNotFound, "no endpoint %s", r.URL.Path))
	default: // a redirect to the clean path
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body.Bytes())
	}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recorder captures what the ServeMux answers for an unmatched request.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
