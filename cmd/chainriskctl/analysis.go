package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/internal/table"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/risk/offline"
)

// Offline analysis (README.md): DebtRank and ESRI on networks read from CSV
// files, without a server or a store.

// runStressOffline runs `chainriskctl stress --network FILE ...` (no server, no store).
func runStressOffline(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		network  = fs.String("network", "", "CSV `file` with columns from,to,impact (impact of from's distress on to; capped at 1)")
		values   = fs.String("values", "", "CSV `file` with columns node,value (default: equal values)")
		top      = fs.Int("top", 10, "number of most impacted nodes to list")
		output   = outputFlag(fs, "table", "json")
		langName = langFlag(fs)
		shocks   shockFlags
	)
	fs.Var(&shocks, "shock", "initial distress `NODE[=ψ]` with ψ in [0,1], default 1; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl stress --network FILE [--values FILE] --shock NODE[=ψ]... [--top N] [-o table|json] [--lang zh|en]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case *network == "":
		return usageError(fs, "--network is required")
	case len(shocks) == 0:
		return usageError(fs, "at least one --shock is required")
	case *top < 0:
		return usageError(fs, "--top must not be negative")
	case *output != "table" && *output != "json":
		return usageError(fs, fmt.Sprintf("--output %q: want table or json", *output))
	case *langName != "zh" && *langName != "en":
		return usageError(fs, fmt.Sprintf("--lang %q: want zh or en", *langName))
	}

	in, err := offline.ReadStress(*network, *values)
	if err != nil {
		if !reportProblems(stderr, "stress", err) {
			fmt.Fprintln(stderr, err)
		}
		return exitError
	}
	net := in.Net
	for _, s := range shocks {
		if _, ok := net.Index(s.Node); !ok {
			fmt.Fprintf(stderr, "stress: --shock %s: no such node in %s\n", s.Node, *network)
			return exitError
		}
	}
	res, err := risk.DebtRank(context.Background(), net, in.Values, shocks, *top)
	if err != nil {
		fmt.Fprintf(stderr, "stress: %v\n", err)
		return exitError
	}
	if *output == "json" {
		err = writeStressJSON(stdout, net, res)
	} else {
		err = writeStressTable(stdout, lang(*langName), net, res, len(shocks))
	}
	if err != nil {
		fmt.Fprintf(stderr, "stress: writing output: %v\n", err)
		return exitError
	}
	return exitOK
}

func writeStressJSON(w io.Writer, net *graph.Network, res risk.DebtRankResult) error {
	type impact struct {
		Node string  `json:"node"`
		H    float64 `json:"h"`
	}
	out := struct {
		R          float64            `json:"R"`
		Defaults   int                `json:"defaults"`
		Iterations int                `json:"iterations"`
		H          map[string]float64 `json:"h"`
		Top        []impact           `json:"top"`
	}{R: res.R, Defaults: res.Defaults, Iterations: res.Iterations,
		H: make(map[string]float64, len(res.H)), Top: []impact{}}
	for i, h := range res.H {
		out.H[net.ID(i)] = h
	}
	for _, t := range res.Top {
		out.Top = append(out.Top, impact{t.Node, t.H})
	}
	return json.NewEncoder(w).Encode(out)
}

func writeStressTable(w io.Writer, l lang, net *graph.Network, res risk.DebtRankResult, shocked int) error {
	tw := table.NewWriter(w)
	fmt.Fprintf(tw, "%s\t%s\n", l.t("stress.r"), formatFloat(res.R, 6))
	fmt.Fprintf(tw, "%s\t%d\n", l.t("stress.def"), res.Defaults)
	fmt.Fprintf(tw, "%s\t%d\n", l.t("stress.iter"), res.Iterations)
	fmt.Fprintf(tw, "%s\t%d\n", l.t("stress.nodes"), net.Len())
	fmt.Fprintf(tw, "%s\t%d\n", l.t("stress.shocked"), shocked)
	if len(res.Top) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintf(tw, "%s\tH\t%s\n", l.t("stress.node"), l.t("col.value"))
		for _, t := range res.Top {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Node, formatFloat(t.H, 6), formatFloat(t.Value, 6))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", l.t("stress.legend"))
	return err
}

// shockFlags collects repeated --shock NODE[=ψ] flags. The node is what
// precedes the last "=", so ids containing "=" need an explicit ψ.
type shockFlags []risk.Shock

