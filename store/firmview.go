package store

import (
	"context"
	"fmt"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Pipeliner is a Dialect that sends several statements in one round trip and reads
// their answers in order (PostgreSQL's pipeline). Over the others, SQL runs them one
// after the other.
type Pipeliner interface {
	Pipeline(ctx context.Context, qs []Pipelined) error
}

// Pipelined is one statement of a pipeline, written with '?' placeholders, and the
// function reading each of its rows.
type Pipelined struct {
	SQL  string
	Args []any
	Row  func(Rows) error
}

func (s *SQL) pipeline(ctx context.Context, qs []Pipelined) error {
	if p, ok := s.d.(Pipeliner); ok {
		return p.Pipeline(ctx, qs)
	}
	for _, q := range qs {
		if err := s.each(ctx, q.SQL, q.Args, q.Row); err != nil {
			return err
		}
	}
	return nil
}

// FirmView is what the enterprise endpoint reads of one firm from the store.
type FirmView struct {
	// Enterprise is nil when the store holds no such firm.
	Enterprise *credit.Enterprise
	// Events are the firm's events active at the asked time, in time order.
	Events []credit.Event
	// Result is the firm's latest result; nil when it has none yet.
	Result *FirmResult
	// History is the firm's newest history entries, newest first.
	History []HistoryEntry
}

// FirmView reads a firm's record, its events active at activeAt, its latest result
// and its newest historyLimit history entries: the answers of Enterprise, Events
// (EventFilter{USCC: uscc, ActiveAt: activeAt}), FirmResult and History, in one
// round trip where the dialect pipelines statements.
func (s *SQL) FirmView(ctx context.Context, uscc string, activeAt time.Time, historyLimit int) (*FirmView, error) {
	v := &FirmView{}
	evq, evArgs := eventsQuery(EventFilter{USCC: uscc, ActiveAt: activeAt}, nil)
	err := s.pipeline(ctx, []Pipelined{
		{SQL: `SELECT ` + enterpriseCols + ` FROM enterprises WHERE uscc = ?`, Args: []any{uscc}, Row: func(r Rows) error {
			v.Enterprise = new(credit.Enterprise)
			return scanEnterprise(r, v.Enterprise)
		}},
		{SQL: evq, Args: evArgs, Row: func(r Rows) error {
			e, err := scanEvent(r)
			v.Events = append(v.Events, e)
			return err
		}},
		{SQL: firmResultQuery, Args: []any{uscc}, Row: func(r Rows) error {
			v.Result = new(FirmResult)
			var t int64
			return scanFirmResult(r, v.Result, &t)
		}},
		{SQL: historyQuery, Args: historyArgs(uscc, HistoryFilter{Limit: historyLimit}), Row: historyRow(&v.History)},
	})
	if err != nil {
		return nil, fmt.Errorf("enterprise %s: %w", uscc, err)
	}
	return v, nil
}
