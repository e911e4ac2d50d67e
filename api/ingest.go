package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
)

// ingest serves POST /api/v1/{kind}: the body is one atomic batch (README.md). The
// answer is the CLI's summary, 200 when every row was accepted and committed, 422
// when any was rejected (the good rows are committed unless strict=true).
func (s *Server) ingest(kind credit.Kind) func(rq *request) error {
	return func(rq *request) error {
		return s.ingestWith(rq, func(ctx context.Context, format ingest.Format, strict bool) (ingest.Summary, error) {
			return s.b.Ingest(ctx, kind, format, rq.r.Body, strict, "api:"+rq.who.Name)
		})
	}
}

// ingestWith reads an ingest route's parameters and media type, runs the batch and
// answers its summary: the registry's ingest and a tenant's own relations share it.
func (s *Server) ingestWith(rq *request, run func(ctx context.Context, format ingest.Format, strict bool) (ingest.Summary, error)) error {
	strict, err := enumParam(rq.r, "strict", "false", "true", "false")
	if err != nil {
		return err
	}
	ct := rq.r.Header.Get("Content-Type")
	format, err := ingest.FormatFor("", ct)
	if ct == "" || err != nil { // without a file name, only the two media types pass
		e := errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the rows as Content-Type: text/csv or application/x-ndjson (UTF-8), not %q", ct)
		if err != nil && ct != "" {
			e.details = []string{err.Error()}
		}
		return e
	}
	sum, err := run(rq.r.Context(), format, strict == "true")
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return err
		}
		return storeError(err)
	}
	if sum.Errors == nil {
		sum.Errors = []string{}
	}
	status := http.StatusOK
	if sum.Rejected > 0 || !sum.Committed {
		status = http.StatusUnprocessableEntity
	}
	return rq.json(status, sum)
}
