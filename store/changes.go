package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What changed in the input tables since a moment: a scheduled full scan re-reads
// only the firms whose rows changed after its previous read (package monitor). The
// input tables' rows are never deleted (0001_data.sql); supplied relations, which a
// leader may withdraw, are few and read whole.

// changeQueries select, for each input table, the firms of the rows whose updated_at
// is after the argument: both firms of a relation, an event's firm (a repair's
// event's firm too, though the repair's merge also stamps its event), a holding's
// investee and its holder when a firm.
var changeQueries = []string{
	`SELECT uscc, '' FROM enterprises WHERE updated_at > ?`,
	`SELECT supplier, customer FROM relations WHERE updated_at > ?`,
	`SELECT uscc, '' FROM events WHERE updated_at > ?`,
	`SELECT e.uscc, '' FROM repairs r JOIN events e ON e.event_id = r.event_id WHERE r.updated_at > ?`,
	`SELECT investee, CASE WHEN holder_kind = 'firm' THEN holder ELSE '' END FROM shareholdings WHERE updated_at > ?`,
	`SELECT supplier, customer FROM supplied_relations WHERE updated_at > ?`,
}

var errTooMany = errors.New("too many changed firms")

// ChangedFirms returns the firms of the input rows whose updated_at is after since,
// in no particular order and each once. When more than limit firms changed it stops
// and returns nil and false: the caller reads everything instead.
func (s *SQL) ChangedFirms(ctx context.Context, since time.Time, limit int) ([]string, bool, error) {
	seen := make(map[string]struct{})
	var out []string
	for _, q := range changeQueries {
		err := s.each(ctx, q, []any{since.UnixMilli()}, func(r Rows) error {
			var a, b string
			if err := r.Scan(&a, &b); err != nil {
				return err
			}
			for _, u := range [2]string{a, b} {
				if _, ok := seen[u]; ok || u == "" {
					continue
				}
				if len(out) == limit {
					return errTooMany
				}
				seen[u] = struct{}{}
				out = append(out, u)
			}
			return nil
		})
		if errors.Is(err, errTooMany) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("changed firms: %w", err)
		}
	}
	return out, true, nil
}

// DataMark returns the newest updated_at the input tables hold (the zero time when
// they are empty), but no later than the store's clock: read before the rows, it
// marks what a read has seen. A row stamped ahead of the clock (a writer's clock
// running fast) would otherwise move the mark past rows stamped after it by the
// others; capped, such a row is only read again until the clock passes it.
func (s *SQL) DataMark(ctx context.Context) (time.Time, error) {
	var mark int64
	for _, t := range []string{"enterprises", "relations", "events", "repairs", "shareholdings", "supplied_relations"} {
		err := s.each(ctx, `SELECT MAX(updated_at) FROM `+t, nil, func(r Rows) error {
			var v *int64
			if err := r.Scan(&v); err != nil {
				return err
			}
			if v != nil {
				mark = max(mark, *v)
			}
			return nil
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("data mark: %s: %w", t, err)
		}
	}
	if mark == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(min(mark, s.now().UnixMilli())).UTC(), nil
}
