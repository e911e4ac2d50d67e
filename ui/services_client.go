package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The pages of investment checks, screenings, graded lists and search send bodies to
// the API (POST) and stream its downloads; like c.get, every call is served
// in-process as the signed-in caller.

// callAPI calls the API's method path (with query and, for a POST, body of type
// ctype) as the caller and returns the answer when its status is want, or an
// *apiError naming the API's reason and details.
func (c *call) callAPI(method, path string, query url.Values, ctype string, body io.Reader, want int) (*buffer, error) {
	b, err := c.serveAPI(method, path, query, ctype, body)
	if err != nil {
		return nil, err
	}
	if b.code != want {
		return nil, apiErrorOf(b.code, b.body.Bytes())
	}
	return b, nil
}

// serveAPI serves one API request in-process as the signed-in caller and returns the
// whole answer, whatever its status.
func (c *call) serveAPI(method, path string, query url.Values, ctype string, body io.Reader) (*buffer, error) {
	u := "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(c.r.Context(), method, u, body)
	if err != nil {
		return nil, fmt.Errorf("api request %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.RemoteAddr = c.r.RemoteAddr
	b := &buffer{header: http.Header{}}
	c.s.opts.API.ServeAs(b, req, c.sess.who)
	return b, nil
}

// apiErrorOf reads the API's error envelope; its details (the lines or fields at
// fault) follow the message.
func apiErrorOf(status int, body []byte) *apiError {
	var env struct {
		Error struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Details []string `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &env)
	msg := env.Error.Message
	if len(env.Error.Details) > 0 {
		msg += ": " + strings.Join(env.Error.Details, "; ")
	}
	return &apiError{status: status, code: env.Error.Code, message: msg}
}

// refusal turns the API's refusals of a request's content into the console's page
// with the same status: 413 (too large), 415 (wrong type) and 422 (a check past
// checks.max_steps) are the caller's to fix, as a 400 is. Other errors pass.
func refusal(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.status {
		case http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			return &pageError{status: ae.status, title: "error.bad", detail: ae.message}
		}
	}
	return err
}

// stream copies the API's GET answer to the browser as it is written, for the
// downloads that may be large (a list's CSV); an answer other than 200 becomes the
// console's page for it. filename names the attachment.
func (c *call) stream(path string, query url.Values, accept, filename string) error {
	u := "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(c.r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("api request %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	req.RemoteAddr = c.r.RemoteAddr
	sw := &streamWriter{to: c.w, header: http.Header{}, filename: filename}
	c.s.opts.API.ServeAs(sw, req, c.sess.who)
	if sw.code != http.StatusOK {
		return apiErrorOf(sw.code, sw.failed.body.Bytes())
	}
	return nil
}

// streamWriter passes a 200 answer through to the browser and keeps any other for
// the error page.
type streamWriter struct {
	to       http.ResponseWriter
	header   http.Header
	code     int
	filename string
	failed   buffer
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if w.code != 0 {
		return
	}
	w.code = code
	if code != http.StatusOK {
		return
	}
	h := w.to.Header()
	h.Set("Content-Type", w.header.Get("Content-Type"))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, w.filename))
	w.to.WriteHeader(http.StatusOK)
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.code != http.StatusOK {
		return w.failed.body.Write(p)
	}
	return w.to.Write(p)
}

// Flush sends what the API wrote so far.
func (w *streamWriter) Flush() {
	if f, ok := w.to.(http.Flusher); ok && w.code == http.StatusOK {
		f.Flush()
	}
}
