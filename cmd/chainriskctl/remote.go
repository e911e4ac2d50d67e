package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/internal/table"
)

// remote parses an API command's flags and runs fn with a client.
func remote(name, usage string, args []string, stdout, stderr io.Writer, extra func(fs *flag.FlagSet),
	fn func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server, token, output := clientFlags(fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl "+usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return parseExit(err)
	}
	if *output != "table" && *output != "json" && !((name == "chain" || name == "ownership") && *output == "dot") &&
		!((name == "screen" || name == "match") && *output == "csv") {
		fmt.Fprintf(stderr, "chainriskctl %s: --output must be table or json\n", name)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return fn(ctx, newClient(*server, *token), fs, *output)
}

// interleave moves flags after positional arguments to the front, so that
// "chainriskctl chain USCC --output json" works as people type it.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") {
				if f := fs.Lookup(name); f != nil {
					if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
						if i+1 < len(args) {
							flags = append(flags, args[i+1])
							i++
						}
					}
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

// scanJSON is a scan as GET /api/v1/rescans/{id} and /scans answer it.
type scanJSON struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Scope    string `json:"scope"`
	Trigger  string `json:"trigger"`
	Status   string `json:"status"`
	Progress struct {
		Done  int64 `json:"done"`
		Total int64 `json:"total"`
	} `json:"progress"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Error      string     `json:"error"`
	// Position and Ahead say, while the scan is queued, its place and what runs first.
	Position int        `json:"position,omitempty"`
	Ahead    []scanJSON `json:"ahead,omitempty"`
}

func runRescan(args []string, stdout, stderr io.Writer) int {
	var scope *string
	var wait *bool
	return remote("rescan", "rescan [--scope all|chain:USCC|enterprise:USCC] [--wait] [--server URL] [--token T]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			scope = fs.String("scope", "all", "all, chain:<uscc> or enterprise:<uscc>")
			wait = fs.Bool("wait", false, "wait for the scan to finish, showing its progress")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			var sc scanJSON
			if err := c.postJSON(ctx, "/api/v1/rescans", map[string]string{"scope": *scope}, &sc); err != nil {
				return fail(stderr, "rescan", err)
			}
			if !*wait {
				if output == "json" {
					printJSON(stdout, sc)
				} else {
					fmt.Fprintf(stdout, "scan %d %s\n", sc.ID, sc.Status)
				}
				return exitOK
			}
			if err := waitScan(ctx, c, &sc, stderr); err != nil {
				return fail(stderr, "rescan", err)
			}
			if output == "json" {
				printJSON(stdout, sc)
			} else {
				fmt.Fprintf(stdout, "scan %d %s (%s, %s)\n", sc.ID, sc.Status, sc.Kind, sc.Scope)
				if sc.Error != "" {
					fmt.Fprintf(stdout, "  error: %s\n", sc.Error)
				}
			}
			if sc.Status != "succeeded" {
				return exitError
			}
			return exitOK
		})
}

func runScans(args []string, stdout, stderr io.Writer) int {
	var limit *int
	var all *bool
	return remote("scans", "scans [--limit N | --all]", args, stdout, stderr, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 20, "how many, newest first (beyond one page, page by page)")
		all = allFlag(fs)
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		items, err := fetchList(ctx, c, withAll("/api/v1/scans?limit="+strconv.Itoa(*limit), *all), "scans")
		if err != nil {
			return fail(stderr, "scans", err)
		}
		scans := make([]scanJSON, len(items))
		for i, x := range items {
			if err := json.Unmarshal(x, &scans[i]); err != nil {
				return fail(stderr, "scans", err)
			}
		}
		if output == "json" {
			printJSON(stdout, scans)
			return exitOK
		}
		tw := table.NewWriter(stdout)
		fmt.Fprintln(tw, "ID\tKIND\tSCOPE\tTRIGGER\tSTATUS\tSTARTED\tSECONDS")
		for _, s := range scans {
			started, secs := "-", "-"
			if s.StartedAt != nil {
				started = s.StartedAt.Local().Format(time.DateTime)
				if s.FinishedAt != nil {
					secs = fmt.Sprintf("%.2f", s.FinishedAt.Sub(*s.StartedAt).Seconds())
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Kind, s.Scope, s.Trigger, s.Status, started, secs)
		}
		_ = tw.Flush()
		return exitOK
	})
}

func runEnterprise(args []string, stdout, stderr io.Writer) int {
	return remote("enterprise", "enterprise <uscc>", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			var e map[string]any
			if err := c.getJSON(ctx, "/api/v1/enterprises/"+url.PathEscape(fs.Arg(0)), &e); err != nil {
				return fail(stderr, "enterprise", err)
			}
			if output == "json" {
				printJSON(stdout, e)
				return exitOK
			}
			tw := table.NewWriter(stdout)
			for _, k := range []string{"uscc", "name", "status", "region", "industry", "score", "grade", "p", "d", "model_version",
				"scan_id", "scored_at"} {
				if v, ok := e[k]; ok {
					if k == "scored_at" {
						v = localTime(v)
					}
					fmt.Fprintf(tw, "%s\t%v\n", k, fmtValue(v))
				}
			}
			_ = tw.Flush()
			if ex, ok := e["explanation"].([]any); ok && len(ex) > 0 {
				fmt.Fprintln(stdout, "\nwhy (worst first):")
				tw = table.NewWriter(stdout)
				for _, x := range ex {
					m, _ := x.(map[string]any)
					if m["kind"] == "rule" {
						fmt.Fprintf(tw, "  rule\t%v\t%v\n", m["rule"], m["effect"])
						continue
					}
					fmt.Fprintf(tw, "  %v\t%v\t%v points × %v = %v\n", m["event_id"], m["type"], fmtValue(m["points"]),
						fmtValue(m["decay"]), fmtValue(m["effective"]))
				}
				_ = tw.Flush()
			}
			printRelated(stdout, e)
			if hist, ok := e["history"].([]any); ok && len(hist) > 0 {
				fmt.Fprintln(stdout, "\nhistory (newest first):")
				tw = table.NewWriter(stdout)
				for _, x := range hist[:min(len(hist), enterpriseHistoryRows)] {
					m, _ := x.(map[string]any)
					fmt.Fprintf(tw, "  %v\tscan %v\t%v\t%v\t%s\n", localTime(m["at"]), fmtValue(m["scan_id"]), m["trigger"],
						m["grade"], strconv.FormatFloat(toFloat(m["score"]), 'f', 1, 64))
				}
				_ = tw.Flush()
				if len(hist) > enterpriseHistoryRows {
					fmt.Fprintf(stdout, "  … %d more (--output json lists them)\n", len(hist)-enterpriseHistoryRows)
				}
			}
			return exitOK
		})
}

func runChain(args []string, stdout, stderr io.Writer) int {
	var format *string
	var up, down *int
	return remote("chain", "chain <leader> [--format table|json|dot] [--depth-up N] [--depth-down N]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			format = fs.String("format", "", "table, json or dot (overrides --output)")
			up = fs.Int("depth-up", -1, "upstream tiers (default: the daemon's)")
			down = fs.Int("depth-down", -1, "downstream tiers (default: the daemon's)")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if *format != "" {
				output = *format
			}
			q := url.Values{}
			if *up >= 0 {
				q.Set("depth_up", strconv.Itoa(*up))
			}
			if *down >= 0 {
				q.Set("depth_down", strconv.Itoa(*down))
			}
			path := "/api/v1/chains/" + url.PathEscape(fs.Arg(0))
			switch output {
			case "dot":
				q.Set("format", "dot")
				if _, err := c.do(ctx, "GET", path+"/graph?"+q.Encode(), nil, "", stdout); err != nil {
					return fail(stderr, "chain", err)
				}
				return exitOK
			case "json", "table":
			default:
				fmt.Fprintln(stderr, "chainriskctl chain: --format must be table, json or dot")
				return exitUsage
			}
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var ch map[string]any
			if err := c.getJSON(ctx, path, &ch); err != nil {
				return fail(stderr, "chain", err)
			}
			if output == "json" {
				printJSON(stdout, ch)
				return exitOK
			}
			fmt.Fprintf(stdout, "leader %v  chain_risk %v  supply_at_risk %v  demand_at_risk %v\n",
				ch["leader"], fmtValue(ch["chain_risk"]), fmtValue(ch["supply_at_risk"]), fmtValue(ch["demand_at_risk"]))
			if n := toFloat(ch["supplied_relations"]); n > 0 {
				fmt.Fprintf(stdout, "taken on the leader's own supplier list (%v relations) over the registry's "+
					"(chain %v --format dot draws them dashed)\n", n, ch["leader"])
			}
			tw := table.NewWriter(stdout)
			fmt.Fprintln(tw, "\nTOP CONTRIBUTORS\tTIER\tP\tCONTRIBUTION\tPATH")
			if tops, ok := ch["top_contributors"].([]any); ok {
				for _, t := range tops {
					m, _ := t.(map[string]any)
					fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%v\n", m["uscc"], fmtValue(m["tier"]), fmtValue(m["p"]),
						fmtValue(m["contribution"]), m["path"])
				}
			}
			fmt.Fprintln(tw, "\nMEMBER\tNAME\tTIER\tGRADE\tP\tD")
			if ms, ok := ch["members"].([]any); ok {
				for _, x := range ms {
					m, _ := x.(map[string]any)
					fmt.Fprintf(tw, "%v\t%v\t%v\t%v\t%v\t%v\n", m["uscc"], m["name"], fmtValue(m["tier"]), m["grade"],
						fmtValue(m["p"]), fmtValue(m["d"]))
				}
			}
			_ = tw.Flush()
			return exitOK
		})
}

func runStressOnline(args []string, stdout, stderr io.Writer) int {
	var shocks shockList
	var top *int
	return remote("stress", "stress --shock USCC[=psi]... [--top N]", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.Var(&shocks, "shock", "a shocked firm, USCC or USCC=psi (psi defaults to 1); repeat for several")
		top = fs.Int("top", 20, "most impacted firms to list")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if len(shocks) == 0 || fs.NArg() > 0 {
			fs.Usage()
			return exitUsage
		}
		var res map[string]any
		if err := c.postJSON(ctx, "/api/v1/stress", map[string]any{"shocks": shocks, "top": *top}, &res); err != nil {
			return fail(stderr, "stress", err)
		}
		if output == "json" {
			printJSON(stdout, res)
			return exitOK
		}
		fmt.Fprintf(stdout, "R %v  defaults %v  iterations %v\n", fmtValue(res["R"]), fmtValue(res["defaults"]),
			fmtValue(res["iterations"]))
		tw := table.NewWriter(stdout)
		fmt.Fprintln(tw, "FIRM\tNAME\tH")
		if tops, ok := res["top"].([]any); ok {
			for _, t := range tops {
				m, _ := t.(map[string]any)
				fmt.Fprintf(tw, "%v\t%v\t%v\n", m["uscc"], m["name"], fmtValue(m["h"]))
			}
		}
		_ = tw.Flush()
		return exitOK
	})
}

// shockList collects --shock USCC[=psi].
type shockList []map[string]any

func (s *shockList) String() string { return fmt.Sprint(len(*s), " shocks") }

func (s *shockList) Set(v string) error {
	id, psi := v, 1.0
	if i := strings.LastIndexByte(v, '='); i >= 0 {
		var err error
		if psi, err = strconv.ParseFloat(v[i+1:], 64); err != nil || math.IsNaN(psi) || psi < 0 || psi > 1 {
			return fmt.Errorf("psi in %q must be a number in [0,1]", v)
		}
		id = v[:i]
	}
	*s = append(*s, map[string]any{"uscc": id, "psi": psi})
	return nil
}

// fmtValue prints JSON numbers without float noise.
// enterpriseHistoryRows is how many history entries the enterprise table shows.
const enterpriseHistoryRows = 10

// localTime shows an RFC 3339 time of an answer in the local zone, as the scans
// table does; anything else as it is.
func localTime(v any) any {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Local().Format(time.DateTime)
		}
	}
	return v
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	case nil:
		return "-"
	}
	return fmt.Sprint(v)
}

// isOffline tells the offline stress command (README.md: --network) from the API one.
func isOffline(args []string) bool {
	for _, a := range args {
		if a == "--network" || a == "-network" || strings.HasPrefix(a, "--network=") || strings.HasPrefix(a, "-network=") {
			return true
		}
	}
	return false
}
