package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Both implementations keep timestamps as BIGINT Unix milliseconds (UTC), so every
// query below runs unchanged on SQLite and PostgreSQL; only connection handling,
// staging and locking differ, behind Dialect.

// Rows is the part of *sql.Rows and pgx.Rows that the shared code uses.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements written with '?' placeholders.
type Querier interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	Query(ctx context.Context, q string, args ...any) (Rows, error)
}

// Tx is a transaction of a Dialect.
type Tx interface {
	Querier
	// Stage bulk-loads n rows into a staging table; row fills dst with row i's values
	// in column order. dst is reused between rows.
	Stage(ctx context.Context, table string, cols []string, n int, row func(i int, dst []any)) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Dialect is what differs between the databases.
type Dialect interface {
	Querier
	// Name is "sqlite" or "postgres".
	Name() string
	// Begin opens a transaction. With exclusive set it also serialises against every
	// other exclusive transaction on the same store (ingest batches, migrations).
	Begin(ctx context.Context, exclusive bool) (Tx, error)
	// TempTable returns the statements creating, inside a transaction, a temporary
	// table that lives until the transaction ends.
	TempTable(name, columns string) []string
	// Fence checks, inside tx, that this process still holds the leadership under
	// which it makes the writes only a leader makes, and holds it until tx ends: a
	// replica that lost the leadership (or never had it) gets ErrFenced. Where one
	// process owns the store there is no one to fence off, and it checks nothing.
	Fence(ctx context.Context, tx Tx) error
	Ping(ctx context.Context) error
	Close() error
}

// SQL implements Store over a Dialect.
type SQL struct {
	d   Dialect
	now func() time.Time
}

// NewSQL returns a Store over d. now stamps updated_at; nil means time.Now.
func NewSQL(d Dialect, now func() time.Time) *SQL {
	if now == nil {
		now = time.Now
	}
	return &SQL{d: d, now: now}
}

// leaderTx opens a transaction for the writes only the leader makes (results, alert
// changes, scan records), fenced: a replica that is no longer the leader cannot
// make them (ErrFenced).
func (s *SQL) leaderTx(ctx context.Context) (Tx, error) {
	tx, err := s.d.Begin(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := s.d.Fence(ctx, tx); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return tx, nil
}

// Dialect exposes the underlying dialect to the packages that extend the store.
func (s *SQL) Dialect() Dialect { return s.d }

// Ping implements Store.
func (s *SQL) Ping(ctx context.Context) error { return s.d.Ping(ctx) }

// Close implements Store.
func (s *SQL) Close() error { return s.d.Close() }

// ms converts a time to Unix milliseconds; the zero time becomes NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts Unix milliseconds back; NULL becomes the zero time.
func fromMS(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v).UTC()
}

func joinTags(tags []string) string { return strings.Join(tags, ";") }

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

const enterpriseCols = `uscc, name, region, industry, tags, status, revenue,
	legal_rep_id, legal_rep_name, registered_capital, established_at, updated_at, former_names`

func scanEnterprise(r Rows, e *credit.Enterprise) error {
	var tags, former string
	var established *int64
	var updated int64
	if err := r.Scan(&e.USCC, &e.Name, &e.Region, &e.Industry, &tags, &e.Status, &e.Revenue,
		&e.LegalRepID, &e.LegalRepName, &e.RegisteredCapital, &established, &updated, &former); err != nil {
		return err
	}
	e.Tags = splitTags(tags)
	e.FormerNames = splitTags(former)
	e.EstablishedAt = fromMS(established)
	e.UpdatedAt = time.UnixMilli(updated).UTC()
	return nil
}

// Enterprises implements Store.
func (s *SQL) Enterprises(ctx context.Context, fn func(*credit.Enterprise) error) error {
	q := `SELECT ` + enterpriseCols + ` FROM enterprises`
	if ok, err := eachBinary(ctx, s.d, q, nil, (*binRow).enterprise, fn); ok {
		return err
	}
	return s.each(ctx, q, nil,
		func(r Rows) error {
			var e credit.Enterprise
			if err := scanEnterprise(r, &e); err != nil {
				return err
			}
			return fn(&e)
		})
}

// Enterprise implements Store.
func (s *SQL) Enterprise(ctx context.Context, uscc string) (*credit.Enterprise, error) {
	var found *credit.Enterprise
	err := s.each(ctx, `SELECT `+enterpriseCols+` FROM enterprises WHERE uscc = ?`, []any{uscc},
		func(r Rows) error {
			found = new(credit.Enterprise)
			return scanEnterprise(r, found)
		})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("enterprise %s: %w", uscc, ErrNotFound)
	}
	return found, nil
}

