package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
)

// MaxTouched bounds Applied.Touched; past it a batch reports TouchedAll.
const MaxTouched = 100_000

// Staging tables mirror the input columns plus the input line. Their DDL is the
// dialect's (temporary-table syntax differs); the column lists are shared.
var stageCols = map[credit.Kind][]string{
	credit.KindEnterprises: {"line", "uscc", "name", "region", "industry", "tags", "status", "revenue",
		"legal_rep_id", "legal_rep_name", "registered_capital", "established_at", "former_names"},
	credit.KindRelations: {"line", "supplier", "customer", "purchase_share", "sales_share",
		"substitutability", "amount", "product", "valid_from", "valid_to", "sales_share_estimated"},
	credit.KindEvents: {"line", "event_id", "uscc", "type", "occurred_at", "publish_until",
		"source", "amount", "description"},
	credit.KindRepairs: {"line", "event_id", "repaired_at", "decided_by", "reason"},
	credit.KindShareholdings: {"line", "holder_kind", "holder", "holder_name", "investee", "share",
		"subscribed_capital", "since", "until"},
}

func stageTable(k credit.Kind) string { return "stage_" + string(k) }

// stagingDDL creates the staging tables of an ingest batch.
func stagingDDL(d Dialect) []string {
	types := map[string]string{
		"line": "BIGINT NOT NULL", "revenue": "DOUBLE PRECISION", "amount": "DOUBLE PRECISION",
		"purchase_share": "DOUBLE PRECISION NOT NULL", "sales_share": "DOUBLE PRECISION NOT NULL",
		"substitutability": "DOUBLE PRECISION NOT NULL", "valid_from": "BIGINT", "valid_to": "BIGINT",
		"occurred_at": "BIGINT NOT NULL", "publish_until": "BIGINT", "repaired_at": "BIGINT NOT NULL",
		"registered_capital": "DOUBLE PRECISION", "established_at": "BIGINT", "share": "DOUBLE PRECISION NOT NULL",
		"subscribed_capital": "DOUBLE PRECISION", "since": "BIGINT", "until": "BIGINT",
		"sales_share_estimated": "BIGINT NOT NULL",
	}
	var out []string
	for _, k := range credit.Kinds {
		cols := stageCols[k]
		defs := make([]string, len(cols))
		for i, c := range cols {
			t, ok := types[c]
			if !ok {
				t = "TEXT NOT NULL"
			}
			defs[i] = c + " " + t
		}
		out = append(out, d.TempTable(stageTable(k), strings.Join(defs, ", "))...)
	}
	return out
}

type sqlBatch struct {
	s  *SQL
	tx Tx
	// supply is set for a batch of the relations one leader supplies itself
	// (store/supplied.go); nil for the registry's batches.
	supply  *SupplyOptions
	staged  map[credit.Kind]int
	checked bool
	done    bool
}

// BeginBatch implements Store.
func (s *SQL) BeginBatch(ctx context.Context) (Batch, error) {
	return s.beginBatch(ctx, nil)
}

func (s *SQL) beginBatch(ctx context.Context, supply *SupplyOptions) (*sqlBatch, error) {
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("begin ingest batch: %w", err)
	}
	for _, q := range stagingDDL(s.d) {
		if _, err := tx.Exec(ctx, q); err != nil {
			_ = tx.Rollback(ctx)
			return nil, fmt.Errorf("create staging tables: %w", err)
		}
	}
	if err := s.openBulk(ctx, tx); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return &sqlBatch{s: s, tx: tx, supply: supply, staged: make(map[credit.Kind]int)}, nil
}

