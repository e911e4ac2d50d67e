package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/table"
)

// The chain and stress commands (README.md): a leader's chain and a stress test on
// the whole graph, through the API, with names beside codes and a legend.

func runChain(args []string, stdout, stderr io.Writer) int {
	var format *string
	var up, down *int
	return remote("chain", "chain <leader> [-o table|json|dot] [--depth-up N] [--depth-down N] [--lang zh|en]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			format = fs.String("format", "", "deprecated: --output")
			up = fs.Int("depth-up", -1, "upstream tiers (default: the daemon's)")
			down = fs.Int("depth-down", -1, "downstream tiers (default: the daemon's)")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if *format != "" {
				fmt.Fprintln(stderr, "chainriskctl chain: --format is deprecated; use -o/--output")
				if !checkOutput(fs, *format, outputs["chain"]...) {
					return exitUsage
				}
				output = *format
			}
			l, _ := langOf(fs)
			q := url.Values{}
			if *up >= 0 {
				q.Set("depth_up", strconv.Itoa(*up))
			}
			if *down >= 0 {
				q.Set("depth_down", strconv.Itoa(*down))
			}
			path := "/api/v1/chains/" + url.PathEscape(fs.Arg(0))
			if output == "dot" {
				q.Set("format", "dot")
				if _, err := c.do(ctx, "GET", path+"/graph?"+q.Encode(), nil, "", stdout); err != nil {
					return fail(stderr, "chain", err)
				}
				return exitOK
			}
			ch, err := fetchChain(ctx, c, path, q)
			if err != nil {
				return fail(stderr, "chain", err)
			}
			if output == "json" {
				printJSON(stdout, ch)
				return exitOK
			}
			printChain(stdout, l, ch)
			return exitOK
		})
}

// fetchChain reads a chain as the full answer has it: the summary (GET
// /api/v1/chains/{leader}), its members from the members export (format=ndjson,
// streamed: any size of chain), in the order of the pages.
func fetchChain(ctx context.Context, c *client, path string, q url.Values) (map[string]any, error) {
	var ch map[string]any
	if err := c.getJSON(ctx, path+"?"+q.Encode(), &ch); err != nil {
		return nil, err
	}
	q.Set("format", "ndjson")
	members := make([]any, 0, int(toFloat(ch["member_count"])))
	lines := &lineWriter{fn: func(line []byte) error {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return fmt.Errorf("chain members: %w", err)
		}
		members = append(members, m)
		return nil
	}}
	if _, err := c.do(ctx, "GET", path+"/members?"+q.Encode(), nil, "", lines); err != nil {
		return nil, err
	}
	if err := lines.close(); err != nil {
		return nil, err
	}
	ch["members"] = members
	return ch, nil
}

// lineWriter calls fn with each line written to it (without its newline).
type lineWriter struct {
	buf []byte
	fn  func([]byte) error
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if err := w.fn(w.buf[:i]); err != nil {
			return 0, err
		}
		w.buf = w.buf[i+1:]
	}
	w.buf = append(w.buf[:0:0], w.buf...) // what is left of a line, in a fresh array
	return len(p), nil
}

// close hands on a last line that had no newline.
func (w *lineWriter) close() error {
	if len(bytes.TrimSpace(w.buf)) == 0 {
		return nil
	}
	return w.fn(w.buf)
}

