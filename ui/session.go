package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/api"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

const (
	// sessionCookie carries a session's random value; the store keeps its SHA-256.
	sessionCookie = "chainrisk_session"
	// signInCookie carries the sign-in form's CSRF token before there is a session.
	signInCookie = "chainrisk_signin"
	// touchEvery is how stale a session's last use may get before a request writes it.
	touchEvery = time.Minute
)

// session is the signed-in caller of a request.
type session struct {
	row *store.UISession
	who *api.Principal
}

// randomValue returns 32 random bytes, base64url without padding (43 characters).
func randomValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random session value: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormed reports whether v looks like randomValue's output.
func wellFormed(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

func hashOf(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.opts.Config().UI.SecureCookies
}

func (s *Server) idle() time.Duration { return s.opts.Config().UI.SessionIdle }

// session returns the request's session: errNoSession without a cookie,
// errSessionInvalid for a tampered, unknown or revoked one, errSessionExpired past its
// idle expiry. It moves the expiry forward.
func (s *Server) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	if !wellFormed(ck.Value) {
		return nil, errSessionInvalid
	}
	ctx := r.Context()
	db := s.opts.Sessions()
	id := hashOf(ck.Value)
	row, tok, err := db.UISession(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errSessionInvalid
	case err != nil:
		return nil, unavailable(err)
	}
	// The store found the row by hash; compare again in constant time.
	if subtle.ConstantTimeCompare([]byte(row.IDHash), []byte(id)) != 1 {
		return nil, errSessionInvalid
	}
	now := s.opts.Now()
	if !now.Before(row.ExpiresAt) {
		_ = db.DeleteUISession(ctx, id)
		return nil, errSessionExpired
	}
	who, err := s.opts.API.PrincipalOf(tok)
	if err != nil {
		_ = db.DeleteUISession(ctx, id)
		return nil, errSessionInvalid
	}
	if now.Sub(row.LastSeen) >= touchEvery {
		if err := db.TouchUISession(ctx, id, now, now.Add(s.idle())); err != nil {
			s.log.Warn("console session use not recorded", "err", err)
		} else {
			row.LastSeen, row.ExpiresAt = now, now.Add(s.idle())
		}
	}
	return &session{row: row, who: who}, nil
}

// unavailable is the page for a store that did not answer; the cause is logged.
func unavailable(err error) error {
	return &pageError{status: http.StatusServiceUnavailable, title: "error.unavailable", body: "error.unavailable.body",
		cause: err}
}

func (s *Server) setCookie(c *call, name, value string, maxAge int) {
	http.SetCookie(c.w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(c.r)})
}

// clearSession tells the browser to drop its session cookie.
func (s *Server) clearSession(c *call) { s.setCookie(c, sessionCookie, "", -1) }

// checkCSRF compares the form's csrf field with want, and refuses a cross-origin
// Origin header.
func (c *call) checkCSRF(want string) error {
	if o := c.r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != c.r.Host {
			return errCSRF
		}
	}
	got := c.r.PostFormValue("csrf")
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// signInView is the sign-in page's data.
type signInView struct {
	Message string // a message key, or ""
	Next    string
	Token   string // the form's CSRF token
}

// signInForm renders the sign-in page with a fresh form token.
func (c *call) signInForm(status int, message, next string) error {
	v, err := randomValue()
	if err != nil {
		return err
	}
	c.s.setCookie(c, signInCookie, v, 3600)
	return c.render(status, "signin", c.t("signin.title"), signInView{Message: message, Next: safeNext(next), Token: v})
}

// safeNext keeps a redirect target inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}

// signInPage shows the sign-in form, also to a signed-in browser: signing in with
// another token replaces its session.
func (s *Server) signInPage(c *call) error {
	msg := ""
	if c.r.URL.Query().Get("out") == "1" {
		msg = "signin.out"
	}
	return c.signInForm(http.StatusOK, msg, c.r.URL.Query().Get("next"))
}

// landing is where a caller goes after signing in: a tenant to its chain.
func landing(who *api.Principal) string {
	if who.Role == tokens.RoleTenant {
		return Prefix + "chains/" + who.Leader
	}
	return Prefix
}

// signIn exchanges an API token for a session.
func (s *Server) signIn(c *call) error {
	ck, err := c.r.Cookie(signInCookie)
	if err != nil || !wellFormed(ck.Value) {
		return errCSRF
	}
	if err := c.checkCSRF(ck.Value); err != nil {
		return err
	}
	next := c.r.PostFormValue("next")
	who, err := s.opts.API.Authenticate(c.r.Context(), strings.TrimSpace(c.r.PostFormValue("token")))
	switch {
	case errors.Is(err, api.ErrUnauthorized):
		return c.signInForm(http.StatusUnauthorized, "signin.bad", next)
	case err != nil:
		return unavailable(err)
	}
	value, err := randomValue()
	if err != nil {
		return err
	}
	csrf, err := randomValue()
	if err != nil {
		return err
	}
	now := s.opts.Now()
	db := s.opts.Sessions()
	row := &store.UISession{IDHash: hashOf(value), TokenID: who.TokenID, CSRF: csrf, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(s.idle())}
	if err := db.CreateUISession(c.r.Context(), row); err != nil {
		return unavailable(err)
	}
	// Sign-ins sweep what has expired, so that the table stays small.
	if n, err := db.DeleteExpiredUISessions(c.r.Context(), now); err != nil {
		s.log.Warn("expired console sessions not swept", "err", err)
	} else if n > 0 {
		s.log.Debug("expired console sessions swept", "sessions", n)
	}
	if c.sess != nil { // signing in again replaces the browser's previous session
		if err := db.DeleteUISession(c.r.Context(), c.sess.row.IDHash); err != nil {
			s.log.Warn("previous console session not deleted", "err", err)
		}
	}
	s.log.Info("console sign-in", "token", who.Name) // the name only, never the token
	s.setCookie(c, signInCookie, "", -1)
	s.setCookie(c, sessionCookie, value, 0)
	to := safeNext(next)
	if to == "" {
		to = landing(who)
	}
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
	return nil
}

// signOut deletes the session (its CSRF token was checked).
func (s *Server) signOut(c *call) error {
	if err := s.opts.Sessions().DeleteUISession(c.r.Context(), c.sess.row.IDHash); err != nil {
		return unavailable(err)
	}
	s.log.Info("console sign-out", "token", c.sess.who.Name)
	s.clearSession(c)
	http.Redirect(c.w, c.r, Prefix+"signin?out=1", http.StatusSeeOther)
	return nil
}
