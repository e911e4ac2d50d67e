package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/match"
	"github.com/chainrisk/chainrisk/visibility"
)

// Limits of POST /api/v1/matches.
const (
	// maxMatchRows bounds the rows of one request; a longer list is split by the caller.
	maxMatchRows = 10_000
	// maxMatchRowChars bounds one row: its name, region and hint together.
	maxMatchRowChars = 500
	// matchBodyFactor: the route takes bodies of this many times http.max_body_bytes,
	// so that 10,000 rows fit (4 MiB by default, 400 bytes a row).
	matchBodyFactor = 4
	// A request matches on up to maxMatchWorkers cores, one per matchRowsPerWorker rows.
	maxMatchWorkers    = 4
	matchRowsPerWorker = 500
)

// regionCodeRE is a division code, as a region hint gives it.
var regionCodeRE = regexp.MustCompile(`^[0-9]{6}$`)

// matchCandidateJSON is a firm a name may mean: identity fields only.
type matchCandidateJSON struct {
	USCC   string  `json:"uscc"`
	Name   string  `json:"name"`
	Region string  `json:"region"`
	Score  float64 `json:"score"`
	// FormerName is the former name (曾用名) that matched; null when the current name did.
	FormerName *string `json:"former_name"`
}

// matchConflictJSON is a USCC hint that contradicts the name: the hinted firm, and
// the firm the name alone would choose (null when none).
type matchConflictJSON struct {
	USCC     string  `json:"uscc"`
	Name     string  `json:"name"`
	NameUSCC *string `json:"name_uscc"`
}

// matchResultJSON answers one row, in input order. Status, USCC and the rest are null
// or empty when Error is set.
type matchResultJSON struct {
	Line           int                  `json:"line"`
	Name           string               `json:"name"`
	Status         *match.Status        `json:"status"`
	USCC           *string              `json:"uscc"`
	Confidence     float64              `json:"confidence"`
	RegionTieBreak bool                 `json:"region_tie_break"`
	Conflict       *matchConflictJSON   `json:"conflict"`
	Candidates     []matchCandidateJSON `json:"candidates"`
	Error          *string              `json:"error"`
}

// matchSummaryJSON counts the rows by status, and those refused.
type matchSummaryJSON struct {
	Exact     int `json:"exact"`
	Unique    int `json:"unique"`
	Ambiguous int `json:"ambiguous"`
	None      int `json:"none"`
	Errors    int `json:"errors"`
}

type matchesJSON struct {
	Results []matchResultJSON `json:"results"`
	Summary matchSummaryJSON  `json:"summary"`
}

// matchRow is one row of the body: its line, its fields, or why it cannot be read.
type matchRow struct {
	line               int
	name, region, uscc string
	err                string // "line N: field: why"
}

// postMatches serves POST /api/v1/matches: each row's company name matched to the
// firms the platform holds (package match). The answer carries identity fields only,
// which every reader may see (visibility.View.SeesIdentity); no grade, score or event.
func (s *Server) postMatches(rq *request) error {
	ct := rq.r.Header.Get("Content-Type")
	format, err := ingest.FormatFor("", ct)
	if ct == "" || err != nil {
		return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the names as Content-Type: text/csv (columns name, region, uscc) or application/x-ndjson "+
				"({\"name\": ...} per line), UTF-8, not %q", ct)
	}
	rows, err := readMatchRows(rq.r.Body, format)
	if err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	if st.Names == nil {
		return errNotReady
	}
	ix, _, err := st.NameIndex(rq.r.Context())
	if err != nil {
		return err
	}
	out := matchesJSON{Results: make([]matchResultJSON, len(rows))}
	// A long list is matched on several cores (0.5 ms a name at a million firms).
	view := rq.who.View()
	workers := min(runtime.GOMAXPROCS(0), maxMatchWorkers, (len(rows)+matchRowsPerWorker-1)/matchRowsPerWorker)
	sums := make([]matchSummaryJSON, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				out.Results[i] = rq.matchRow(ix, view, &rows[i], &sums[w])
			}
		})
	}
	wg.Wait()
	for _, s := range sums {
		out.Summary.Exact += s.Exact
		out.Summary.Unique += s.Unique
		out.Summary.Ambiguous += s.Ambiguous
		out.Summary.None += s.None
		out.Summary.Errors += s.Errors
	}
	return rq.json(http.StatusOK, out)
}

