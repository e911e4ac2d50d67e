package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Limits of one POST /api/v1/matches request as the CLI sends them: the API's row
// limit, and a body well under its size limit (4 MiB by default).
const (
	matchBatchRows  = 10_000
	matchBatchBytes = 1 << 20
)

// nameRow is one name to match, as a file gives it.
type nameRow struct {
	Line   int // in the file
	Name   string
	Region string // division code hint; "" when none
	USCC   string // USCC hint; "" when none
}

// matchCandidate, matchConflict and matchResult are POST /api/v1/matches' answer.
type matchCandidate struct {
	USCC       string  `json:"uscc"`
	Name       string  `json:"name"`
	Region     string  `json:"region"`
	Score      float64 `json:"score"`
	FormerName *string `json:"former_name"`
}

type matchConflict struct {
	USCC     string  `json:"uscc"`
	Name     string  `json:"name"`
	NameUSCC *string `json:"name_uscc"`
}

type matchResult struct {
	Line           int              `json:"line"`
	Name           string           `json:"name"`
	Status         *string          `json:"status"`
	USCC           *string          `json:"uscc"`
	Confidence     float64          `json:"confidence"`
	RegionTieBreak bool             `json:"region_tie_break"`
	Conflict       *matchConflict   `json:"conflict"`
	Candidates     []matchCandidate `json:"candidates"`
	Error          *string          `json:"error"`
}

type matchSummary struct {
	Exact     int `json:"exact"`
	Unique    int `json:"unique"`
	Ambiguous int `json:"ambiguous"`
	None      int `json:"none"`
	Errors    int `json:"errors"`
}

type matchAnswer struct {
	Results []matchResult `json:"results"`
	Summary matchSummary  `json:"summary"`
}

// requestLine is how a row error names the request's line; matchNames puts the
// file's in its place.
var requestLine = regexp.MustCompile(`^line [0-9]+: `)

// matchNames matches rows through the API, in requests of at most matchBatchRows rows
// and about matchBatchBytes, and answers one result per row, in order, each with its
// line in the file. progress, when not nil, is told the rows done after each request.
func matchNames(ctx context.Context, c *client, rows []nameRow, progress func(done int)) (*matchAnswer, error) {
	out := &matchAnswer{Results: make([]matchResult, 0, len(rows))}
	for start := 0; start < len(rows); {
		body, n := matchBatch(rows[start:])
		var a matchAnswer
		if _, err := c.do(ctx, "POST", "/api/v1/matches", bytes.NewReader(body), "text/csv", &a); err != nil {
			return nil, err
		}
		if len(a.Results) != n {
			return nil, fmt.Errorf("the API answered %d results for %d rows", len(a.Results), n)
		}
		for i, r := range a.Results {
			r.Line = rows[start+i].Line
			if r.Error != nil {
				msg := requestLine.ReplaceAllString(*r.Error, "line "+strconv.Itoa(r.Line)+": ")
				r.Error = &msg
			}
			out.Results = append(out.Results, r)
		}
		out.Summary.Exact += a.Summary.Exact
		out.Summary.Unique += a.Summary.Unique
		out.Summary.Ambiguous += a.Summary.Ambiguous
		out.Summary.None += a.Summary.None
		out.Summary.Errors += a.Summary.Errors
		start += n
		if progress != nil {
			progress(start)
		}
	}
	return out, nil
}

// matchBatch writes the next request's body: a CSV of the first rows, as many as the
// limits allow (at least one), and how many it holds.
func matchBatch(rows []nameRow) ([]byte, int) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"name", "region", "uscc"})
	n := 0
	for n < len(rows) && n < matchBatchRows && (n == 0 || b.Len() < matchBatchBytes-1024) {
		_ = w.Write([]string{rows[n].Name, rows[n].Region, rows[n].USCC})
		w.Flush()
		n++
	}
	w.Flush()
	return b.Bytes(), n
}

