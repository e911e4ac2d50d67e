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
	"syscall"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/internal/progress"
	"github.com/chainrisk/chainrisk/internal/suggest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
)

// runImport imports files into a store, each file one atomic batch (README.md).
func runImport(args []string, stdout, stderr io.Writer) int {
	cmd, code, ok := parseImport(args, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	run := &importRun{importCmd: cmd, stdout: stdout, stderr: stderr,
		total: importTotal{Summary: ingest.Summary{Errors: []string{}, Committed: true}}}
	if cmd.dsn != "" {
		db, err := backend.Open(ctx, cmd.dsn, backend.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl import: %v\n", err)
			return exitError
		}
		defer db.Close()
		run.db = db
		run.validator = &credit.Validator{Catalogue: cmd.cfg.Catalogue(), AcceptBadChecksums: cmd.cfg.Ingest.AcceptBadChecksums}
	} else {
		run.remote = &remoteImport{c: newClient(cmd.server, cmd.token), kind: cmd.kind, strict: cmd.strict,
			limit: defaultIngestLimit, stderr: stderr}
		if cmd.batchBytes > 0 {
			run.remote.limit, run.remote.learned = cmd.batchBytes, true
		}
	}
	return run.files(ctx)
}

// importCmd is an import as its flags and arguments say.
type importCmd struct {
	strict                     bool
	output, dsn, server, token string
	encoding                   string // --encoding: of every file
	batchBytes                 int64  // --batch-bytes: the most bytes of one request
	cfg                        *config.Config
	kind                       credit.Kind
	paths                      []string
	formats                    []ingest.Format // of each path
}

// parseImport reads import's flags and arguments; when it returns false, the
// command ends with the exit code it returns.
func parseImport(args []string, stderr io.Writer) (*importCmd, int, bool) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "commit nothing from a file with any bad row")
	output := fs.String("output", "table", "summary format: table or json")
	dsn := fs.String("store", os.Getenv("CHAINRISK_STORE"), "write directly to the store `DSN`: a postgres:// URL, or a SQLite database file or data directory (env CHAINRISK_STORE), then queue a full scan there for the daemon; without it the rows go through the API")
	server := fs.String("server", envOr("CHAINRISK_SERVER", defaultServer), "chainriskd `URL` (env CHAINRISK_SERVER)")
	token := fs.String("token", "", "API `token` (default: env CHAINRISK_TOKEN)")
	format := fs.String("format", "", "input format csv or ndjson (default: from each file's extension; required for -)")
	configFile := fs.String("config", "", "daemon config `file` whose model.event_types and ingest settings apply")
	encoding := encodingFlag(fs)
	batchBytes := fs.Int64("batch-bytes", 0, "through the API, send a file bigger than this many `bytes` in batches of "+
		"whole rows under it, each committed on its own (default: the server's http.max_ingest_bytes)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl import [--strict] [--output table|json] [--batch-bytes N] [--encoding utf-8|gbk|gb18030] [--store DSN | --server URL --token T] [--config FILE] <kind> <file>...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return nil, parseExit(err), false
	} else if !storeOK(fs) {
		return nil, exitError, false
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return nil, exitUsage, false
	}
	cmd := &importCmd{strict: *strict, output: *output, dsn: *dsn, server: *server, token: *token,
		encoding: *encoding, batchBytes: *batchBytes, kind: credit.Kind(fs.Arg(0)), paths: fs.Args()[1:]}
	if err := checkEncoding(cmd.encoding); err != nil {
		fmt.Fprintf(stderr, "chainriskctl import: %v\n", err)
		return nil, exitUsage, false
	}
	if !cmd.kind.Valid() {
		hint := ""
		var kinds []string
		for _, k := range credit.Kinds {
			kinds = append(kinds, string(k))
		}
		if near := suggest.Closest(string(cmd.kind), kinds); near != "" {
			hint = fmt.Sprintf("; did you mean %q?", near)
		}
		fmt.Fprintf(stderr, "chainriskctl import: unknown kind %q%s (want %s)\n", cmd.kind, hint, credit.KindNames())
		return nil, exitUsage, false
	}
	if cmd.output != "table" && cmd.output != "json" {
		fmt.Fprintf(stderr, "chainriskctl import: --output must be table or json, not %q\n", cmd.output)
		return nil, exitUsage, false
	}
	var err error
	if cmd.cfg, err = config.Load(*configFile); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitError, false
	}
	if cmd.formats, err = importFormats(cmd.paths, *format); err != nil {
		fmt.Fprintf(stderr, "chainriskctl import: %v\n", err)
		return nil, exitUsage, false
	}
	return cmd, exitOK, true
}

// importFormats says each file's format: --format when given, else its extension.
func importFormats(paths []string, format string) ([]ingest.Format, error) {
	formats := make([]ingest.Format, len(paths))
	for i, f := range paths {
		var err error
		switch {
		case format != "":
			formats[i], err = ingest.FormatFor("x."+format, "")
		case f == "-":
			err = errors.New("reading standard input needs --format csv or ndjson")
		default:
			formats[i], err = ingest.FormatFor(f, "")
		}
		if err != nil {
			return nil, err
		}
	}
	return formats, nil
}

// importRun imports the files of one command, directly into a store (db) or through
// the API (client).
type importRun struct {
	*importCmd
	stdout, stderr io.Writer
	db             store.Store
	validator      *credit.Validator // of a direct import
	remote         *remoteImport     // of an import through the API
	total          importTotal
	queueErr       error
}