func (b *sqlBatch) Stage(ctx context.Context, c *Chunk) error {
	if c.Len() == 0 {
		return nil
	}
	if b.supply != nil && c.Kind != credit.KindRelations {
		return fmt.Errorf("stage: a leader supplies relations only, not %s", c.Kind)
	}
	var row func(i int, dst []any)
	switch c.Kind {
	case credit.KindEnterprises:
		row = func(i int, dst []any) {
			e := &c.Enterprises[i]
			dst[0], dst[1], dst[2], dst[3], dst[4] = int64(c.Lines[i]), e.USCC, e.Name, e.Region, e.Industry
			dst[5], dst[6], dst[7] = joinTags(e.Tags), string(e.Status), e.Revenue
			dst[8], dst[9], dst[10], dst[11] = e.LegalRepID, e.LegalRepName, e.RegisteredCapital, ms(e.EstablishedAt)
			dst[12] = joinTags(e.FormerNames)
		}
	case credit.KindRelations:
		row = func(i int, dst []any) {
			r := &c.Relations[i]
			dst[0], dst[1], dst[2] = int64(c.Lines[i]), r.Supplier, r.Customer
			dst[3], dst[4], dst[5] = r.PurchaseShare, r.SalesShare, r.Substitutability
			dst[6], dst[7], dst[8], dst[9] = r.Amount, r.Product, ms(r.ValidFrom), ms(r.ValidTo)
			dst[10] = int64(0)
			if r.SalesShareEstimated {
				dst[10] = int64(1)
			}
		}
	case credit.KindEvents:
		row = func(i int, dst []any) {
			e := &c.Events[i]
			dst[0], dst[1], dst[2], dst[3] = int64(c.Lines[i]), e.ID, e.USCC, e.Type
			dst[4], dst[5], dst[6] = e.OccurredAt.UnixMilli(), ms(e.PublishUntil), e.Source
			dst[7], dst[8] = e.Amount, e.Description
		}
	case credit.KindRepairs:
		row = func(i int, dst []any) {
			r := &c.Repairs[i]
			dst[0], dst[1], dst[2] = int64(c.Lines[i]), r.EventID, r.RepairedAt.UnixMilli()
			dst[3], dst[4] = r.DecidedBy, r.Reason
		}
	case credit.KindShareholdings:
		row = func(i int, dst []any) {
			h := &c.Shareholdings[i]
			dst[0], dst[1], dst[2], dst[3] = int64(c.Lines[i]), string(h.HolderKind), h.Holder, h.HolderName
			dst[4], dst[5], dst[6], dst[7], dst[8] = h.Investee, h.Share, h.SubscribedCapital, ms(h.Since), ms(h.Until)
		}
	default:
		return fmt.Errorf("stage: unknown kind %q", c.Kind)
	}
	if err := b.tx.Stage(ctx, stageTable(c.Kind), stageCols[c.Kind], c.Len(), row); err != nil {
		return fmt.Errorf("stage %s: %w", c.Kind, err)
	}
	b.staged[c.Kind] += c.Len()
	return nil
}

