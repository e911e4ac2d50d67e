package onboarding

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
)

// Outcomes of a supplier-list row (docs/onboarding.md, "Onboarding a supplier list").
const (
	Given     = "given"     // named by its USCC
	Exact     = "exact"     // its name is exactly one firm's
	Unique    = "unique"    // one close match, accepted
	Confirmed = "confirmed" // chosen by the user
	Confirm   = "confirm"   // left over: a unique match to confirm, or an ambiguous one
	None      = "none"      // left over: no firm matches
	Error     = "error"     // left over: the row cannot be used as it is
)

// Decision is what onboarding makes of one row.
type Decision struct {
	Row        Row         `json:"-"`
	Line       int         `json:"line"`
	Name       string      `json:"name"`
	Outcome    string      `json:"outcome"`
	USCC       string      `json:"uscc,omitempty"`
	Confidence float64     `json:"confidence,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Candidates []Candidate `json:"candidates,omitempty"`
}

// LeftOver reports whether the row is not imported.
func (d *Decision) LeftOver() bool {
	return d.Outcome == Confirm || d.Outcome == None || d.Outcome == Error
}

// Hints end the reasons of rows left over, saying how the caller resolves them (the
// CLI names its flags); empty hints add nothing.
type Hints struct {
	Unique, Ambiguous, None string
}

// Options steer Plan.
type Options struct {
	// AcceptUnique takes every unique match without asking.
	AcceptUnique bool
	// Choose returns the USCC the user chose for a row, if any; it applies to every
	// row but those given by USCC and exact matches.
	Choose func(*Row) (string, bool)
	// Progress, when not nil, is told the rows matched after each request.
	Progress func(int)
	Hints    Hints
}

// Plan decides every row: rows with a USCC and no name are taken as given, the others
// matched through post (the USCC, when given too, as a hint), then chosen USCCs
// applied and repeated suppliers left over.
func Plan(ctx context.Context, post PostFunc, rows []Row, o Options) ([]Decision, error) {
	out := make([]Decision, len(rows))
	var names []NameRow
	var at []int
	for i := range rows {
		r := &rows[i]
		out[i] = Decision{Row: *r, Line: r.Line, Name: r.Name}
		switch {
		case r.Name == "" && r.USCC == "":
			out[i].Outcome, out[i].Reason = Error, "neither name nor uscc"
		case r.Name == "":
			out[i].Outcome, out[i].USCC = Given, r.USCC
		default:
			names = append(names, NameRow{Line: r.Line, Name: r.Name, Region: r.Region, USCC: r.USCC})
			at = append(at, i)
		}
	}
	if len(names) > 0 {
		a, err := Match(ctx, post, names, o.Progress)
		if err != nil {
			return nil, err
		}
		for k, res := range a.Results {
			Decide(&out[at[k]], res, o.AcceptUnique, o.Hints)
		}
	}
	if o.Choose != nil {
		for i := range out {
			if u, ok := o.Choose(&out[i].Row); ok && out[i].Outcome != Given && out[i].Outcome != Exact {
				out[i].Outcome, out[i].USCC, out[i].Reason = Confirmed, u, ""
			}
		}
	}
	MarkRepeats(out)
	return out, nil
}

// Decide turns a match result into the row's outcome.
func Decide(d *Decision, r Result, acceptUnique bool, h Hints) {
	d.Candidates = r.Candidates
	switch {
	case r.Error != nil:
		d.Outcome, d.Reason = Error, *r.Error
	case r.Conflict != nil:
		d.Outcome = Error
		d.Reason = fmt.Sprintf("the uscc %s (%s) contradicts the name", r.Conflict.USCC, r.Conflict.Name)
		if r.Conflict.NameUSCC != nil {
			d.Reason += ", which matches " + *r.Conflict.NameUSCC
		}
	case r.Status == nil:
		d.Outcome, d.Reason = Error, "no answer for the row"
	case *r.Status == "exact":
		d.Outcome, d.USCC, d.Confidence = Exact, deref(r.USCC), r.Confidence
	case *r.Status == "unique" && acceptUnique:
		d.Outcome, d.USCC, d.Confidence = Unique, deref(r.USCC), r.Confidence
	case *r.Status == "unique":
		d.Outcome, d.Reason = Confirm, "one close match: confirm it"+h.Unique
	case *r.Status == "ambiguous":
		d.Outcome, d.Reason = Confirm, "several firms match: choose one"+h.Ambiguous
	default:
		d.Outcome, d.Reason = None, "no firm of that name: give its uscc"+h.None
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// MarkRepeats leaves over a row whose supplier an earlier row already took.
func MarkRepeats(ds []Decision) {
	first := map[string]int{}
	for i := range ds {
		d := &ds[i]
		if d.LeftOver() {
			continue
		}
		if l, ok := first[d.USCC]; ok {
			d.Outcome, d.Reason = Error, fmt.Sprintf("the supplier %s is also line %d's", d.USCC, l)
			continue
		}
		first[d.USCC] = d.Line
	}
}

// Count counts the rows by outcome, and those to import ("imported") and left over
// ("left_over").
func Count(ds []Decision) map[string]int {
	n := map[string]int{}
	for i := range ds {
		n[ds[i].Outcome]++
		if ds[i].LeftOver() {
			n["left_over"]++
		} else {
			n["imported"]++
		}
	}
	return n
}

// ImportBody is the CSV body of POST /api/v1/relations?strict=true for the rows to
// import, and the list's line of each of its rows (by request line − 2).
func ImportBody(ds []Decision) (body []byte, lines []int) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(RelationColumns)
	for i := range ds {
		if ds[i].LeftOver() {
			continue
		}
		_ = w.Write(append([]string{ds[i].USCC}, ds[i].Row.Fields...))
		lines = append(lines, ds[i].Line)
	}
	w.Flush()
	return b.Bytes(), lines
}

// requestLineNo is how an ingest error names its line in the request's body.
var requestLineNo = regexp.MustCompile(`^([0-9]+): `)

// ListLines rewrites the import's error lines to name the list's lines (lines as
// ImportBody returned them).
func ListLines(errs []string, lines []int) {
	for i, e := range errs {
		if m := requestLineNo.FindStringSubmatch(e); m != nil {
			if k, _ := strconv.Atoi(m[1]); k >= 2 && k-2 < len(lines) {
				errs[i] = strconv.Itoa(lines[k-2]) + ": " + e[len(m[0]):]
			}
		}
	}
}
