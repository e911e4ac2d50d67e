package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of the Server (OpenAPI 3.1); the test
// TestOpenAPIMatchesRoutes keeps the two in step.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the API's OpenAPI document.
func OpenAPI() []byte { return openAPIDocument }

func (s *Server) openAPI(rq *request) error {
	rq.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	rq.w.Header().Set("Cache-Control", "public, max-age=300")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(openAPIDocument)
	return nil
}