func (b *sqlBatch) Check(ctx context.Context) ([]RowError, error) {
	var out []RowError
	now := b.s.now().UnixMilli()
	list := checks
	if b.supply != nil {
		list = supplyChecks
	}
	uniquePairs := false
	if b.staged[credit.KindRelations] > 0 {
		var err error
		if uniquePairs, err = b.indexPairs(ctx); err != nil {
			return nil, err
		}
	}
	// Firms and events staged beside the rows naming them are looked up once per
	// naming row: SQLite would scan them each time.
	if b.staged[credit.KindEnterprises] > 0 && b.staged[credit.KindEnterprises] < b.stagedRows() {
		if _, err := b.tx.Exec(ctx, `CREATE INDEX stage_enterprises_uscc ON stage_enterprises (uscc)`); err != nil {
			return nil, fmt.Errorf("index staged enterprises: %w", err)
		}
	}
	if b.staged[credit.KindEvents] > 0 && b.staged[credit.KindRepairs] > 0 {
		if _, err := b.tx.Exec(ctx, `CREATE INDEX stage_events_id ON stage_events (event_id)`); err != nil {
			return nil, fmt.Errorf("index staged events: %w", err)
		}
	}
	for _, c := range list {
		if b.staged[c.kind] == 0 || (uniquePairs && c.pairs) {
			continue
		}
		var lines, args []any
		for range c.nowArgs {
			args = append(args, now)
		}
		for range c.sourceArgs {
			args = append(args, b.supply.Source)
		}
		err := eachRow(ctx, b.tx, c.q, args, func(r Rows) error {
			var line, which int64
			var key string
			var x float64
			field, msg := c.field, c.msg
			if len(c.rules) == 0 {
				if err := r.Scan(&line, &key, &x); err != nil {
					return err
				}
			} else {
				if err := r.Scan(&line, &key, &x, &which); err != nil {
					return err
				}
				field, msg = c.rules[which].field, c.rules[which].msg
			}
			out = append(out, RowError{Kind: c.kind, Line: int(line), Field: field, Reason: msg(key, x)})
			lines = append(lines, line)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("check %s %s: %w", c.kind, c.field, err)
		}
		if err := b.drop(ctx, c.kind, lines); err != nil {
			return nil, err
		}
	}
	if b.supply != nil && b.staged[credit.KindRelations] > 0 {
		if err := b.estimate(ctx); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(x, y RowError) int {
		if c := kindOrder(x.Kind) - kindOrder(y.Kind); c != 0 {
			return c
		}
		return x.Line - y.Line
	})
	b.checked = true
	return out, nil
}

// stagedRows counts the rows staged, of every kind.
func (b *sqlBatch) stagedRows() int {
	n := 0
	for _, k := range b.staged {
		n += k
	}
	return n
}

// indexPairs indexes the staged relations by (supplier, customer), which the
// purchase_share check looks up: without it a re-import of n relations costs n² row
// reads. It tries a unique index first: when that builds, no pair is given twice and
// the duplicate check has nothing to find (reading every staged row for it cost as
// much as the index).
func (b *sqlBatch) indexPairs(ctx context.Context) (unique bool, err error) {
	if _, err := b.tx.Exec(ctx, `SAVEPOINT stage_pairs`); err != nil {
		return false, fmt.Errorf("index staged relations: %w", err)
	}
	_, uerr := b.tx.Exec(ctx, `CREATE UNIQUE INDEX stage_relations_pair ON stage_relations (supplier, customer)`)
	if uerr != nil {
		// A pair given twice (or any other failure, which the plain index then meets).
		if _, err := b.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT stage_pairs`); err != nil {
			return false, fmt.Errorf("index staged relations: %w", err)
		}
	}
	if _, err := b.tx.Exec(ctx, `RELEASE SAVEPOINT stage_pairs`); err != nil {
		return false, fmt.Errorf("index staged relations: %w", err)
	}
	if uerr == nil {
		return true, nil
	}
	if _, err := b.tx.Exec(ctx, `CREATE INDEX stage_relations_pair ON stage_relations (supplier, customer)`); err != nil {
		return false, fmt.Errorf("index staged relations: %w", err)
	}
	return false, nil
}

// drop deletes refused rows from staging, in bounded statements.
func (b *sqlBatch) drop(ctx context.Context, k credit.Kind, lines []any) error {
	const step = 500
	for len(lines) > 0 {
		n := min(step, len(lines))
		q := fmt.Sprintf(`DELETE FROM %s WHERE line IN (%s)`, stageTable(k), placeholders(n))
		if _, err := b.tx.Exec(ctx, q, lines[:n]...); err != nil {
			return fmt.Errorf("drop refused %s rows: %w", k, err)
		}
		b.staged[k] -= n
		lines = lines[n:]
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// mergeTable describes how staged rows of one kind merge into their table.
type mergeTable struct {
	kind  credit.Kind
	table string
	key   []string
	data  []string // copied from staging and compared to detect a change
	// insertOnly columns get a fixed value on insert and are left alone by updates
	// (an event's state belongs to repairs and expiry, not to the event's source).
	insertOnly map[string]string
	// returning lists two expressions naming the firms a changed row touches, or "''";
	// {t} stands for the table's qualifier where one is needed.
	returning [2]string
	// sorted inserts new rows in key order: SQLite then fills the primary key's
	// B-tree in order, twice as fast for a key whose rows arrive in no order of it.
	sorted bool
}

var mergeTables = []mergeTable{
	{credit.KindEnterprises, "enterprises", []string{"uscc"},
		[]string{"name", "region", "industry", "tags", "status", "revenue",
			"legal_rep_id", "legal_rep_name", "registered_capital", "established_at", "former_names"}, nil,
		[2]string{"{t}uscc", "''"}, false},
	{credit.KindRelations, "relations", []string{"supplier", "customer"},
		[]string{"purchase_share", "sales_share", "substitutability", "amount", "product", "valid_from", "valid_to"},
		nil, [2]string{"{t}supplier", "{t}customer"}, false},
	{credit.KindEvents, "events", []string{"event_id"},
		[]string{"uscc", "type", "occurred_at", "publish_until", "source", "amount", "description"},
		map[string]string{"state": "'active'"}, [2]string{"{t}uscc", "''"}, false},
	{credit.KindRepairs, "repairs", []string{"event_id"}, []string{"repaired_at", "decided_by", "reason"},
		nil, [2]string{"''", "''"}, false},
	// A holding touches its investee and a firm holder; persons are no firms to scan.
	{credit.KindShareholdings, "shareholdings", []string{"holder_kind", "holder", "investee"},
		[]string{"holder_name", "share", "subscribed_capital", "since", "until"},
		nil, [2]string{"{t}investee", "CASE WHEN {t}holder_kind = 'firm' THEN {t}holder ELSE '' END"}, true},
}

// statements returns the merge of t as an UPDATE of held rows that really change,
// then an INSERT of new keys. Batches hold the store's exclusive lock, so no other
// writer can add a key between the two; this is a third faster on PostgreSQL than
// INSERT ... ON CONFLICT, whose speculative insertion costs on every row.
func (t mergeTable) statements() (update, insert string) {
	var set, changed, match []string
	for _, c := range t.data {
		set = append(set, c+" = s."+c)
		changed = append(changed, fmt.Sprintf("%s.%s IS DISTINCT FROM s.%s", t.table, c, c))
	}
	for _, k := range t.key {
		match = append(match, fmt.Sprintf("%s.%s = s.%s", t.table, k, k))
	}
	ret := func(prefix string) string {
		return strings.ReplaceAll(strings.Join(t.returning[:], ", "), "{t}", prefix)
	}
	update = fmt.Sprintf("UPDATE %s SET %s, updated_at = CAST(? AS BIGINT) FROM %s s WHERE %s AND (%s) RETURNING %s",
		t.table, strings.Join(set, ", "), stageTable(t.kind), strings.Join(match, " AND "),
		strings.Join(changed, " OR "), ret(t.table+"."))

	cols := append(append([]string{}, t.key...), t.data...)
	vals := make([]string, len(cols))
	for i, c := range cols {
		vals[i] = "s." + c
	}
	for c, v := range t.insertOnly {
		cols, vals = append(cols, c), append(vals, v)
	}
	var exists []string
	for _, k := range t.key {
		exists = append(exists, fmt.Sprintf("x.%s = s.%s", k, k))
	}
	order := ""
	if t.sorted {
		order = " ORDER BY s." + strings.Join(t.key, ", s.")
	}
	insert = fmt.Sprintf("INSERT INTO %s (%s, updated_at) SELECT %s, CAST(? AS BIGINT) FROM %s s WHERE NOT EXISTS "+
		"(SELECT 1 FROM %s x WHERE %s)%s RETURNING %s",
		t.table, strings.Join(cols, ", "), strings.Join(vals, ", "), stageTable(t.kind), t.table,
		strings.Join(exists, " AND "), order, ret(""))
	return update, insert
}

// merge is one statement of a commit.
type merge struct {
	kind credit.Kind
	// touches says the RETURNING columns are firms (for incremental scans); counts
	// says each returned row is a changed input row.
	touches, counts bool
	q               string
	// args gives the statement's arguments from the batch's clock and source; nil
	// means the clock alone.
	args func(now int64, source string) []any
	// table, set on a table's UPDATE and INSERT (last), is the table whose indexes
	// a large batch into it while it is empty builds after its rows are in
	// (deferIndexes): the UPDATE, which has nothing to change then, is skipped, and
	// the INSERT rebuilds them.
	table string
	last  bool
	// probe asks for the statement's join to probe the target table's index once per
	// staged row (BulkDialect.ProbeSettings): it changes a few rows of a large table.
	probe bool
}

var merges = func() []merge {
	var out []merge
	for _, t := range mergeTables {
		up, in := t.statements()
		touches := t.returning[0] != "''"
		out = append(out, merge{kind: t.kind, touches: touches, counts: true, q: up, table: t.table},
			merge{kind: t.kind, touches: touches, counts: true, q: in, table: t.table, last: true})
	}
	// A repair moves its event to repaired; an event re-sent after its repair stays
	// repaired, since event merges never touch state.
	return append(out, merge{kind: credit.KindRepairs, touches: true, probe: true, q: `UPDATE events SET state = 'repaired', repaired_at = s.repaired_at, updated_at = CAST(? AS BIGINT)
		FROM stage_repairs s WHERE events.event_id = s.event_id
			AND (events.state <> 'repaired' OR events.repaired_at IS DISTINCT FROM s.repaired_at)
		RETURNING events.uscc, ''`})
}()

func (b *sqlBatch) Commit(ctx context.Context) (Applied, error) {
	switch {
	case b.done:
		return Applied{}, fmt.Errorf("commit: batch already finished")
	case !b.checked:
		return Applied{}, fmt.Errorf("commit: batch not checked")
	}
	var a Applied
	touched := make(map[string]struct{})
	now := b.s.now().UnixMilli()
	list := merges
	if b.supply != nil {
		list = supplyMerges
	}
	var dropped []bool // of the table being merged (deferIndexes)
	for _, m := range list {
		if b.staged[m.kind] == 0 {
			continue
		}
		if m.table != "" && !m.last && b.staged[m.kind] >= bulkMinRows {
			var err error
			if dropped, err = b.s.deferIndexes(ctx, b.tx, m.table); err != nil {
				_ = b.Rollback(ctx)
				return Applied{}, err
			}
			if dropped != nil {
				continue // an empty table: nothing to update
			}
		}
		if err := b.mergeProbing(ctx, m, now, &a, touched); err != nil {
			_ = b.Rollback(ctx)
			return Applied{}, fmt.Errorf("merge %s: %w", m.kind, err)
		}
		if m.last && dropped != nil {
			if err := rebuildIndexes(ctx, b.tx, m.table, dropped); err != nil {
				_ = b.Rollback(ctx)
				return Applied{}, fmt.Errorf("merge %s: %w", m.kind, err)
			}
			dropped = nil
		}
	}
	if a.TouchedAll {
		touched = nil
	}
	for _, k := range credit.Kinds {
		a.Rows += int64(b.staged[k])
	}
	for _, k := range credit.Kinds {
		// Staging must not outlive the batch on a pooled SQLite connection.
		if _, err := b.tx.Exec(ctx, "DROP TABLE "+stageTable(k)); err != nil {
			_ = b.Rollback(ctx)
			return Applied{}, fmt.Errorf("drop staging: %w", err)
		}
	}
	if err := b.s.closeBulk(ctx, b.tx); err != nil {
		_ = b.Rollback(ctx)
		return Applied{}, err
	}
	b.done = true
	if err := b.tx.Commit(ctx); err != nil {
		return Applied{}, fmt.Errorf("commit ingest batch: %w", err)
	}
	a.Touched = make([]string, 0, len(touched))
	for k := range touched {
		a.Touched = append(a.Touched, k)
	}
	slices.Sort(a.Touched)
	return a, nil
}

// bulkMinRows is the least rows of one kind for which a batch into an empty table
// builds the table's indexes after loading it (BulkDialect.DeferIndexes): for fewer,
// keeping them up costs little, and dropping them would lock out readers for nothing.
const bulkMinRows = 10_000

// merge runs one merge statement, counting the rows it changes and the firms they
// touch.
func (b *sqlBatch) merge(ctx context.Context, m merge, now int64, a *Applied, touched map[string]struct{}) error {
	args := []any{now}
	if m.args != nil {
		args = m.args(now, b.supply.Source)
	}
	return eachRow(ctx, b.tx, m.q, args, func(r Rows) error {
		var k1, k2 string
		if err := r.Scan(&k1, &k2); err != nil {
			return err
		}
		if m.counts {
			a.Changed++
		}
		if !m.touches || a.TouchedAll {
			return nil
		}
		for _, k := range [2]string{k1, k2} {
			if k == "" {
				continue
			}
			touched[k] = struct{}{}
			if len(touched) > MaxTouched {
				a.TouchedAll = true
				clear(touched)
				return nil
			}
		}
		return nil
	})
}

func (b *sqlBatch) Rollback(ctx context.Context) error {
	if b.done {
		return nil
	}
	b.done = true
	return b.tx.Rollback(ctx)
}

func kindOrder(k credit.Kind) int { return slices.Index(credit.Kinds, k) }
