package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/internal/table"
)

// The alert commands (README.md): list and acknowledge alerts, and manage silences,
// through the API's /api/v1/alerts and /api/v1/silences (the workflow of an alert is
// in workflow.go).

// alertJSON is an alert as GET /api/v1/alerts answers it (the fields shown).
type alertJSON struct {
	ID       string `json:"id"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	State    string `json:"state"`
	Subject  struct {
		USCC          string `json:"uscc"`
		Name          string `json:"name"`
		Grade         string `json:"grade"`
		PreviousGrade string `json:"previous_grade"`
	} `json:"subject"`
	Leader *struct {
		USCC string `json:"uscc"`
	} `json:"leader"`
	StartedAt time.Time `json:"started_at"`
	AckedBy   string    `json:"acked_by"`
	Silenced  bool      `json:"silenced"`
	Status    string    `json:"status"`
	Assignee  string    `json:"assignee"`
}

func runAlerts(args []string, stdout, stderr io.Writer) int {
	var state, severity, rule, leader, uscc, status, assignee *string
	var limit *int
	var all *bool
	return remote("alerts", "alerts [--state firing|resolved] [--severity S] [--rule R] [--leader USCC] [--uscc USCC] "+
		"[--status S] [--assignee A] [--limit N | --all]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			state = fs.String("state", "", "firing or resolved (default both)")
			severity = fs.String("severity", "", "info, warning or critical")
			rule = fs.String("rule", "", "only this rule")
			leader = fs.String("leader", "", "the alerts about this leader's chain")
			uscc = fs.String("uscc", "", "the alerts about this firm")
			status = fs.String("status", "", "the alerts your principal's workflow gives this status (open, investigating, no_impact, confirmed, closed)")
			assignee = fs.String("assignee", "", "the alerts your principal assigned to exactly this")
			limit = fs.Int("limit", 100, "how many, the most recently changed first (beyond one page, page by page)")
			all = allFlag(fs)
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 {
				fs.Usage()
				return exitUsage
			}
			q := listQuery(*limit, map[string]string{"state": *state, "severity": *severity, "rule": *rule, "leader": *leader,
				"uscc": *uscc, "status": *status, "assignee": *assignee})
			return showList(ctx, c, stdout, stderr, "alerts", withAll("/api/v1/alerts?"+q.Encode(), *all), "alerts", output, func(shown []alertJSON) int {
				tw := table.NewWriter(stdout)
				fmt.Fprintln(tw, "ID\tSTATE\tSEVERITY\tRULE\tFIRM\tNAME\tGRADE\tLEADER\tSINCE\tNOTE")
				for _, a := range shown {
					grade, lead := a.Subject.Grade, "-"
					if a.Subject.PreviousGrade != "" {
						grade = a.Subject.PreviousGrade + "→" + grade
					}
					if a.Leader != nil {
						lead = a.Leader.USCC
					}
					var note []string
					if a.Status != "" && a.Status != "open" {
						note = append(note, a.Status)
					}
					if a.Assignee != "" {
						note = append(note, "assigned to "+a.Assignee)
					}
					if a.AckedBy != "" {
						note = append(note, "acked by "+a.AckedBy)
					}
					if a.Silenced {
						note = append(note, "silenced")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.Severity, a.Rule, a.Subject.USCC,
						a.Subject.Name, orDash(grade), lead, showTime(a.StartedAt), orDash(strings.Join(note, ", ")))
				}
				_ = tw.Flush()
				if len(shown) == 0 {
					fmt.Fprintln(stderr, "no alerts")
				}
				return exitOK
			})
		})
}

func runAck(args []string, stdout, stderr io.Writer) int {
	var comment *string
	return remote("ack", "ack <alert id> [--comment C]", args, stdout, stderr, func(fs *flag.FlagSet) {
		comment = fs.String("comment", "", "why, for the daemon's log")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if fs.NArg() != 1 {
			fs.Usage()
			return exitUsage
		}
		body := map[string]string{}
		if *comment != "" {
			body["comment"] = *comment
		}
		var a map[string]any
		if err := c.postJSON(ctx, "/api/v1/alerts/"+url.PathEscape(fs.Arg(0))+"/ack", body, &a); err != nil {
			return fail(stderr, "ack", err)
		}
		if output == "json" {
			printJSON(stdout, a)
			return exitOK
		}
		fmt.Fprintf(stdout, "alert %v acknowledged by %v\n", a["id"], a["acked_by"])
		return exitOK
	})
}

const silenceUsage = `usage: chainriskctl silence add --matcher NAME=VALUE... (--duration 2h | --until RFC3339) [--comment C]
       chainriskctl silence list [--state active|pending|expired]
       chainriskctl silence expire <id>
Matchers: NAME OP VALUE with NAME one of rule, severity, uscc, leader, subscription and OP
one of = != =~ !~ (=~ and !~ take an anchored regular expression).
`

func runSilence(args []string, stdout, stderr io.Writer) int {
	return subcommand("silence", silenceUsage, args, stdout, stderr, map[string]command{
		"add": runSilenceAdd, "list": runSilenceList, "expire": runSilenceExpire})
}

// listQuery is the query of a list: its limit and the filters given (non-empty).
func listQuery(limit int, filters map[string]string) url.Values {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for name, v := range filters {
		if v != "" {
			q.Set(name, v)
		}
	}
	return q
}

// command runs one (sub)command with its arguments.
type command func(args []string, stdout, stderr io.Writer) int

// subcommand runs the subcommand args[0] of the command name: its usage (on stdout
// when asked for, with exit 0) when there is none or help is asked for, an error
// naming an unknown one.
func subcommand(name, usage string, args []string, stdout, stderr io.Writer, subs map[string]command) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:], stdout, stderr)
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "chainriskctl %s: unknown subcommand %q\n%s", name, args[0], usage)
	return exitUsage
}

// silenceJSON is a silence as the API answers it (the fields shown).
type silenceJSON struct {
	ID        string        `json:"id"`
	Matchers  []matcherJSON `json:"matchers"`
	StartsAt  time.Time     `json:"starts_at"`
	EndsAt    time.Time     `json:"ends_at"`
	CreatedBy string        `json:"created_by"`
	Comment   string        `json:"comment"`
	Status    string        `json:"status"`
}

type matcherJSON struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

func (m matcherJSON) String() string { return m.Name + m.Op + strconv.Quote(m.Value) }

// matcherList collects --matcher NAME OP VALUE.
type matcherList []matcherJSON

func (l *matcherList) String() string { return fmt.Sprint(len(*l), " matchers") }

func (l *matcherList) Set(s string) error {
	m, err := parseMatcher(s)
	if err != nil {
		return err
	}
	*l = append(*l, m)
	return nil
}

// parseMatcher reads rule=grade_downgrade, severity!=info, uscc=~"9123.*": the
// operator is the first of = != =~ !~ after the name; quotes around the value go.
func parseMatcher(s string) (matcherJSON, error) {
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return matcherJSON{}, fmt.Errorf("matcher %q: want NAME=VALUE, NAME!=VALUE, NAME=~REGEXP or NAME!~REGEXP", s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	var op string
	for _, o := range []string{alerts.OpRegexp, alerts.OpNotRegex, alerts.OpNotEqual, alerts.OpEqual} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return matcherJSON{}, fmt.Errorf("matcher %q: the operator must be =, !=, =~ or !~", s)
	}
	if !slices.Contains(alerts.SilenceLabels, name) {
		return matcherJSON{}, fmt.Errorf("matcher %q: %q is not one of %s", s, name, strings.Join(alerts.SilenceLabels, ", "))
	}
	value := strings.TrimSpace(rest[len(op):])
	if uq, err := strconv.Unquote(value); err == nil {
		value = uq
	}
	return matcherJSON{Name: name, Op: op, Value: value}, nil
}

func runSilenceAdd(args []string, stdout, stderr io.Writer) int {
	var matchers matcherList
	var duration, until, comment *string
	return remote("silence add", "silence add --matcher NAME=VALUE... (--duration 2h | --until RFC3339) [--comment C]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			fs.Var(&matchers, "matcher", "a label condition, e.g. rule=grade_downgrade or uscc=~'9123.*'; repeat for several (all must match)")
			duration = fs.String("duration", "", "how long from now, e.g. 2h or 1d")
			until = fs.String("until", "", "when it ends (RFC 3339)")
			comment = fs.String("comment", "", "why")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 || len(matchers) == 0 || (*duration == "") == (*until == "") {
				fmt.Fprintln(stderr, "chainriskctl silence add: give one --matcher or more, and --duration or --until")
				fs.Usage()
				return exitUsage
			}
			body := map[string]any{"matchers": matchers, "comment": *comment}
			if *duration != "" {
				if d, err := config.ParseDuration(*duration); err != nil || d <= 0 {
					fmt.Fprintf(stderr, "chainriskctl silence add: --duration %q: want a positive duration such as 2h or 1d\n", *duration)
					return exitUsage
				}
				body["duration"] = *duration
			} else {
				t, err := time.Parse(time.RFC3339, *until)
				if err != nil {
					fmt.Fprintf(stderr, "chainriskctl silence add: --until %q: want an RFC 3339 time such as 2026-12-01T08:00:00+08:00\n", *until)
					return exitUsage
				}
				body["ends_at"] = t
			}
			var raw json.RawMessage
			if err := c.postJSON(ctx, "/api/v1/silences", body, &raw); err != nil {
				return fail(stderr, "silence add", err)
			}
			if output == "json" {
				printJSON(stdout, raw)
				return exitOK
			}
			var sl silenceJSON
			if err := json.Unmarshal(raw, &sl); err != nil {
				return fail(stderr, "silence add", err)
			}
			fmt.Fprintf(stdout, "silence %s %s until %s\n", sl.ID, sl.Status, showTime(sl.EndsAt))
			return exitOK
		})
}

func runSilenceList(args []string, stdout, stderr io.Writer) int {
	var state *string
	return remote("silence list", "silence list [--state active|pending|expired]", args, stdout, stderr, func(fs *flag.FlagSet) {
		state = fs.String("state", "", "active, pending or expired (default all)")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if fs.NArg() > 0 {
			fs.Usage()
			return exitUsage
		}
		path := "/api/v1/silences"
		if *state != "" {
			path += "?state=" + url.QueryEscape(*state)
		}
		return showList(ctx, c, stdout, stderr, "silence list", path, "silences", output, func(shown []silenceJSON) int {
			tw := table.NewWriter(stdout)
			fmt.Fprintln(tw, "ID\tSTATUS\tMATCHERS\tSTARTS\tENDS\tCREATED BY\tCOMMENT")
			for _, s := range shown {
				ms := make([]string, len(s.Matchers))
				for i, m := range s.Matchers {
					ms[i] = m.String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, strings.Join(ms, ","),
					showTime(s.StartsAt), showTime(s.EndsAt), s.CreatedBy, orDash(s.Comment))
			}
			_ = tw.Flush()
			if len(shown) == 0 {
				fmt.Fprintln(stderr, "no silences")
			}
			return exitOK
		})
	})
}

func runSilenceExpire(args []string, stdout, stderr io.Writer) int {
	return remote("silence expire", "silence expire <id>", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			var sl map[string]any
			if _, err := c.do(ctx, http.MethodDelete, "/api/v1/silences/"+url.PathEscape(fs.Arg(0)), nil, "", &sl); err != nil {
				return fail(stderr, "silence expire", err)
			}
			if output == "json" {
				printJSON(stdout, sl)
				return exitOK
			}
			fmt.Fprintf(stdout, "silence %v expired\n", sl["id"])
			return exitOK
		})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
