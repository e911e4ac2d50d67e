package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
)

// Relations a leading firm supplies itself (docs/onboarding.md, "Leaders' own supplier
// lists"): a tenant's rows, kept in supplied_relations beside the registry's relations
// and never over them.

// SupplyOptions open a batch of the relations one leader supplies itself.
type SupplyOptions struct {
	// Source is the leader's USCC: every row of the batch is stored as supplied by it.
	Source string
	// DefaultSalesShare is the sales share of a row that gave none when neither the
	// registry's relation for the pair nor amount / supplier revenue tells it; in (0,1].
	DefaultSalesShare float64
}

// RelationFilter selects relations to list (ListRelations). Zero values select
// everything.
type RelationFilter struct {
	Supplier, Customer string
	// Source keeps the registry's relations (credit.SourceRegistry) or the rows one
	// leader supplied (its USCC).
	Source string
	// SuppliedBy, when set, keeps of the supplied rows only those of this leader (a
	// tenant never reads another leader's rows); the registry's stay.
	SuppliedBy string
	// After keeps the relations listed after it (nil: all): the next page.
	After *RelationPos
}

// RelationPos is a relation's place in ListRelations' order: the registry's by
// supplier and customer, then the supplied ones by source, supplier and customer.
type RelationPos struct {
	Source             string // "" for the registry's
	Supplier, Customer string
}

// BeginSupplyBatch implements DataStore: a batch whose relation rows go to
// supplied_relations as o.Source's. Stage takes relations only; Check applies the
// rules of a leader's rows (customer known, supplier known, Σ purchase_share over the
// leader's effective suppliers) and estimates the sales shares not given (a staged
// SalesShare of 0 with SalesShareEstimated set).
func (s *SQL) BeginSupplyBatch(ctx context.Context, o SupplyOptions) (Batch, error) {
	if o.Source == "" {
		return nil, errors.New("supply batch: no source (the leader's USCC)")
	}
	if !(o.DefaultSalesShare > 0 && o.DefaultSalesShare <= 1) {
		return nil, fmt.Errorf("supply batch: default sales share %v is outside (0,1]", o.DefaultSalesShare)
	}
	return s.beginBatch(ctx, &o)
}

// supplyChecks are the checks of a supplied batch, run like checks. The customer is the
// leader (the reader refused every other); that it is a known firm is checked all the
// same.
var supplyChecks = []check{
	relationPairs,
	firmsExist(credit.KindRelations, "supplier", "customer"),
	// Σ purchase_share over the leader's effective suppliers: its held rows this batch
	// does not replace, the registry's rows for the pairs it has not supplied (neither
	// held nor in this batch), and the batch's rows in line order.
	{kind: credit.KindRelations, field: "purchase_share", sourceArgs: 2, q: fmt.Sprintf(`SELECT line, customer, running
		FROM (SELECT s.line, s.customer, s.purchase_share +
				COALESCE((SELECT SUM(p.purchase_share) FROM supplied_relations p WHERE p.source = ? AND p.customer = s.customer
					AND NOT EXISTS (SELECT 1 FROM stage_relations x WHERE x.supplier = p.supplier AND x.customer = p.customer)), 0) +
				COALESCE((SELECT SUM(r.purchase_share) FROM relations r WHERE r.customer = s.customer
					AND NOT EXISTS (SELECT 1 FROM stage_relations x WHERE x.supplier = r.supplier AND x.customer = r.customer)
					AND NOT EXISTS (SELECT 1 FROM supplied_relations p WHERE p.source = ? AND p.supplier = r.supplier
						AND p.customer = r.customer)), 0) +
				COALESCE(SUM(s.purchase_share) OVER (PARTITION BY s.customer ORDER BY s.line
					ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS running
			FROM stage_relations s) t
		WHERE running > %v`, 1+credit.ShareSumTolerance),
		msg: func(customer string, sum float64) string {
			return fmt.Sprintf("Σ purchase_share over the suppliers of %s (its own rows, and the registry's for the suppliers "+
				"it has not listed) would reach %.6g (> 1)", customer, sum)
		}},
}

