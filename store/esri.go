package store

import (
	"context"
	"fmt"
	"time"
)

// ESRIResult is the latest chain ESRI of one leading firm: what the esri cron job
// computed for its chain's members. Detail is the members' JSON document.
type ESRIResult struct {
	Leader string
	// ScanID is the scan whose graph the cascades ran on; ComputedAt when the job
	// computed them.
	ScanID       int64
	ComputedAt   time.Time
	Members      int64
	ESRIMax      float64
	NotConverged int64
	Detail       []byte
}

const esriCols = "leader, scan_id, computed_at, members, esri_max, not_converged, detail"

// SaveESRI writes the given leaders' results, replacing what was held for them, and
// deletes the results of the leaders in drop, in one transaction: a write only the
// leader makes, fenced like the scan results.
func (s *SQL) SaveESRI(ctx context.Context, results []ESRIResult, drop []string) error {
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return fmt.Errorf("save esri: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for i := range results {
		r := &results[i]
		if _, err := tx.Exec(ctx, `INSERT INTO esri_results (`+esriCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (leader) DO UPDATE SET scan_id = excluded.scan_id, computed_at = excluded.computed_at,
				members = excluded.members, esri_max = excluded.esri_max, not_converged = excluded.not_converged,
				detail = excluded.detail`,
			r.Leader, r.ScanID, r.ComputedAt.UnixMilli(), r.Members, r.ESRIMax, r.NotConverged, string(r.Detail)); err != nil {
			return fmt.Errorf("save esri of %s: %w", r.Leader, err)
		}
	}
	for _, leader := range drop {
		if _, err := tx.Exec(ctx, `DELETE FROM esri_results WHERE leader = ?`, leader); err != nil {
			return fmt.Errorf("save esri: drop %s: %w", leader, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save esri: %w", err)
	}
	return nil
}

func scanESRI(r Rows) (ESRIResult, error) {
	var e ESRIResult
	var at int64
	var detail string
	err := r.Scan(&e.Leader, &e.ScanID, &at, &e.Members, &e.ESRIMax, &e.NotConverged, &detail)
	e.ComputedAt = time.UnixMilli(at).UTC()
	if detail != "" {
		e.Detail = []byte(detail)
	}
	return e, err
}

// ESRI returns a leader's latest chain ESRI, or ErrNotFound.
func (s *SQL) ESRI(ctx context.Context, leader string) (*ESRIResult, error) {
	return s.esriOf(ctx, `SELECT `+esriCols+` FROM esri_results WHERE leader = ?`, leader)
}

// ESRIHeader returns a leader's latest chain ESRI without its Detail, or
// ErrNotFound: what a chain's summary says of it.
func (s *SQL) ESRIHeader(ctx context.Context, leader string) (*ESRIResult, error) {
	return s.esriOf(ctx, `SELECT leader, scan_id, computed_at, members, esri_max, not_converged, ''
		FROM esri_results WHERE leader = ?`, leader)
}

// esriOf reads the one row q selects of leader's result, or ErrNotFound.
func (s *SQL) esriOf(ctx context.Context, q, leader string) (*ESRIResult, error) {
	var found *ESRIResult
	err := s.each(ctx, q, []any{leader}, func(r Rows) error {
		e, err := scanESRI(r)
		found = &e
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("esri of %s: %w", leader, err)
	}
	if found == nil {
		return nil, fmt.Errorf("esri of %s: %w", leader, ErrNotFound)
	}
	return found, nil
}

// ESRIResults streams every leader's latest chain ESRI, Detail omitted, in leader order.
func (s *SQL) ESRIResults(ctx context.Context, fn func(*ESRIResult) error) error {
	return s.each(ctx, `SELECT leader, scan_id, computed_at, members, esri_max, not_converged, ''
		FROM esri_results ORDER BY leader`, nil, func(r Rows) error {
		e, err := scanESRI(r)
		if err != nil {
			return err
		}
		return fn(&e)
	})
}
