package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/onboarding"
)

// Limits of one POST /api/v1/matches request as the CLI sends them.
const (
	matchBatchRows  = onboarding.BatchRows
	matchBatchBytes = onboarding.BatchBytes
)

// The matching's rows and answers (package onboarding).
type (
	nameRow        = onboarding.NameRow
	matchCandidate = onboarding.Candidate
	matchResult    = onboarding.Result
	matchAnswer    = onboarding.Answer
)

// postMatches sends one CSV body to POST /api/v1/matches.
func (c *client) postMatches(ctx context.Context, body []byte) (*matchAnswer, error) {
	var a matchAnswer
	if _, err := c.do(ctx, "POST", "/api/v1/matches", bytes.NewReader(body), "text/csv", &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// matchNames matches rows through the API (onboarding.Match).
func matchNames(ctx context.Context, c *client, rows []nameRow, progress func(done int)) (*matchAnswer, error) {
	return onboarding.Match(ctx, c.postMatches, rows, progress)
}

// matchBatch writes the next request's body (onboarding.Batch).
func matchBatch(rows []nameRow) ([]byte, int) { return onboarding.Batch(rows) }

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