// estimate fills the sales shares a supplied batch's rows did not give (staged as 0):
// the registry's sales share for the same pair when it holds one, else amount /
// supplier revenue when both are known and positive (capped at 1), else the default.
func (b *sqlBatch) estimate(ctx context.Context) error {
	_, err := b.tx.Exec(ctx, `UPDATE stage_relations SET sales_share_estimated = 1, sales_share = COALESCE(
			(SELECT r.sales_share FROM relations r WHERE r.supplier = stage_relations.supplier
				AND r.customer = stage_relations.customer AND r.sales_share > 0),
			(SELECT CASE WHEN stage_relations.amount / e.revenue > 1 THEN 1 ELSE stage_relations.amount / e.revenue END
				FROM enterprises e WHERE e.uscc = stage_relations.supplier AND e.revenue > 0 AND stage_relations.amount > 0),
			CAST(? AS DOUBLE PRECISION))
		WHERE sales_share = 0`, b.supply.DefaultSalesShare)
	if err != nil {
		return fmt.Errorf("estimate sales shares: %w", err)
	}
	return nil
}

// suppliedData are the columns of supplied_relations a supplied row sets (besides its
// key and updated_at).
var suppliedData = []string{"purchase_share", "sales_share", "substitutability", "amount", "product",
	"valid_from", "valid_to", "sales_share_estimated"}

// supplyMerges merge a supplied batch's staged rows into the source's rows: an
// UPDATE of those that really change, then an INSERT of new pairs (the batch lock
// keeps other writers out in between, as for the registry's merges).
var supplyMerges = func() []merge {
	var set, changed, vals []string
	for _, c := range suppliedData {
		set = append(set, c+" = s."+c)
		changed = append(changed, "supplied_relations."+c+" IS DISTINCT FROM s."+c)
		vals = append(vals, "s."+c)
	}
	update := `UPDATE supplied_relations SET ` + strings.Join(set, ", ") + `, updated_at = CAST(? AS BIGINT)
		FROM stage_relations s WHERE supplied_relations.source = ? AND supplied_relations.supplier = s.supplier
			AND supplied_relations.customer = s.customer AND (` + strings.Join(changed, " OR ") + `)
		RETURNING supplied_relations.supplier, supplied_relations.customer`
	insert := `INSERT INTO supplied_relations (source, supplier, customer, ` + strings.Join(suppliedData, ", ") + `, updated_at)
		SELECT CAST(? AS TEXT), s.supplier, s.customer, ` + strings.Join(vals, ", ") + `, CAST(? AS BIGINT)
		FROM stage_relations s WHERE NOT EXISTS (SELECT 1 FROM supplied_relations x
			WHERE x.source = ? AND x.supplier = s.supplier AND x.customer = s.customer)
		RETURNING supplier, customer`
	return []merge{
		{kind: credit.KindRelations, touches: true, counts: true, q: update,
			args: func(now int64, source string) []any { return []any{now, source} }},
		{kind: credit.KindRelations, touches: true, counts: true, q: insert,
			args: func(now int64, source string) []any { return []any{source, now, source} }},
	}
}()

const relationCols = `supplier, customer, purchase_share, sales_share, substitutability, amount, product,
	valid_from, valid_to`

// scanRelation reads relationCols, then, for supplied rows, source and
// sales_share_estimated.
func scanRelation(r Rows, rel *credit.Relation, supplied bool) error {
	var from, to *int64
	dst := []any{&rel.Supplier, &rel.Customer, &rel.PurchaseShare, &rel.SalesShare,
		&rel.Substitutability, &rel.Amount, &rel.Product, &from, &to}
	var estimated int64
	if supplied {
		dst = append(dst, &rel.Source, &estimated)
	}
	if err := r.Scan(dst...); err != nil {
		return err
	}
	rel.ValidFrom, rel.ValidTo = fromMS(from), fromMS(to)
	rel.SalesShareEstimated = estimated != 0
	return nil
}

