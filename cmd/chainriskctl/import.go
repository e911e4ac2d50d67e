package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
)

// runImport imports files into a store, each file one atomic batch (SPEC §3).
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "commit nothing from a file with any bad row")
	output := fs.String("output", "table", "summary format: table or json")
	dsn := fs.String("store", os.Getenv("CHAINRISK_STORE"), "write directly to the store `DSN`: a postgres:// URL, or a SQLite database file or data directory (env CHAINRISK_STORE), then queue a full scan there for the daemon; without it the rows go through the API")
	server := fs.String("server", envOr("CHAINRISK_SERVER", defaultServer), "chainriskd `URL` (env CHAINRISK_SERVER)")
	token := fs.String("token", "", "API `token` (default: env CHAINRISK_TOKEN)")
	format := fs.String("format", "", "input format csv or ndjson (default: from each file's extension; required for -)")
	configFile := fs.String("config", "", "daemon config `file` whose model.event_types and ingest settings apply")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl import [--strict] [--output table|json] [--store DSN | --server URL --token T] [--config FILE] <kind> <file>...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return exitUsage
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return exitUsage
	}
	kind := credit.Kind(fs.Arg(0))
	if !kind.Valid() {
		fmt.Fprintf(stderr, "chainriskctl import: unknown kind %q (want enterprises, relations, events or repairs)\n", kind)
		return exitUsage
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintf(stderr, "chainriskctl import: --output must be table or json, not %q\n", *output)
		return exitUsage
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	files := fs.Args()[1:]
	formats := make([]ingest.Format, len(files))
	for i, f := range files {
		var err error
		switch {
		case *format != "":
			formats[i], err = ingest.FormatFor("x."+*format, "")
		case f == "-":
			err = errors.New("reading standard input needs --format csv or ndjson")
		default:
			formats[i], err = ingest.FormatFor(f, "")
		}
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl import: %v\n", err)
			return exitUsage
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var one func(i int, file string) (ingest.Summary, error)
	var st store.Store
	if *dsn != "" {
		var err error
		st, err = backend.Open(ctx, *dsn, backend.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl import: %v\n", err)
			return exitError
		}
		defer st.Close()
		validator := &credit.Validator{Catalogue: cfg.Catalogue(), AcceptBadChecksums: cfg.Ingest.AcceptBadChecksums}
		one = func(i int, file string) (ingest.Summary, error) {
			return importFile(ctx, st, file, kind, formats[i], ingest.ImportOptions{
				Strict: *strict, Validator: validator, MaxErrors: cfg.Ingest.MaxErrors,
			}, stderr)
		}
	} else {
		c := newClient(*server, *token)
		one = func(i int, file string) (ingest.Summary, error) {
			return importRemote(ctx, c, file, kind, formats[i], *strict)
		}
	}
	total := importTotal{Summary: ingest.Summary{Errors: []string{}, Committed: true}}
	var queueErr error
	// A scan is queued after each file that changed the store: a scan queued for an
	// earlier file may already have started and would miss the later one's rows.
	announce := func() {
		if total.ScanID == 0 && queueErr == nil {
			return
		}
		w := stdout
		if *output == "json" {
			w = stderr
		}
		announceScan(ctx, st, w, stderr, total.ScanID, queueErr)
	}
	for i, file := range files {
		sum, err := one(i, file)
		if st != nil && sum.Committed && sum.Changed > 0 {
			// Committed rows get their scan even when the import is being interrupted.
			qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			sc, qerr := monitor.QueueFullScan(qctx, st, "cli:import")
			cancel()
			if qerr != nil {
				queueErr = qerr
			} else {
				total.ScanID = sc.ID
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl import: %s: %v\n", file, err)
			announce()
			return exitError
		}
		total.Accepted += sum.Accepted
		total.Rejected += sum.Rejected
		total.Changed += sum.Changed
		total.Errors = append(total.Errors, sum.Errors...)
		total.Warnings = append(total.Warnings, sum.Warnings...)
		total.Committed = total.Committed && sum.Committed
		if *output == "table" {
			printSummary(stdout, file, sum)
		}
	}
	announce()
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(total); err != nil {
			return exitError
		}
	}
	if total.Rejected > 0 || queueErr != nil {
		return exitError
	}
	return exitOK
}

// importTotal is the summary of an import run: the files' summaries added up, and
// with --store the scan queued for the daemon (omitted when none was).
type importTotal struct {
	ingest.Summary
	ScanID int64 `json:"scan_id,omitempty"`
}

// announceScan says which scan will bring the daemon's results up to date with a
// direct import, and who runs it: without that scan the daemon's results would not
// see the rows (a firm's page would show its old score beside an explanation
// counting the new events).
func announceScan(ctx context.Context, st store.Store, w, stderr io.Writer, id int64, err error) {
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl import: the rows are committed, but no scan could be queued for them (%v); "+
			"run chainriskctl rescan once the store answers\n", err)
		return
	}
	who := ""
	if h, ok := st.(interface {
		Holder(context.Context) (string, error)
	}); ok {
		who, _ = h.Holder(ctx) // only for the message: the scan is queued either way
	}
	if who != "" {
		fmt.Fprintf(w, "full scan %d queued: %s picks it up within seconds (see chainriskctl scans)\n", id, who)
		return
	}
	fmt.Fprintf(w, "full scan %d queued: no running chainriskd was found on this store; the next one to start runs it\n", id)
}

