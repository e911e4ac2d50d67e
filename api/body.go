package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/ingest"
)

// Request bodies are read in full before the server works on a request (docs/reliability.md,
// slow clients): a client that sends slowly holds its own connection and nothing
// else — no slot of max_concurrent_requests, no ingest slot, no store lock and no
// transaction. What bounds it instead: a deadline between reads (body_read_timeout)
// and for the whole request (request_timeout), and max_body_reads_per_token bodies
// arriving at once per token. Only authenticated callers get this far.

// bodyReads counts the bodies each token is sending.
type bodyReads struct {
	mu    sync.Mutex
	max   int
	count map[string]int
}

func (b *bodyReads) acquire(token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count[token] >= b.max {
		return false
	}
	b.count[token]++
	return true
}

func (b *bodyReads) release(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count[token]--; b.count[token] <= 0 {
		delete(b.count, token)
	}
}

// hasBody reports whether a request carries a body: announced by Content-Length or
// chunked.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// readBody reads rq's body, at most limit bytes, and hands it to the handler from
// memory, or for ingest bodies past ingest.SpoolMemory from a temporary file.
func (s *Server) readBody(rq *request, limit int64) error {
	r := rq.r
	if !hasBody(r) {
		return nil
	}
	if rq.who == nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "%s takes no request body", rq.route.pattern)
	}
	if !s.bodies.acquire(rq.who.Name) {
		s.m.rejected.WithLabelValues("body_reads_per_token").Inc()
		return errTooManyBodies(s.http.MaxBodyReadsPerToken)
	}
	defer s.bodies.release(rq.who.Name)
	s.m.bodiesReading.Inc()
	defer s.m.bodiesReading.Dec()

	end, _ := r.Context().Deadline()
	in := &deadlineReader{r: http.MaxBytesReader(rq.w, r.Body, limit), rc: http.NewResponseController(rq.w),
		idle: s.http.BodyReadTimeout, end: end}
	memory := limit
	if rq.route.ingest {
		memory = min(limit, ingest.SpoolMemory)
	}
	body, err := ingest.Spool(r.Context(), in, memory)
	if err != nil {
		err = in.failed(err)
		if ae, ok := err.(*apiError); ok && ae.code == codeBodyTimeout {
			s.m.rejected.WithLabelValues("body_timeout").Inc()
		}
		return err
	}
	// The whole body is here: lift the deadline, which would otherwise end the
	// request when the server's watch for a closed connection reads past it
	// (net/http lifts it too when that watch starts; this does not rely on it).
	in.clear()
	rq.body = body
	r.Body, r.ContentLength = body, body.Size()
	return nil
}

// deadlineReader reads a request body with a deadline for each read: idle from
// now, and never past end (the request's own deadline).
type deadlineReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	end  time.Time
	// overall is set when the last deadline set was end rather than idle.
	overall bool
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.rc != nil {
		dl := time.Now().Add(d.idle)
		d.overall = !d.end.IsZero() && !dl.Before(d.end)
		if d.overall {
			dl = d.end
		}
		if err := d.rc.SetReadDeadline(dl); err != nil {
			d.rc = nil // a writer without a connection (tests): the body is in memory
		}
	}
	return d.r.Read(p)
}

func (d *deadlineReader) clear() {
	if d.rc != nil {
		_ = d.rc.SetReadDeadline(time.Time{})
	}
}

// failed turns an error of reading the body into the answer.
func (d *deadlineReader) failed(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded) && d.overall, errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusRequestTimeout, codeBodyTimeout,
			"the request body did not arrive within the request timeout")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errorf(http.StatusRequestTimeout, codeBodyTimeout,
			"the request body stalled: nothing arrived for %s", d.idle)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, codeBadRequest, "the request body ended before its announced length")
	}
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: "the request body could not be read",
		cause: err}
}

// closeUnread prepares the answer to a request whose body was not read to its end:
// the connection closes after the answer, and the server does not wait for the rest
// of the body (which a stalled client would never send) before answering or after.
func closeUnread(w http.ResponseWriter, r *http.Request, read bool) {
	if read || !hasBody(r) {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
