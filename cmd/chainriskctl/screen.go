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
	"github.com/chainrisk/chainrisk/internal/progress"
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
			// One request screens the list; the bar says what was sent and how long the
			// screening has taken.
			bar := progress.New(stderr, file, "rows", int64(len(body)))
			bar.Set(int64(max(bytes.Count(body, []byte{'\n'})-headerLines(format), 0)), int64(len(body)))
			bar.Phase("screening…")
			counts, n, err := screenList(ctx, c, body, ctype, output, stdout)
			bar.Done("")
			if err != nil {
				return fail(stderr, "screen", err)
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

// headerLines is how many lines of an input are not rows: a CSV file's header.
func headerLines(format ingest.Format) int {
	if format == ingest.NDJSON {
		return 0
	}
	return 1
}

// screenList posts the list and prints the answer; it returns the verdicts' counts
// and the rows screened.
func screenList(ctx context.Context, c *client, body []byte, ctype, output string, stdout io.Writer) (map[string]int, int, error) {
	if output == "json" {
		var raw json.RawMessage
		if _, err := c.do(ctx, "POST", "/api/v1/screenings", bytes.NewReader(body), ctype, &raw); err != nil {
			return nil, 0, err
		}
		var s screening
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, 0, err
		}
		var v any
		_ = json.Unmarshal(raw, &v)
		printJSON(stdout, v)
		return s.Counts, len(s.Rows), nil
	}
	// The API writes the CSV; the summary counts its verdict column.
	var buf bytes.Buffer
	if _, err := c.do(ctx, "POST", "/api/v1/screenings?format=csv", bytes.NewReader(body), ctype, &buf); err != nil {
		return nil, 0, err
	}
	counts, n, err := csvVerdicts(buf.Bytes())
	if err != nil {
		return nil, 0, err
	}
	_, _ = stdout.Write(buf.Bytes())
	return counts, n, nil
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
