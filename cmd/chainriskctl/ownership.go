package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/table"
)

// runOwnership prints the ownership graph around a firm (GET
// /api/v1/enterprises/{uscc}/ownership): a table of its holders and investees,
// the JSON answer, or Graphviz DOT (--output dot | dot -Tsvg > ownership.svg).
func runOwnership(args []string, stdout, stderr io.Writer) int {
	var depth *int
	return remote("ownership", "ownership <uscc> [--depth N] [--output table|json|dot]", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			depth = fs.Int("depth", 0, "holdings followed up and down, 1 to 10 (default: the daemon's checks.depth)")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			q := url.Values{}
			if *depth != 0 {
				q.Set("depth", strconv.Itoa(*depth))
			}
			path := "/api/v1/enterprises/" + url.PathEscape(fs.Arg(0)) + "/ownership"
			if output == "dot" {
				q.Set("format", "dot")
				if _, err := c.do(ctx, "GET", path+"?"+q.Encode(), nil, "", stdout); err != nil {
					return fail(stderr, "ownership", err)
				}
				return exitOK
			}
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			return showDoc(ctx, c, stdout, stderr, "ownership", path, output, printOwnership)
		})
}

// printOwnership writes the nodes, holders (UP) first, with the share each
// link holds.
func printOwnership(w io.Writer, doc map[string]any) {
	fmt.Fprintf(w, "ownership of %v within %v holdings\n\n", doc["uscc"], fmtValue(doc["depth"]))
	holds := map[string][]string{} // holder → "investee share%"
	links, _ := doc["links"].([]any)
	for _, x := range links {
		l, _ := x.(map[string]any)
		h := fmt.Sprint(l["holder"])
		holds[h] = append(holds[h], fmt.Sprintf("%v %s%%", l["investee"],
			strconv.FormatFloat(toFloat(l["share"])*100, 'f', -1, 64)))
	}
	tw := table.NewWriter(w)
	fmt.Fprintln(tw, "UP\tDOWN\tKIND\tKEY\tNAME\tGRADE\tRELATION\tHOLDS")
	nodes, _ := doc["nodes"].([]any)
	for _, x := range nodes {
		n, _ := x.(map[string]any)
		key := n["uscc"]
		if n["holder_kind"] == "person" {
			key = n["person_id"]
		}
		dist := func(v any) string {
			if v == nil {
				return "-"
			}
			return fmtValue(v)
		}
		var rel []string
		if r, ok := n["relation"].([]any); ok {
			for _, s := range r {
				rel = append(rel, fmt.Sprint(s))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%v\t%v\t%s\t%s\n", dist(n["up"]), dist(n["down"]), n["holder_kind"], key, n["name"],
			orDash(str(n["grade"])), strings.Join(rel, ","), strings.Join(holds[fmt.Sprint(key)], "; "))
	}
	_ = tw.Flush()
}

// str is a JSON string value, "" for anything else.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// printRelated writes an enterprise's related parties (actual controller,
// majority holders).
func printRelated(w io.Writer, e map[string]any) {
	rel, _ := e["related"].([]any)
	if len(rel) == 0 {
		return
	}
	fmt.Fprintln(w, "\nrelated parties (actual controller, holders above 50 %):")
	tw := table.NewWriter(w)
	for _, x := range rel {
		p, _ := x.(map[string]any)
		key := p["uscc"]
		if p["holder_kind"] == "person" {
			key = p["person_id"]
		}
		var roles []string
		if r, ok := p["relation"].([]any); ok {
			for _, s := range r {
				roles = append(roles, fmt.Sprint(s))
			}
		}
		distress := ""
		if p["distressed"] == true {
			distress = "DISTRESSED"
		}
		path, _ := p["path"].([]any)
		hops := make([]string, len(path))
		for i, h := range path {
			hops[i] = fmt.Sprint(h)
		}
		fmt.Fprintf(tw, "  %s\t%v\t%v\tgrade %s\tpenetrated %v\t%s\t%s\n", strings.Join(roles, ","), key, p["name"],
			orDash(str(p["grade"])), fmtValue(p["penetrated_share"]), distress, strings.Join(hops, " → "))
	}
	_ = tw.Flush()
	if e["related_complete"] == false {
		fmt.Fprintln(w, "  (holders beyond checks.max_steps not followed: the controller alone is listed)")
	}
}
