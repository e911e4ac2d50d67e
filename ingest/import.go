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
}

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
func Import(ctx context.Context, st store.DataStore, inputs []Input, opts ImportOptions) (Summary, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxProblems
	}
	sum := Summary{PerKind: make(map[credit.Kind]Counts)}
	// Every header is checked before the batch opens: a bad one commits nothing.
	readers := make([]*Reader, len(inputs))
	for idx, in := range inputs {
		r, err := NewReader(in.R, Options{File: in.File, Kind: in.Kind, Format: in.Format,
			Validator: opts.Validator, ChunkSize: opts.ChunkSize, MaxProblems: opts.MaxErrors})
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
		readers[idx] = r
	}
	b, err := st.BeginBatch(ctx)
	if err != nil {
		return sum, err
	}
	defer func() { _ = b.Rollback(context.WithoutCancel(ctx)) }()

	var errs, warns []problem
	staged := make(map[credit.Kind]int)
	rowsBefore := 0
	for idx, in := range inputs {
		r := readers[idx]
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return sum, err
			}
			if opts.Mutate != nil {
				opts.Mutate(c)
			}
			for i := range c.Lines {
				c.Lines[i] |= idx << lineShift
			}
			if err := b.Stage(ctx, c); err != nil {
				return sum, err
			}
			staged[in.Kind] += c.Len()
			if opts.Progress != nil {
				opts.Progress(rowsBefore + r.Rows())
			}
		}
		rowsBefore += r.Rows()
		for _, p := range r.Problems() {
			if p.Warning {
				warns = append(warns, problem{idx, p.Line, p.String()})
			} else {
				errs = append(errs, problem{idx, p.Line, p.String()})
			}
		}
		k := sum.PerKind[in.Kind]
		k.Rejected += r.Rejected()
		k.Warned += r.Warned()
		sum.PerKind[in.Kind] = k
		sum.Rejected += r.Rejected()
	}

	refused, err := b.Check(ctx)
	if err != nil {
		return sum, err
	}
	for _, re := range refused {
		idx, line := re.Line>>lineShift, re.Line&(1<<lineShift-1)
		text := fmt.Sprintf("%d: %s: %s", line, re.Field, re.Reason)
		if f := inputs[idx].File; f != "" {
			text = f + ":" + text
		}
		errs = append(errs, problem{idx, line, text})
		k := sum.PerKind[re.Kind]
		k.Rejected++
		sum.PerKind[re.Kind] = k
		staged[re.Kind]--
		sum.Rejected++
	}
	for kind, n := range staged {
		k := sum.PerKind[kind]
		k.Accepted = n
		sum.PerKind[kind] = k
		sum.Accepted += n
	}
	sum.Errors = listed(errs, opts.MaxErrors, sum.Rejected, "rejected rows")
	warned := 0
	for _, k := range sum.PerKind {
		warned += k.Warned
	}
	sum.Warnings = listed(warns, opts.MaxErrors, warned, "warnings")

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
