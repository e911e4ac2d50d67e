package ingest

import (
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/credit"
	suggestpkg "github.com/chainrisk/chainrisk/internal/suggest"
	"github.com/chainrisk/chainrisk/store"
)

// Format is an input encoding.
type Format int

const (
	CSV Format = iota + 1
	NDJSON
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "CSV"
	case NDJSON:
		return "NDJSON"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// FormatFor tells the format from an HTTP Content-Type (text/csv, application/x-ndjson;
// a charset other than UTF-8 is refused) or, when that is empty, text/plain or
// application/octet-stream, from the file name's extension (.csv, .ndjson, .jsonl).
func FormatFor(filename, contentType string) (Format, error) {
	if contentType != "" {
		mt, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			return 0, fmt.Errorf("content type %q: %w", contentType, err)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return 0, fmt.Errorf("content type %q: charset %q is not supported, send UTF-8", contentType, cs)
		}
		switch mt {
		case "text/csv":
			return CSV, nil
		case "application/x-ndjson", "application/ndjson", "application/jsonl":
			return NDJSON, nil
		case "text/plain", "application/octet-stream":
		default:
			return 0, fmt.Errorf("content type %q is not supported (want text/csv or application/x-ndjson)", mt)
		}
	}
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv":
		return CSV, nil
	case ".ndjson", ".jsonl":
		return NDJSON, nil
	}
	return 0, fmt.Errorf("cannot tell the format of %q (want a .csv, .ndjson or .jsonl file, or Content-Type text/csv or application/x-ndjson)", filename)
}

// Defaults for Options.
const (
	DefaultChunkSize      = 5000
	DefaultMaxProblems    = 1000
	DefaultMaxRecordBytes = 1 << 20
)

// maxChunkBytes ends a chunk early when its rows hold this much text, so that memory
// stays bounded even when every row is as long as MaxRecordBytes allows.
const maxChunkBytes = 16 << 20

// Options configures a Reader.
type Options struct {
	File      string // name used in problems; empty gives "line: field: reason"
	Kind      credit.Kind
	Format    Format
	Validator *credit.Validator // per-record checks and defaults; nil: the default catalogue, strict checksums
	ChunkSize int               // good rows per chunk; 0: DefaultChunkSize
	// MaxProblems caps the problems kept for Problems; the counts go on beyond it.
	// 0: DefaultMaxProblems.
	MaxProblems int
	// MaxRecordBytes bounds an NDJSON line or a CSV record (all its lines); a longer
	// one is a row problem and reading goes on after it. 0: DefaultMaxRecordBytes.
	MaxRecordBytes int
	// Leader, for relations, reads the rows a tenant supplies for its leading firm
	// (docs/onboarding.md): customer may be left out and means the leader, a row for
	// another customer is refused, and sales_share may be left out (the row is then
	// marked SalesShareEstimated, for the store to estimate).
	Leader string
}

// RowProblem is a rejected row, or a warning about an accepted one. Each row gives at
// most one: when several fields are wrong, Field names the first and Reason goes on
// with "; field: reason" for the others.
type RowProblem struct {
	File    string
	Line    int // physical line where the record starts
	Field   string
	Reason  string
	Warning bool // the row was accepted
}

// String gives "file:line: field: reason".
func (p RowProblem) String() string {
	s := strconv.Itoa(p.Line) + ": " + p.Field + ": " + p.Reason
	if p.File != "" {
		s = p.File + ":" + s
	}
	return s
}

// Error makes a header problem, which stops the whole input, usable as an error.
func (p RowProblem) Error() string { return p.String() }

// Reader decodes one input into chunks of good rows, collecting the bad ones as
// problems. It reads its input once, sequentially; it is not safe for concurrent use.
//
// The same rules hold in both formats:
//   - Values lose surrounding white space. An empty value, null or [] is "not given":
//     substitutability then takes its default, an amount or revenue is nil, and a
//     required field (a share, a code) rejects the row. An explicit share of 0 is an
//     error too.
//   - Numbers are plain decimals (sign, digits, fraction, exponent); NDJSON may give
//     them as numbers or as strings. Dates are YYYY-MM-DD or RFC 3339, in Shanghai
//     time unless a zone is given. tags and former_names are ';'-separated or a JSON
//     array of strings.
//   - Codes, names, types and sources are one line: a control character in them is
//     an error (in CSV it is the mark of a quote left open). description, product and
//     reason may span lines.
//   - CSV follows RFC 4180 and skips blank lines; NDJSON holds one object per line,
//     skips blank lines, and refuses unknown and repeated keys.
type Reader struct {
	opts  Options
	b     builder
	lay   *layout
	lines *lineReader
	csv   *csvScanner // nil for NDJSON
	cols  []int       // CSV: the field each header position names
	json  jsonLine
	// room is the capacity new chunks get: small at first, so that a short input
	// costs little, then ChunkSize once a chunk has filled up.
	room int

	errs     []credit.FieldError // the current row's
	problems []RowProblem
	rows     int
	rejected int
	warned   int
	err      error // sticky: io.EOF or a read error
}

