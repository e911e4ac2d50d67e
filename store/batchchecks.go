package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// The checks of an ingest batch (sqlBatch.Check): set-based rules over the staged rows.

// check is one set-based rule over the staged rows: q selects (line, key, x) of the
// rows it refuses, and msg words the reason from key and x. A q that compares with the
// batch's clock takes it (Unix milliseconds) for each of its nowArgs placeholders.
type check struct {
	kind    credit.Kind
	field   string
	q       string
	msg     func(key string, x float64) string
	nowArgs int
	// sourceArgs placeholders, after the nowArgs ones, take a supplied batch's source.
	sourceArgs int
	// rules, when set, replace field and msg for a q that checks several rules at
	// once: it selects a fourth column, the index of the rule a row breaks.
	rules []rule
	// pairs marks the duplicate check of staged relations, which a unique index
	// over the staged pairs makes needless (sqlBatch.indexPairs).
	pairs bool
}

// rule is one of the rules of a check that runs several.
type rule struct {
	field string
	msg   func(key string, x float64) string
}

// duplicate refuses every row whose key an earlier line of the same batch already gave.
// The key's columns are grouped and joined as they are; only refused rows get the
// key's text.
func duplicate(k credit.Kind, label string, cols ...string) check {
	var text, match []string
	for _, c := range cols {
		text = append(text, "s."+c)
		match = append(match, fmt.Sprintf("f.%s = s.%s", c, c))
	}
	t := stageTable(k)
	list := strings.Join(cols, ", ")
	return check{kind: k, field: label, q: fmt.Sprintf(`SELECT s.line, %s, CAST(f.first AS DOUBLE PRECISION)
		FROM %s s JOIN (SELECT %s, MIN(line) AS first FROM %s GROUP BY %s HAVING COUNT(*) > 1) f
		ON %s WHERE s.line > f.first`, strings.Join(text, " || '→' || "), t, list, t, list, strings.Join(match, " AND ")),
		msg: func(key string, first float64) string {
			return fmt.Sprintf("duplicate key %s %s: already given on line %d", label, key, int64(first))
		}}
}

// firmExists refuses rows naming a firm that is neither held nor among this batch's
// surviving enterprise rows; cond, when set, limits it to the staged rows it holds for.
func firmExists(k credit.Kind, col, cond string) check {
	if cond != "" {
		cond = "s." + cond + " AND "
	}
	return check{kind: k, field: col, q: fmt.Sprintf(`SELECT s.line, s.%s, CAST(0 AS DOUBLE PRECISION) FROM %s s
		WHERE %sNOT EXISTS (SELECT 1 FROM enterprises e WHERE e.uscc = s.%s)
		AND NOT EXISTS (SELECT 1 FROM stage_enterprises n WHERE n.uscc = s.%s)`, col, stageTable(k), cond, col, col),
		msg: func(key string, _ float64) string {
			return fmt.Sprintf("unknown firm %s (neither in the store nor in this batch)", key)
		}}
}

// relationPairs refuses a supplier→customer pair given twice.
var relationPairs = func() check {
	c := duplicate(credit.KindRelations, "supplier→customer", "supplier", "customer")
	c.pairs = true
	return c
}()

// firmsExist is firmExists for two columns of a kind in one pass over the staged rows:
// a row naming two unknown firms is refused for the first column's.
func firmsExist(k credit.Kind, first, second string) check {
	unknown := func(alias string) string {
		return fmt.Sprintf("%s.uscc IS NULL AND %s.uscc IS NULL", alias+"e", alias+"n")
	}
	join := func(col, alias string) string {
		return fmt.Sprintf("LEFT JOIN enterprises %se ON %se.uscc = s.%s LEFT JOIN stage_enterprises %sn ON %sn.uscc = s.%s",
			alias, alias, col, alias, alias, col)
	}
	msg := func(key string, _ float64) string {
		return fmt.Sprintf("unknown firm %s (neither in the store nor in this batch)", key)
	}
	return check{kind: k, q: fmt.Sprintf(`SELECT s.line, CASE WHEN %s THEN s.%s ELSE s.%s END, CAST(0 AS DOUBLE PRECISION),
			CASE WHEN %s THEN 0 ELSE 1 END
		FROM %s s %s %s WHERE (%s) OR (%s)`, unknown("a"), first, second, unknown("a"),
		stageTable(k), join(first, "a"), join(second, "b"), unknown("a"), unknown("b")),
		rules: []rule{{first, msg}, {second, msg}}}
}

