package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/chainrisk/chainrisk/demo"
)

// runGen implements `chainriskctl gen`: it writes a synthetic province (README.md, docs/performance.md)
// as enterprises.csv, relations.csv, events.csv, repairs.csv and shareholdings.csv
// into --out. The same flags write byte-identical files; the defaults are the province
// scale of docs/performance.md.
func runGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		firms   = fs.Int("firms", 1_000_000, "number of enterprises")
		edges   = fs.Float64("edges-per-firm", 5, "mean number of suppliers per firm (relations = firms × this)")
		events  = fs.Float64("events-per-firm", 3, "mean number of credit events per firm")
		leaders = fs.Int("leaders", 0, "number of leading firms, the big hubs (default firms/1000, at least 1)")
		seed    = fs.Uint64("seed", 1, "random seed")
		out     = fs.String("out", "", "`directory` to write the CSV files into (created when missing)")
		anchor  = fs.String("anchor", demo.Anchor, "the data's \"now\", `YYYY-MM-DD` or today: events occur in the three years before it")
		output  = outputFlag(fs, "table", "json")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl gen --firms N --edges-per-firm K --events-per-firm E --leaders L --seed S --out DIR [--anchor DATE] [-o table|json]")
		fmt.Fprintln(stderr, "\nWrites a synthetic province with heavy-tailed supply relations and shareholdings, for benchmarks.")
		fmt.Fprintln(stderr, "The same flags write byte-identical files (unless --anchor is today).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" {
		return usageError(fs, "--out is required")
	}
	if !checkOutput(fs, *output, "table", "json") {
		return exitUsage
	}
	opts := demo.ProvinceOptions{Firms: *firms, EdgesPerFirm: *edges, EventsPerFirm: *events, Leaders: *leaders, Seed: *seed}
	leadersSet := false
	fs.Visit(func(f *flag.Flag) { leadersSet = leadersSet || f.Name == "leaders" })
	if !leadersSet {
		opts.Leaders = demo.DefaultProvinceLeaders(opts.Firms)
	}
	at, err := genAnchor(*anchor)
	if err != nil {
		return usageError(fs, err.Error())
	}
	opts.Anchor = at

	if err := opts.Validate(); err != nil {
		return usageError(fs, err.Error())
	}

	start := time.Now()
	stats, err := demo.WriteProvince(*out, opts)
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl gen: %v\n", err)
		return exitError
	}
	if *output == "json" {
		printJSON(stdout, genSummary{Dir: *out, Firms: stats.Firms, Leaders: stats.Leaders, Relations: stats.Relations,
			Events: stats.Events, Repairs: stats.Repairs, Shareholdings: stats.Shareholdings, MaxInDegree: stats.MaxInDegree,
			MaxOutDegree: stats.MaxOutDegree, MeanLeaderInDegree: stats.MeanLeaderInDegree})
		return exitOK
	}
	fmt.Fprintf(stdout, "wrote %s firms (%s leaders), %s relations, %s events, %s repairs, %s shareholdings to %s in %.1fs\n",
		groupDigits(stats.Firms), groupDigits(stats.Leaders), groupDigits(stats.Relations),
		groupDigits(stats.Events), groupDigits(stats.Repairs), groupDigits(stats.Shareholdings), *out,
		time.Since(start).Seconds())
	fmt.Fprintf(stdout, "suppliers per firm: mean %.2f, max %s; mean per leader %.0f; customers per supplier: max %s\n",
		float64(stats.Relations)/float64(stats.Firms), groupDigits(stats.MaxInDegree), stats.MeanLeaderInDegree,
		groupDigits(stats.MaxOutDegree))
	return exitOK
}

// genSummary is what gen -o json prints: the counts written.
type genSummary struct {
	Dir                string  `json:"dir"`
	Firms              int     `json:"firms"`
	Leaders            int     `json:"leaders"`
	Relations          int     `json:"relations"`
	Events             int     `json:"events"`
	Repairs            int     `json:"repairs"`
	Shareholdings      int     `json:"shareholdings"`
	MaxInDegree        int     `json:"max_suppliers_per_firm"`
	MaxOutDegree       int     `json:"max_customers_per_supplier"`
	MeanLeaderInDegree float64 `json:"mean_suppliers_per_leader"`
}

// genAnchor parses --anchor: a date (midnight, Asia/Shanghai) or "today".
func genAnchor(s string) (time.Time, error) {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.Time{}, err
	}
	if s == "today" {
		y, m, d := time.Now().In(zone).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, zone), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("--anchor %q: want YYYY-MM-DD or today", s)
	}
	return t, nil
}