// SuppliedRelations implements DataStore: every relation a leader supplied, with Source
// and SalesShareEstimated set, whatever its validity period (as Relations).
func (s *SQL) SuppliedRelations(ctx context.Context, fn func(*credit.Relation) error) error {
	return s.each(ctx, `SELECT `+relationCols+`, source, sales_share_estimated FROM supplied_relations`, nil,
		func(r Rows) error {
			var rel credit.Relation
			if err := scanRelation(r, &rel, true); err != nil {
				return err
			}
			return fn(&rel)
		})
}

// subsetSupplied adds to out the supplied relations whose customer is one of the
// firms args holds.
func (s *SQL) subsetSupplied(ctx context.Context, out *Subset, args []any) error {
	return s.each(ctx, `SELECT `+relationCols+`, source, sales_share_estimated FROM supplied_relations
		WHERE customer IN (`+placeholders(len(args))+`) ORDER BY customer, source, supplier`, args, func(r Rows) error {
		var rel credit.Relation
		if err := scanRelation(r, &rel, true); err != nil {
			return err
		}
		out.Supplied = append(out.Supplied, rel)
		return nil
	})
}

// ListRelations implements DataStore: the registry's relations f selects, by supplier
// and customer, then the supplied ones, by source, supplier and customer; fn's error
// stops the stream and is returned.
func (s *SQL) ListRelations(ctx context.Context, f RelationFilter, fn func(*credit.Relation) error) error {
	where := ` WHERE 1=1`
	var args []any
	if f.Supplier != "" {
		where += ` AND supplier = ?`
		args = append(args, f.Supplier)
	}
	if f.Customer != "" {
		where += ` AND customer = ?`
		args = append(args, f.Customer)
	}
	if (f.Source == "" || f.Source == credit.SourceRegistry) && (f.After == nil || f.After.Source == "") {
		regWhere, regArgs := where, slices.Clone(args)
		if p := f.After; p != nil {
			regWhere += ` AND (supplier > ? OR supplier = ? AND customer > ?)`
			regArgs = append(regArgs, p.Supplier, p.Supplier, p.Customer)
		}
		err := s.each(ctx, `SELECT `+relationCols+` FROM relations`+regWhere+` ORDER BY supplier, customer`, regArgs,
			func(r Rows) error {
				var rel credit.Relation
				if err := scanRelation(r, &rel, false); err != nil {
					return err
				}
				return fn(&rel)
			})
		if err != nil || f.Source == credit.SourceRegistry {
			return err
		}
	}
	if f.Source != "" {
		where += ` AND source = ?`
		args = append(args, f.Source)
	}
	if f.SuppliedBy != "" {
		where += ` AND source = ?`
		args = append(args, f.SuppliedBy)
	}
	if p := f.After; p != nil && p.Source != "" {
		where += ` AND (source > ? OR source = ? AND (supplier > ? OR supplier = ? AND customer > ?))`
		args = append(args, p.Source, p.Source, p.Supplier, p.Supplier, p.Customer)
	}
	return s.each(ctx, `SELECT `+relationCols+`, source, sales_share_estimated FROM supplied_relations`+where+
		` ORDER BY source, supplier, customer`, args, func(r Rows) error {
		var rel credit.Relation
		if err := scanRelation(r, &rel, true); err != nil {
			return err
		}
		return fn(&rel)
	})
}

// WithdrawSupplied implements DataStore: it deletes the relation source supplied for
// its own purchases from supplier (ErrNotFound when it holds none). It takes the batch
// lock, like an ingest batch of the leader's rows.
func (s *SQL) WithdrawSupplied(ctx context.Context, source, supplier string) error {
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("withdraw supplied relation: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	n, err := tx.Exec(ctx, `DELETE FROM supplied_relations WHERE source = ? AND supplier = ? AND customer = ?`,
		source, supplier, source)
	if err != nil {
		return fmt.Errorf("withdraw supplied relation %s→%s: %w", supplier, source, err)
	}
	if n == 0 {
		return fmt.Errorf("supplied relation %s→%s: %w", supplier, source, ErrNotFound)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("withdraw supplied relation: commit: %w", err)
	}
	return nil
}
