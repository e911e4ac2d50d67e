package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/progress"
)

// defaultIngestLimit is the batch size the CLI starts with: the daemon's default
// http.max_ingest_bytes. A server with a lower limit answers the first batch 413 with
// X-Max-Body-Bytes, and the file is cut again under that.
const defaultIngestLimit = 64 << 20

// remoteImport posts files to the API: a file in one request when it fits under the
// server's ingest limit, else in batches of whole rows under it (README.md, "Import").
type remoteImport struct {
	c       *client
	kind    credit.Kind
	strict  bool
	limit   int64 // the batch size: --batch-bytes, the server's limit, or the default
	learned bool  // limit came from the server or the flag: no 413 will lower it
	stderr  io.Writer
}

// lineRE finds the line number that starts an error line of the API's summary.
var lineRE = regexp.MustCompile(`^(\d+):`)

// file imports one file, again from its start when the server's 413 names a lower
// limit than the batches were cut for (the 413 committed nothing).
func (ri *remoteImport) file(ctx context.Context, file, encoding string, format ingest.Format) (ingest.Summary, error) {
	for {
		sum, err := ri.try(ctx, file, encoding, format)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusRequestEntityTooLarge && ae.MaxBody > 0 && ae.MaxBody < ri.limit &&
			!ri.learned && file != "-" {
			ri.limit, ri.learned = ae.MaxBody, true
			continue
		}
		return sum, err
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r     io.Reader
	n     int64
	atEOF func() // called once, at the end of the input
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if errors.Is(err, io.EOF) && c.atEOF != nil {
		c.atEOF()
		c.atEOF = nil
	}
	return n, err
}

// fileSize is a regular file's size, 0 for anything else.
func fileSize(f io.Reader) int64 {
	if st, ok := f.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

// try imports one file in batches, reporting each when there are several.
func (ri *remoteImport) try(ctx context.Context, file, encoding string, format ingest.Format) (ingest.Summary, error) {
	f, name, err := openInput(file)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer f.Close()
	bar := progress.New(ri.stderr, name, "rows", fileSize(f))
	split, err := newRowSplitter(decodeText(f, name, encoding), format)
	if err != nil {
		bar.Done("")
		return ingest.Summary{}, err
	}
	bt := &batcher{s: split, limit: ri.limit}
	total := ingest.Summary{Errors: []string{}, Committed: true}
	var committed []*batch
	rows := 0
	for {
		b, err := bt.next()
		if err != nil {
			bar.Done("")
			return total, fmt.Errorf("%s: %w", name, err)
		}
		if b == nil {
			break
		}
		rows += b.rows
		bar.Set(int64(rows), split.read)
		single := b.n == 1 && bt.eof && bt.held == nil
		if single {
			bar.Phase("importing…")
		} else {
			bar.Phase(fmt.Sprintf("importing batch %d…", b.n))
		}
		sum, err := ri.post(ctx, b, format)
		bar.Phase("")
		if err != nil {
			bar.Done("")
			if len(committed) > 0 {
				return total, fmt.Errorf("batch %d (lines %s-%s): %w\n%s", b.n, group(b.firstLine), group(b.lastLine), err,
					committedNote(committed))
			}
			return total, err
		}
		renumber(&sum, name, b, format)
		addSummary(&total, sum)
		if !single {
			bar.Println(fmt.Sprintf("%s: batch %d (lines %s-%s): %s rows, %s accepted, %s rejected (%s)", name, b.n,
				group(b.firstLine), group(b.lastLine), group(b.rows), group(sum.Accepted), group(sum.Rejected), state(sum.Committed)))
		}
		if sum.Committed {
			committed = append(committed, b)
		}
		if ri.strict && sum.Rejected > 0 {
			if !bt.eof || bt.held != nil {
				total.Errors = append(total.Errors, fmt.Sprintf("... stopped at batch %d (--strict): %s", b.n,
					committedNote(committed)))
			}
			break
		}
	}
	if bt.n > 1 {
		// As for one batch, committed says whether anything was written: the error
		// lines name the batches that were not.
		total.Committed = len(committed) > 0
	}
	bar.Done(fmt.Sprintf("%s: %s rows, %s sent in %s", name, progress.Group(int64(rows)), progress.Bytes(split.read),
		progress.Duration(bar.Elapsed())))
	return total, nil
}

// committedNote says which batches of a file are committed.
func committedNote(committed []*batch) string {
	if len(committed) == 0 {
		return "no batch of the file was committed"
	}
	var parts []string
	for _, b := range committed {
		parts = append(parts, fmt.Sprintf("%d (lines %s-%s)", b.n, group(b.firstLine), group(b.lastLine)))
	}
	return "committed batches: " + strings.Join(parts, ", ") + "; the file's other rows were not; " +
		"importing the whole file again is safe (rows are keyed)"
}

// group writes 1234567 as 1,234,567.
func group(n int) string { return progress.Group(int64(n)) }

func state(committed bool) string {
	if committed {
		return "committed"
	}
	return "NOT committed"
}

// post sends one batch.
func (ri *remoteImport) post(ctx context.Context, b *batch, format ingest.Format) (ingest.Summary, error) {
	ct := "text/csv"
	if format == ingest.NDJSON {
		ct = "application/x-ndjson"
	}
	path := "/api/v1/" + string(ri.kind)
	if ri.strict {
		path += "?strict=true"
	}
	var sum ingest.Summary
	_, err := ri.c.do(ctx, "POST", path, bytes.NewReader(b.body.Bytes()), ct, &sum, 422)
	return sum, err
}

// renumber writes the file's name and line numbers into a batch's error lines: the
// API numbers the lines of the request's body, whose first row is the file's
// b.firstLine (after a CSV file's header, repeated in every batch).
func renumber(sum *ingest.Summary, name string, b *batch, format ingest.Format) {
	first := 1 // the body's line of its first row
	if format != ingest.NDJSON {
		first = 2
	}
	fix := func(list []string) {
		for i, e := range list {
			if strings.HasPrefix(e, "... ") {
				continue
			}
			if m := lineRE.FindStringSubmatch(e); m != nil {
				n, _ := strconv.Atoi(m[1])
				if n >= first {
					n += b.firstLine - first
				}
				e = strconv.Itoa(n) + e[len(m[1]):]
			}
			list[i] = name + ":" + e
		}
	}
	fix(sum.Errors)
	fix(sum.Warnings)
}

// addSummary adds a batch's summary to the file's.
func addSummary(total *ingest.Summary, s ingest.Summary) {
	total.Accepted += s.Accepted
	total.Rejected += s.Rejected
	total.Changed += s.Changed
	total.Errors = append(total.Errors, s.Errors...)
	total.Warnings = append(total.Warnings, s.Warnings...)
	total.Committed = total.Committed && s.Committed
}