// printChain writes a chain as tables: its figures, its top contributors with their
// paths as names, its members, and the legend of the symbols.
func printChain(w io.Writer, l lang, ch map[string]any) {
	names := chainNames(ch)
	fmt.Fprintln(w, l.tf("chain.leader", ch["name"], ch["leader"], orDash(str(ch["grade"]))))
	fmt.Fprintln(w, l.tf("chain.figures", fmtValue(ch["chain_risk"]), fmtValue(ch["supply_at_risk"]), fmtValue(ch["demand_at_risk"])))
	if n := toFloat(ch["supplied_relations"]); n > 0 {
		fmt.Fprintln(w, l.tf("chain.supplied", n, ch["leader"]))
	}
	tw := table.NewWriter(w)
	fmt.Fprintf(tw, "\n%s\n", l.t("chain.top"))
	fmt.Fprintln(tw, strings.Join([]string{l.t("col.uscc"), l.t("col.name"), l.t("col.tier"), "P", l.t("col.contribution"),
		l.t("col.path")}, "\t"))
	for _, m := range objects(ch["top_contributors"]) {
		fmt.Fprintf(tw, "%v\t%s\t%v\t%v\t%v\t%s\n", m["uscc"], nameOr(m["name"]), fmtValue(m["tier"]), fmtValue(m["p"]),
			fmtValue(m["contribution"]), namedPath(m["path"], names))
	}
	fmt.Fprintf(tw, "\n%s\n", l.t("chain.members"))
	fmt.Fprintln(tw, strings.Join([]string{l.t("col.uscc"), l.t("col.name"), l.t("col.tier"), l.t("col.grade"), "P", "D"}, "\t"))
	for _, m := range objects(ch["members"]) {
		fmt.Fprintf(tw, "%v\t%s\t%v\t%s\t%v\t%v\n", m["uscc"], nameOr(m["name"]), fmtValue(m["tier"]), orDash(str(m["grade"])),
			fmtValue(m["p"]), fmtValue(m["d"]))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%s\n", l.t("chain.legend"))
}

// chainNames maps the USCCs of a chain answer to the names it gives them.
func chainNames(ch map[string]any) map[string]string {
	names := map[string]string{}
	add := func(uscc, name any) {
		if u, ok := uscc.(string); ok {
			if n, ok := name.(string); ok && n != "" {
				names[u] = n
			}
		}
	}
	add(ch["leader"], ch["name"])
	for _, m := range objects(ch["members"]) {
		add(m["uscc"], m["name"])
	}
	for _, m := range objects(ch["top_contributors"]) {
		add(m["uscc"], m["name"])
	}
	return names
}

// namedPath writes a path of USCCs as 名称A → 名称B, a USCC where no name is known.
func namedPath(path any, names map[string]string) string {
	steps, _ := path.([]any)
	out := make([]string, 0, len(steps))
	for _, s := range steps {
		u := fmt.Sprint(s)
		if n := names[u]; n != "" {
			u = n
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " → ")
}

// objects is the JSON objects of a list of an answer.
func objects(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// nameOr is a name of an answer, or "-" when there is none.
func nameOr(v any) string {
	s, _ := v.(string)
	return orDash(s)
}

func runStressOnline(args []string, stdout, stderr io.Writer) int {
	var shocks shockList
	var top *int
	return remote("stress", "stress --shock USCC[=psi]... [--top N] [-o table|json] [--lang zh|en]", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.Var(&shocks, "shock", "a shocked firm, USCC or USCC=psi (psi defaults to 1); repeat for several")
		top = fs.Int("top", 20, "most impacted firms to list")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if len(shocks) == 0 || fs.NArg() > 0 {
			fs.Usage()
			return exitUsage
		}
		l, _ := langOf(fs)
		var res map[string]any
		if err := c.postJSON(ctx, "/api/v1/stress", map[string]any{"shocks": shocks, "top": *top}, &res); err != nil {
			return fail(stderr, "stress", err)
		}
		if output == "json" {
			printJSON(stdout, res)
			return exitOK
		}
		fmt.Fprintln(stdout, l.tf("stress.summary", fmtValue(res["R"]), fmtValue(res["defaults"]), fmtValue(res["iterations"])))
		tw := table.NewWriter(stdout)
		fmt.Fprintf(tw, "%s\t%s\tH\n", l.t("col.uscc"), l.t("col.name"))
		for _, m := range objects(res["top"]) {
			fmt.Fprintf(tw, "%v\t%s\t%v\n", m["uscc"], nameOr(m["name"]), fmtValue(m["h"]))
		}
		_ = tw.Flush()
		fmt.Fprintf(stdout, "\n%s\n", l.t("stress.legend"))
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
