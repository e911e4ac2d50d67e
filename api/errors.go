package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Error codes of the envelope {"error": {"code", "message", "details"}}.
const (
	codeBadRequest        = "bad_request"
	codeInvalidUSCC       = "invalid_uscc"
	codeUnknownParameter  = "unknown_parameter"
	codeInvalidJSON       = "invalid_json"
	codeUnauthorized      = "unauthorized"
	codeForbidden         = "forbidden"
	codeNotFound          = "not_found"
	codeMethodNotAllowed  = "method_not_allowed"
	codeNotAcceptable     = "not_acceptable"
	codeUnsupportedMedia  = "unsupported_media_type"
	codeTooLarge          = "payload_too_large"
	codeCheckTooLarge     = "check_too_large"
	codeOwnershipTooLarge = "ownership_too_large"
	codeChainTooLarge     = "chain_too_large"
	codeTooManyIngests    = "too_many_ingests"
	codeTooManyBodies     = "too_many_bodies"
	codeBodyTimeout       = "body_timeout"
	codeOverloaded        = "overloaded"
	codeNotReady          = "not_ready"
	codeTimeout           = "timeout"
	codeStoreUnavailable  = "store_unavailable"
	codeInternal          = "internal"
)

// apiError is an answer other than success. Its message is for the client; cause,
// when set, is logged and never sent.
type apiError struct {
	status     int
	code       string
	message    string
	details    []string
	retryAfter int // seconds; 0 sends no Retry-After
	// maxBody, on a 413, is the route's body limit, sent as X-Max-Body-Bytes so that
	// a client can split what it sends (chainriskctl import does).
	maxBody int64
	cause   error
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func (e *apiError) Unwrap() error { return e.cause }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

var (
	errOverloaded = &apiError{status: http.StatusServiceUnavailable, code: codeOverloaded,
		message: "too many requests in progress; retry shortly", retryAfter: 1}
	errTooManyIngests = &apiError{status: http.StatusTooManyRequests, code: codeTooManyIngests,
		message: "too many ingests in progress; retry shortly", retryAfter: 1}
	errNotReady = &apiError{status: http.StatusServiceUnavailable, code: codeNotReady,
		message: "no scan has finished yet; retry shortly", retryAfter: 5}
	// errFirmNotFound answers both a firm the daemon does not know and one outside a
	// tenant's chain, with the same body, so that a tenant cannot tell them apart.
	errFirmNotFound = &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such enterprise"}
)

func errTooManyBodies(max int) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeTooManyBodies, retryAfter: 1,
		message: fmt.Sprintf("this token is already sending %d request bodies; wait until one has arrived", max)}
}

func errTooLarge(limit int64) *apiError {
	e := errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "request body larger than %d bytes", limit)
	e.maxBody = limit
	return e
}

// headerMaxBody names the body limit on a 413 answer (api/openapi.json).
const headerMaxBody = "X-Max-Body-Bytes"

// envelope is the body of every error answer.
type envelope struct {
	Error envelopeError `json:"error"`
}

type envelopeError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.maxBody > 0 {
		w.Header().Set(headerMaxBody, strconv.FormatInt(e.maxBody, 10))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chainrisk"`)
	}
	details := e.details
	if details == nil {
		details = []string{}
	}
	writeJSON(w, e.status, envelope{envelopeError{Code: e.code, Message: e.message, Details: details}})
}

// WriteError answers in the API's error envelope, for handlers mounted with Handle.
func WriteError(w http.ResponseWriter, status int, code, message string, details ...string) {
	writeError(w, &apiError{status: status, code: code, message: message, details: details})
}

// fail answers err: API errors as they are; body limits, deadlines and everything
// else by kind, logging what the client does not see.
func (s *Server) fail(rq *request, err error) {
	var ae *apiError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &tooLarge):
		ae = errTooLarge(tooLarge.Limit)
	case errors.Is(err, context.DeadlineExceeded):
		ae = &apiError{status: http.StatusServiceUnavailable, code: codeTimeout, retryAfter: 1,
			message: "the request took longer than the server allows", cause: err}
	case errors.Is(err, context.Canceled):
		ae = &apiError{status: 499, code: codeTimeout, message: "request cancelled", cause: err} // nobody is listening
	default:
		ae = &apiError{status: http.StatusInternalServerError, code: codeInternal, message: "internal error", cause: err}
	}
	closeUnread(rq.w, rq.r, rq.body != nil)
	if ae.cause != nil && ae.status >= 500 {
		// A store outage fails every request at once: one line per storeErrorEvery
		// says so, with the count of those it stands for, instead of a flood.
		if ae.code != codeStoreUnavailable {
			s.log.Error("api request failed", "route", rq.route.pattern, "status", ae.status, "err", ae.cause)
		} else if n, ok := s.storeErrs.allow(time.Now(), storeErrorEvery); ok {
			s.log.Error("api request failed", "route", rq.route.pattern, "status", ae.status, "err", ae.cause,
				"similar_failures_not_logged", n)
		}
	}
	writeError(rq.w, ae)
}

// storeErrorEvery is how often a store outage's failed requests are logged.
const storeErrorEvery = 10 * time.Second

// logThrottle lets one log line through per period and counts the rest.
type logThrottle struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were held back
// since the last one that was.
func (t *logThrottle) allow(now time.Time, every time.Duration) (suppressed int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.next) {
		t.suppressed++
		return 0, false
	}
	n := t.suppressed
	t.next, t.suppressed = now.Add(every), 0
	return n, true
}

// storeError is a failure of the store behind a read: 503 so that clients retry.
func storeError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return &apiError{status: http.StatusServiceUnavailable, code: codeStoreUnavailable,
		message: "the store is unavailable; retry shortly", retryAfter: 5, cause: err}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// json answers v with status.
func (rq *request) json(status int, v any) error {
	writeJSON(rq.w, status, v)
	return nil
}
