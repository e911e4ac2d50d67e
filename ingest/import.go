package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Input is one file or request body of a batch.
type Input struct {
	File   string // name used in problems
	Kind   credit.Kind
	Format Format
	R      io.Reader
}

// ImportOptions configure Import.
type ImportOptions struct {
	// Strict commits nothing when any row is bad.
	Strict    bool
	Validator *credit.Validator
	// MaxErrors bounds the problems listed in the summary (all are counted);
	// 0 means DefaultMaxProblems.
	MaxErrors int
	ChunkSize int
	// Mutate, when set, may adjust each chunk of good rows before it is staged.
	Mutate func(*store.Chunk)
	// Progress, when set, is called after each staged chunk with the rows read so far.
	Progress func(rows int)
	// Source, when set, is the USCC of the leading firm whose tenant supplies the
	// batch's relations (docs/onboarding.md, "Leaders' own supplier lists"): they go
	// beside the registry's as that leader's rows, read with Options.Leader's rules.
	Source string
	// DefaultSalesShare is the sales share of a leader's row that gave none when
	// nothing better is known (onboarding.default_sales_share); 0 means
	// DefaultSalesShare.
	DefaultSalesShare float64
}

// DefaultSalesShare is the default of onboarding.default_sales_share.
const DefaultSalesShare = 0.1

// Counts are one kind's rows in a batch.
type Counts struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Warned   int `json:"warned"`
}

// Summary is the answer to an ingest batch, the same from the API and the CLI.
type Summary struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	// Errors lists rejected rows as "file:line: field: reason", in input and line
	// order, at most MaxErrors of them (a last entry says how many more there were).
	Errors []string `json:"errors"`
	// Warnings lists accepted rows that came with a warning, bounded like Errors.
	Warnings []string `json:"warnings,omitempty"`
	// Committed is false when nothing was written: a strict batch with bad rows, or a
	// bad header.
	Committed bool                   `json:"committed"`
	Changed   int64                  `json:"changed"`
	PerKind   map[credit.Kind]Counts `json:"-"`
	Applied   store.Applied          `json:"-"`
}

// OK reports whether every row was accepted and committed.
func (s *Summary) OK() bool { return s.Rejected == 0 && s.Committed }

// lineShift packs the input's index above the line number, so that rows of several
// inputs of one kind stay apart in staging.
const lineShift = 32

// problem is a summary line with where it came from, for ordering.
type problem struct {
	input, line int
	text        string
}

// Import reads every input and applies them as one atomic batch: all good rows are
// committed and the bad ones listed, or — Strict — nothing is committed if any row is
// bad. The error is for failures of the store or of reading an input (the batch is
// then rolled back); bad data is reported in the Summary.
//
// The batch holds the store's write lock while it reads the inputs: give it inputs
// that read at their own pace (files, a Spooled body), never a client's connection.
func Import(ctx context.Context, db store.DataStore, inputs []Input, opts ImportOptions) (Summary, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxProblems
	}
	sum := Summary{PerKind: make(map[credit.Kind]Counts)}
	readers, err := openReaders(inputs, opts)
	var header RowProblem
	if errors.As(err, &header) {
		// A bad header says nothing can be trusted about the input's rows.
		sum.Rejected++
		sum.Errors = append(sum.Errors, header.String())
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	var b store.Batch
	if opts.Source != "" {
		if opts.DefaultSalesShare == 0 {
			opts.DefaultSalesShare = DefaultSalesShare
		}
		b, err = db.BeginSupplyBatch(ctx, store.SupplyOptions{Source: opts.Source, DefaultSalesShare: opts.DefaultSalesShare})
	} else {
		b, err = db.BeginBatch(ctx)
	}
	if err != nil {
		return sum, err
	}
	defer func() { _ = b.Rollback(context.WithoutCancel(ctx)) }()

	t := &tally{sum: &sum, staged: make(map[credit.Kind]int)}
	if err := t.stage(ctx, b, inputs, readers, opts); err != nil {
		return sum, err
	}
	refused, err := b.Check(ctx)
	if err != nil {
		return sum, err
	}
	t.refuse(inputs, refused)
	t.list(opts.MaxErrors)

	if opts.Strict && sum.Rejected > 0 {
		for kind, k := range sum.PerKind {
			k.Accepted = 0
			sum.PerKind[kind] = k
		}
		sum.Accepted = 0
		return sum, nil
	}
	applied, err := b.Commit(ctx)
	if err != nil {
		return sum, err
	}
	sum.Committed, sum.Applied, sum.Changed = true, applied, applied.Changed
	return sum, nil
}

