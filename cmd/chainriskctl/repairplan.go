package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/internal/table"
)

// runRepairPlan prints a firm's credit repair plan (信用修复, GET
// /api/v1/enterprises/{uscc}/repair-plan): its active negative events by the date a
// repair may be asked for, with who decides and what it would bring.
func runRepairPlan(args []string, stdout, stderr io.Writer) int {
	return remote("repair-plan", "repair-plan <uscc> [--output table|json]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			return showDoc(ctx, c, stdout, stderr, "repair-plan", "/api/v1/enterprises/"+url.PathEscape(fs.Arg(0))+"/repair-plan",
				output, printRepairPlan)
		})
}

// printRepairPlan writes the plan as tables: the firm's figures, its events, then
// what repairs would make of them.
func printRepairPlan(w io.Writer, plan map[string]any) {
	cur, _ := plan["current"].(map[string]any)
	fmt.Fprintf(w, "%v %v: score %s, grade %v (p %s) at %v\n", plan["uscc"], plan["name"], oneDecimal(cur["score"]),
		cur["grade"], threeDecimals(cur["p"]), shanghaiDay(plan["at"]))
	events, _ := plan["events"].([]any)
	if len(events) == 0 {
		fmt.Fprintln(w, "\nno active negative event: nothing to repair")
		return
	}
	fmt.Fprintln(w)
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, "ELIGIBLE FROM\tNOW\tEVENT\tTYPE\tCATEGORY\tOCCURRED\tPOINTS\tDECIDED BY")
	var requirements []string
	for _, x := range events {
		e, _ := x.(map[string]any)
		r, _ := e["repair"].(map[string]any)
		from, now := "never", "-"
		if r["repairable"] == true {
			from, now = shanghaiDay(r["eligible_from"]), "no"
			if r["eligible_now"] == true {
				now = "YES"
			}
		}
		meaning := e["type"]
		if m, ok := e["meaning"].(string); ok && m != "" {
			meaning = fmt.Sprintf("%v %s", e["type"], m)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%v\t%s\t%s\t%v\n", from, now, e["event_id"], meaning, r["category"],
			shanghaiDay(e["occurred_at"]), oneDecimal(e["contribution"]), r["authority"])
		requirements = append(requirements, fmt.Sprintf("  %v: %v", e["event_id"], r["requirements"]))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nwhat to do:")
	for _, r := range requirements {
		fmt.Fprintln(w, r)
	}
	wi, _ := plan["what_if"].(map[string]any)
	fmt.Fprintln(w, "\nwhat if:")
	tw = table.NewWriter(w)
	for _, row := range []struct{ key, label string }{
		{"eligible_now", "the events eligible now are repaired"}, {"all_repairable", "every repairable event is repaired"},
	} {
		f, _ := wi[row.key].(map[string]any)
		fmt.Fprintf(tw, "  %s\tscore %s\tgrade %v\tp %s\n", row.label, oneDecimal(f["score"]), f["grade"], threeDecimals(f["p"]))
	}
	_ = tw.Flush()
	if d, ok := wi["grade_improves_on"].(string); ok {
		fmt.Fprintf(w, "  without any repair the grade improves on %s\n", d)
	} else {
		fmt.Fprintln(w, "  without any repair the grade does not improve within 5 years")
	}
}

// oneDecimal writes a score or a contribution with one decimal.
func oneDecimal(v any) string { return strconv.FormatFloat(toFloat(v), 'f', 1, 64) }

// threeDecimals writes a probability with three decimals.
func threeDecimals(v any) string { return strconv.FormatFloat(toFloat(v), 'f', 3, 64) }

// shanghaiDay writes an RFC 3339 time of the answer as its date in Asia/Shanghai, the zone
// of the rules' dates.
func shanghaiDay(v any) string {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Sprint(v)
	}
	return t.In(credit.Shanghai).Format(time.DateOnly)
}
