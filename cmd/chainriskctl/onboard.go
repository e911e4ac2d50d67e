package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/onboarding"
	"github.com/chainrisk/chainrisk/internal/table"
)

const onboardUsage = "onboard FILE [--accept-unique] [--resolve FILE] [--leftover FILE] [--dry-run] " +
	"[--encoding utf-8|gbk|gb18030] [-o table|json]"

// onboardFlags are onboard's own flags.
type onboardFlags struct {
	acceptUnique, dryRun *bool
	resolve, leftover    *string
	encoding             *string
}

// onboardReport is onboard's answer: every row's outcome, and the import's summary.
type onboardReport struct {
	Rows     []decision      `json:"rows"`
	Counts   map[string]int  `json:"counts"`
	Imported *ingest.Summary `json:"imported"` // null on a dry run or when nothing was left to import
}

// runOnboard takes a tenant's supplier list to its leader's own relations: match the
// names, confirm the doubtful ones, import (docs/onboarding.md).
func runOnboard(args []string, stdout, stderr io.Writer) int {
	var f onboardFlags
	extra := func(fs *flag.FlagSet) {
		f.acceptUnique = fs.Bool("accept-unique", false, "take every unique match (one firm scores ≥ 0.9, the next < 0.75) without asking")
		f.resolve = fs.String("resolve", "", "a CSV of chosen USCCs: columns uscc and line (of FILE) or name; a --leftover file with its uscc column filled in")
		f.leftover = fs.String("leftover", "", "write the rows left over (to confirm, unmatched, refused) to this CSV, with an empty uscc column to fill in")
		f.dryRun = fs.Bool("dry-run", false, "match and confirm, but import nothing")
		f.encoding = encodingFlag(fs)
	}
	return remote("onboard", onboardUsage, args, stdout, stderr, extra,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if err := checkEncoding(*f.encoding); err != nil {
				fmt.Fprintf(stderr, "chainriskctl onboard: %v\n", err)
				return exitUsage
			}
			return onboard(ctx, c, fs.Arg(0), f, output, stdout, stderr)
		})
}

func onboard(ctx context.Context, c *client, file string, f onboardFlags, output string, stdout, stderr io.Writer) int {
	rows, name, err := readListFile(file, *f.encoding)
	if err != nil {
		return fail(stderr, "onboard", err)
	}
	var res *resolutions
	if *f.resolve != "" {
		in, rname, err := openInput(*f.resolve)
		if err != nil {
			return fail(stderr, "onboard", err)
		}
		res, err = readResolutions(decodeText(in, rname, *f.encoding))
		in.Close()
		if err != nil {
			return fail(stderr, "onboard", fmt.Errorf("%s: %w", rname, err))
		}
	}
	p := newProgress(stderr, name+" (matching)")
	ds, err := plan(ctx, c, rows, *f.acceptUnique, res, p.update)
	p.done()
	if err != nil {
		return fail(stderr, "onboard", err)
	}
	if in, ok := os.Stdin, output != "json"; ok && term.IsTerminal(int(in.Fd())) && hasToConfirm(ds) {
		confirm(ds, in, stderr)
	}
	rep := onboardReport{Rows: ds, Counts: countOutcomes(ds)}
	code := exitOK
	if !*f.dryRun && rep.Counts["imported"] > 0 {
		sum, err := importSuppliers(ctx, c, ds)
		if err != nil {
			return fail(stderr, "onboard", err)
		}
		rep.Imported = &sum
		for i, e := range sum.Errors {
			sum.Errors[i] = name + ":" + e
		}
		if !sum.OK() {
			code = exitError
		}
	}
	if *f.leftover != "" {
		if err := writeLeftover(*f.leftover, ds); err != nil {
			return fail(stderr, "onboard", err)
		}
	}
	if output == "json" {
		printJSON(stdout, rep)
	} else {
		printOnboard(stdout, name, rep, *f.dryRun, *f.leftover)
	}
	return code
}

