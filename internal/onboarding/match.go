// Package onboarding takes a leader's supplier list to its own relations
// (docs/onboarding.md, "Onboarding a supplier list"): read the list, match its names
// through POST /api/v1/matches, decide each row's outcome, and build the strict batch
// for POST /api/v1/relations. The CLI (chainriskctl onboard) and the web console
// share it; each brings its own way of calling the API.
package onboarding

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
)

// Limits of one POST /api/v1/matches request: the API's row limit, and a body well
// under its size limit (4 MiB by default).
const (
	BatchRows  = 10_000
	BatchBytes = 1 << 20
)

// NameRow is one name to match, as a file gives it.
type NameRow struct {
	Line   int // in the file
	Name   string
	Region string // division code hint; "" when none
	USCC   string // USCC hint; "" when none
}

// Candidate, Conflict and Result are POST /api/v1/matches' answer for a row.
type Candidate struct {
	USCC       string  `json:"uscc"`
	Name       string  `json:"name"`
	Region     string  `json:"region"`
	Score      float64 `json:"score"`
	FormerName *string `json:"former_name"`
}

// Conflict is a USCC hint that contradicts the row's name.
type Conflict struct {
	USCC     string  `json:"uscc"`
	Name     string  `json:"name"`
	NameUSCC *string `json:"name_uscc"`
}

// Result is the match of one row.
type Result struct {
	Line           int         `json:"line"`
	Name           string      `json:"name"`
	Status         *string     `json:"status"`
	USCC           *string     `json:"uscc"`
	Confidence     float64     `json:"confidence"`
	RegionTieBreak bool        `json:"region_tie_break"`
	Conflict       *Conflict   `json:"conflict"`
	Candidates     []Candidate `json:"candidates"`
	Error          *string     `json:"error"`
}

// Summary counts a match answer's rows by status.
type Summary struct {
	Exact     int `json:"exact"`
	Unique    int `json:"unique"`
	Ambiguous int `json:"ambiguous"`
	None      int `json:"none"`
	Errors    int `json:"errors"`
}

// Answer is POST /api/v1/matches' answer.
type Answer struct {
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
}

// PostFunc sends one CSV body (name,region,uscc) to POST /api/v1/matches and returns
// the API's answer.
type PostFunc func(ctx context.Context, body []byte) (*Answer, error)

// requestLine is how a row error names the request's line; Match puts the file's in
// its place.
var requestLine = regexp.MustCompile(`^line [0-9]+: `)

// Match matches rows through post, in requests of at most BatchRows rows and about
// BatchBytes, and answers one result per row, in order, each with its line in the
// file. progress, when not nil, is told the rows done after each request.
func Match(ctx context.Context, post PostFunc, rows []NameRow, progress func(done int)) (*Answer, error) {
	out := &Answer{Results: make([]Result, 0, len(rows))}
	for start := 0; start < len(rows); {
		body, n := Batch(rows[start:])
		a, err := post(ctx, body)
		if err != nil {
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

// Batch writes the next request's body: a CSV of the first rows, as many as the
// limits allow (at least one), and how many it holds.
func Batch(rows []NameRow) ([]byte, int) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"name", "region", "uscc"})
	n := 0
	for n < len(rows) && n < BatchRows && (n == 0 || b.Len() < BatchBytes-1024) {
		_ = w.Write([]string{rows[n].Name, rows[n].Region, rows[n].USCC})
		w.Flush()
		n++
	}
	w.Flush()
	return b.Bytes(), n
}
