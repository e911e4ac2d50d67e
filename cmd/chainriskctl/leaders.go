package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/table"
)

// The leaders, checks and online esri commands (README.md): GET /api/v1/leaders,
// /api/v1/checks and /api/v1/esri as tables with names beside codes.

func runLeaders(args []string, stdout, stderr io.Writer) int {
	var sort, order *string
	var limit *int
	return remote("leaders", "leaders [--sort chain_risk|supply_at_risk|demand_at_risk|uscc] [--order asc|desc] [--limit N] [-o table|json] [--lang zh|en]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			sort = fs.String("sort", "", "chain_risk (default), supply_at_risk, demand_at_risk or uscc")
			order = fs.String("order", "", "asc or desc (default desc; asc by uscc)")
			limit = fs.Int("limit", 100, "how many leaders, 1-10000")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 0 {
				fs.Usage()
				return exitUsage
			}
			l, _ := langOf(fs)
			q := listQuery(*limit, map[string]string{"sort": *sort, "order": *order})
			return showDoc(ctx, c, stdout, stderr, "leaders", "/api/v1/leaders?"+q.Encode(), output, func(w io.Writer, doc map[string]any) {
				printLeaders(w, l, doc)
			})
		})
}

// printLeaders writes the leaders of GET /api/v1/leaders, ranked as they came.
func printLeaders(w io.Writer, l lang, doc map[string]any) {
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, strings.Join([]string{l.t("col.rank"), l.t("col.uscc"), l.t("col.name"), l.t("col.grade"),
		l.t("col.chain_risk"), l.t("col.supply"), l.t("col.demand"), l.t("col.members"), l.t("col.single")}, "\t"))
	for i, m := range objects(doc["leaders"]) {
		fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, m["uscc"], nameOr(m["name"]), orDash(str(m["grade"])),
			fmtValue(m["chain_risk"]), fmtValue(m["supply_at_risk"]), fmtValue(m["demand_at_risk"]), fmtValue(m["members"]),
			fmtValue(m["single_sources"]))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, l.tf("leaders.total", fmtValue(doc["total"]), fmtValue(doc["scan_id"])))
}

const checksUsage = `usage: chainriskctl checks [--uscc USCC] [--limit N] [-o table|json] [--lang zh|en]
       chainriskctl checks show <id> [-o table|json] [--lang zh|en]
Lists the saved investment-attraction checks, newest first, or shows one report.
`

// runChecks lists saved checks, or shows one with "checks show ID".
func runChecks(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "show" {
		return runCheckShow(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "list" {
		args = args[1:]
	}
	var uscc *string
	var limit *int
	return remote("checks", strings.TrimPrefix(checksUsage, "usage: chainriskctl "), args, stdout, stderr, func(fs *flag.FlagSet) {
		uscc = fs.String("uscc", "", "only the checks of this target")
		limit = fs.Int("limit", 100, "how many, newest first (at most 1000)")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if fs.NArg() > 0 {
			fs.Usage()
			return exitUsage
		}
		l, _ := langOf(fs)
		list, err := getList(ctx, c, "/api/v1/checks?"+listQuery(*limit, map[string]string{"uscc": *uscc}).Encode(), "checks")
		if err != nil {
			return fail(stderr, "checks", err)
		}
		if output == "json" {
			printJSON(stdout, list)
			return exitOK
		}
		names := lookupNames(ctx, c, column(list, "uscc"))
		tw := table.NewWriter(stdout)
		fmt.Fprintln(tw, strings.Join([]string{l.t("col.id"), l.t("col.uscc"), l.t("col.name"), l.t("col.verdict"),
			l.t("col.scan"), l.t("col.checked_at")}, "\t"))
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%v\t%s\t%v\t%s\t%v\n", fmtValue(m["id"]), m["uscc"], orDash(names[fmt.Sprint(m["uscc"])]),
				m["verdict"], fmtValue(m["scan_id"]), showTimeValue(m["checked_at"]))
		}
		_ = tw.Flush()
		if len(list) == 0 {
			fmt.Fprintln(stderr, l.t("checks.none"))
		}
		return exitOK
	})
}

func runCheckShow(args []string, stdout, stderr io.Writer) int {
	return remote("checks show", "checks show <id> [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			if _, err := strconv.ParseInt(fs.Arg(0), 10, 64); err != nil {
				fmt.Fprintf(stderr, "chainriskctl checks show: %q is not a check id (a number; chainriskctl checks lists them)\n", fs.Arg(0))
				return exitUsage
			}
			path := "/api/v1/checks/" + fs.Arg(0)
			if output == "json" {
				return showDoc(ctx, c, stdout, stderr, "checks show", path, output, nil)
			}
			var r checkReport
			if err := c.getJSON(ctx, path, &r); err != nil {
				return fail(stderr, "checks show", err)
			}
			l, _ := langOf(fs)
			printCheck(stdout, l, &r)
			return exitOK
		})
}