// readNameRows reads a CSV of name[,region][,uscc]: with a header naming these
// columns in any order, or without one, in this order.
func readNameRows(r io.Reader) ([]nameRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	col := map[string]int{"name": 0, "region": 1, "uscc": 2}
	var rows []nameRow
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if first {
			if h, ok := nameHeader(rec); ok {
				col = h
				continue
			}
		}
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) > 3 {
			return nil, fmt.Errorf("line %d: %d columns; the file holds name[,region][,uscc]", line, len(rec))
		}
		rows = append(rows, nameRow{Line: line, Name: field("name"), Region: field("region"), USCC: field("uscc")})
	}
}

// nameHeader reads a header row: every field one of name, region and uscc, name among them.
func nameHeader(rec []string) (map[string]int, bool) {
	col := map[string]int{}
	for i, f := range rec {
		f = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")))
		if f != "name" && f != "region" && f != "uscc" {
			return nil, false
		}
		col[f] = i
	}
	_, ok := col["name"]
	return col, ok
}

// runMatch matches the company names of a CSV file to firms (POST /api/v1/matches),
// printing one row per name as CSV (the default) or JSON, and a summary on stderr.
func runMatch(args []string, stdout, stderr io.Writer) int {
	var encoding *string
	extra := func(fs *flag.FlagSet) {
		fs.Var(fs.Lookup("output").Value, "o", "csv or json (short for --output)")
		encoding = encodingFlag(fs)
	}
	return remote("match", "match FILE [-o csv|json] [--encoding utf-8|gbk|gb18030]", args, stdout, stderr, extra,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if err := checkEncoding(*encoding); err != nil {
				fmt.Fprintf(stderr, "chainriskctl match: %v\n", err)
				return exitUsage
			}
			file := fs.Arg(0)
			in, name, err := openInput(file)
			if err != nil {
				return fail(stderr, "match", err)
			}
			defer in.Close()
			rows, err := readNameRows(decodeText(in, name, *encoding))
			var encErr *EncodingError
			if errors.As(err, &encErr) {
				return fail(stderr, "match", encErr)
			} else if err != nil {
				return fail(stderr, "match", fmt.Errorf("%s: %w", name, err))
			}
			if len(rows) == 0 {
				return fail(stderr, "match", fmt.Errorf("%s: no names", name))
			}
			p := newProgress(stderr, name)
			a, err := matchNames(ctx, c, rows, p.update)
			p.done()
			if err != nil {
				return fail(stderr, "match", err)
			}
			if output == "json" {
				printJSON(stdout, a)
			} else if err := writeMatchCSV(stdout, a.Results); err != nil {
				return fail(stderr, "match", err)
			}
			for _, r := range a.Results {
				if r.Error != nil {
					fmt.Fprintf(stderr, "%s: %s\n", name, *r.Error)
				}
			}
			s := a.Summary
			fmt.Fprintf(stderr, "matched %d: exact %d, unique %d, ambiguous %d, none %d, errors %d\n",
				len(a.Results), s.Exact, s.Unique, s.Ambiguous, s.None, s.Errors)
			return exitOK
		})
}

// writeMatchCSV writes line,name,status,uscc,confidence,candidates; candidates are
// "uscc 名称 score" joined by "; ". status is "error" for a row refused and "conflict"
// for a USCC hint that contradicts the name.
func writeMatchCSV(w io.Writer, results []matchResult) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"line", "name", "status", "uscc", "confidence", "candidates"})
	for _, r := range results {
		status, uscc, conf := "error", "", ""
		if r.Status != nil {
			status, conf = *r.Status, strconv.FormatFloat(r.Confidence, 'f', -1, 64)
		}
		if r.Conflict != nil {
			status = "conflict"
		}
		if r.USCC != nil {
			uscc = *r.USCC
		}
		cands := make([]string, len(r.Candidates))
		for i, c := range r.Candidates {
			cands[i] = fmt.Sprintf("%s %s %s", c.USCC, c.Name, strconv.FormatFloat(c.Score, 'f', 3, 64))
		}
		_ = cw.Write([]string{strconv.Itoa(r.Line), r.Name, status, uscc, conf, strings.Join(cands, "; ")})
	}
	cw.Flush()
	return cw.Error()
}
