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

// searchPageSize is the page the search command asks for when it needs more firms
// than one page holds: the API's largest (a variable for the tests).
var searchPageSize = 500

// searchAnswer is an answer of GET /api/v1/enterprises, kept as it came per firm.
type searchAnswer struct {
	Firms      []map[string]any `json:"firms"`
	Total      int              `json:"total"`
	NextCursor *string          `json:"next_cursor"`
	ScanID     int64            `json:"scan_id"`
}

// runSearch finds firms by name or USCC prefix (GET /api/v1/enterprises), following
// the pages until --limit firms are listed: a table of USCC, name, grade, score and
// region, or the answer as JSON (its firms those of every page read).
func runSearch(args []string, stdout, stderr io.Writer) int {
	filters := map[string]*string{}
	var sort *string
	var limit *int
	return remote("search", "search TEXT [--region R] [--industry I] [--tag T] [--grade G] [--status S] [--sort name|score|-score] [--limit N]",
		args, stdout, stderr, func(fs *flag.FlagSet) {
			filters["region"] = fs.String("region", "", "division code: 23 (province), 2301 (city) or 230102")
			filters["industry"] = fs.String("industry", "", "GB/T 4754 code at any level: C, C13, C1331")
			filters["tag"] = fs.String("tag", "", "a tag the firm carries (leading, specialized, …)")
			filters["grade"] = fs.String("grade", "", "A, B, C or D")
			filters["status"] = fs.String("status", "", "active, abnormal, revoked, deregistered or bankrupt")
			sort = fs.String("sort", "name", "name, score (riskiest first) or -score (best first)")
			limit = fs.Int("limit", 50, "firms to list at most")
		}, func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() > 1 || *limit < 1 {
				fs.Usage()
				return exitUsage
			}
			q := url.Values{"sort": {*sort}}
			if fs.NArg() == 1 {
				q.Set("q", fs.Arg(0))
			}
			for name, v := range filters {
				if *v != "" {
					q.Set(name, *v)
				}
			}
			all, err := searchPages(ctx, c, q, *limit)
			if err != nil {
				return fail(stderr, "search", err)
			}
			if output == "json" {
				printJSON(stdout, all)
				return exitOK
			}
			tw := table.NewWriter(stdout)
			fmt.Fprintln(tw, "USCC\tNAME\tGRADE\tSCORE\tREGION")
			for _, f := range all.Firms {
				fmt.Fprintf(tw, "%v\t%v\t%v\t%s\t%v\n", f["uscc"], f["name"], f["grade"],
					strconv.FormatFloat(toFloat(f["score"]), 'f', 1, 64), f["region"])
			}
			_ = tw.Flush()
			fmt.Fprintf(stdout, "%d of %d firms\n", len(all.Firms), all.Total)
			return exitOK
		})
}

// searchPages reads pages of the search q until limit firms are read or none is
// left; the answer holds them all, with the last page's next_cursor.
func searchPages(ctx context.Context, c *client, q url.Values, limit int) (*searchAnswer, error) {
	all := &searchAnswer{Firms: []map[string]any{}}
	for {
		q.Set("limit", strconv.Itoa(min(limit-len(all.Firms), searchPageSize)))
		var page searchAnswer
		if err := c.getJSON(ctx, "/api/v1/enterprises?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all.Firms = append(all.Firms, page.Firms...)
		all.Total, all.NextCursor, all.ScanID = page.Total, page.NextCursor, page.ScanID
		if page.NextCursor == nil || len(all.Firms) >= limit || len(page.Firms) == 0 {
			return all, nil
		}
		q.Set("cursor", *page.NextCursor)
	}
}