func importFile(ctx context.Context, st store.DataStore, file string, kind credit.Kind, format ingest.Format,
	opts ingest.ImportOptions, stderr io.Writer) (ingest.Summary, error) {
	in, name, err := openInput(file)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer in.Close()
	r := io.Reader(in)
	if file == "-" {
		// A pipe may deliver slowly; the batch holds the store's write lock while it
		// reads, so it reads the whole input first.
		sp, err := ingest.Spool(ctx, in, ingest.SpoolMemory)
		if err != nil {
			return ingest.Summary{}, err
		}
		defer sp.Close()
		r = sp
	}
	p := newProgress(stderr, name)
	opts.Progress = p.update
	sum, err := ingest.Import(ctx, st, []ingest.Input{{File: name, Kind: kind, Format: format, R: r}}, opts)
	p.done()
	return sum, err
}

func printSummary(w io.Writer, file string, s ingest.Summary) {
	state := "committed"
	if !s.Committed {
		state = "NOT committed"
	}
	fmt.Fprintf(w, "%s: %d accepted, %d rejected, %d changed (%s)\n", file, s.Accepted, s.Rejected, s.Changed, state)
	for _, e := range s.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
	for _, e := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", e)
	}
}

// progress draws "file: N rows (R rows/s)" on a terminal, at most 5 times a second.
type progress struct {
	w     io.Writer
	name  string
	on    bool
	start time.Time
	last  time.Time
	rows  int
}

func newProgress(w io.Writer, name string) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, name: name, on: ok && term.IsTerminal(int(f.Fd())), start: time.Now()}
}

func (p *progress) update(rows int) {
	p.rows = rows
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.rows) / el
	}
	fmt.Fprintf(p.w, "\r%s: %s rows (%s rows/s)   ", p.name, groupDigits(p.rows), groupDigits(int(rate)))
}

func (p *progress) done() {
	if p.on {
		p.draw()
		fmt.Fprintln(p.w)
	}
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// importRemote posts one file to the API (one batch) and names the file in the
// summary's error lines, as a direct import does.
func importRemote(ctx context.Context, c *client, file string, kind credit.Kind, format ingest.Format, strict bool) (ingest.Summary, error) {
	in, name, err := openInput(file)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer in.Close()
	ct := "text/csv"
	if format == ingest.NDJSON {
		ct = "application/x-ndjson"
	}
	path := "/api/v1/" + string(kind)
	if strict {
		path += "?strict=true"
	}
	var sum ingest.Summary
	if _, err := c.do(ctx, "POST", path, in, ct, &sum, 422); err != nil {
		return sum, err
	}
	for i, e := range sum.Errors {
		if !strings.HasPrefix(e, "... ") {
			sum.Errors[i] = name + ":" + e
		}
	}
	return sum, nil
}

// openInput opens a file to import, or standard input for "-".
func openInput(file string) (io.ReadCloser, string, error) {
	if file == "-" {
		return io.NopCloser(os.Stdin), "stdin", nil
	}
	f, err := os.Open(file)
	return f, file, err
}