// Relations implements Store.
func (s *SQL) Relations(ctx context.Context, fn func(*credit.Relation) error) error {
	const q = `SELECT supplier, customer, purchase_share, sales_share, substitutability,
		amount, product, valid_from, valid_to FROM relations`
	if ok, err := eachBinary(ctx, s.d, q, nil, (*binRow).relation, fn); ok {
		return err
	}
	return s.each(ctx, q, nil,
		func(r Rows) error {
			var rel credit.Relation
			var from, to *int64
			if err := r.Scan(&rel.Supplier, &rel.Customer, &rel.PurchaseShare, &rel.SalesShare,
				&rel.Substitutability, &rel.Amount, &rel.Product, &from, &to); err != nil {
				return err
			}
			rel.ValidFrom, rel.ValidTo = fromMS(from), fromMS(to)
			return fn(&rel)
		})
}

// Events implements Store.
func (s *SQL) Events(ctx context.Context, f EventFilter, fn func(*credit.Event) error) error {
	if len(f.USCCs) == 0 {
		return s.eventsOf(ctx, f, nil, fn)
	}
	for start := 0; start < len(f.USCCs); start += subsetChunk {
		if err := s.eventsOf(ctx, f, f.USCCs[start:min(start+subsetChunk, len(f.USCCs))], fn); err != nil {
			return err
		}
	}
	return nil
}

// eventsOf streams the events f selects, of the firms usccs when it is not empty
// (ordered by firm and time).
func (s *SQL) eventsOf(ctx context.Context, f EventFilter, usccs []string, fn func(*credit.Event) error) error {
	q, args := eventsSQL(f, len(usccs)), eventsArgs(f, usccs)
	if ok, err := eachBinary(ctx, s.d, q, args, (*binRow).event, fn); ok {
		return err
	}
	return s.each(ctx, q, args, func(r Rows) error {
		e, err := scanEvent(r)
		if err != nil {
			return err
		}
		return fn(&e)
	})
}

// eventsSQL is the statement of eventsOf for n firms (0: no list of firms), read by
// scanEvent; eventsArgs are its arguments.
func eventsSQL(f EventFilter, n int) string {
	q := `SELECT event_id, uscc, type, occurred_at, publish_until, source, amount, description,
		state, repaired_at FROM events WHERE 1=1`
	if n > 0 {
		q += ` AND uscc IN (` + placeholders(n) + `)`
	}
	if f.USCC != "" {
		q += ` AND uscc = ?`
	}
	const active = `(state = 'active' AND (publish_until IS NULL OR publish_until > ?))`
	recent := `(occurred_at >= ? AND type IN (` + placeholders(len(f.Recent.Types)) + `))`
	switch {
	case !f.ActiveAt.IsZero() && len(f.Recent.Types) > 0:
		q += ` AND (` + active + ` OR ` + recent + `)`
	case !f.ActiveAt.IsZero():
		q += ` AND ` + active
	case len(f.Recent.Types) > 0:
		q += ` AND ` + recent
	}
	switch {
	case f.USCC != "":
		// A firm's list reads best in time order; whole-table scans (the engine's
		// load) skip the sort.
		q += ` ORDER BY occurred_at, event_id`
	case n > 0:
		q += ` ORDER BY uscc, occurred_at, event_id`
	}
	return q
}

// eventsArgs are the arguments of eventsSQL(f, len(usccs)).
func eventsArgs(f EventFilter, usccs []string) []any {
	var args []any
	for _, u := range usccs {
		args = append(args, u)
	}
	if f.USCC != "" {
		args = append(args, f.USCC)
	}
	if !f.ActiveAt.IsZero() {
		args = append(args, f.ActiveAt.UnixMilli())
	}
	if len(f.Recent.Types) > 0 {
		args = append(args, f.Recent.Since.UnixMilli())
		for _, t := range f.Recent.Types {
			args = append(args, t)
		}
	}
	return args
}

// Counts implements Store.
func (s *SQL) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	now := s.now().UnixMilli()
	err := s.each(ctx, `SELECT
		(SELECT COUNT(*) FROM enterprises),
		(SELECT COUNT(*) FROM relations),
		(SELECT COUNT(*) FROM events),
		(SELECT COUNT(*) FROM events WHERE state = 'active' AND (publish_until IS NULL OR publish_until > ?)),
		(SELECT COUNT(*) FROM repairs),
		(SELECT COUNT(*) FROM shareholdings)`, []any{now},
		func(r Rows) error {
			return r.Scan(&c.Enterprises, &c.Relations, &c.Events, &c.ActiveEvents, &c.Repairs, &c.Shareholdings)
		})
	return c, err
}

// each runs q and calls fn for every row.
func (s *SQL) each(ctx context.Context, q string, args []any, fn func(Rows) error) error {
	return eachRow(ctx, s.d, q, args, fn)
}

