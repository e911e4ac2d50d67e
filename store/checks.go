package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckReport is a saved investment-attraction check: its key fields, and the report
// itself as the document the API answered, which the store keeps as it was given.
type CheckReport struct {
	ID        int64
	USCC      string
	Verdict   string
	ScanID    int64
	CheckedAt time.Time
	CheckedBy string
	Report    []byte
}

// CheckReportFilter selects reports to list. Zero values select everything.
type CheckReportFilter struct {
	USCC string
	// BeforeID keeps the reports whose ID is below it (0: all): the next page.
	BeforeID int64
	// Limit caps the list (newest first); 0 means 100.
	Limit int
}

const checkCols = `id, uscc, verdict, scan_id, checked_at, checked_by, report`

func scanCheckReport(r Rows) (CheckReport, error) {
	var c CheckReport
	var at int64
	var report string
	err := r.Scan(&c.ID, &c.USCC, &c.Verdict, &c.ScanID, &at, &c.CheckedBy, &report)
	c.CheckedAt, c.Report = time.UnixMilli(at).UTC(), []byte(report)
	return c, err
}

// SaveCheckReports records reports in one transaction. The IDs are taken under the
// exclusive lock, so replicas saving at once never hand out the same one.
func (s *SQL) SaveCheckReports(ctx context.Context, reports []*CheckReport) error {
	if len(reports) == 0 {
		return nil
	}
	for _, c := range reports {
		if c.USCC == "" || c.Verdict == "" || len(c.Report) == 0 {
			return errors.New("save check reports: uscc, verdict and report are required")
		}
	}
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("save check reports: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var next int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(id), 0) + 1 FROM check_reports`, nil,
		func(r Rows) error { return r.Scan(&next) }); err != nil {
		return fmt.Errorf("save check reports: %w", err)
	}
	now := s.now()
	for i, c := range reports {
		at := c.CheckedAt
		if at.IsZero() {
			at = now
		}
		if _, err := tx.Exec(ctx, `INSERT INTO check_reports (`+checkCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			next+int64(i), c.USCC, c.Verdict, c.ScanID, at.UnixMilli(), c.CheckedBy, string(c.Report)); err != nil {
			return fmt.Errorf("save check reports: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save check reports: %w", err)
	}
	for i, c := range reports {
		c.ID = next + int64(i)
		if c.CheckedAt.IsZero() {
			c.CheckedAt = now
		}
	}
	return nil
}

// CheckReport returns one saved report, or ErrNotFound.
func (s *SQL) CheckReport(ctx context.Context, id int64) (*CheckReport, error) {
	var out *CheckReport
	err := s.each(ctx, `SELECT `+checkCols+` FROM check_reports WHERE id = ?`, []any{id}, func(r Rows) error {
		c, err := scanCheckReport(r)
		out = &c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("check report %d: %w", id, err)
	}
	if out == nil {
		return nil, fmt.Errorf("check report %d: %w", id, ErrNotFound)
	}
	return out, nil
}

// CheckReports lists saved reports, newest first.
func (s *SQL) CheckReports(ctx context.Context, f CheckReportFilter) ([]CheckReport, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q, args := `SELECT `+checkCols+` FROM check_reports WHERE 1=1`, []any{}
	if f.USCC != "" {
		q += ` AND uscc = ?`
		args = append(args, f.USCC)
	}
	if f.BeforeID > 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []CheckReport
	err := s.each(ctx, q, args, func(r Rows) error {
		c, err := scanCheckReport(r)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("check reports: %w", err)
	}
	return out, nil
}
