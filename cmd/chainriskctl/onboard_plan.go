package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Outcomes of a supplier-list row (docs/onboarding.md, "Onboarding a supplier list").
const (
	outGiven     = "given"     // named by its USCC
	outExact     = "exact"     // its name is exactly one firm's
	outUnique    = "unique"    // one close match, accepted (--accept-unique)
	outConfirmed = "confirmed" // chosen by the user (--resolve, or at the prompt)
	outConfirm   = "confirm"   // left over: a unique match to confirm, or an ambiguous one
	outNone      = "none"      // left over: no firm matches
	outError     = "error"     // left over: the row cannot be used as it is
)

// decision is what onboard makes of one row.
type decision struct {
	Row        supplierRow      `json:"-"`
	Line       int              `json:"line"`
	Name       string           `json:"name"`
	Outcome    string           `json:"outcome"`
	USCC       string           `json:"uscc,omitempty"`
	Confidence float64          `json:"confidence,omitempty"`
	Reason     string           `json:"reason,omitempty"`
	Candidates []matchCandidate `json:"candidates,omitempty"`
}

// leftOver reports whether the row is not imported.
func (d *decision) leftOver() bool {
	return d.Outcome == outConfirm || d.Outcome == outNone || d.Outcome == outError
}

// plan decides every row: rows with a USCC and no name are taken as given, the others
// matched (the USCC, when given too, as a hint), then chosen USCCs applied.
func plan(ctx context.Context, c *client, rows []supplierRow, acceptUnique bool, res *resolutions,
	progress func(int)) ([]decision, error) {
	out := make([]decision, len(rows))
	var names []nameRow
	var at []int
	for i := range rows {
		r := &rows[i]
		out[i] = decision{Row: *r, Line: r.Line, Name: r.Name}
		switch {
		case r.Name == "" && r.USCC == "":
			out[i].Outcome, out[i].Reason = outError, "neither name nor uscc"
		case r.Name == "":
			out[i].Outcome, out[i].USCC = outGiven, r.USCC
		default:
			names = append(names, nameRow{Line: r.Line, Name: r.Name, Region: r.Region, USCC: r.USCC})
			at = append(at, i)
		}
	}
	if len(names) > 0 {
		a, err := matchNames(ctx, c, names, progress)
		if err != nil {
			return nil, err
		}
		for k, res := range a.Results {
			decide(&out[at[k]], res, acceptUnique)
		}
	}
	for i := range out {
		if u, ok := res.choice(&out[i].Row); ok && out[i].Outcome != outGiven && out[i].Outcome != outExact {
			out[i].Outcome, out[i].USCC, out[i].Reason = outConfirmed, u, ""
		}
	}
	markRepeats(out)
	return out, nil
}

// decide turns a match result into the row's outcome.
func decide(d *decision, r matchResult, acceptUnique bool) {
	d.Candidates = r.Candidates
	switch {
	case r.Error != nil:
		d.Outcome, d.Reason = outError, *r.Error
	case r.Conflict != nil:
		d.Outcome = outError
		d.Reason = fmt.Sprintf("the uscc %s (%s) contradicts the name", r.Conflict.USCC, r.Conflict.Name)
		if r.Conflict.NameUSCC != nil {
			d.Reason += ", which matches " + *r.Conflict.NameUSCC
		}
	case r.Status == nil:
		d.Outcome, d.Reason = outError, "no answer for the row"
	case *r.Status == "exact":
		d.Outcome, d.USCC, d.Confidence = outExact, deref(r.USCC), r.Confidence
	case *r.Status == "unique" && acceptUnique:
		d.Outcome, d.USCC, d.Confidence = outUnique, deref(r.USCC), r.Confidence
	case *r.Status == "unique":
		d.Outcome, d.Reason = outConfirm, "one close match: confirm it (--accept-unique takes every such match)"
	case *r.Status == "ambiguous":
		d.Outcome, d.Reason = outConfirm, "several firms match: choose one (--resolve)"
	default:
		d.Outcome, d.Reason = outNone, "no firm of that name: give its uscc (--resolve)"
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// markRepeats leaves over a row whose supplier an earlier row already took.
func markRepeats(ds []decision) {
	first := map[string]int{}
	for i := range ds {
		d := &ds[i]
		if d.leftOver() {
			continue
		}
		if l, ok := first[d.USCC]; ok {
			d.Outcome, d.Reason = outError, fmt.Sprintf("the supplier %s is also line %d's", d.USCC, l)
			continue
		}
		first[d.USCC] = d.Line
	}
}

// confirm asks, for each row to confirm, which candidate it is: a number, s to skip
// (the row is left over), q to stop asking. Answers come from in, one per line.
func confirm(ds []decision, in io.Reader, out io.Writer) {
	defer markRepeats(ds)
	sc := bufio.NewScanner(in)
	for i := range ds {
		d := &ds[i]
		if d.Outcome != outConfirm || len(d.Candidates) == 0 {
			continue
		}
		fmt.Fprintf(out, "line %d: %s\n", d.Line, d.Name)
		for k, c := range d.Candidates {
			fmt.Fprintf(out, "  %d) %s %s  %s  %.3f\n", k+1, c.USCC, c.Name, c.Region, c.Score)
		}
		for {
			fmt.Fprint(out, "which one? [1-"+strconv.Itoa(len(d.Candidates))+", s skip, q stop asking] ")
			if !sc.Scan() {
				return
			}
			a := strings.TrimSpace(sc.Text())
			if a == "q" {
				return
			}
			if a == "s" {
				break
			}
			if k, err := strconv.Atoi(a); err == nil && k >= 1 && k <= len(d.Candidates) {
				d.Outcome, d.USCC, d.Reason = outConfirmed, d.Candidates[k-1].USCC, ""
				break
			}
		}
	}
}
