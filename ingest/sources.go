package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
)

// Importer applies one input as one batch (the daemon's: import, metrics, then the
// incremental scan).
type Importer func(ctx context.Context, kind credit.Kind, format Format, r io.Reader, strict bool,
	trigger string) (Summary, error)

// Source pulls data on a schedule (docs/operations.md): new files of a directory, or a URL.
type Source struct {
	cfg    config.Source
	imp    Importer
	log    *slog.Logger
	client *http.Client
	// MaxBytes bounds an HTTP response body.
	maxBytes int64

	mu   sync.Mutex
	etag string // of the last imported HTTP response
}

// NewSource returns the runner of one configured source.
func NewSource(cfg config.Source, imp Importer, log *slog.Logger, maxBytes int64) *Source {
	if log == nil {
		log = slog.Default()
	}
	return &Source{cfg: cfg, imp: imp, log: log.With("source", cfg.Name), maxBytes: maxBytes,
		client: &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a source URL answers itself; redirects are refused
		}}}
}

// Run imports what is new: every waiting file of a dir source, or the URL of an http
// source when it changed. It returns the first error; a bad file is not an error
// (it lands in failed/ with a report).
func (s *Source) Run(ctx context.Context) error {
	switch s.cfg.Kind {
	case config.SourceDir:
		return s.runDir(ctx)
	case config.SourceHTTP:
		return s.runHTTP(ctx)
	}
	return fmt.Errorf("source %s: unknown kind %q", s.cfg.Name, s.cfg.Kind)
}

func (s *Source) trigger() string { return "source:" + s.cfg.Name }

// runDir imports the directory's files in name order, each as its own batch; a file
// whose every row was accepted moves to done/, any other to failed/ with a report
// (<file>.errors.txt) beside it. A file that cannot be moved stays and is retried.
func (s *Source) runDir(ctx context.Context) error {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := FormatFor(e.Name(), ""); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.importFile(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) importFile(ctx context.Context, name string) error {
	path := filepath.Join(s.cfg.Dir, name)
	format, _ := FormatFor(name, "")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	sum, err := s.imp(ctx, s.cfg.Data, format, f, s.cfg.Strict, s.trigger())
	f.Close()
	if err != nil {
		// The store or the file failed us, not the data: leave the file to retry.
		return fmt.Errorf("source %s: %s: %w", s.cfg.Name, name, err)
	}
	dest := "done"
	if !sum.OK() {
		dest = "failed"
	}
	if err := os.MkdirAll(filepath.Join(s.cfg.Dir, dest), 0o750); err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	if dest == "failed" {
		if err := os.WriteFile(filepath.Join(s.cfg.Dir, dest, name+".errors.txt"), report(name, sum), 0o640); err != nil {
			return fmt.Errorf("source %s: %w", s.cfg.Name, err)
		}
	}
	if err := os.Rename(path, filepath.Join(s.cfg.Dir, dest, name)); err != nil {
		return fmt.Errorf("source %s: move %s: %w", s.cfg.Name, name, err)
	}
	s.log.Info("source file imported", "file", name, "accepted", sum.Accepted, "rejected", sum.Rejected,
		"committed", sum.Committed, "to", dest)
	return nil
}

// report is the text left beside a failed file.
func report(name string, s Summary) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d accepted, %d rejected; ", name, s.Accepted, s.Rejected)
	if s.Committed {
		b.WriteString("the accepted rows were committed\n")
	} else {
		b.WriteString("nothing was committed\n")
	}
	for _, e := range s.Errors {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// runHTTP fetches the URL with the bearer token and, after a first import, with
// If-None-Match; 304 means nothing new.
func (s *Source) runHTTP(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return fmt.Errorf("source %s: bad URL", s.cfg.Name)
	}
	if tok := s.cfg.Token.Reveal(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	s.mu.Lock()
	etag := s.etag
	s.mu.Unlock()
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			err = uerr.Unwrap() // *url.Error would quote the URL
		}
		return fmt.Errorf("source %s: GET %s: %w", s.cfg.Name, redactURL(s.cfg.URL), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		s.log.Debug("source unchanged")
		return nil
	case resp.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("source %s: GET %s: %s", s.cfg.Name, redactURL(s.cfg.URL), resp.Status)
	}
	var format Format
	if s.cfg.Format != "" {
		format, err = FormatFor("x."+s.cfg.Format, "")
	} else {
		format, err = FormatFor(req.URL.Path, resp.Header.Get("Content-Type"))
	}
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	in := io.Reader(resp.Body)
	if s.maxBytes > 0 {
		in = &limitedReader{r: resp.Body, left: s.maxBytes}
	}
	// The whole response first: the import holds the store's write lock while it
	// reads, and a slow server must not hold it with it.
	body, err := Spool(ctx, in, SpoolMemory)
	if err != nil {
		return fmt.Errorf("source %s: GET %s: %w", s.cfg.Name, redactURL(s.cfg.URL), err)
	}
	defer body.Close()
	sum, err := s.imp(ctx, s.cfg.Data, format, body, s.cfg.Strict, s.trigger())
	if err != nil {
		return fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	if !sum.OK() {
		s.log.Warn("source data had rejected rows", "accepted", sum.Accepted, "rejected", sum.Rejected,
			"committed", sum.Committed, "first_errors", sum.Errors[:min(len(sum.Errors), 5)])
	}
	// The ETag is remembered only for a committed import, so a refused response is
	// fetched again next time.
	if sum.Committed {
		s.mu.Lock()
		s.etag = resp.Header.Get("ETag")
		s.mu.Unlock()
	}
	s.log.Info("source imported", "accepted", sum.Accepted, "rejected", sum.Rejected, "at", time.Now().UTC())
	return nil
}

// limitedReader fails instead of truncating silently: a cut body would import half
// a file as if it were whole.
type limitedReader struct {
	r    io.Reader
	left int64
}

var errTooLarge = errors.New("response larger than http.max_ingest_bytes")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// redactURL keeps a URL's scheme and host: paths and queries may carry keys.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "<redacted>"
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 { // a URL without a path may still have a query
		host = rest[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	return scheme + "://" + host + "/<redacted>"
}
