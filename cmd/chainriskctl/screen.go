package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/chainrisk/chainrisk/ingest"
)

// screening is POST /api/v1/screenings' answer.
type screening struct {
	Rows   []json.RawMessage `json:"rows"`
	Counts map[string]int    `json:"counts"`
}

// runScreen screens a list of firms (重点产业及优质企业筛选): the check of each USCC
// of a .csv (column uscc) or .ndjson file, printed as CSV (the default) or JSON,
// with a one-line summary on stderr.
func runScreen(args []string, stdout, stderr io.Writer) int {
	return remote("screen", "screen <file.csv|file.ndjson> [--output csv|json]", args, stdout, stderr, nil,
		func(ctx context.Context, c *client, fs *flag.FlagSet, output string) int {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitUsage
			}
			file := fs.Arg(0)
			format, err := ingest.FormatFor(file, "")
			if err != nil {
				return fail(stderr, "screen", err)
			}
			ctype := "text/csv"
			if format == ingest.NDJSON {
				ctype = "application/x-ndjson"
			}
			body, err := os.ReadFile(file)
			if err != nil {
				return fail(stderr, "screen", err)
			}
			var counts map[string]int
			var n int
			if output == "json" {
				var raw json.RawMessage
				if _, err := c.do(ctx, "POST", "/api/v1/screenings", bytes.NewReader(body), ctype, &raw); err != nil {
					return fail(stderr, "screen", err)
				}
				var s screening
				if err := json.Unmarshal(raw, &s); err != nil {
					return fail(stderr, "screen", err)
				}
				var v any
				_ = json.Unmarshal(raw, &v)
				printJSON(stdout, v)
				counts, n = s.Counts, len(s.Rows)
			} else {
				// The API writes the CSV; the summary counts its verdict column.
				var buf bytes.Buffer
				if _, err := c.do(ctx, "POST", "/api/v1/screenings?format=csv", bytes.NewReader(body), ctype, &buf); err != nil {
					return fail(stderr, "screen", err)
				}
				if counts, n, err = csvVerdicts(buf.Bytes()); err != nil {
					return fail(stderr, "screen", err)
				}
				_, _ = stdout.Write(buf.Bytes())
			}
			summary := fmt.Sprintf("screened %d: pass %d, caution %d, reject %d", n,
				counts["pass"], counts["caution"], counts["reject"])
			if e := counts["error"]; e > 0 {
				summary += fmt.Sprintf(", error %d", e)
			}
			fmt.Fprintln(stderr, summary)
			return exitOK
		})
}

// csvVerdicts counts the verdict column of a screening's CSV answer.
func csvVerdicts(b []byte) (map[string]int, int, error) {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, 0, fmt.Errorf("the screening's CSV answer: %v", err)
	}
	col := slices.Index(rows[0], "verdict")
	if col < 0 {
		return nil, 0, fmt.Errorf("the screening's CSV answer has no verdict column: %v", rows[0])
	}
	counts := map[string]int{}
	for _, r := range rows[1:] {
		counts[r[col]]++
	}
	return counts, len(rows) - 1, nil
}
