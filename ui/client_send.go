package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// send calls the API's method path (with query) as the caller with a body of type
// ctype, and decodes the JSON answer into v (when not nil). An answer with a status
// of 2xx or one of also is decoded and its status returned; any other is an *apiError,
// whose message carries the API's details.
func (c *call) send(method, path string, query url.Values, ctype string, body []byte, v any, also ...int) (int, error) {
	b, err := c.serveAPI(method, path, query, ctype, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if b.code/100 != 2 && !slices.Contains(also, b.code) {
		return b.code, apiErrorOf(b.code, b.body.Bytes())
	}
	if v != nil && b.body.Len() > 0 {
		if err := json.Unmarshal(b.body.Bytes(), v); err != nil {
			return b.code, fmt.Errorf("api %s %s: decode: %w", method, path, err)
		}
	}
	return b.code, nil
}

// sendJSON sends v as a JSON body and decodes the answer into out.
func (c *call) sendJSON(method, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = c.send(method, path, nil, "application/json", body, out)
	return err
}

// seeOther answers a form's POST by sending the browser to path (post/redirect/get).
func (c *call) seeOther(path string) error {
	http.Redirect(c.w, c.r, path, http.StatusSeeOther)
	return nil
}

// backTo returns the form's back field when it is a console path starting with
// prefix, else fallback: a form returns only to pages of its own kind.
func backTo(r *http.Request, prefix, fallback string) string {
	b := r.PostFormValue("back")
	if b != "" && strings.HasPrefix(b, prefix) && safeNext(b) == b {
		return b
	}
	return fallback
}
