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
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/ingest"
)

// screening is POST /api/v1/screenings' answer.
type screening struct {
	Rows []struct {
		USCC    string `json:"uscc"`
		Name    string `json:"name"`
		Verdict string `json:"verdict"`
		Grade   string `json:"grade"`
		Reasons []struct {
			Code string `json:"code"`
		} `json:"reasons"`
		CheckID *int64 `json:"check_id"`
		Error   string `json:"error"`
	} `json:"rows"`
	Counts map[string]int `json:"counts"`
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
			var raw json.RawMessage
			if _, err := c.do(ctx, "POST", "/api/v1/screenings", bytes.NewReader(body), ctype, &raw); err != nil {
				return fail(stderr, "screen", err)
			}
			var s screening
			if err := json.Unmarshal(raw, &s); err != nil {
				return fail(stderr, "screen", err)
			}
			if output == "json" {
				var v any
				_ = json.Unmarshal(raw, &v)
				printJSON(stdout, v)
			} else if err := printScreening(stdout, &s); err != nil {
				return fail(stderr, "screen", err)
			}
			summary := fmt.Sprintf("screened %d: pass %d, caution %d, reject %d", len(s.Rows),
				s.Counts["pass"], s.Counts["caution"], s.Counts["reject"])
			if n := s.Counts["error"]; n > 0 {
				summary += fmt.Sprintf(", error %d", n)
			}
			fmt.Fprintln(stderr, summary)
			return exitOK
		})
}

// printScreening writes the rows as the API's CSV answer does: the reasons' codes
// joined by ";".
func printScreening(out io.Writer, s *screening) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"uscc", "name", "verdict", "grade", "reasons", "check_id"})
	for _, r := range s.Rows {
		codes := make([]string, len(r.Reasons))
		for i, x := range r.Reasons {
			codes[i] = x.Code
		}
		id := ""
		if r.CheckID != nil {
			id = strconv.FormatInt(*r.CheckID, 10)
		}
		_ = w.Write([]string{r.USCC, r.Name, r.Verdict, r.Grade, strings.Join(codes, ";"), id})
	}
	w.Flush()
	return w.Error()
}