// checks run in order; each drops what it refuses before the next runs, so a row is
// reported once, for its first fault.
var checks = []check{
	duplicate(credit.KindEnterprises, "uscc", "uscc"),
	relationPairs,
	firmsExist(credit.KindRelations, "supplier", "customer"),
	purchaseShareSum,
	duplicate(credit.KindEvents, "event_id", "event_id"),
	firmExists(credit.KindEvents, "uscc", ""),
	duplicate(credit.KindRepairs, "event_id", "event_id"),
	repairedEvent,
	duplicate(credit.KindShareholdings, "holder_kind→holder→investee", "holder_kind", "holder", "investee"),
	firmExists(credit.KindShareholdings, "investee", ""),
	firmExists(credit.KindShareholdings, "holder", "holder_kind = 'firm'"),
	shareholdingShareSum,
}

// repairedEvent refuses a repair of an event that is neither held nor in this batch
// (field event_id), and one dated before its event occurred (field repaired_at), in
// one pass: the held event is probed by its key for each staged repair (a scalar
// subquery), where a join would read the whole events table for a batch that repairs
// a few of them. The WHERE names occurred once: PostgreSQL repeats the subquery for
// each mention.
var repairedEvent = check{kind: credit.KindRepairs,
	q: `SELECT line, event_id, CAST(COALESCE(occurred, 0) AS DOUBLE PRECISION),
			CASE WHEN occurred IS NULL THEN 0 ELSE 1 END
		FROM (SELECT s.line, s.event_id, s.repaired_at, COALESCE(n.occurred_at,
				(SELECT e.occurred_at FROM events e WHERE e.event_id = s.event_id)) AS occurred
			FROM stage_repairs s LEFT JOIN stage_events n ON n.event_id = s.event_id) t
		WHERE NOT COALESCE(repaired_at >= occurred, FALSE)`,
	rules: []rule{
		{"event_id", func(id string, _ float64) string {
			return fmt.Sprintf("unknown event %s (neither in the store nor in this batch)", id)
		}},
		{"repaired_at", func(id string, occurred float64) string {
			return fmt.Sprintf("before event %s occurred (%s)", id,
				time.UnixMilli(int64(occurred)).In(credit.Shanghai).Format(time.RFC3339))
		}},
	}}

// purchaseShareSum refuses, for Σ purchase_share over a customer's suppliers, the row
// that takes the running sum past 1 and every later one for that customer: the sum
// starts from the held relations this batch does not replace and adds the batch's rows
// in line order. The held sums come from one grouped join over the staged customers
// (a correlated subquery per staged row read each customer's relations once per row),
// and only the customers whose whole sum comes near the bound (or who have a negative
// share, for which a running sum can exceed its end) are put in line order: sorting
// every staged row cost more than the rest of the check.
var purchaseShareSum = check{kind: credit.KindRelations, field: "purchase_share", q: fmt.Sprintf(`SELECT line, customer, running
	FROM (SELECT s.line, s.customer, s.purchase_share + o.held +
			COALESCE(SUM(s.purchase_share) OVER (PARTITION BY s.customer ORDER BY s.line
				ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS running
		FROM stage_relations s JOIN (SELECT t.customer, COALESCE(h.held, 0) AS held
			FROM (SELECT customer, SUM(purchase_share) AS staged, MIN(purchase_share) AS least
				FROM stage_relations GROUP BY customer) t
			LEFT JOIN (SELECT r.customer, SUM(r.purchase_share) AS held
				FROM relations r WHERE r.customer IN (SELECT customer FROM stage_relations)
					AND NOT EXISTS (SELECT 1 FROM stage_relations x WHERE x.supplier = r.supplier AND x.customer = r.customer)
				GROUP BY r.customer) h ON h.customer = t.customer
			WHERE COALESCE(h.held, 0) + t.staged > %v OR t.least < 0) o ON o.customer = s.customer) u
	WHERE running > %v`, 1+credit.ShareSumTolerance-shareSumMargin, 1+credit.ShareSumTolerance),
	msg: func(customer string, sum float64) string {
		return fmt.Sprintf("Σ purchase_share over the suppliers of customer %s would reach %.6g (> 1)", customer, sum)
	}}

// shareSumMargin covers the rounding between a sum taken in one order and the same
// sum taken in another.
const shareSumMargin = 1e-9
