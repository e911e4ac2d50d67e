package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/chainrisk/chainrisk/store"
)

// The web console (package ui) is an in-process client of the API: it signs a caller
// in once with a plain token, keeps a session that refers to the token's ID, and
// serves each page by calling the API as that caller, so that every role check and
// visibility rule of the API applies to the console unchanged.

// ErrUnauthorized is what Authenticate and PrincipalOf return (wrapped) for a
// refused credential: missing, malformed, unknown, revoked, or with an invalid role.
var ErrUnauthorized = errors.New("missing, malformed, unknown or revoked token")

// Authenticate returns the caller a plain API token names, as a bearer token would be
// checked (cache, metrics and log included). A refused token gives an error wrapping
// ErrUnauthorized; any other error means the store could not say.
func (s *Server) Authenticate(ctx context.Context, plain string) (*Principal, error) {
	return refused(s.auth.authenticate(ctx, plain))
}

// PrincipalOf returns the caller a stored token names (as read with a session), or an
// error wrapping ErrUnauthorized when the token was revoked or is invalid.
func (s *Server) PrincipalOf(tok *store.Token) (*Principal, error) {
	return refused(s.auth.principal(tok))
}

func refused(p *Principal, err error) (*Principal, error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
		return nil, ErrUnauthorized
	}
	return p, err
}

// asKey carries the caller of a request served with ServeAs. Only code in this
// process can set a context value: a request from the network never carries one.
type asKey struct{}

// ServeAs serves r as if who had sent it with its bearer token: the route's role
// check, limits and visibility apply as to any request. who is copied; its view is
// set for this request alone.
func (s *Server) ServeAs(w http.ResponseWriter, r *http.Request, who *Principal) {
	p := *who
	p.view = nil
	s.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), asKey{}, &p)))
}

// caller returns the principal of a request served with ServeAs, or authenticates
// its bearer token.
func (s *Server) caller(r *http.Request) (*Principal, error) {
	if p, ok := r.Context().Value(asKey{}).(*Principal); ok && p != nil {
		return p, nil
	}
	return s.auth.bearer(r.Context(), r)
}