// openReaders checks every header before the batch opens, so that a bad one commits
// nothing; it returns the first bad header as a RowProblem.
func openReaders(inputs []Input, opts ImportOptions) ([]*Reader, error) {
	readers := make([]*Reader, len(inputs))
	for idx, in := range inputs {
		r, err := NewReader(in.R, Options{File: in.File, Kind: in.Kind, Format: in.Format,
			Validator: opts.Validator, ChunkSize: opts.ChunkSize, MaxProblems: opts.MaxErrors, Leader: opts.Source})
		if err != nil {
			return nil, err
		}
		readers[idx] = r
	}
	return readers, nil
}

// tally gathers a batch's problems and counts while it is read and checked.
type tally struct {
	sum         *Summary
	errs, warns []problem
	staged      map[credit.Kind]int // rows staged, by kind
}

// stage reads every input into the batch, chunk by chunk, and counts the rows the
// readers rejected.
func (t *tally) stage(ctx context.Context, b store.Batch, inputs []Input, readers []*Reader, opts ImportOptions) error {
	rowsBefore := 0
	for idx, in := range inputs {
		r := readers[idx]
		if err := t.stageInput(ctx, b, idx, in, r, rowsBefore, opts); err != nil {
			return err
		}
		rowsBefore += r.Rows()
		for _, p := range r.Problems() {
			if p.Warning {
				t.warns = append(t.warns, problem{idx, p.Line, p.String()})
			} else {
				t.errs = append(t.errs, problem{idx, p.Line, p.String()})
			}
		}
		k := t.sum.PerKind[in.Kind]
		k.Rejected += r.Rejected()
		k.Warned += r.Warned()
		t.sum.PerKind[in.Kind] = k
		t.sum.Rejected += r.Rejected()
	}
	return nil
}

// stageInput stages the chunks of one input, decoded ahead on another goroutine;
// once it returns, r is no longer read.
func (t *tally) stageInput(ctx context.Context, b store.Batch, idx int, in Input, r *Reader, rowsBefore int,
	opts ImportOptions) error {
	chunks, stop := readAhead(r)
	defer stop()
	for d := range chunks {
		if d.err != nil {
			return d.err
		}
		c := d.c
		if opts.Mutate != nil {
			opts.Mutate(c)
		}
		for i := range c.Lines {
			c.Lines[i] |= idx << lineShift
		}
		if err := b.Stage(ctx, c); err != nil {
			return err
		}
		t.staged[in.Kind] += c.Len()
		if opts.Progress != nil {
			opts.Progress(rowsBefore + d.rows)
		}
	}
	return nil
}

// refuse counts the rows the store's checks refused, and then the accepted ones.
func (t *tally) refuse(inputs []Input, refused []store.RowError) {
	for _, re := range refused {
		idx, line := re.Line>>lineShift, re.Line&(1<<lineShift-1)
		text := fmt.Sprintf("%d: %s: %s", line, re.Field, re.Reason)
		if f := inputs[idx].File; f != "" {
			text = f + ":" + text
		}
		t.errs = append(t.errs, problem{idx, line, text})
		k := t.sum.PerKind[re.Kind]
		k.Rejected++
		t.sum.PerKind[re.Kind] = k
		t.staged[re.Kind]--
		t.sum.Rejected++
	}
	for kind, n := range t.staged {
		k := t.sum.PerKind[kind]
		k.Accepted = n
		t.sum.PerKind[kind] = k
		t.sum.Accepted += n
	}
}

// list puts the problems into the summary, at most max of each.
func (t *tally) list(max int) {
	t.sum.Errors = listed(t.errs, max, t.sum.Rejected, "rejected rows")
	warned := 0
	for _, k := range t.sum.PerKind {
		warned += k.Warned
	}
	t.sum.Warnings = listed(t.warns, max, warned, "warnings")
}

// listed orders problems by input and line, keeps at most max, and says how many more
// there were (total counts those the readers did not keep).
func listed(ps []problem, max, total int, what string) []string {
	slices.SortStableFunc(ps, func(a, b problem) int {
		if a.input != b.input {
			return a.input - b.input
		}
		return a.line - b.line
	})
	out := make([]string, 0, min(len(ps), max)+1)
	for i := 0; i < len(ps) && i < max; i++ {
		out = append(out, ps[i].text)
	}
	if more := total - len(out); more > 0 {
		out = append(out, fmt.Sprintf("... and %d more %s", more, what))
	}
	return out
}