// NewReader starts decoding in. For CSV it reads the header, which must name every
// required column of the kind, no unknown column, no column twice; a bad header is an
// error of type RowProblem (line of the header, field "header"). An input without any
// record, even without a header, is such an error for CSV ("file:1: header: missing"),
// because a CSV without a header says nothing about what it holds; for NDJSON it is an
// input of zero rows.
func NewReader(in io.Reader, opts Options) (*Reader, error) {
	b, err := newBuilder(opts.Kind)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if opts.Leader != "" {
		if opts.Kind != credit.KindRelations {
			return nil, fmt.Errorf("ingest: a leader supplies relations only, not %s", opts.Kind)
		}
		b = &record[credit.Relation]{s: suppliedRelations(opts.Leader)}
	}
	if opts.Format != CSV && opts.Format != NDJSON {
		return nil, fmt.Errorf("ingest: %v is neither CSV nor NDJSON", opts.Format)
	}
	if opts.Validator == nil {
		opts.Validator = &credit.Validator{Catalogue: credit.NewCatalogue()}
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = DefaultMaxProblems
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	r := &Reader{opts: opts, b: b, lay: b.fields(), lines: newLineReader(in, opts.MaxRecordBytes),
		room: min(opts.ChunkSize, 64)}
	if opts.Format == CSV {
		r.csv = &csvScanner{lines: r.lines}
		if err := r.readHeader(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Reader) readHeader() error {
	line, names, err := r.csv.next()
	if err == io.EOF {
		return r.headerProblem(1, "missing")
	}
	if re, ok := err.(*recordError); ok {
		return r.headerProblem(re.line, re.reason)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.name(), err)
	}
	r.cols = make([]int, len(names))
	seen := make([]bool, len(r.lay.names))
	for i, name := range names {
		name = strings.TrimSpace(name)
		col, known := r.lay.index[name]
		switch {
		case name == "":
			return r.headerProblem(line, fmt.Sprintf("column %d has no name", i+1))
		case !known:
			return r.headerProblem(line, fmt.Sprintf("unknown column %q%s", name, suggest(name, r.lay.names)))
		case seen[col]:
			return r.headerProblem(line, fmt.Sprintf("duplicate column %q", name))
		}
		seen[col] = true
		r.cols[i] = col
	}
	var missing []string
	for col, required := range r.lay.required {
		if required && !seen[col] {
			missing = append(missing, strconv.Quote(r.lay.names[col]))
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return r.headerProblem(line, "missing required column "+missing[0])
	}
	return r.headerProblem(line, "missing required columns "+strings.Join(missing, ", "))
}

func (r *Reader) headerProblem(line int, reason string) error {
	return RowProblem{File: r.opts.File, Line: line, Field: "header", Reason: reason}
}

func (r *Reader) name() string {
	if r.opts.File != "" {
		return r.opts.File
	}
	return "input"
}

// Next returns the next chunk of good rows, or io.EOF after the last. Bad rows do not
// stop it: they are counted and kept as Problems. Any other error comes from reading
// the input and ends the stream.
func (r *Reader) Next() (*store.Chunk, error) {
	if r.err != nil {
		return nil, r.err
	}
	c := r.b.chunk(r.room)
	for size := 0; c.Len() < r.opts.ChunkSize && size < maxChunkBytes; {
		var n int
		var err error
		if r.csv != nil {
			n, err = r.readCSV(c)
		} else {
			n, err = r.readNDJSON(c)
		}
		if err == io.EOF {
			r.err = err
			break
		}
		if err != nil {
			r.err = fmt.Errorf("reading %s: %w", r.name(), err)
			return nil, r.err
		}
		size += n
	}
	if c.Len() == 0 {
		return nil, io.EOF
	}
	if c.Len() == r.opts.ChunkSize {
		r.room = r.opts.ChunkSize
	}
	return c, nil
}

// Problems returns the problems found so far, at most Options.MaxProblems of them;
// when Rejected()+Warned() is larger, the rest were counted but not kept.
func (r *Reader) Problems() []RowProblem { return r.problems }

// Rows returns the number of rows read so far, good and bad, not counting a CSV header
// or blank lines.
func (r *Reader) Rows() int { return r.rows }

// Rejected returns the number of bad rows so far.
func (r *Reader) Rejected() int { return r.rejected }

// Warned returns the number of accepted rows that came with a warning.
func (r *Reader) Warned() int { return r.warned }

// readCSV decodes one record into c and returns the size of its text when it was good.
func (r *Reader) readCSV(c *store.Chunk) (int, error) {
	line, cells, err := r.csv.next()
	if re, ok := err.(*recordError); ok {
		field := "record"
		if re.col >= 0 && re.col < len(r.cols) {
			field = r.lay.names[r.cols[re.col]]
		}
		r.reject(re.line, field, re.reason)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(cells) != len(r.cols) {
		reason := fmt.Sprintf("has %d fields, the header has %d", len(cells), len(r.cols))
		if end := r.lines.line; end > line {
			reason += fmt.Sprintf(" (the record spans lines %d-%d)", line, end)
		}
		r.reject(line, "record", reason)
		return 0, nil
	}
	r.errs = r.errs[:0]
	r.b.reset()
	size := 0
	for i, cell := range cells {
		size += len(cell)
		if !utf8.ValidString(cell) {
			r.errs = append(r.errs, credit.FieldError{Field: r.lay.names[r.cols[i]], Reason: "not valid UTF-8"})
			continue
		}
		r.set(r.cols[i], value{kind: vString, s: cell})
	}
	if !r.finish(line, c, true) {
		return 0, nil
	}
	return size, nil
}

// readNDJSON decodes one line into c and returns the size of its text when it was good.
func (r *Reader) readNDJSON(c *store.Chunk) (int, error) {
	var b []byte
	for {
		var err error
		b, err = r.lines.next()
		if err == errLineTooLong {
			r.reject(r.lines.line, "record", "line longer than "+byteSize(r.opts.MaxRecordBytes))
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if !blank(b) {
			break
		}
	}
	line, s := r.lines.line, string(b)
	r.errs = r.errs[:0]
	r.b.reset()
	if err := r.decodeObject(s); err != nil {
		r.errs = append(r.errs, credit.FieldError{Field: "record", Reason: err.Error()})
		r.finish(line, c, false)
		return 0, nil
	}
	if !r.finish(line, c, true) {
		return 0, nil
	}
	return len(s), nil
}

// decodeObject sets the record's fields from one JSON object, collecting field problems
// in r.errs; it returns the syntax error that stopped it, if any.
func (r *Reader) decodeObject(s string) error {
	o := &r.json
	if err := o.open(s); err != nil {
		return err
	}
	var seen uint32
	for first := true; ; first = false {
		more, err := o.more(first, '}')
		if err != nil {
			return err
		}
		if !more {
			return o.end()
		}
		key, v, err := o.member(0)
		if _, ok := err.(*syntaxError); ok {
			return err
		}
		col, known := r.lay.index[key]
		switch {
		case !known:
			r.errs = append(r.errs, credit.FieldError{Field: keyName(key), Reason: "unknown field" + suggest(key, r.lay.names)})
		case seen&(1<<col) != 0:
			r.errs = append(r.errs, credit.FieldError{Field: key, Reason: "duplicate key"})
		case err != nil:
			seen |= 1 << col
			r.errs = append(r.errs, credit.FieldError{Field: key, Reason: err.Error()})
		default:
			seen |= 1 << col
			r.set(col, v)
		}
	}
}

// set hands a field's value to the record. Surrounding white space is dropped, and a
// value that is then empty counts as not given.
func (r *Reader) set(col int, v value) {
	if v.kind == vString {
		v.s = strings.TrimSpace(v.s)
	}
	if !v.given() {
		return
	}
	if err := r.b.set(col, v); err != nil {
		r.errs = append(r.errs, credit.FieldError{Field: r.lay.names[col], Reason: err.Error()})
	}
}

// finish closes the current row: unless validate is false (the row could not be read
// whole), the Validator adds its findings for the fields that decoded; then the row
// goes into c or into the problems. It reports whether the row was accepted.
func (r *Reader) finish(line int, c *store.Chunk, validate bool) bool {
	r.rows++
	var warnings []credit.FieldError
	if validate {
		p := r.b.check(r.opts.Validator)
		decoded := len(r.errs)
		for _, e := range p.Errors {
			if !hasField(r.errs[:decoded], e.Field) {
				r.errs = append(r.errs, e)
			}
		}
		warnings = p.Warnings
	}
	if len(r.errs) > 0 {
		r.rejected++
		r.report(line, r.errs, false)
		return false
	}
	if len(warnings) > 0 {
		r.warned++
		r.report(line, warnings, true)
	}
	r.b.add(c, line)
	return true
}

// reject closes a row that could not be read at all.
func (r *Reader) reject(line int, field, reason string) {
	r.errs = append(r.errs[:0], credit.FieldError{Field: field, Reason: reason})
	r.finish(line, nil, false)
}

func (r *Reader) report(line int, errs []credit.FieldError, warning bool) {
	if len(r.problems) >= r.opts.MaxProblems {
		return
	}
	reason := errs[0].Reason
	for _, e := range errs[1:] {
		reason += "; " + e.Error()
	}
	r.problems = append(r.problems, RowProblem{
		File: r.opts.File, Line: line, Field: errs[0].Field, Reason: reason, Warning: warning,
	})
}

func hasField(errs []credit.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the known name closest to a misspelt one.
func suggest(name string, known []string) string {
	best := suggestpkg.Closest(name, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
