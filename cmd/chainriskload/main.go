// Command chainriskload drives a chainriskd on this machine with a bounded load —
// paced (open loop, a fixed rate) or closed (workers back to back) — and reports
// throughput, latency quantiles and answers by status.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/internal/table"
	"github.com/chainrisk/chainrisk/loadgen"
)

// Exit codes, as chainriskctl's: 0 ok, 1 error (or a run that found failures), 2 usage.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Bounds of one run: the tool is for tests on this machine, never an open-ended flood.
const (
	maxRequests = 10_000_000
	maxDuration = time.Hour
	maxRate     = 50_000
	maxWorkers  = 4096
)

const usage = `chainriskload — bounded load against a chainriskd on this machine

Usage:
  chainriskload (-n N | -duration D) [-mode paced|closed] [-rate R] [-workers W]
                [-mix read=90,ingest=10] [-usccs FILE] [-output table|json] [flags]

Mix kinds: read (GET /api/v1/enterprises/{uscc}), ingest (POST /api/v1/events),
enterprises (POST /api/v1/enterprises), rescan (POST /api/v1/rescans).
The server must be a loopback address (127.0.0.0/8, ::1, localhost).
Exit codes: 0 ok; 1 error, or the run saw failed calls, 5xx answers other than 503,
or 429/503 answers without Retry-After; 2 usage.

Flags:
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the parsed flags.
type options struct {
	server, token, mode, mix, usccsFile, scope, output string
	rate                                               float64
	workers, n, rows, distinct                         int
	duration, timeout                                  time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	o, code := parseFlags(args, stderr)
	if code >= 0 {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The first signal ends the run gracefully; a second one kills the process.
	context.AfterFunc(ctx, stop)
	return load(ctx, o, stdout, stderr)
}

// parseFlags returns the options, or an exit code (≥ 0) when the run must not start.
func parseFlags(args []string, stderr io.Writer) (*options, int) {
	fs := flag.NewFlagSet("chainriskload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	o := &options{}
	fs.StringVar(&o.server, "server", envOr("CHAINRISK_SERVER", "http://127.0.0.1:8480"), "chainriskd `URL` on loopback (env CHAINRISK_SERVER)")
	// The token's default stays out of the flag, so that usage messages never print it.
	fs.StringVar(&o.token, "token", "", "API `token` (default: env CHAINRISK_TOKEN)")
	fs.StringVar(&o.mode, "mode", "paced", "paced (open loop at -rate) or closed (-workers back to back)")
	fs.Float64Var(&o.rate, "rate", 100, "requests started per second (paced)")
	fs.IntVar(&o.workers, "workers", 32, "workers (closed), or most requests in flight (paced)")
	fs.IntVar(&o.n, "n", 0, fmt.Sprintf("requests to send (at most %d)", maxRequests))
	fs.DurationVar(&o.duration, "duration", 0, fmt.Sprintf("how long to send (at most %v)", maxDuration))
	fs.StringVar(&o.mix, "mix", "read=100", "request `kinds` and weights: read, ingest, enterprises, rescan")
	fs.StringVar(&o.usccsFile, "usccs", "", "`file` of USCCs to read and write events about, one a line (default: the leaders' chains)")
	fs.IntVar(&o.rows, "rows", 10, "rows per ingest request")
	fs.IntVar(&o.distinct, "distinct", 1000, "distinct keys ingests write (event ids, generated firms); they repeat beyond it")
	fs.StringVar(&o.scope, "scope", "all", "scope of rescans: all, chain:<uscc> or enterprise:<uscc>")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time allowed to one request")
	fs.StringVar(&o.output, "output", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	bad := func(format string, a ...any) (*options, int) {
		fmt.Fprintf(stderr, "chainriskload: "+format+"\n", a...)
		return nil, exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case o.n <= 0 && o.duration <= 0:
		return bad("give -n or -duration (or both): a run is bounded")
	case o.n < 0 || o.n > maxRequests:
		return bad("-n must be within 1..%d", maxRequests)
	case o.duration < 0 || o.duration > maxDuration:
		return bad("-duration must be within 0..%v", maxDuration)
	case o.mode != "paced" && o.mode != "closed":
		return bad("-mode must be paced or closed")
	case o.mode == "paced" && !(o.rate > 0 && o.rate <= maxRate):
		return bad("-rate must be within (0, %d]", maxRate)
	case o.workers < 1 || o.workers > maxWorkers:
		return bad("-workers must be within 1..%d", maxWorkers)
	case o.rows < 1 || o.distinct < 1:
		return bad("-rows and -distinct must be positive")
	case o.timeout <= 0:
		return bad("-timeout must be positive")
	case o.output != "table" && o.output != "json":
		return bad("-output must be table or json")
	}
	if _, err := parseMix(o.mix); err != nil {
		return bad("-mix: %v", err)
	}
	if err := loadgen.CheckLoopback(o.server); err != nil {
		return bad("%v", err)
	}
	if o.token == "" {
		o.token = os.Getenv("CHAINRISK_TOKEN")
	}
	return o, -1
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// mixKinds are the request kinds of -mix, in the order reports list them.
var mixKinds = []string{"read", "ingest", "enterprises", "rescan"}

// parseMix reads "read=90,ingest=10" into weights by kind.
func parseMix(s string) (map[string]int, error) {
	w := map[string]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		kind, weight, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want kind=weight", part)
		}
		if !slices.Contains(mixKinds, kind) {
			return nil, fmt.Errorf("unknown kind %q (want %s)", kind, strings.Join(mixKinds, ", "))
		}
		if _, dup := w[kind]; dup {
			return nil, fmt.Errorf("%s given twice", kind)
		}
		n, err := strconv.Atoi(weight)
		if err != nil || n < 0 || n > 1000 {
			return nil, fmt.Errorf("%s: weight %q is not a whole number within 0..1000", kind, weight)
		}
		w[kind] = n
		total += n
	}
	if total == 0 {
		return nil, errors.New("every weight is 0")
	}
	return w, nil
}

// load runs the load and reports it.
func load(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "chainriskload: %v\n", err)
		return exitError
	}
	target, err := loadgen.NewTarget(o.server, loadgen.TargetOptions{Token: o.token, Timeout: o.timeout, Conns: o.workers})
	if err != nil {
		return fail(err)
	}
	defer target.Close()
	weights, _ := parseMix(o.mix)
	var usccs []string
	if weights["read"] > 0 || weights["ingest"] > 0 {
		if o.usccsFile != "" {
			usccs, err = readUSCCs(o.usccsFile)
		} else {
			usccs, err = target.Discover(ctx)
		}
		if err != nil {
			return fail(err)
		}
	}
	batch := loadgen.Batch{Rows: o.rows, Distinct: o.distinct}
	dos := map[string]loadgen.Do{
		"read":        target.GetEnterprise(usccs),
		"ingest":      target.IngestEvents(usccs, batch),
		"enterprises": target.IngestEnterprises(batch),
		"rescan":      target.Rescan(o.scope),
	}
	var parts []loadgen.Weighted
	for _, k := range mixKinds {
		parts = append(parts, loadgen.Weighted{Weight: weights[k], Do: dos[k]})
	}
	do := loadgen.Mix(parts...)

	runCtx := ctx
	if o.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	var res *loadgen.Result
	if o.mode == "paced" {
		res = loadgen.Paced(runCtx, o.rate, o.n, o.workers, do)
	} else {
		res = loadgen.Closed(runCtx, o.workers, o.n, do)
	}
	rep := newReport(o, len(usccs), res)
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.table(stdout)
	}
	if problems := rep.problems(); len(problems) > 0 {
		fmt.Fprintf(stderr, "chainriskload: %s\n", strings.Join(problems, "; "))
		return exitError
	}
	return exitOK
}

// readUSCCs reads one USCC a line; blank lines and lines starting with # are skipped.
func readUSCCs(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no USCCs", name)
	}
	return out, nil
}

// report is what a run prints; its JSON form is for scripts.
type report struct {
	Server            string         `json:"server"`
	Mode              string         `json:"mode"`
	Rate              float64        `json:"rate,omitempty"`
	Workers           int            `json:"workers"`
	Mix               string         `json:"mix"`
	Firms             int            `json:"firms"`
	Requests          int            `json:"requests"`
	ElapsedSeconds    float64        `json:"elapsed_seconds"`
	Throughput        float64        `json:"throughput"`
	LatencyMS         latencyMS      `json:"latency_ms"`
	ByStatus          map[string]int `json:"by_status"`
	Failed            int            `json:"failed"`
	MissingRetryAfter int            `json:"missing_retry_after"`
	Unsent            int            `json:"unsent"`
	ErrorSamples      []string       `json:"error_samples"`
}

type latencyMS struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func newReport(o *options, firms int, r *loadgen.Result) *report {
	ms := func(q float64) float64 { return float64(r.Quantile(q).Microseconds()) / 1000 }
	rep := &report{Server: o.server, Mode: o.mode, Workers: o.workers, Mix: o.mix, Firms: firms,
		Requests: r.Requests, ElapsedSeconds: r.Elapsed.Seconds(), Throughput: r.Throughput(),
		LatencyMS: latencyMS{P50: ms(0.5), P90: ms(0.9), P99: ms(0.99), Max: ms(1)},
		ByStatus:  map[string]int{}, Failed: r.Errors, MissingRetryAfter: r.MissingRetryAfter, Unsent: r.Unsent,
		ErrorSamples: r.ErrorSamples}
	if o.mode == "paced" {
		rep.Rate = o.rate
	}
	for s, n := range r.ByStatus {
		rep.ByStatus[strconv.Itoa(s)] = n
	}
	if rep.ErrorSamples == nil {
		rep.ErrorSamples = []string{}
	}
	return rep
}

// problems lists what makes the run a failure: the daemon sheds load with 429 or 503
// and a Retry-After; anything else going wrong is worth an exit code.
func (r *report) problems() []string {
	var out []string
	if r.Failed > 0 {
		out = append(out, fmt.Sprintf("%d calls failed (%s)", r.Failed, strings.Join(r.ErrorSamples, " | ")))
	}
	for s, n := range r.ByStatus {
		if code, _ := strconv.Atoi(s); code >= 500 && code != 503 {
			out = append(out, fmt.Sprintf("%d answers %s", n, s))
		}
	}
	if r.MissingRetryAfter > 0 {
		out = append(out, fmt.Sprintf("%d answers 429/503 without Retry-After", r.MissingRetryAfter))
	}
	slices.Sort(out)
	return out
}

func (r *report) table(w io.Writer) {
	tw := table.NewWriter(w)
	run := fmt.Sprintf("closed, %d workers", r.Workers)
	if r.Mode == "paced" {
		run = fmt.Sprintf("paced, %g/s, at most %d in flight", r.Rate, r.Workers)
	}
	fmt.Fprintf(tw, "run\t%s, mix %s, %d firms\n", run, r.Mix, r.Firms)
	fmt.Fprintf(tw, "requests\t%d in %.3fs: %.1f/s\n", r.Requests, r.ElapsedSeconds, r.Throughput)
	fmt.Fprintf(tw, "latency\tp50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms\n",
		r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	codes := make([]string, 0, len(r.ByStatus))
	for s := range r.ByStatus {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	var parts []string
	for _, s := range codes {
		parts = append(parts, fmt.Sprintf("%s: %d", s, r.ByStatus[s]))
	}
	fmt.Fprintf(tw, "status\t%s\n", strings.Join(parts, "  "))
	fmt.Fprintf(tw, "failed\t%d\n", r.Failed)
	fmt.Fprintf(tw, "429/503 without Retry-After\t%d\n", r.MissingRetryAfter)
	if r.Mode == "paced" {
		fmt.Fprintf(tw, "unsent (due, never started)\t%d\n", r.Unsent)
	}
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(tw, "error\t%s\n", e)
	}
	_ = tw.Flush()
}