// runESRIOnline runs `chainriskctl esri --leader USCC`: the ESRI of a chain's members
// as the daemon has it (GET /api/v1/esri).
func runESRIOnline(args []string, stdout, stderr io.Writer) int {
	var leader *string
	return remote("esri", "esri --leader USCC [-o table|json|csv] [--lang zh|en]", args, stdout, stderr, func(fs *flag.FlagSet) {
		leader = fs.String("leader", "", "the `USCC` of the chain's leader")
	}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
		if fs.NArg() > 0 || *leader == "" {
			fs.Usage()
			return exitUsage
		}
		l, _ := langOf(fs)
		return showDoc(ctx, c, stdout, stderr, "esri", "/api/v1/esri?leader="+url.QueryEscape(*leader), output,
			func(w io.Writer, doc map[string]any) {
				if output == "csv" {
					writeESRIOnlineCSV(w, doc)
					return
				}
				printESRIOnline(w, l, doc)
			})
	})
}

func printESRIOnline(w io.Writer, l lang, doc map[string]any) {
	fmt.Fprintln(w, l.tf("esri.header", doc["name"], doc["leader"], doc["source"], fmtValue(doc["scan_id"]),
		showTimeValue(doc["computed_at"])))
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, strings.Join([]string{l.t("col.uscc"), l.t("col.name"), l.t("col.tier"), l.t("col.grade"),
		l.t("col.esri"), l.t("col.esri_d"), l.t("col.esri_u"), l.t("col.converged")}, "\t"))
	for _, m := range objects(doc["members"]) {
		fmt.Fprintf(tw, "%v\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", m["uscc"], nameOr(m["name"]), fmtValue(m["tier"]),
			orDash(str(m["grade"])), fmtValue(m["esri"]), fmtValue(m["esri_d"]), fmtValue(m["esri_u"]), m["converged"])
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%s\n", l.t("esri.legend"))
}

// writeESRIOnlineCSV writes the members of GET /api/v1/esri as CSV, the offline
// command's columns with the name, tier, grade and convergence beside them.
func writeESRIOnlineCSV(w io.Writer, doc map[string]any) {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"firm", "name", "tier", "grade", "esri", "esri_d", "esri_u", "iterations", "converged"})
	for _, m := range objects(doc["members"]) {
		_ = cw.Write([]string{fmt.Sprint(m["uscc"]), fmt.Sprint(m["name"]), fmtValue(m["tier"]), fmt.Sprint(m["grade"]),
			fullFloat(m["esri"]), fullFloat(m["esri_d"]), fullFloat(m["esri_u"]), fmtValue(m["iterations"]), fmt.Sprint(m["converged"])})
	}
	cw.Flush()
}

// fullFloat writes a number of an answer with every digit it has, for CSV.
func fullFloat(v any) string { return strconv.FormatFloat(toFloat(v), 'g', -1, 64) }

// getList gets the list under key at path as objects, following the API's pages
// as far as the path's limit asks (fetchList).
func getList(ctx context.Context, c *client, path, key string) ([]map[string]any, error) {
	raws, err := fetchList(ctx, c, path, key)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &list[i]); err != nil {
			return nil, fmt.Errorf("the answer's %s: %w", key, err)
		}
	}
	return list, nil
}

// column is the distinct non-empty strings of key in list, in order.
func column(list []map[string]any, key string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range list {
		if s, ok := m[key].(string); ok && s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// maxNameLookups bounds the firms a table looks up by USCC for their names.
const maxNameLookups = 50

// lookupNames finds the names of firms by USCC through the search API, for tables
// whose answer carries codes only; a firm not found (or past maxNameLookups) has none.
func lookupNames(ctx context.Context, c *client, usccs []string) map[string]string {
	names := map[string]string{}
	for _, u := range usccs[:min(len(usccs), maxNameLookups)] {
		if len(u) != 18 {
			continue
		}
		var page searchAnswer
		if err := c.getJSON(ctx, "/api/v1/enterprises?"+url.Values{"q": {u}, "limit": {"1"}}.Encode(), &page); err != nil {
			continue
		}
		for _, f := range page.Firms {
			if f["uscc"] == u {
				names[u], _ = f["name"].(string)
			}
		}
	}
	return names
}
