package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
)

// Offline analysis (SPEC §9): DebtRank and ESRI on networks read from CSV
// files, without a server or a store.

// runStressOffline runs `chainriskctl stress --network FILE ...` (no server, no store).
func runStressOffline(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		network = fs.String("network", "", "CSV `file` with columns from,to,impact (impact of from's distress on to; capped at 1)")
		values  = fs.String("values", "", "CSV `file` with columns node,value (default: equal values)")
		top     = fs.Int("top", 10, "number of most impacted nodes to list")
		output  = fs.String("output", "table", "output format: table or json")
		shocks  shockFlags
	)
	fs.Var(&shocks, "shock", "initial distress `NODE[=ψ]` with ψ in [0,1], default 1; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl stress --network FILE [--values FILE] --shock NODE[=ψ]... [--top N] [--output table|json]")
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
	}

	var bad problems
	var edges []graph.Edge
	edgeLine := map[[2]string]int{}
	err := readCSV(*network, []string{"from", "to", "impact"}, &bad, func(r csvRow) {
		from, to := r.id("from"), r.id("to")
		w, wok := r.nonNegative("impact")
		if from == "" || to == "" || !wok {
			return
		}
		if from == to {
			r.bad("to", "self-loop on %q", from)
			return
		}
		if first, dup := edgeLine[[2]string{from, to}]; dup {
			r.bad("to", "duplicate edge %s→%s (first at line %d)", from, to, first)
			return
		}
		edgeLine[[2]string{from, to}] = r.line
		edges = append(edges, graph.Edge{From: from, To: to, Weight: w})
	})
	if err != nil {
		fmt.Fprintf(stderr, "stress: %v\n", err)
		return exitError
	}
	var valueNodes []string
	valueOf := map[string]float64{}
	if *values != "" {
		valueLine := map[string]int{}
		err := readCSV(*values, []string{"node", "value"}, &bad, func(r csvRow) {
			node := r.id("node")
			v, vok := r.nonNegative("value")
			if node == "" || !vok {
				return
			}
			if first, dup := valueLine[node]; dup {
				r.bad("node", "duplicate node %q (first at line %d)", node, first)
				return
			}
			valueLine[node] = r.line
			valueNodes = append(valueNodes, node)
			valueOf[node] = v
		})
		if err != nil {
			fmt.Fprintf(stderr, "stress: %v\n", err)
			return exitError
		}
	}
	if bad.report(stderr, "stress") {
		return exitError
	}

	// Nodes named only in the values file are isolated nodes: they take part
	// in the normalisation of values and can be shocked.
	net, err := graph.NewNetwork(valueNodes, edges)
	if err != nil {
		fmt.Fprintf(stderr, "stress: %v\n", err)
		return exitError
	}
	var vals []float64
	if *values != "" {
		vals = make([]float64, net.Len())
		missing := 0
		for i := range vals {
			v, ok := valueOf[net.ID(i)]
			if !ok {
				missing++
				fmt.Fprintf(stderr, "%s: no value for node %q of %s\n", *values, net.ID(i), *network)
			}
			vals[i] = v
		}
		if missing > 0 {
			return exitError
		}
	}
	for _, s := range shocks {
		if _, ok := net.Index(s.Node); !ok {
			fmt.Fprintf(stderr, "stress: --shock %s: no such node in %s\n", s.Node, *network)
			return exitError
		}
	}
	res, err := risk.DebtRank(context.Background(), net, vals, shocks, *top)
	if err != nil {
		fmt.Fprintf(stderr, "stress: %v\n", err)
		return exitError
	}
	if *output == "json" {
		err = writeStressJSON(stdout, net, res)
	} else {
		err = writeStressTable(stdout, net, res, len(shocks))
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

func writeStressTable(w io.Writer, net *graph.Network, res risk.DebtRankResult, shocked int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "R\t%s\n", formatFloat(res.R, 6))
	fmt.Fprintf(tw, "defaults\t%d\n", res.Defaults)
	fmt.Fprintf(tw, "iterations\t%d\n", res.Iterations)
	fmt.Fprintf(tw, "nodes\t%d\n", net.Len())
	fmt.Fprintf(tw, "shocked\t%d\n", shocked)
	if len(res.Top) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "NODE\tH\tVALUE")
		for _, t := range res.Top {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Node, formatFloat(t.H, 6), formatFloat(t.Value, 6))
		}
	}
	return tw.Flush()
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
		output      = fs.String("output", "csv", "output format: csv or json")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl esri --edges FILE --sectors FILE [--ess FILE] [--ess-default 1] [--revenue FILE] [--costs FILE] [--market FILE] [--eps 1e-2] [--max-steps 0] [--output csv|json]")
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

	var bad problems
	fail := func(err error) int {
		fmt.Fprintf(stderr, "esri: %v\n", err)
		return exitError
	}

	// Firms are those of the sectors file, in its order.
	var firms, sectors []string
	firmLine := map[string]int{}
	firmIndex := map[string]int{}
	err := readCSV(*sectorsFile, []string{"firm", "sector"}, &bad, func(r csvRow) {
		firm, sector := r.id("firm"), r.id("sector")
		if firm == "" || sector == "" {
			return
		}
		if first, dup := firmLine[firm]; dup {
			r.bad("firm", "duplicate firm %q (first at line %d)", firm, first)
			return
		}
		firmLine[firm] = r.line
		firmIndex[firm] = len(firms)
		firms = append(firms, firm)
		sectors = append(sectors, sector)
	})
	if err != nil {
		return fail(err)
	}
	known := func(r csvRow, field, firm string) bool {
		if _, ok := firmLine[firm]; !ok {
			r.bad(field, "firm %q has no sector in %s", firm, *sectorsFile)
			return false
		}
		return true
	}

	var edges []graph.Edge
	edgeLine := map[[2]string]int{}
	err = readCSV(*edgesFile, []string{"supplier", "customer", "amount"}, &bad, func(r csvRow) {
		sup, cus := r.id("supplier"), r.id("customer")
		amount, aok := r.nonNegative("amount")
		if sup == "" || cus == "" || !aok {
			return
		}
		if sup == cus {
			r.bad("customer", "self-loop on %q", sup)
			return
		}
		if first, dup := edgeLine[[2]string{sup, cus}]; dup {
			r.bad("customer", "duplicate edge %s→%s (first at line %d)", sup, cus, first)
			return
		}
		edgeLine[[2]string{sup, cus}] = r.line
		if known(r, "supplier", sup) && known(r, "customer", cus) {
			edges = append(edges, graph.Edge{From: sup, To: cus, Weight: amount})
		}
	})
	if err != nil {
		return fail(err)
	}

	ess := map[[2]string]risk.Essentiality{}
	if *essFile != "" {
		essLine := map[[2]string]int{}
		err = readCSV(*essFile, []string{"supplier_sector", "customer_sector", "level"}, &bad, func(r csvRow) {
			k, l := r.id("supplier_sector"), r.id("customer_sector")
			level := r.field("level")
			if k == "" || l == "" {
				return
			}
			if level != "0" && level != "1" && level != "2" {
				r.bad("level", "%q is not 0, 1 or 2", level)
				return
			}
			if first, dup := essLine[[2]string{k, l}]; dup {
				r.bad("customer_sector", "duplicate pair %s→%s (first at line %d)", k, l, first)
				return
			}
			essLine[[2]string{k, l}] = r.line
			ess[[2]string{k, l}] = risk.Essentiality(level[0] - '0')
		})
		if err != nil {
			return fail(err)
		}
	}

	// Per-firm files: each firm known and listed once. Values of firms not
	// listed are NaN for revenue and costs (the model falls back to the
	// firm's amounts in the network) and "" for markets (no market).
	perFirm := func(path, col string, set func(r csvRow, i int) bool) (map[string]int, error) {
		lines := map[string]int{}
		if path == "" {
			return lines, nil
		}
		return lines, readCSV(path, []string{"firm", col}, &bad, func(r csvRow) {
			firm := r.id("firm")
			if firm == "" || !known(r, "firm", firm) {
				return
			}
			if first, dup := lines[firm]; dup {
				r.bad("firm", "duplicate firm %q (first at line %d)", firm, first)
				return
			}
			if set(r, firmIndex[firm]) {
				lines[firm] = r.line
			}
		})
	}
	numbers := func(path string) ([]float64, map[string]int, error) {
		if path == "" {
			return nil, nil, nil
		}
		vals := make([]float64, len(firms))
		for i := range vals {
			vals[i] = math.NaN()
		}
		lines, err := perFirm(path, "value", func(r csvRow, i int) bool {
			v, ok := r.nonNegative("value")
			vals[i] = v
			return ok
		})
		return vals, lines, err
	}
	revenue, revenueLine, err := numbers(*revenueFile)
	if err != nil {
		return fail(err)
	}
	costs, costsLine, err := numbers(*costsFile)
	if err != nil {
		return fail(err)
	}
	var markets []string
	if *marketFile != "" {
		markets = make([]string, len(firms))
		_, err := perFirm(*marketFile, "market", func(r csvRow, i int) bool {
			markets[i] = r.id("market")
			return markets[i] != ""
		})
		if err != nil {
			return fail(err)
		}
	}
	if bad.report(stderr, "esri") {
		return exitError
	}

	net, err := graph.NewNetwork(firms, edges)
	if err != nil {
		return fail(err)
	}
	in := risk.ESRIInput{
		Network: net, Sectors: sectors, Revenue: revenue, Costs: costs, Markets: markets, Eps: *eps, MaxSteps: *maxSteps,
		Ess: func(k, l string) risk.Essentiality {
			if e, ok := ess[[2]string{k, l}]; ok {
				return e
			}
			return risk.Essentiality(*essDefault)
		},
	}
	results, err := risk.ESRIAll(context.Background(), in, 0)
	if err != nil {
		// Point data problems at their rows.
		var nes risk.NodeErrors
		if !errors.As(err, &nes) {
			fmt.Fprintln(stderr, err) // the model's errors say "esri: " already
			return exitError
		}
		src := map[string]struct {
			file  string
			lines map[string]int
		}{"revenue": {*revenueFile, revenueLine}, "costs": {*costsFile, costsLine}}
		for _, ne := range nes {
			if s, ok := src[ne.Field]; ok && s.lines[ne.Node] > 0 {
				bad.add(s.file, s.lines[ne.Node], "value", "%s of %q: %s", ne.Field, ne.Node, ne.Reason)
			} else {
				bad.list = append(bad.list, "esri: "+ne.Error())
			}
		}
		bad.report(stderr, "esri")
		return exitError
	}

	slices.SortFunc(results, func(a, b risk.ESRIResult) int {
		if c := cmp.Compare(b.ESRI, a.ESRI); c != 0 {
			return c
		}
		return strings.Compare(a.Firm, b.Firm)
	})
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
// They keep their rows (the CSV columns are the SPEC's, unchanged; JSON rows say
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

