package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/internal/table"
)

// The alert workflow commands (README.md): the token's principal's status, assignee
// and notes of an alert (PATCH /api/v1/alerts/{id}), its verdict (POST
// /api/v1/alerts/{id}/feedback), and staff's review list (GET /api/v1/feedback).

const alertUsage = `usage: chainriskctl alert set <alert id> [--status S] [--assignee A] [--note TEXT]
       chainriskctl alert feedback <alert id> --verdict useful|irrelevant|wrong_entity [--comment C]
       chainriskctl alert review [--verdict V] [--rule R] [--uscc USCC] [--limit N]
Statuses: open, investigating, no_impact, confirmed, closed. What a token records is its
principal's own (its tenant's, or staff's): no other principal sees it. irrelevant keeps
the alert from the principal's subscriptions until its state or severity changes;
wrong_entity puts it on the review list.
`

func runAlert(args []string, stdout, stderr io.Writer) int {
	return subcommand("alert", alertUsage, args, stdout, stderr, map[string]command{
		"set": runAlertSet, "feedback": runAlertFeedback, "review": runAlertReview})
}

// alertWorkflowJSON is what the workflow commands print of the alert they answer.
type alertWorkflowJSON struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Assignee string `json:"assignee"`
	Notes    []struct {
		At   time.Time `json:"at"`
		By   string    `json:"by"`
		Text string    `json:"text"`
	} `json:"notes"`
	Feedback *struct {
		Verdict string `json:"verdict"`
		Muted   bool   `json:"muted"`
	} `json:"feedback"`
}

func runAlertSet(args []string, stdout, stderr io.Writer) int {
	var status, assignee, note *string
	return remote("alert set", "alert set <alert id> [--status S] [--assignee A] [--note TEXT]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			status = fs.String("status", "", "open, investigating, no_impact, confirmed or closed")
			assignee = fs.String("assignee", "", `whom it is assigned to (a colleague's name or e-mail; "" clears it)`)
			note = fs.String("note", "", "a note to append")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			body := map[string]string{}
			fs.Visit(func(f *flag.Flag) {
				switch f.Name {
				case "status":
					body["status"] = *status
				case "assignee":
					body["assignee"] = *assignee
				case "note":
					body["note"] = *note
				}
			})
			if fs.NArg() != 1 || len(body) == 0 {
				fmt.Fprintln(stderr, "chainriskctl alert set: give one alert id and --status, --assignee or --note")
				fs.Usage()
				return exitUsage
			}
			b, err := json.Marshal(body)
			if err != nil {
				return fail(stderr, "alert set", err)
			}
			var raw json.RawMessage
			if _, err := c.do(ctx, http.MethodPatch, "/api/v1/alerts/"+url.PathEscape(fs.Arg(0)), bytes.NewReader(b),
				"application/json", &raw); err != nil {
				return fail(stderr, "alert set", err)
			}
			return printWorkflow(stdout, stderr, "alert set", raw, output)
		})
}

func runAlertFeedback(args []string, stdout, stderr io.Writer) int {
	var verdict, comment *string
	return remote("alert feedback", "alert feedback <alert id> --verdict useful|irrelevant|wrong_entity [--comment C]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			verdict = fs.String("verdict", "", "useful, irrelevant or wrong_entity")
			comment = fs.String("comment", "", "why")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 || *verdict == "" {
				fmt.Fprintln(stderr, "chainriskctl alert feedback: give one alert id and --verdict")
				fs.Usage()
				return exitUsage
			}
			var raw json.RawMessage
			if err := c.postJSON(ctx, "/api/v1/alerts/"+url.PathEscape(fs.Arg(0))+"/feedback",
				map[string]string{"verdict": *verdict, "comment": *comment}, &raw); err != nil {
				return fail(stderr, "alert feedback", err)
			}
			return printWorkflow(stdout, stderr, "alert feedback", raw, output)
		})
}

// printWorkflow prints the alert a workflow command answered: its status, assignee,
// notes and the principal's verdict.
func printWorkflow(stdout, stderr io.Writer, cmd string, raw json.RawMessage, output string) int {
	if output == "json" {
		printJSON(stdout, raw)
		return exitOK
	}
	var a alertWorkflowJSON
	if err := json.Unmarshal(raw, &a); err != nil {
		return fail(stderr, cmd, err)
	}
	fmt.Fprintf(stdout, "alert %s: %s", a.ID, a.Status)
	if a.Assignee != "" {
		fmt.Fprintf(stdout, ", assigned to %s", a.Assignee)
	}
	if a.Feedback != nil {
		fmt.Fprintf(stdout, ", verdict %s", a.Feedback.Verdict)
		if a.Feedback.Muted {
			fmt.Fprint(stdout, " (muted)")
		}
	}
	fmt.Fprintf(stdout, ", %d notes\n", len(a.Notes))
	for _, n := range a.Notes {
		fmt.Fprintf(stdout, "  %s %s: %s\n", showTime(n.At), n.By, n.Text)
	}
	return exitOK
}

// reviewJSON is a verdict of the review list (the fields shown).
type reviewJSON struct {
	AlertID string `json:"alert_id"`
	Rule    string `json:"rule"`
	Subject struct {
		USCC string `json:"uscc"`
		Name string `json:"name"`
	} `json:"subject"`
	Verdict string    `json:"verdict"`
	Comment string    `json:"comment"`
	By      string    `json:"by"`
	Tenant  string    `json:"tenant"`
	At      time.Time `json:"at"`
}

func runAlertReview(args []string, stdout, stderr io.Writer) int {
	var verdict, rule, uscc *string
	var limit *int
	return remote("alert review", "alert review [--verdict V] [--rule R] [--uscc USCC] [--limit N]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			verdict = fs.String("verdict", "", "useful, irrelevant or wrong_entity (default all)")
			rule = fs.String("rule", "", "only this rule's alerts")
			uscc = fs.String("uscc", "", "only the alerts about this firm")
			limit = fs.Int("limit", 100, "how many, the newest first (at most 1000)")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 {
				fs.Usage()
				return exitUsage
			}
			q := listQuery(*limit, map[string]string{"verdict": *verdict, "rule": *rule, "uscc": *uscc})
			return showList(ctx, c, stdout, stderr, "alert review", "/api/v1/feedback?"+q.Encode(), "feedback", output, func(shown []reviewJSON) int {
				tw := table.NewWriter(stdout)
				fmt.Fprintln(tw, "ALERT\tRULE\tFIRM\tNAME\tVERDICT\tBY\tTENANT\tAT\tCOMMENT")
				for _, e := range shown {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.AlertID, e.Rule, e.Subject.USCC, e.Subject.Name, e.Verdict,
						e.By, orDash(e.Tenant), showTime(e.At), orDash(strings.ReplaceAll(e.Comment, "\n", " ")))
				}
				_ = tw.Flush()
				if len(shown) == 0 {
					fmt.Fprintln(stderr, "no verdicts")
				}
				return exitOK
			})
		})
}