func (s *shockFlags) String() string {
	var parts []string
	for _, sh := range *s {
		parts = append(parts, sh.Node+"="+strconv.FormatFloat(sh.Psi, 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}

func (s *shockFlags) Set(v string) error {
	node, psi := v, 1.0
	if k := strings.LastIndex(v, "="); k >= 0 {
		node = v[:k]
		p, err := strconv.ParseFloat(strings.TrimSpace(v[k+1:]), 64)
		if err != nil || math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("ψ %q is not a number in [0, 1]", v[k+1:])
		}
		psi = p
	}
	node = strings.TrimSpace(node)
	if node == "" {
		return errors.New("empty node id")
	}
	for _, sh := range *s {
		if sh.Node == node {
			return fmt.Errorf("node %q shocked twice", node)
		}
	}
	*s = append(*s, risk.Shock{Node: node, Psi: psi})
	return nil
}

// runESRI runs `chainriskctl esri ...`.
func runESRI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("esri", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		edgesFile   = fs.String("edges", "", "CSV `file` with columns supplier,customer,amount")
		sectorsFile = fs.String("sectors", "", "CSV `file` with columns firm,sector")
		essFile     = fs.String("ess", "", "CSV `file` with columns supplier_sector,customer_sector,level (level 0, 1 or 2)")
		essDefault  = fs.Int("ess-default", 1, "essentiality `level` of sector pairs not in --ess (0, 1 or 2)")
		revenueFile = fs.String("revenue", "", "CSV `file` with columns firm,value (firms not listed: their sales in the network)")
		costsFile   = fs.String("costs", "", "CSV `file` with columns firm,value (firms not listed: their purchases in the network)")
		marketFile  = fs.String("market", "", "CSV `file` with columns firm,market; turns replaceability on (firms not listed are in no market)")
		eps         = fs.Float64("eps", risk.DefaultESRIEps, "convergence threshold, in (0, 1)")
		maxSteps    = fs.Int("max-steps", 0, "update `steps` after which a firm's cascade stops unconverged (0: no bound, as in GLcascade)")
		output      = outputFlag(fs, "csv", "json")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl esri --edges FILE --sectors FILE [--ess FILE] [--ess-default 1] [--revenue FILE] [--costs FILE] [--market FILE] [--eps 1e-2] [--max-steps 0] [-o csv|json]\n       chainriskctl esri --leader USCC [-o table|json|csv] [--lang zh|en]  (through the API)")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case *edgesFile == "":
		return usageError(fs, "--edges is required")
	case *sectorsFile == "":
		return usageError(fs, "--sectors is required")
	case *essDefault < 0 || *essDefault > 2:
		return usageError(fs, fmt.Sprintf("--ess-default %d: want 0, 1 or 2", *essDefault))
	case math.IsNaN(*eps) || *eps <= 0 || *eps >= 1:
		return usageError(fs, fmt.Sprintf("--eps %v: want a number in (0, 1)", *eps))
	case *maxSteps < 0:
		return usageError(fs, fmt.Sprintf("--max-steps %d: want 0 (no bound) or more", *maxSteps))
	case *output != "csv" && *output != "json":
		return usageError(fs, fmt.Sprintf("--output %q: want csv or json", *output))
	}

	files := offline.ESRIFiles{Edges: *edgesFile, Sectors: *sectorsFile, Ess: *essFile, Revenue: *revenueFile,
		Costs: *costsFile, Market: *marketFile}
	p := risk.ESRIParams{Eps: *eps, MaxSteps: *maxSteps, EssDefault: risk.Essentiality(*essDefault)}
	results, err := offline.ESRI(context.Background(), files, p)
	if err != nil {
		if !reportProblems(stderr, "esri", err) {
			fmt.Fprintln(stderr, err)
		}
		return exitError
	}
	if *output == "json" {
		err = writeESRIJSON(stdout, results)
	} else {
		err = writeESRICSV(stdout, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "esri: writing output: %v\n", err)
		return exitError
	}
	reportUnconverged(stderr, results, *maxSteps, *eps)
	return exitOK
}

// reportUnconverged names on stderr the firms whose cascade --max-steps stopped.
// They keep their rows (the CSV columns are the documented ones, unchanged; JSON rows say
// "converged": false): their indices are lower bounds, and the run is a result,
// not a failure, so the exit code stays 0.
func reportUnconverged(w io.Writer, results []risk.ESRIResult, maxSteps int, eps float64) {
	var firms []string
	for _, r := range results {
		if !r.Converged {
			firms = append(firms, fmt.Sprintf("%s (last drop %s)", r.Firm, formatFloat(r.Residual, 3)))
		}
	}
	if len(firms) == 0 {
		return
	}
	fmt.Fprintf(w, "esri: warning: %d firm(s) not converged within --max-steps %d (a drop of h still above --eps %s); "+
		"their indices are lower bounds: %s\n", len(firms), maxSteps, formatFloat(eps, -1), strings.Join(firms, ", "))
}

func writeESRICSV(w io.Writer, results []risk.ESRIResult) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"firm", "esri", "esri_d", "esri_u", "iterations"})
	for _, r := range results {
		_ = cw.Write([]string{r.Firm, formatFloat(r.ESRI, -1), formatFloat(r.ESRId, -1),
			formatFloat(r.ESRIu, -1), strconv.Itoa(r.Iterations)})
	}
	cw.Flush()
	return cw.Error()
}

func writeESRIJSON(w io.Writer, results []risk.ESRIResult) error {
	type row struct {
		Firm       string  `json:"firm"`
		ESRI       float64 `json:"esri"`
		ESRId      float64 `json:"esri_d"`
		ESRIu      float64 `json:"esri_u"`
		Iterations int     `json:"iterations"`
		// Converged is false when --max-steps stopped the cascade.
		Converged bool `json:"converged"`
	}
	rows := make([]row, 0, len(results))
	for _, r := range results {
		rows = append(rows, row{r.Firm, r.ESRI, r.ESRId, r.ESRIu, r.Iterations, r.Converged})
	}
	return json.NewEncoder(w).Encode(rows)
}

// reportProblems prints the problems of err, if it is offline.Problems, with a
// summary, and says whether it was.
func reportProblems(w io.Writer, cmd string, err error) bool {
	var ps offline.Problems
	if !errors.As(err, &ps) {
		return false
	}
	for _, p := range ps {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintf(w, "%s: %d problem(s) in the input; nothing computed\n", cmd, len(ps))
	return true
}
