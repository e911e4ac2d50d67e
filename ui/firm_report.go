package ui

import (
	"net/http"
	"net/url"
)

// firmReport shows the firm's printable evaluation report, the API's HTML (GET
// /api/v1/enterprises/{uscc}/report), under the console's session.
func (s *Server) firmReport(c *call) error {
	b, err := c.fetch("/enterprises/"+url.PathEscape(c.r.PathValue("uscc"))+"/report", nil, "text/html")
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", b.header.Get("Content-Type"))
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b.body.Bytes())
	return nil
}
