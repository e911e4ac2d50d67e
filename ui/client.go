package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// The console reads its data from the API, in-process, as the signed-in caller:
// api.Server.ServeAs applies the route's role check and the caller's visibility as
// for a request with the caller's bearer token.

// buffer collects one in-process API answer.
type buffer struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *buffer) Header() http.Header { return b.header }
func (b *buffer) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *buffer) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

// fetch calls the API's GET path (with query) as the caller and returns the answer
// with status 200, or an *apiError.
func (c *call) fetch(path string, query url.Values, accept string) (*buffer, error) {
	u := "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(c.r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("api request %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	req.RemoteAddr = c.r.RemoteAddr
	b := &buffer{header: http.Header{}}
	c.s.opts.API.ServeAs(b, req, c.sess.who)
	if b.code != http.StatusOK {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b.body.Bytes(), &env)
		return nil, &apiError{status: b.code, code: env.Error.Code, message: env.Error.Message}
	}
	return b, nil
}

// get calls the API's GET path as the caller and decodes its JSON answer into v.
func (c *call) get(path string, query url.Values, v any) error {
	b, err := c.fetch(path, query, "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b.body.Bytes(), v); err != nil {
		return fmt.Errorf("api %s: decode: %w", path, err)
	}
	return nil
}
