package offline

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Problem is one problem of the input: a bad row or header of a file, or (File
// empty) a problem the model found that no one row is the cause of.
type Problem struct {
	File   string
	Line   int
	Field  string // the column, or "header" or "record"
	Reason string
}

// String is "FILE:LINE: FIELD: REASON", or the reason alone without a file.
func (p Problem) String() string {
	if p.File == "" {
		return p.Reason
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Reason)
}

// Problems is every problem found in the input: nothing was computed.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(file string, line int, field, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// row is one data record of a file read by readCSV.
type row struct {
	file string
	line int
	cols map[string]int
	rec  []string
	p    *Problems
}

func (r row) field(name string) string { return strings.TrimSpace(r.rec[r.cols[name]]) }

func (r row) bad(field, format string, args ...any) {
	r.p.add(r.file, r.line, field, format, args...)
}

// id returns a required identifier, reporting it when empty.
func (r row) id(name string) string {
	v := r.field(name)
	if v == "" {
		r.bad(name, "empty")
	}
	return v
}

// nonNegative parses a finite number ≥ 0, reporting anything else.
func (r row) nonNegative(name string) (float64, bool) {
	s := r.field(name)
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case s == "":
		r.bad(name, "empty")
	case err != nil && !errors.Is(err, strconv.ErrRange):
		r.bad(name, "%q is not a number", s)
	case math.IsNaN(x) || math.IsInf(x, 0):
		r.bad(name, "%q is not a finite number", s)
	case x < 0:
		r.bad(name, "%s is negative", s)
	default:
		return x, true
	}
	return 0, false
}

// readCSV reads a CSV file whose header names exactly cols, in any order
// (a UTF-8 BOM is allowed), and calls fn for every data record. Bad headers
// and malformed records go to p; the error is for files that cannot be read.
func readCSV(path string, cols []string, p *Problems, fn func(row)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if err == io.EOF {
		p.add(path, 1, "header", "empty file, want columns %s", strings.Join(cols, ","))
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.add(path, pe.Line, "header", "%v", pe.Err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	hline, _ := cr.FieldPos(0)
	index, ok := columns(path, hline, header, cols, p)
	if !ok {
		return nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				p.add(path, pe.StartLine, "record", "%d fields, want %d", len(rec), len(header))
				continue
			}
			p.add(path, pe.Line, "record", "%v", pe.Err)
			return nil // the reader cannot be trusted to resynchronise
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		fn(row{file: path, line: line, cols: index, rec: rec, p: p})
	}
}

// columns maps the header's names to their positions, reporting unknown, missing
// and repeated columns.
func columns(path string, hline int, header, cols []string, p *Problems) (map[string]int, bool) {
	index := make(map[string]int, len(header))
	ok := true
	for k, name := range header {
		name = strings.TrimSpace(name)
		if _, dup := index[name]; dup {
			p.add(path, hline, "header", "column %q given twice", name)
			ok = false
			continue
		}
		if !slices.Contains(cols, name) {
			p.add(path, hline, "header", "unknown column %q, want %s", name, strings.Join(cols, ","))
			ok = false
		}
		index[name] = k
	}
	for _, c := range cols {
		if _, found := index[c]; !found {
			p.add(path, hline, "header", "missing column %q", c)
			ok = false
		}
	}
	return index, ok
}