func formatFloat(x float64, prec int) string { return strconv.FormatFloat(x, 'g', prec, 64) }

// parseFlags parses args; ok is false when the command should exit with code
// (0 after -h, 2 on bad flags or stray arguments).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Sprintf("unexpected argument %q", fs.Arg(0))), false
	}
	return 0, true
}

func usageError(fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return exitUsage
}

// problems collects bad input rows as "file:line: field: reason".
type problems struct{ list []string }

func (p *problems) add(file string, line int, field, format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf("%s:%d: %s: %s", file, line, field, fmt.Sprintf(format, args...)))
}

// report prints the problems, if any, and says whether there were some.
func (p *problems) report(w io.Writer, cmd string) bool {
	if len(p.list) == 0 {
		return false
	}
	for _, s := range p.list {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintf(w, "%s: %d problem(s) in the input; nothing computed\n", cmd, len(p.list))
	return true
}

// csvRow is one data record of a file read by readCSV.
type csvRow struct {
	file string
	line int
	cols map[string]int
	rec  []string
	p    *problems
}

func (r csvRow) field(name string) string { return strings.TrimSpace(r.rec[r.cols[name]]) }

func (r csvRow) bad(field, format string, args ...any) {
	r.p.add(r.file, r.line, field, format, args...)
}

// id returns a required identifier, reporting it when empty.
func (r csvRow) id(name string) string {
	v := r.field(name)
	if v == "" {
		r.bad(name, "empty")
	}
	return v
}

// nonNegative parses a finite number ≥ 0, reporting anything else.
func (r csvRow) nonNegative(name string) (float64, bool) {
	s := r.field(name)
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case s == "":
		r.bad(name, "empty")
	case err != nil && !errors.Is(err, strconv.ErrRange):
		r.bad(name, "%q is not a number", s)
	case math.IsNaN(x) || math.IsInf(x, 0):
		r.bad(name, "%q is not a finite number", s)
	case x < 0:
		r.bad(name, "%s is negative", s)
	default:
		return x, true
	}
	return 0, false
}

