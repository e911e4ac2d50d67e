package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// copyMin is the number of firm results from which SaveResults tries to copy them
// straight into their tables: a full scan's first save writes every firm, an
// incremental scan's a few, which the merge through staging serves as well.
const copyMin = 10_000

// copyFirms copies a scan's firm results straight into scores and score_history
// (COPY on PostgreSQL), skipping the staging tables and the merges, where nothing can
// collide with them: into scores when it holds no row at all (the first scan on a
// store), into score_history when this scan wrote no entry yet (it was not saved
// before). It returns how many firm results and history entries are left for the
// merge: none of those it copied. Each copy runs under a savepoint: a collision all the same (a save of
// the same scan again) undoes that copy alone, and the caller merges those rows
// through staging as before, so the outcome is the merge's.
func copyFirms(ctx context.Context, tx Tx, res *Results, at int64, order, horder []int32) (firms, history int, err error) {
	firms, history = len(res.Firms), len(res.History)
	if len(res.Firms) >= copyMin {
		var held bool
		if err := eachRow(ctx, tx, `SELECT EXISTS (SELECT 1 FROM scores)`, nil, func(r Rows) error {
			return r.Scan(&held)
		}); err != nil {
			return 0, 0, err
		}
		if !held {
			ok, err := underSavepoint(ctx, tx, func() error {
				return tx.Stage(ctx, "scores", []string{"uscc", "score", "grade", "p", "d", "model_version", "scan_id",
					"updated_at"}, len(res.Firms), func(i int, dst []any) {
					f := &res.Firms[at32(order, i)]
					dst[0], dst[1], dst[2], dst[3], dst[4] = f.USCC, f.Score, f.Grade, f.P, f.D
					dst[5], dst[6], dst[7] = res.ModelVersion, res.ScanID, at
				})
			})
			if err != nil {
				return 0, 0, err
			}
			if ok {
				firms = 0
			}
		}
	}
	if len(res.History) >= copyMin {
		ok, err := underSavepoint(ctx, tx, func() error {
			return tx.Stage(ctx, "score_history", []string{"uscc", "scan_id", "at", "score", "grade", "p", "d",
				"model_version"}, len(res.History), func(i int, dst []any) {
				f := &res.History[at32(horder, i)]
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], dst[6] = f.USCC, res.ScanID, at, f.Score, f.Grade, f.P, f.D
				dst[7] = res.ModelVersion
			})
		})
		if err != nil {
			return 0, 0, err
		}
		if ok {
			history = 0
		}
	}
	return firms, history, nil
}

// underSavepoint runs write under a savepoint of tx and reports whether it
// succeeded; when it failed, what it wrote is undone and tx goes on. An error means
// the transaction itself failed.
func underSavepoint(ctx context.Context, tx Tx, write func() error) (bool, error) {
	if _, err := tx.Exec(ctx, `SAVEPOINT copy_results`); err != nil {
		return false, err
	}
	if werr := write(); werr != nil {
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT copy_results`); err != nil {
			return false, fmt.Errorf("%w (after %w)", err, werr)
		}
		if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT copy_results`); err != nil {
			return false, err
		}
		return false, nil
	}
	if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT copy_results`); err != nil {
		return false, err
	}
	return true, nil
}

// byUSCC returns the positions of f in USCC order, nil when f is short. Rows copied
// or merged in key order append to the indexes' rightmost pages, where rows in node
// order (random USCCs) split pages all over them: a first save of 1,000,000 firms
// took a third of the time sorted.
func byUSCC(f []FirmResult) []int32 {
	if len(f) < copyMin {
		return nil
	}
	order := make([]int32, len(f))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(f[a].USCC, f[b].USCC) })
	return order
}

// orders returns the USCC orders (byUSCC) of res's results and history entries,
// sorted once when they are the same firms (a first scan's).
func orders(res *Results) (firms, history []int32) {
	firms = byUSCC(res.Firms)
	if slices.EqualFunc(res.History, res.Firms, func(a, b FirmResult) bool { return a.USCC == b.USCC }) {
		return firms, firms
	}
	return firms, byUSCC(res.History)
}

// at32 is position i of order, or i itself when order is nil.
func at32(order []int32, i int) int {
	if order == nil {
		return i
	}
	return int(order[i])
}
