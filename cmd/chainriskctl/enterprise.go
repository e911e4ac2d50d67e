package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/chainrisk/chainrisk/internal/table"
)

// enterpriseHistoryRows is how many history entries the enterprise table shows.
const enterpriseHistoryRows = 10

func runEnterprise(args []string, stdout, stderr io.Writer) int {
	return remote("enterprise", "enterprise <uscc> [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			l, _ := langOf(fs)
			return showDoc(ctx, c, stdout, stderr, "enterprise", "/api/v1/enterprises/"+url.PathEscape(fs.Arg(0)), output,
				func(w io.Writer, e map[string]any) { printEnterprise(w, l, e) })
		})
}

// printEnterprise writes a firm's profile, why it scores as it does (each event by
// its type's meaning), its related parties and its score history.
func printEnterprise(w io.Writer, l lang, e map[string]any) {
	tw := table.NewWriter(w)
	for _, k := range []string{"uscc", "name", "status", "region", "industry", "score", "grade", "p", "d", "model_version",
		"scan_id", "scored_at"} {
		if v, ok := e[k]; ok {
			if k == "scored_at" {
				v = showTimeValue(v)
			}
			fmt.Fprintf(tw, "%s\t%v\n", l.t("ent."+k), fmtValue(v))
		}
	}
	_ = tw.Flush()
	meanings := map[string]string{}
	for _, ev := range objects(e["events"]) {
		if id, ok := ev["event_id"].(string); ok {
			if m, ok := ev["meaning"].(string); ok && m != "" {
				meanings[id] = m
			}
		}
	}
	if ex := objects(e["explanation"]); len(ex) > 0 {
		fmt.Fprintf(w, "\n%s\n", l.t("ent.why"))
		tw = table.NewWriter(w)
		for _, m := range ex {
			if m["kind"] == "rule" {
				fmt.Fprintf(tw, "  %s\t%v\t%v\n", l.t("ent.rule"), m["rule"], m["effect"])
				continue
			}
			what := fmt.Sprint(m["type"])
			if meaning := meanings[fmt.Sprint(m["event_id"])]; meaning != "" {
				what = meaning
			}
			fmt.Fprintf(tw, "  %v\t%s\t%s\n", m["event_id"], what,
				l.tf("ent.points", fmtValue(m["points"]), fmtValue(m["decay"]), fmtValue(m["effective"])))
		}
		_ = tw.Flush()
	}
	printRelated(w, e)
	if hist := objects(e["history"]); len(hist) > 0 {
		fmt.Fprintf(w, "\n%s\n", l.t("ent.history"))
		tw = table.NewWriter(w)
		for _, m := range hist[:min(len(hist), enterpriseHistoryRows)] {
			fmt.Fprintf(tw, "  %v\tscan %v\t%v\t%v\t%s\n", showTimeValue(m["at"]), fmtValue(m["scan_id"]), m["trigger"],
				m["grade"], strconv.FormatFloat(toFloat(m["score"]), 'f', 1, 64))
		}
		_ = tw.Flush()
		if len(hist) > enterpriseHistoryRows {
			fmt.Fprintln(w, l.tf("ent.more", len(hist)-enterpriseHistoryRows))
		}
	}
}
