package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
	"github.com/chainrisk/chainrisk/visibility"
)

// Principal is the caller of a request, as its token says.
type Principal struct {
	Name string
	Role tokens.Role
	// Leader is the USCC a tenant is bound to.
	Leader string
	// TokenID is the stored token's ID (store.Token.ID): sessions of the web console
	// refer to it, never to the token itself.
	TokenID int64
	view    *visibility.View
}

// Viewer is who the caller is to the visibility rule: a tenant, or staff.
func (p *Principal) Viewer() visibility.Viewer {
	if p.Role == tokens.RoleTenant {
		return visibility.Tenant(p.Leader)
	}
	return visibility.Staff()
}

// View is what the caller sees of the state its request was served from
// (package visibility decides).
func (p *Principal) View() *visibility.View {
	if p.view == nil {
		return new(visibility.Views).Of(nil, p.Viewer(), 0, 0)
	}
	return p.view
}

// Sees reports whether the caller may see data about the firm (View().Sees).
func (p *Principal) Sees(uscc string) bool { return p.View().Sees(uscc) }

// ScanTrigger returns a scan's trigger as the caller may read it: a tenant is not
// told the names of other callers' tokens ("api:<name>" reads "api").
func (p *Principal) ScanTrigger(trigger string) string {
	if kind, name, ok := strings.Cut(trigger, ":"); ok && kind == "api" && p.Role == tokens.RoleTenant && name != p.Name {
		return kind
	}
	return trigger
}

type principalKey struct{}

// PrincipalFrom returns the caller of a request served through Server.Handle.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// DefaultTokenCacheTTL is how long a token lookup is trusted: revoking a token takes
// effect within it, on every replica.
const DefaultTokenCacheTTL = 5 * time.Second

// maxCachedTokens bounds the cache, which also remembers unknown tokens so that a
// flood of bad ones stays off the store.
const maxCachedTokens = 10000

// authenticator checks bearer tokens against the store, caching lookups.
type authenticator struct {
	store func() store.TokenStore
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger
	m     *metrics
	mu    sync.Mutex
	cache map[string]cachedToken // by hash

	// Token use is recorded off the request path: the write would wait behind any
	// write transaction (SQLite has one writer at a time), and a request must not.
	// touched holds the latest use of each token not yet written; one goroutine at
	// a time (touching) writes them, best effort.
	touched  map[int64]time.Time
	touching bool
}

type cachedToken struct {
	tok     *store.Token // nil: no such token
	expires time.Time
}

func newAuthenticator(db func() store.TokenStore, ttl time.Duration, now func() time.Time, log *slog.Logger, m *metrics) *authenticator {
	if ttl <= 0 {
		ttl = DefaultTokenCacheTTL
	}
	return &authenticator{store: db, ttl: ttl, now: now, log: log, m: m, cache: make(map[string]cachedToken),
		touched: make(map[int64]time.Time)}
}

// touchTimeout bounds one write of token use times.
const touchTimeout = 30 * time.Second

// touch records that token id was used at, without waiting for the store.
func (a *authenticator) touch(id int64, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if prev, ok := a.touched[id]; !ok || at.After(prev) {
		a.touched[id] = at
	}
	if !a.touching {
		a.touching = true
		go a.writeTouches()
	}
}

// writeTouches writes the recorded uses until none is left. A failed write is
// logged and dropped: the use time is informational, and the next lookup of the
// token records it again.
func (a *authenticator) writeTouches() {
	for {
		a.mu.Lock()
		batch := a.touched
		if len(batch) == 0 {
			a.touching = false
			a.mu.Unlock()
			return
		}
		a.touched = make(map[int64]time.Time)
		a.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), touchTimeout)
		db := a.store()
		for id, at := range batch {
			if err := db.TouchToken(ctx, id, at); err != nil {
				a.log.Debug("token use not recorded", "token_id", id, "err", err)
			}
		}
		cancel()
	}
}

// badCredentials is the one answer to a refused credential, whatever the reason
// (missing, malformed, unknown, revoked): the answer must not tell a caller probing
// tokens how close it came. The reason goes to the metrics and the log.
const badCredentials = "missing, malformed, unknown or revoked token: send Authorization: Bearer <chainrisk token>"

func unauthorized(reason string, m *metrics) *apiError {
	m.authFailures.WithLabelValues(reason).Inc()
	return errorf(http.StatusUnauthorized, codeUnauthorized, "%s", badCredentials)
}

// bearer returns the caller of r by its bearer token, or a 401 (503 when the store
// cannot say).
func (a *authenticator) bearer(ctx context.Context, r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, unauthorized("missing", a.m)
	}
	scheme, plain, ok := strings.Cut(h, " ")
	plain = strings.TrimSpace(plain)
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, unauthorized("malformed", a.m)
	}
	return a.authenticate(ctx, plain)
}

// authenticate returns the caller a plain token names, or a 401 (503 when the store
// cannot say).
func (a *authenticator) authenticate(ctx context.Context, plain string) (*Principal, error) {
	if !tokens.WellFormed(plain) {
		return nil, unauthorized("malformed", a.m)
	}
	hash := tokens.Hash(plain)
	tok, err := a.lookup(ctx, hash)
	if err != nil {
		return nil, storeError(err)
	}
	// The store found the row by hash; comparing again in constant time keeps a
	// timing side channel of the lookup's comparison from mattering.
	if tok == nil || subtle.ConstantTimeCompare([]byte(tok.Hash), []byte(hash)) != 1 {
		return nil, unauthorized("unknown", a.m)
	}
	return a.principal(tok)
}

// principal returns the caller a stored token names, or a 401 for a revoked token or
// one with an invalid role or binding.
func (a *authenticator) principal(tok *store.Token) (*Principal, error) {
	if tok.Revoked() {
		a.log.Info("revoked token used", "token", tok.Name)
		return nil, unauthorized("revoked", a.m)
	}
	role, err := tokens.ParseRole(tok.Role)
	if err != nil || (role == tokens.RoleTenant) != (tok.Leader != "") {
		a.log.Warn("token with an invalid role or binding refused", "token", tok.Name, "role", tok.Role)
		return nil, unauthorized("invalid", a.m)
	}
	return &Principal{Name: tok.Name, Role: role, Leader: tok.Leader, TokenID: tok.ID}, nil
}

// lookup returns the token with hash (nil when there is none), from the cache when
// fresh; a store lookup also records the token's use, in the background.
func (a *authenticator) lookup(ctx context.Context, hash string) (*store.Token, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.tok, nil
	}
	db := a.store()
	tok, err := db.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		tok = nil
	case err != nil:
		return nil, err
	case !tok.Revoked():
		a.touch(tok.ID, now)
	}
	a.mu.Lock()
	if len(a.cache) >= maxCachedTokens {
		for k, v := range a.cache {
			if !now.Before(v.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= maxCachedTokens {
			clear(a.cache)
		}
	}
	a.cache[hash] = cachedToken{tok: tok, expires: now.Add(a.ttl)}
	a.mu.Unlock()
	return tok, nil
}
