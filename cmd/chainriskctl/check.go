package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/table"
)

// checkRows bounds the holders and investees the table prints; --output json has all.
const checkRows = 10

// checkReport is what check prints of POST /api/v1/checks' report.
type checkReport struct {
	ID      int64  `json:"id"`
	Verdict string `json:"verdict"`
	Reasons []struct {
		Code     string `json:"code"`
		Severity string `json:"severity"`
		Subject  string `json:"subject"`
		ZH       string `json:"zh"`
	} `json:"reasons"`
	Target struct {
		USCC   string `json:"uscc"`
		Name   string `json:"name"`
		Found  bool   `json:"found"`
		Status string `json:"status"`
		Grade  string `json:"grade"`
	} `json:"target"`
	Shareholders     []checkParty `json:"shareholders"`
	BeneficialOwners []checkParty `json:"beneficial_owners"`
	ActualController *checkParty  `json:"actual_controller"`
	Investees        []checkParty `json:"investees"`
	Completeness     struct {
		KnownShare float64 `json:"known_share"`
	} `json:"completeness"`
	ScanID int64 `json:"scan_id"`
}

type checkParty struct {
	HolderKind      string   `json:"holder_kind"`
	USCC            string   `json:"uscc"`
	PersonID        string   `json:"person_id"`
	Name            string   `json:"name"`
	Grade           string   `json:"grade"`
	Share           float64  `json:"share"`
	PenetratedShare float64  `json:"penetrated_share"`
	Path            []string `json:"path"`
	Fallback        bool     `json:"fallback"`
	Cyclic          bool     `json:"cyclic"`
}

func (p *checkParty) key() string {
	if p.USCC != "" {
		return p.USCC
	}
	return p.PersonID
}

// runCheck runs an investment-attraction check of a firm (精准招商) and prints its report.
func runCheck(args []string, stdout, stderr io.Writer) int {
	var depth int
	var minShare float64
	return remote("check", "check <uscc> [--depth N] [--min-share F]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.IntVar(&depth, "depth", 0, "longest ownership path followed, 1-10 (default: the config's checks.depth)")
			fs.Float64Var(&minShare, "min-share", -1, "smallest penetrated share of an investee reported, 0-1 (default: checks.min_share)")
		},
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			req := map[string]any{"uscc": fs.Arg(0)}
			if depth != 0 {
				req["depth"] = depth
			}
			if minShare >= 0 {
				req["min_share"] = minShare
			}
			if output == "json" {
				var raw map[string]any
				if err := c.postJSON(ctx, "/api/v1/checks", req, &raw); err != nil {
					return fail(stderr, "check", err)
				}
				printJSON(stdout, raw)
				return exitOK
			}
			var r checkReport
			if err := c.postJSON(ctx, "/api/v1/checks", req, &r); err != nil {
				return fail(stderr, "check", err)
			}
			printCheck(stdout, &r)
			return exitOK
		})
}

func printCheck(w io.Writer, r *checkReport) {
	name := r.Target.Name
	if !r.Target.Found {
		name = "(not in the store)"
	}
	fmt.Fprintf(w, "check %d of %s %s: %s\n", r.ID, r.Target.USCC, name, strings.ToUpper(r.Verdict))
	fmt.Fprintf(w, "grade %s, status %s; known share of its capital %s; scan %d\n",
		orDash(r.Target.Grade), orDash(r.Target.Status), percent(r.Completeness.KnownShare), r.ScanID)
	if len(r.Reasons) > 0 {
		fmt.Fprintln(w, "\nreasons:")
		tw := table.NewWriter(w)
		for _, x := range r.Reasons {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", x.Severity, x.Code, x.ZH)
		}
		_ = tw.Flush()
	}
	if c := r.ActualController; c != nil {
		note := ""
		if c.Cyclic {
			note = " (a cycle of majority stakes: no controller outside it)"
		}
		fmt.Fprintf(w, "\nactual controller: %s %s grade %s, via %s%s\n", c.key(), c.Name, orDash(c.Grade),
			strings.Join(c.Path, " → "), note)
	}
	for _, o := range r.BeneficialOwners {
		kind := "beneficial owner"
		if o.Fallback {
			kind = "beneficial owner (fallback: the legal representative)"
		}
		fmt.Fprintf(w, "%s: %s %s %s\n", kind, o.key(), o.Name, percent(o.PenetratedShare))
	}
	printParties(w, "shareholders (by penetrated share)", r.Shareholders)
	printParties(w, "investees", r.Investees)
}

func printParties(w io.Writer, title string, ps []checkParty) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, "  KEY\tNAME\tKIND\tGRADE\tDIRECT\tPENETRATED")
	for _, p := range ps[:min(len(ps), checkRows)] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.key(), p.Name, orDash(p.HolderKind), orDash(p.Grade),
			percent(p.Share), percent(p.PenetratedShare))
	}
	_ = tw.Flush()
	if len(ps) > checkRows {
		fmt.Fprintf(w, "  … %d more (--output json lists them)\n", len(ps)-checkRows)
	}
}

func percent(x float64) string { return strconv.FormatFloat(100*x, 'f', 2, 64) + "%" }