func eachRow(ctx context.Context, x Querier, q string, args []any, fn func(Rows) error) error {
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// subsetChunk bounds the IN lists of Subset's queries.
const subsetChunk = 500

// Subset implements Store.
func (s *SQL) Subset(ctx context.Context, usccs []string, activeAt time.Time) (*Subset, error) {
	out := &Subset{}
	seen := make(map[[2]string]bool)
	seenHoldings := make(map[[3]string]bool)
	for start := 0; start < len(usccs); start += subsetChunk {
		part := usccs[start:min(start+subsetChunk, len(usccs))]
		args := make([]any, len(part))
		for i, u := range part {
			args[i] = u
		}
		in := "(" + placeholders(len(part)) + ")"
		err := s.each(ctx, `SELECT `+enterpriseCols+` FROM enterprises WHERE uscc IN `+in+` ORDER BY uscc`, args,
			func(r Rows) error {
				var e credit.Enterprise
				err := scanEnterprise(r, &e)
				out.Enterprises = append(out.Enterprises, e)
				return err
			})
		if err != nil {
			return nil, fmt.Errorf("subset: enterprises: %w", err)
		}
		err = s.each(ctx, `SELECT supplier, customer, purchase_share, sales_share, substitutability,
			amount, product, valid_from, valid_to FROM relations WHERE supplier IN `+in+` OR customer IN `+in+`
			ORDER BY supplier, customer`, append(args, args...), func(r Rows) error {
			var rel credit.Relation
			var from, to *int64
			if err := r.Scan(&rel.Supplier, &rel.Customer, &rel.PurchaseShare, &rel.SalesShare,
				&rel.Substitutability, &rel.Amount, &rel.Product, &from, &to); err != nil {
				return err
			}
			key := [2]string{rel.Supplier, rel.Customer}
			if seen[key] { // both firms in the subset, met in two chunks
				return nil
			}
			seen[key] = true
			rel.ValidFrom, rel.ValidTo = fromMS(from), fromMS(to)
			out.Relations = append(out.Relations, rel)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("subset: relations: %w", err)
		}
		err = s.each(ctx, `SELECT event_id, uscc, type, occurred_at, publish_until, source, amount, description,
			state, repaired_at FROM events WHERE uscc IN `+in+` AND state = 'active'
			AND (publish_until IS NULL OR publish_until > ?) ORDER BY uscc, occurred_at, event_id`,
			append(args, activeAt.UnixMilli()), func(r Rows) error {
				e, err := scanEvent(r)
				out.Events = append(out.Events, e)
				return err
			})
		if err != nil {
			return nil, fmt.Errorf("subset: events: %w", err)
		}
		if err := s.subsetShareholdings(ctx, out, args, seenHoldings); err != nil {
			return nil, fmt.Errorf("subset: shareholdings: %w", err)
		}
		if err := s.subsetSupplied(ctx, out, args); err != nil {
			return nil, fmt.Errorf("subset: supplied relations: %w", err)
		}
	}
	return out, nil
}

func scanEvent(r Rows) (credit.Event, error) {
	var e credit.Event
	var occurred int64
	var until, repaired *int64
	err := r.Scan(&e.ID, &e.USCC, &e.Type, &occurred, &until, &e.Source, &e.Amount, &e.Description, &e.State, &repaired)
	e.OccurredAt = time.UnixMilli(occurred).UTC()
	e.PublishUntil, e.RepairedAt = fromMS(until), fromMS(repaired)
	return e, err
}

// ExpireEvents implements Store.
func (s *SQL) ExpireEvents(ctx context.Context, now time.Time) ([]string, error) {
	seen := make(map[string]bool)
	var out []string
	// The row's stamp is the store's clock, as every batch's: the readers of changes
	// (ChangedFirms) compare stamps with the marks they read.
	err := s.each(ctx, `UPDATE events SET state = 'expired', updated_at = ?
		WHERE state = 'active' AND publish_until IS NOT NULL AND publish_until <= ? RETURNING uscc`,
		[]any{s.now().UnixMilli(), now.UnixMilli()}, func(r Rows) error {
			var u string
			if err := r.Scan(&u); err != nil {
				return err
			}
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("expire events: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// RepairsSince returns the repairs stored (or changed) after t, oldest first, with
// the firm and type of the event each repaired.
func (s *SQL) RepairsSince(ctx context.Context, t time.Time) ([]RepairedEvent, error) {
	var out []RepairedEvent
	err := s.each(ctx, `SELECT r.event_id, e.uscc, e.type, r.repaired_at, r.decided_by, r.reason, r.updated_at
		FROM repairs r JOIN events e ON e.event_id = r.event_id WHERE r.updated_at > ?
		ORDER BY r.updated_at, r.event_id`, []any{t.UnixMilli()}, func(r Rows) error {
		var re RepairedEvent
		var repaired, recorded int64
		err := r.Scan(&re.EventID, &re.USCC, &re.Type, &repaired, &re.DecidedBy, &re.Reason, &recorded)
		re.RepairedAt, re.RecordedAt = time.UnixMilli(repaired).UTC(), time.UnixMilli(recorded).UTC()
		out = append(out, re)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("repairs since %s: %w", t.Format(time.RFC3339), err)
	}
	return out, nil
}