// readCSV reads a CSV file whose header names exactly cols, in any order
// (a UTF-8 BOM is allowed), and calls fn for every data record. Bad headers
// and malformed records go to p; the error is for files that cannot be read.
func readCSV(path string, cols []string, p *problems, fn func(csvRow)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if err == io.EOF {
		p.add(path, 1, "header", "empty file, want columns %s", strings.Join(cols, ","))
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.add(path, pe.Line, "header", "%v", pe.Err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	index := make(map[string]int, len(header))
	headerOK := true
	hline, _ := cr.FieldPos(0)
	for k, name := range header {
		name = strings.TrimSpace(name)
		if _, dup := index[name]; dup {
			p.add(path, hline, "header", "column %q given twice", name)
			headerOK = false
			continue
		}
		if !slices.Contains(cols, name) {
			p.add(path, hline, "header", "unknown column %q, want %s", name, strings.Join(cols, ","))
			headerOK = false
		}
		index[name] = k
	}
	for _, c := range cols {
		if _, ok := index[c]; !ok {
			p.add(path, hline, "header", "missing column %q", c)
			headerOK = false
		}
	}
	if !headerOK {
		return nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				p.add(path, pe.StartLine, "record", "%d fields, want %d", len(rec), len(header))
				continue
			}
			p.add(path, pe.Line, "record", "%v", pe.Err)
			return nil // the reader cannot be trusted to resynchronise
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		fn(csvRow{file: path, line: line, cols: index, rec: rec, p: p})
	}
}
