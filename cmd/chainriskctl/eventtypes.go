package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/chainrisk/chainrisk/internal/table"
)

// eventType is one entry of GET /api/v1/event-types.
type eventType struct {
	Name      string  `json:"name"`
	LabelZh   string  `json:"label_zh"`
	LabelEn   string  `json:"label_en"`
	Severity  string  `json:"severity"`
	Points    float64 `json:"points"`
	Negative  bool    `json:"negative"`
	Publicity string  `json:"publicity"`
	Repair    struct {
		Repairable   bool   `json:"repairable"`
		Category     string `json:"category"`
		MinPublicity string `json:"min_publicity"`
		MaxPublicity string `json:"max_publicity"`
		Authority    string `json:"authority"`
	} `json:"repair"`
}

// runEventTypes prints the event catalogue the daemon accepts (GET
// /api/v1/event-types): each type's label, severity, points, publicity and repair rule.
func runEventTypes(args []string, stdout, stderr io.Writer) int {
	return remote("event-types", "event-types [-o table|json] [--lang zh|en]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 0 {
				fs.Usage()
				return exitUsage
			}
			l, ok := langOf(fs)
			if !ok {
				return exitUsage
			}
			return showList(ctx, c, stdout, stderr, "event-types", "/api/v1/event-types", "event_types", output,
				func(list []eventType) int {
					printEventTypes(stdout, list, string(l))
					return exitOK
				})
		})
}

// printEventTypes writes the catalogue as a table, labels in lang.
func printEventTypes(w io.Writer, list []eventType, lang string) {
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, "TYPE\tLABEL\tSEVERITY\tPOINTS\tPUBLICITY\tREPAIR")
	for _, t := range list {
		label := t.LabelZh
		if lang == "en" {
			label = t.LabelEn
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, label, t.Severity, strconv.FormatFloat(t.Points, 'f', -1, 64),
			t.Publicity, repairSummary(t))
	}
	_ = tw.Flush()
}

// repairSummary is a type's repair rule in a few words: its category, when a repair may
// be asked for and who decides.
func repairSummary(t eventType) string {
	r := t.Repair
	switch {
	case !t.Negative:
		return "-"
	case !r.Repairable:
		return "not repairable (" + r.Authority + ")"
	}
	from := "at once"
	if r.MinPublicity != "0" {
		from = "after " + r.MinPublicity
	}
	return fmt.Sprintf("%s, %s, max %s, %s", r.Category, from, r.MaxPublicity, r.Authority)
}