// files imports every file in turn and prints the summaries.
func (r *importRun) files(ctx context.Context) int {
	for i, file := range r.paths {
		sum, err := r.one(ctx, i)
		if r.db != nil && sum.Committed && sum.Changed > 0 {
			r.queueScan(ctx)
		}
		if encErr := (*EncodingError)(nil); errors.As(err, &encErr) {
			fmt.Fprintf(r.stderr, "chainriskctl import: %v\n", encErr)
			r.announce(ctx)
			return exitError
		}
		if err != nil {
			fmt.Fprintf(r.stderr, "chainriskctl import: %s: %v\n", file, err)
			r.announce(ctx)
			return exitError
		}
		r.total.Accepted += sum.Accepted
		r.total.Rejected += sum.Rejected
		r.total.Changed += sum.Changed
		r.total.Errors = append(r.total.Errors, sum.Errors...)
		r.total.Warnings = append(r.total.Warnings, sum.Warnings...)
		r.total.Committed = r.total.Committed && sum.Committed
		if r.output == "table" {
			printSummary(r.stdout, file, sum)
		}
	}
	r.announce(ctx)
	if r.output == "json" {
		enc := json.NewEncoder(r.stdout)
		if err := enc.Encode(r.total); err != nil {
			return exitError
		}
	}
	if r.total.Rejected > 0 || r.queueErr != nil {
		return exitError
	}
	return exitOK
}

// one imports the i-th file.
func (r *importRun) one(ctx context.Context, i int) (ingest.Summary, error) {
	file := r.paths[i]
	if r.db == nil {
		return r.remote.file(ctx, file, r.encoding, r.formats[i])
	}
	return importFile(ctx, r.db, file, r.encoding, r.kind, r.formats[i], ingest.ImportOptions{
		Strict: r.strict, Validator: r.validator, MaxErrors: r.cfg.Ingest.MaxErrors,
	}, r.stderr)
}

// queueScan queues a full scan after a file that changed the store: a scan queued
// for an earlier file may already have started and would miss the later one's rows.
func (r *importRun) queueScan(ctx context.Context) {
	// Committed rows get their scan even when the import is being interrupted.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	sc, err := monitor.QueueFullScan(qctx, r.db, "cli:import")
	cancel()
	if err != nil {
		r.queueErr = err
	} else {
		r.total.ScanID = sc.ID
	}
}

// announce says which scan was queued, if any, or that none could be.
func (r *importRun) announce(ctx context.Context) {
	if r.total.ScanID == 0 && r.queueErr == nil {
		return
	}
	w := r.stdout
	if r.output == "json" {
		w = r.stderr
	}
	announceScan(ctx, r.db, w, r.stderr, r.total.ScanID, r.queueErr)
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
func announceScan(ctx context.Context, db store.Store, w, stderr io.Writer, id int64, err error) {
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl import: the rows are committed, but no scan could be queued for them (%v); "+
			"run chainriskctl rescan once the store answers\n", err)
		return
	}
	who := ""
	if h, ok := db.(interface {
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

func importFile(ctx context.Context, db store.DataStore, file, encoding string, kind credit.Kind, format ingest.Format,
	opts ingest.ImportOptions, stderr io.Writer) (ingest.Summary, error) {
	in, name, err := openInput(file)
	if err != nil {
		return ingest.Summary{}, err
	}
	defer in.Close()
	cr := &countingReader{r: in}
	r := decodeText(cr, name, encoding)
	if file == "-" {
		// A pipe may deliver slowly; the batch holds the store's write lock while it
		// reads, so it reads the whole input first.
		sp, err := ingest.Spool(ctx, r, ingest.SpoolMemory)
		if err != nil {
			return ingest.Summary{}, err
		}
		defer sp.Close()
		r = sp
	}
	bar := progress.New(stderr, name, "rows", fileSize(in))
	var rows int64
	opts.Progress = func(n int) {
		rows = int64(n)
		bar.Set(rows, cr.n)
	}
	// Once the input is read, the rows are checked and committed: the bar says so
	// with the time it takes instead of sitting still.
	cr.atEOF = func() { bar.Set(rows, cr.n); bar.Phase("committing…") }
	sum, err := ingest.Import(ctx, db, []ingest.Input{{File: name, Kind: kind, Format: format, R: r}}, opts)
	bar.Done(fmt.Sprintf("%s: %s rows, %s read in %s", name, progress.Group(int64(sum.Accepted+sum.Rejected)),
		progress.Bytes(cr.n), progress.Duration(bar.Elapsed())))
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

// rowProgress draws the progress of a command that counts rows (match, onboard) on
// a terminal.
type rowProgress struct{ *progress.Bar }

func newProgress(w io.Writer, name string) rowProgress {
	return rowProgress{progress.New(w, name, "rows", 0)}
}

func (p rowProgress) update(rows int) { p.Set(int64(rows), 0) }

func (p rowProgress) done() { p.Done("") }

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int) string { return progress.Group(int64(n)) }

// openInput opens a file to import, or standard input for "-".
func openInput(file string) (io.ReadCloser, string, error) {
	if file == "-" {
		return io.NopCloser(os.Stdin), "stdin", nil
	}
	f, err := os.Open(file)
	return f, file, err
}
