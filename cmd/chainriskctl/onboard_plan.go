package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/onboarding"
)

// Outcomes of a supplier-list row (docs/onboarding.md, "Onboarding a supplier list").
const (
	outGiven     = onboarding.Given     // named by its USCC
	outExact     = onboarding.Exact     // its name is exactly one firm's
	outUnique    = onboarding.Unique    // one close match, accepted (--accept-unique)
	outConfirmed = onboarding.Confirmed // chosen by the user (--resolve, or at the prompt)
	outConfirm   = onboarding.Confirm   // left over: a unique match to confirm, or an ambiguous one
	outNone      = onboarding.None      // left over: no firm matches
	outError     = onboarding.Error     // left over: the row cannot be used as it is
)

// decision is what onboard makes of one row.
type decision = onboarding.Decision

// cliHints name the flags that resolve a row left over.
var cliHints = onboarding.Hints{Unique: " (--accept-unique takes every such match)", Ambiguous: " (--resolve)",
	None: " (--resolve)"}

// plan decides every row: rows with a USCC and no name are taken as given, the others
// matched (the USCC, when given too, as a hint), then chosen USCCs applied.
func plan(ctx context.Context, c *client, rows []supplierRow, acceptUnique bool, res *resolutions,
	progress func(int)) ([]decision, error) {
	return onboarding.Plan(ctx, c.postMatches, rows, onboarding.Options{AcceptUnique: acceptUnique,
		Choose: res.choice, Progress: progress, Hints: cliHints})
}

func markRepeats(ds []decision) { onboarding.MarkRepeats(ds) }

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
