package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// Role is what a token may do (SPEC §8).
type Role string

const (
	// RoleAdmin may call everything.
	RoleAdmin Role = "admin"
	// RoleIngest may ingest, trigger rescans and read scans.
	RoleIngest Role = "ingest"
	// RoleAnalyst may read everything and run stress tests, ESRI and checks; it may
	// not ingest or trigger rescans.
	RoleAnalyst Role = "analyst"
	// RoleTenant is bound to one USCC (a leader or an SME) and reads only firms of
	// that USCC's chain; everything else answers 404 as if it did not exist.
	RoleTenant Role = "tenant"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleIngest, RoleAnalyst, RoleTenant}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want admin, ingest, analyst or tenant)", s)
}

// Principal is the caller of a request, as its token says.
type Principal struct {
	Name string
	Role Role
	// Leader is the USCC a tenant is bound to.
	Leader string
	view   *visibility.View
}

// Viewer is who the caller is to the visibility rule: a tenant, or staff.
func (p *Principal) Viewer() visibility.Viewer {
	if p.Role == RoleTenant {
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
	if kind, name, ok := strings.Cut(trigger, ":"); ok && kind == "api" && p.Role == RoleTenant && name != p.Name {
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

// TokenPrefix starts every plain token, so that a leaked one is recognisable (secret
// scanners, logs) and a malformed one is refused without a store lookup.
const TokenPrefix = "crk_"

var tokenRE = regexp.MustCompile(`^crk_[A-Za-z0-9_-]{43}$`)

// nameRE bounds token names: they appear in logs and scan triggers (api:<name>).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckTokenName checks a token name: 1-64 letters, digits, '.', '_' or '-', starting
// with a letter or digit.
func CheckTokenName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("token name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// NewToken returns a fresh plain token (TokenPrefix + 32 random bytes in unpadded
// base64url) and its hash.
func NewToken() (plain, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	plain = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, HashToken(plain), nil
}

// HashToken is the hex SHA-256 the store keeps of a plain token. The tokens carry 256
// random bits, so a fast unsalted hash is enough: there is nothing to brute-force.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for role (tenants need leader, the USCC they are bound
// to; other roles must not give one), records its hash, and returns the plain token,
// which nothing keeps: show it to the user once.
func CreateToken(ctx context.Context, st store.TokenStore, name string, role Role, leader string) (string, *store.Token, error) {
	if err := CheckTokenName(name); err != nil {
		return "", nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	switch {
	case role == RoleTenant && leader == "":
		return "", nil, errors.New("a tenant token needs the USCC it is bound to (--leader)")
	case role != RoleTenant && leader != "":
		return "", nil, fmt.Errorf("only tenant tokens are bound to a USCC, not %s tokens", role)
	}
	plain, hash, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	tok := &store.Token{Name: name, Role: string(role), Leader: leader, Hash: hash}
	if err := st.CreateToken(ctx, tok); err != nil {
		return "", nil, err
	}
	return plain, tok, nil
}

// DemoTokenName names the admin token EnsureDemoToken creates.
const DemoTokenName = "demo-admin"

// EnsureDemoToken creates an admin token when the store holds no live token, for
// chainriskd -demo to print at start. It returns the plain token and true when it
// created one; "" and false when tokens exist.
func EnsureDemoToken(ctx context.Context, st store.TokenStore) (plain string, created bool, err error) {
	tokens, err := st.Tokens(ctx)
	if err != nil {
		return "", false, err
	}
	taken := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if !t.Revoked() {
			return "", false, nil
		}
		taken[t.Name] = true
	}
	name := DemoTokenName
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", DemoTokenName, i)
	}
	plain, _, err = CreateToken(ctx, st, name, RoleAdmin, "")
	if err != nil {
		return "", false, err
	}
	return plain, true, nil
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

func newAuthenticator(st func() store.TokenStore, ttl time.Duration, now func() time.Time, log *slog.Logger, m *metrics) *authenticator {
	if ttl <= 0 {
		ttl = DefaultTokenCacheTTL
	}
	return &authenticator{store: st, ttl: ttl, now: now, log: log, m: m, cache: make(map[string]cachedToken),
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
		st := a.store()
		for id, at := range batch {
			if err := st.TouchToken(ctx, id, at); err != nil {
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

// authenticate returns the caller of r, or a 401 (503 when the store cannot say).
func (a *authenticator) authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, unauthorized("missing", a.m)
	}
	scheme, plain, ok := strings.Cut(h, " ")
	plain = strings.TrimSpace(plain)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !tokenRE.MatchString(plain) {
		return nil, unauthorized("malformed", a.m)
	}
	hash := HashToken(plain)
	tok, err := a.lookup(ctx, hash)
	if err != nil {
		return nil, storeError(err)
	}
	// The store found the row by hash; comparing again in constant time keeps a
	// timing side channel of the lookup's comparison from mattering.
	if tok == nil || subtle.ConstantTimeCompare([]byte(tok.Hash), []byte(hash)) != 1 {
		return nil, unauthorized("unknown", a.m)
	}
	if tok.Revoked() {
		a.log.Info("revoked token used", "token", tok.Name)
		return nil, unauthorized("revoked", a.m)
	}
	role, err := ParseRole(tok.Role)
	if err != nil || (role == RoleTenant) != (tok.Leader != "") {
		a.log.Warn("token with an invalid role or binding refused", "token", tok.Name, "role", tok.Role)
		return nil, unauthorized("invalid", a.m)
	}
	return &Principal{Name: tok.Name, Role: role, Leader: tok.Leader}, nil
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
	st := a.store()
	tok, err := st.TokenByHash(ctx, hash)
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
