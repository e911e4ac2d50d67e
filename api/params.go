package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
)

// checkQuery refuses parameters the route does not take, and repeated ones: a typo
// must not silently select the default.
func checkQuery(r *http.Request, allowed []string) error {
	q, err := urlQuery(r)
	if err != nil {
		return err
	}
	for name, vals := range q {
		if !slices.Contains(allowed, name) {
			e := errorf(http.StatusBadRequest, codeUnknownParameter, "unknown query parameter %q", name)
			if len(allowed) > 0 {
				e.details = []string{"this endpoint takes: " + strings.Join(allowed, ", ")}
			}
			return e
		}
		if len(vals) > 1 {
			return errorf(http.StatusBadRequest, codeBadRequest, "query parameter %q given %d times", name, len(vals))
		}
	}
	return nil
}

func urlQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "malformed query string: %v", err)
	}
	return q, nil
}

// intParam reads an integer query parameter in [lo, hi], def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errorf(http.StatusBadRequest, codeBadRequest, "%s must be an integer from %d to %d, got %q", name, lo, hi, s)
	}
	return n, nil
}

// timeParam reads a time query parameter written as input timestamps are (RFC 3339,
// or YYYY-MM-DD; Asia/Shanghai unless a zone is given); zero when absent. A date
// that ends a span (endOfDay) stands for its whole day: it reads as the last
// millisecond of it, the precision of stored times.
func timeParam(r *http.Request, name string, endOfDay bool) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ingest.ParseTime(s)
	if err != nil {
		return time.Time{}, errorf(http.StatusBadRequest, codeBadRequest, "%s: %v", name, err)
	}
	if endOfDay && len(s) == len(time.DateOnly) {
		t = t.AddDate(0, 0, 1).Add(-time.Millisecond)
	}
	return t, nil
}

// enumParam reads a query parameter that takes one of values, def when absent.
func enumParam(r *http.Request, name, def string, values ...string) (string, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	if !slices.Contains(values, s) {
		return "", errorf(http.StatusBadRequest, codeBadRequest, "%s must be one of %s, got %q", name, strings.Join(values, ", "), s)
	}
	return s, nil
}

// checkUSCC validates a USCC given by a client; a bad check character passes when
// ingest accepts such codes (they are then in the store).
func (rq *request) checkUSCC(where, code string) error {
	err := credit.CheckUSCC(code)
	if err == nil || (errors.Is(err, credit.ErrBadCheckChar) && rq.cfg.Ingest.AcceptBadChecksums) {
		return nil
	}
	return errorf(http.StatusBadRequest, codeInvalidUSCC, "%s: invalid USCC: %v", where, err)
}

// pathUSCC returns the USCC in path segment name, checked.
func (rq *request) pathUSCC(name string) (string, error) {
	code := rq.r.PathValue(name)
	return code, rq.checkUSCC(name, code)
}

// ready returns the state, or 503 before the first scan.
func (rq *request) ready() (*monitor.State, error) {
	if rq.state == nil {
		return nil, errNotReady
	}
	return rq.state, nil
}

// firm returns the node of a USCC the caller may see; errFirmNotFound for a firm the
// state does not hold and, alike, for one outside a tenant's chain.
func (rq *request) firm(st *monitor.State, uscc string) (int32, error) {
	v, ok := st.Index(uscc)
	if !ok || !rq.who.Sees(uscc) {
		return 0, errFirmNotFound
	}
	return v, nil
}

// decodeJSON reads a JSON request body into v: Content-Type application/json, one
// value, no unknown fields.
func (rq *request) decodeJSON(v any) error {
	ct := rq.r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != mediaJSON {
		return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "send the body as Content-Type: application/json, not %q", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "charset %q is not supported, send UTF-8", cs)
	}
	dec := json.NewDecoder(rq.r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if err == nil {
			return errorf(http.StatusBadRequest, codeInvalidJSON, "the body holds more than one JSON value")
		}
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, codeInvalidJSON, "the body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, codeInvalidJSON, "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return errorf(http.StatusBadRequest, codeInvalidJSON, "field %q: want %s, got %s", typ.Field, typ.Type, typ.Value)
	}
	return errorf(http.StatusBadRequest, codeInvalidJSON, "%v", err)
}

// acceptable reports whether an Accept header admits one of the offered media types
// (no header admits anything; "*/*" offered matches any header).
func acceptable(header string, offers []string) bool {
	if strings.TrimSpace(header) == "" || slices.Contains(offers, "*/*") {
		return true
	}
	for _, part := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
				continue
			}
		}
		for _, o := range offers {
			typ, _, _ := strings.Cut(o, "/")
			if mt == "*/*" || mt == o || mt == typ+"/*" {
				return true
			}
		}
	}
	return false
}
