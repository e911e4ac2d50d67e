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
	// Pipeline runs the statements qs, written with '?' placeholders, with the
	// arguments args[i] each, and calls row(i, r) for every row of statement i.
	Pipeline(ctx context.Context, qs []string, args [][]any, row func(i int, r Rows) error) error
}

func (s *SQL) pipeline(ctx context.Context, qs []string, args [][]any, row func(i int, r Rows) error) error {
	if p, ok := s.d.(Pipeliner); ok {
		return p.Pipeline(ctx, qs, args, row)
	}
	for i := range qs {
		if err := s.each(ctx, qs[i], args[i], func(r Rows) error { return row(i, r) }); err != nil {
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
	f := EventFilter{USCC: uscc, ActiveAt: activeAt}
	qs := []string{`SELECT ` + enterpriseCols + ` FROM enterprises WHERE uscc = ?`, eventsSQL(f, 0),
		firmResultQuery, historyQuery}
	args := [][]any{{uscc}, eventsArgs(f, nil), {uscc}, historyArgs(uscc, HistoryFilter{Limit: historyLimit})}
	history := historyRow(&v.History)
	err := s.pipeline(ctx, qs, args, func(i int, r Rows) error {
		switch i {
		case 0:
			v.Enterprise = new(credit.Enterprise)
			return scanEnterprise(r, v.Enterprise)
		case 1:
			e, err := scanEvent(r)
			v.Events = append(v.Events, e)
			return err
		case 2:
			v.Result = new(FirmResult)
			var t int64
			return scanFirmResult(r, v.Result, &t)
		default:
			return history(r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("enterprise %s: %w", uscc, err)
	}
	return v, nil
}
