package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// csvScanner splits RFC 4180 records: comma-separated, fields optionally quoted, ""
// for a quote inside a quoted field, quoted fields may span lines ("\r\n" inside them
// becomes "\n"), blank lines are skipped. It is written here rather than taken from
// encoding/csv because encoding/csv cannot bound a record: an unclosed quote makes it
// buffer the rest of the input, and a long line grows its buffer without limit.
//
// A malformed record is reported as one recordError and scanning resumes on the line
// after the one where the fault was seen. For a quote opened and never closed that is
// after Options.MaxRecordBytes, or at the end of the input; the error names the lines
// it swallowed.
type csvScanner struct {
	lines  *lineReader
	rec    []byte // unquoted field contents of the current record
	ends   []int  // end of each field in rec
	fields []string
}

// recordError is a record that could not be split into fields. col is the field where
// the fault lies, or -1 when it concerns the whole record.
type recordError struct {
	line   int
	col    int
	reason string
}

func (e *recordError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// next returns the next record's fields and the line it starts on. The strings may be
// kept; the slice is reused by the following call.
func (s *csvScanner) next() (int, []string, error) {
	var b []byte
	var err error
	for len(b) == 0 {
		b, err = s.lines.next()
		if err == errLineTooLong {
			return s.lines.line, nil, s.tooLong(s.lines.line, -1)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	start := s.lines.line
	if bytes.IndexByte(b, '"') < 0 {
		return start, s.split(string(b)), nil
	}
	fields, err := s.quoted(b, start)
	return start, fields, err
}

// split is the fast path for a line without quotes.
func (s *csvScanner) split(line string) []string {
	s.fields = s.fields[:0]
	for {
		i := strings.IndexByte(line, ',')
		if i < 0 {
			return append(s.fields, line)
		}
		s.fields = append(s.fields, line[:i])
		line = line[i+1:]
	}
}

func (s *csvScanner) quoted(b []byte, start int) ([]string, error) {
	s.rec, s.ends = s.rec[:0], s.ends[:0]
	pos := 0
	for {
		col := len(s.ends)
		if pos < len(b) && b[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(b[pos:], '"')
				if i >= 0 {
					s.rec = append(s.rec, b[pos:pos+i]...)
					pos += i + 1
					if pos < len(b) && b[pos] == '"' {
						s.rec = append(s.rec, '"')
						pos++
						continue
					}
					break
				}
				// The field goes on over the line break.
				s.rec = append(s.rec, b[pos:]...)
				s.rec = append(s.rec, '\n')
				var err error
				b, err = s.lines.next()
				switch {
				case err == io.EOF:
					return nil, s.fail(start, col, "quoted field is never closed")
				case err == errLineTooLong:
					return nil, s.tooLong(start, col)
				case err != nil:
					return nil, err
				}
				if len(s.rec)+len(b) > s.lines.max {
					return nil, s.tooLong(start, col)
				}
				pos = 0
			}
			s.ends = append(s.ends, len(s.rec))
			if pos == len(b) {
				break
			}
			if b[pos] != ',' {
				return nil, s.fail(start, col, `extraneous " in a quoted field (write "" for a quote inside it)`)
			}
			pos++
			continue
		}
		field := b[pos:]
		i := bytes.IndexByte(field, ',')
		if i >= 0 {
			field = field[:i]
		}
		if bytes.IndexByte(field, '"') >= 0 {
			return nil, s.fail(start, col, `bare " in a field that is not quoted (quote the field and write "" for a quote inside it)`)
		}
		s.rec = append(s.rec, field...)
		s.ends = append(s.ends, len(s.rec))
		if i < 0 {
			break
		}
		pos += i + 1
	}
	rec := string(s.rec)
	s.fields = s.fields[:0]
	from := 0
	for _, to := range s.ends {
		s.fields = append(s.fields, rec[from:to])
		from = to
	}
	return s.fields, nil
}

// fail reports a malformed record that started on line start; the fault was seen on
// the line last read, and scanning resumes after it.
func (s *csvScanner) fail(start, col int, reason string) error {
	if end := s.lines.line; end > start {
		reason = fmt.Sprintf("%s, lines %d-%d skipped", reason, start, end)
	}
	return &recordError{line: start, col: col, reason: reason}
}

func (s *csvScanner) tooLong(start, col int) error {
	err := s.fail(start, col, "record longer than "+byteSize(s.lines.max)).(*recordError)
	if col >= 0 {
		err.reason += " (is a quote left open?)"
	}
	return err
}

func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
