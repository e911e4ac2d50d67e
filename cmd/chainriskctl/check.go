package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
		EN       string `json:"en"`
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
	ScanID    int64     `json:"scan_id"`
	CheckedAt time.Time `json:"checked_at"`
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
			l, _ := langOf(fs)
			printCheck(stdout, l, &r)
			return exitOK
		})
}

// printCheck writes a check report: the verdict and its reasons (in l), the actual
// controller, the beneficial owners, the shareholders and the investees.
func printCheck(w io.Writer, l lang, r *checkReport) {
	name := r.Target.Name
	if !r.Target.Found {
		name = l.t("check.not_found")
	}
	fmt.Fprintln(w, l.tf("check.header", r.ID, r.Target.USCC, name, strings.ToUpper(r.Verdict)))
	fmt.Fprintln(w, l.tf("check.summary", orDash(r.Target.Grade), orDash(r.Target.Status), percent(r.Completeness.KnownShare), r.ScanID))
	if !r.CheckedAt.IsZero() {
		fmt.Fprintln(w, l.tf("check.checked_at", showTime(r.CheckedAt)))
	}
	if len(r.Reasons) > 0 {
		fmt.Fprintf(w, "\n%s\n", l.t("check.reasons"))
		tw := table.NewWriter(w)
		for _, x := range r.Reasons {
			text := x.ZH
			if l == "en" && x.EN != "" {
				text = x.EN
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", x.Severity, x.Code, text)
		}
		_ = tw.Flush()
	}
	if c := r.ActualController; c != nil {
		note := ""
		if c.Cyclic {
			note = l.t("check.cyclic")
		}
		fmt.Fprintf(w, "\n%s\n", l.tf("check.controller", c.key(), c.Name, orDash(c.Grade), strings.Join(c.Path, " → "), note))
	}
	for _, o := range r.BeneficialOwners {
		kind := l.t("check.owner")
		if o.Fallback {
			kind = l.t("check.owner_fb")
		}
		fmt.Fprintf(w, "%s: %s %s %s\n", kind, o.key(), o.Name, percent(o.PenetratedShare))
	}
	printParties(w, l, l.t("check.holders"), r.Shareholders)
	printParties(w, l, l.t("check.investees"), r.Investees)
}

func printParties(w io.Writer, l lang, title string, ps []checkParty) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, l.t("check.parties"))
	for _, p := range ps[:min(len(ps), checkRows)] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.key(), p.Name, orDash(p.HolderKind), orDash(p.Grade),
			percent(p.Share), percent(p.PenetratedShare))
	}
	_ = tw.Flush()
	if len(ps) > checkRows {
		fmt.Fprintln(w, l.tf("ent.more", len(ps)-checkRows))
	}
}

func percent(x float64) string { return strconv.FormatFloat(100*x, 'f', 2, 64) + "%" }
