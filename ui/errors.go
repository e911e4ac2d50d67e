package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// pageError is a page that did not work out: the error page with status, a title and
// a text (message keys), and a detail (already in the reader's terms, or empty).
type pageError struct {
	status int
	title  string
	body   string
	detail string
	cause  error // logged, never shown
}

func (e *pageError) Error() string { return e.title + ": " + e.detail }

var (
	// errNotFound is the one answer for what does not exist and for what the caller
	// may not see: the API answers both with 404, and so does the console.
	errNotFound  = &pageError{status: http.StatusNotFound, title: "error.notfound", body: "error.notfound.body"}
	errForbidden = &pageError{status: http.StatusForbidden, title: "error.forbidden", body: "error.forbidden.body"}
	errCSRF      = &pageError{status: http.StatusForbidden, title: "error.forbidden", body: "error.csrf"}
)

func badRequest(detail string) *pageError {
	return &pageError{status: http.StatusBadRequest, title: "error.bad", detail: detail}
}

// signInError sends the browser back to the sign-in page: with no session at all a
// redirect (303), else the page itself with status 401 and the reason (a message key).
type signInError struct {
	reason string // "" for no session: redirect
}

func (e *signInError) Error() string { return "sign in: " + e.reason }

var (
	errNoSession      = &signInError{}
	errSessionExpired = &signInError{reason: "signin.expired"}
	errSessionInvalid = &signInError{reason: "signin.invalid"}
)

// apiError is an API answer other than 200, as the in-process client got it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// fail answers a page's error.
func (s *Server) fail(c *call, err error) {
	var se *signInError
	var pe *pageError
	var ae *apiError
	switch {
	case errors.As(err, &se) && se.reason == "":
		http.Redirect(c.w, c.r, Prefix+"signin?next="+url.QueryEscape(c.r.URL.RequestURI()), http.StatusSeeOther)
		return
	case errors.As(err, &se):
		s.clearSession(c)
		c.sess = nil
		err = c.signInForm(http.StatusUnauthorized, se.reason, "")
	case errors.As(err, &pe):
		if pe.cause != nil {
			s.log.Warn("console page failed", "path", c.r.URL.Path, "status", pe.status, "err", pe.cause)
		}
		err = c.errorPage(pe)
	case errors.As(err, &ae):
		err = c.errorPage(fromAPI(ae))
	case errors.Is(err, context.Canceled):
		return // the browser went away
	default:
		s.log.Error("console page failed", "path", c.r.URL.Path, "err", err)
		err = c.errorPage(&pageError{status: http.StatusInternalServerError, title: "error.internal"})
	}
	if err != nil {
		s.log.Error("console error page failed", "path", c.r.URL.Path, "err", err)
		http.Error(c.w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}

// fromAPI turns an API answer into the console's page for it.
func fromAPI(ae *apiError) *pageError {
	switch ae.status {
	case http.StatusNotFound:
		return errNotFound
	case http.StatusBadRequest:
		return badRequest(ae.message)
	case http.StatusForbidden:
		return errForbidden
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return &pageError{status: http.StatusServiceUnavailable, title: "error.unavailable", body: "error.unavailable.body"}
	}
	return &pageError{status: http.StatusInternalServerError, title: "error.internal", detail: ae.code}
}

func (c *call) errorPage(pe *pageError) error {
	if pe.status == http.StatusServiceUnavailable {
		c.w.Header().Set("Retry-After", "5")
	}
	return c.render(pe.status, "error", c.t(pe.title), pe)
}

// Body is the error page's text (a message key, or "").
func (e *pageError) Body() string { return e.body }

// Detail is the error page's detail, shown as is (escaped).
func (e *pageError) Detail() string { return e.detail }
