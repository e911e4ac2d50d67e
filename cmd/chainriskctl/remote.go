package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/internal/table"
)

// outputs are the --output formats of the API commands that have more than table
// and json.
var outputs = map[string][]string{
	"chain":     {"table", "json", "dot"},
	"ownership": {"table", "json", "dot"},
	"screen":    {"csv", "json"},
	"match":     {"csv", "json"},
	"esri":      {"table", "json", "csv"},
}

// remote parses an API command's flags (--server, --token, -o/--output, --lang and
// extra's) and runs fn with a client.
func remote(name, usage string, args []string, stdout, stderr io.Writer, extra func(fs *flag.FlagSet),
	fn func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	formats := outputs[name]
	if formats == nil {
		formats = []string{"table", "json"}
	}
	server, token, output := clientFlags(fs, formats)
	langFlag(fs)
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
	if !checkOutput(fs, *output, formats...) {
		return exitUsage
	}
	if _, ok := langOf(fs); !ok {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return fn(ctx, newClient(*server, *token), fs, *output)
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
				started = showTime(*s.StartedAt)
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

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

// fmtValue prints JSON numbers without float noise.
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

// hasFlag reports whether args hold the flag name (-name, --name, with =value or
// not): stress --network and esri --edges are offline, esri --leader goes through the API.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && n == name {
			return true
		}
	}
	return false
}