// matchRow answers one row, counting it in sum.
func (rq *request) matchRow(ix *match.Index, view *visibility.View, row *matchRow, sum *matchSummaryJSON) matchResultJSON {
	out := matchResultJSON{Line: row.line, Name: row.name, Candidates: []matchCandidateJSON{}}
	if row.err == "" {
		row.err = rq.checkMatchRow(row)
	}
	var res match.Result
	if row.err == "" {
		var err error
		if res, err = ix.Match(row.name, row.region, row.uscc); err != nil {
			row.err = fmt.Sprintf("line %d: name: %v", row.line, matchReason(err))
		}
	}
	if row.err != "" {
		out.Error = &row.err
		sum.Errors++
		return out
	}
	status := res.Status
	out.Status, out.Confidence, out.RegionTieBreak = &status, res.Confidence, res.RegionTieBreak
	if res.USCC != "" && view.SeesIdentity(res.USCC) {
		out.USCC = &res.USCC
	}
	if c := res.Conflict; c != nil && view.SeesIdentity(c.USCC) {
		out.Conflict = &matchConflictJSON{USCC: c.USCC, Name: c.Name}
		if c.NameUSCC != "" && view.SeesIdentity(c.NameUSCC) {
			out.Conflict.NameUSCC = &c.NameUSCC
		}
	}
	for _, c := range res.Candidates {
		if !view.SeesIdentity(c.USCC) {
			continue
		}
		mc := matchCandidateJSON{USCC: c.USCC, Name: c.Name, Region: c.Region, Score: c.Score}
		if c.Via != "" {
			mc.FormerName = &c.Via
		}
		out.Candidates = append(out.Candidates, mc)
	}
	switch res.Status {
	case match.StatusExact:
		sum.Exact++
	case match.StatusUnique:
		sum.Unique++
	case match.StatusAmbiguous:
		sum.Ambiguous++
	default:
		sum.None++
	}
	return out
}

// checkMatchRow checks what the matcher does not: the row's length, the region
// hint and the USCC hint. It returns "line N: field: why", or "".
func (rq *request) checkMatchRow(row *matchRow) string {
	for _, f := range [][2]string{{"name", row.name}, {"region", row.region}, {"uscc", row.uscc}} {
		if !utf8.ValidString(f[1]) {
			return fmt.Sprintf("line %d: %s: not valid UTF-8 (a file saved as GBK must be converted)", row.line, f[0])
		}
	}
	if n := utf8.RuneCountInString(row.name) + utf8.RuneCountInString(row.region) + utf8.RuneCountInString(row.uscc); n > maxMatchRowChars {
		return fmt.Sprintf("line %d: row: %d characters, more than %d", row.line, n, maxMatchRowChars)
	}
	if row.region != "" && !regionCodeRE.MatchString(row.region) {
		return fmt.Sprintf("line %d: region: %q is not a 6-digit division code", row.line, row.region)
	}
	if row.uscc != "" {
		if err := rq.checkUSCC("uscc", row.uscc); err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				return fmt.Sprintf("line %d: %s", row.line, ae.message)
			}
			return fmt.Sprintf("line %d: uscc: %v", row.line, err)
		}
	}
	return ""
}

// matchReason words why the matcher refused a name.
func matchReason(err error) string {
	var ie *match.InputError
	switch {
	case errors.As(err, &ie) && errors.Is(err, match.ErrTooShort):
		return fmt.Sprintf("%v: fewer than %d letters or digits", ie.Reason, match.MinRunes)
	case errors.As(err, &ie) && errors.Is(err, match.ErrTooLong):
		return fmt.Sprintf("%v: more than %d characters", ie.Reason, match.MaxRunes)
	case errors.As(err, &ie):
		return ie.Reason.Error()
	}
	return err.Error()
}