// readListFile reads a supplier list from a file ("-": standard input).
func readListFile(file, encoding string) ([]supplierRow, string, error) {
	in, name, err := openInput(file)
	if err != nil {
		return nil, "", err
	}
	defer in.Close()
	rows, err := readSupplierList(decodeText(in, name, encoding))
	var encErr *EncodingError
	if errors.As(err, &encErr) {
		return nil, name, encErr
	}
	if err != nil {
		return nil, name, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, name, fmt.Errorf("%s: no suppliers", name)
	}
	return rows, name, nil
}

func hasToConfirm(ds []decision) bool {
	for i := range ds {
		if ds[i].Outcome == outConfirm && len(ds[i].Candidates) > 0 {
			return true
		}
	}
	return false
}

// countOutcomes counts the rows by outcome (onboarding.Count).
func countOutcomes(ds []decision) map[string]int { return onboarding.Count(ds) }

// importSuppliers posts the rows to import as the tenant's own relations, in one
// strict batch: every row is committed, or none. Error lines name the list's lines.
func importSuppliers(ctx context.Context, c *client, ds []decision) (ingest.Summary, error) {
	body, lines := onboarding.ImportBody(ds)
	var sum ingest.Summary
	if _, err := c.do(ctx, "POST", "/api/v1/relations?strict=true", bytes.NewReader(body), "text/csv", &sum, 422); err != nil {
		return sum, err
	}
	onboarding.ListLines(sum.Errors, lines)
	return sum, nil
}

// writeLeftover writes the rows left over, with an empty uscc column to fill in and
// hand back with --resolve.
func writeLeftover(path string, ds []decision) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"line", "name", "outcome", "reason", "candidates", "uscc"})
	for i := range ds {
		if d := &ds[i]; d.LeftOver() {
			_ = w.Write([]string{strconv.Itoa(d.Line), d.Name, d.Outcome, d.Reason, candidateText(d.Candidates), ""})
		}
	}
	w.Flush()
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func candidateText(cs []matchCandidate) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %s %.3f", c.USCC, c.Name, c.Score)
	}
	return strings.Join(parts, "; ")
}

// printOnboard prints the rows and the closing summary.
func printOnboard(w io.Writer, name string, rep onboardReport, dryRun bool, leftover string) {
	t := table.NewWriter(w)
	fmt.Fprintln(t, "LINE\tNAME\tOUTCOME\tUSCC\tNOTE")
	for _, d := range rep.Rows {
		note := d.Reason
		if d.Outcome == outConfirm && len(d.Candidates) > 0 {
			note += ": " + candidateText(d.Candidates)
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\n", d.Line, d.Name, d.Outcome, d.USCC, note)
	}
	_ = t.Flush()
	n := rep.Counts
	fmt.Fprintf(w, "\n%s: %d suppliers — %d by USCC, %d exact, %d unique, %d confirmed; left over %d (%d to confirm, %d unmatched, %d refused)\n",
		name, len(rep.Rows), n[outGiven], n[outExact], n[outUnique], n[outConfirmed], n["left_over"], n[outConfirm],
		n[outNone], n[outError])
	switch {
	case dryRun:
		fmt.Fprintf(w, "dry run: %d relations would be imported\n", n["imported"])
	case rep.Imported == nil:
		fmt.Fprintln(w, "nothing imported")
	case rep.Imported.OK():
		fmt.Fprintf(w, "imported %d relations as your own (%d changed); an incremental scan follows\n",
			rep.Imported.Accepted, rep.Imported.Changed)
	default:
		fmt.Fprintf(w, "nothing imported: %d rows refused (the batch is all or nothing)\n", rep.Imported.Rejected)
		for _, e := range rep.Imported.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if leftover != "" && n["left_over"] > 0 {
		fmt.Fprintf(w, "the rows left over are in %s: fill in their uscc column and run again with --resolve %s\n", leftover, leftover)
	}
}
