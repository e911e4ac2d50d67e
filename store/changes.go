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

// DataMark returns the store's clock, the one that stamps updated_at, as a read
// begins: a row the read did not see was committed after it, and stamped, at the
// start of its batch's commit, no earlier than the mark less the time that commit
// took (and less the skew between the writers' clocks). The next read re-reads from
// the mark less a margin that covers both (package monitor).
func (s *SQL) DataMark(context.Context) (time.Time, error) {
	return s.now().UTC(), nil
}
