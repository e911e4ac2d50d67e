package store

import (
	"context"
	"fmt"

	"github.com/chainrisk/chainrisk/credit"
)

// shareholdingShareSum refuses, for each investee whose current shares would sum past 1
// after the batch, every row the batch stages for it. The sum is the held current
// holdings of the investees of the batch, less those the batch replaces (found by key,
// which the primary key answers; an anti-join against staging would scan it once per
// held row on SQLite), plus the batch's current rows. A register of shareholders is
// one picture: unlike a customer's suppliers, taken row by row, no part of an
// impossible one is kept. "Current" is at the batch's clock: no end, or an end after it.
var shareholdingShareSum = check{
	kind: credit.KindShareholdings, field: "share", nowArgs: 3,
	q: fmt.Sprintf(`SELECT s.line, s.investee, t.total FROM stage_shareholdings s JOIN (
			SELECT investee, SUM(share) AS total FROM (
				SELECT h.investee, h.share FROM shareholdings h
				WHERE h.investee IN (SELECT investee FROM stage_shareholdings) AND (h.until IS NULL OR h.until > ?)
				UNION ALL
				SELECT h.investee, -h.share FROM stage_shareholdings x JOIN shareholdings h
					ON h.holder_kind = x.holder_kind AND h.holder = x.holder AND h.investee = x.investee
				WHERE h.until IS NULL OR h.until > ?
				UNION ALL
				SELECT investee, share FROM stage_shareholdings WHERE until IS NULL OR until > ?
			) u GROUP BY investee HAVING SUM(share) > %v
		) t ON t.investee = s.investee`, 1+credit.ShareSumTolerance),
	msg: func(investee string, sum float64) string {
		return fmt.Sprintf("Σ current share of the holders of %s would reach %.6g (> 1): every row of this batch for it is refused",
			investee, sum)
	},
}

const shareholdingCols = `holder_kind, holder, holder_name, investee, share, subscribed_capital, since, until`

func scanShareholding(r Rows) (credit.Shareholding, error) {
	var h credit.Shareholding
	var since, until *int64
	err := r.Scan(&h.HolderKind, &h.Holder, &h.HolderName, &h.Investee, &h.Share, &h.SubscribedCapital, &since, &until)
	h.Since, h.Until = fromMS(since), fromMS(until)
	return h, err
}

// Shareholdings implements DataStore.
func (s *SQL) Shareholdings(ctx context.Context, fn func(*credit.Shareholding) error) error {
	q := `SELECT ` + shareholdingCols + ` FROM shareholdings`
	if ok, err := eachBinary(ctx, s.d, q, nil, (*binRow).shareholding, fn); ok {
		return err
	}
	return s.each(ctx, q, nil, func(r Rows) error {
		h, err := scanShareholding(r)
		if err != nil {
			return err
		}
		return fn(&h)
	})
}

// subsetShareholdings adds to out the holdings in which one of the firms of args (a
// chunk of Subset's firms) is the investee or the holder, once each.
func (s *SQL) subsetShareholdings(ctx context.Context, out *Subset, args []any, seen map[[3]string]bool) error {
	in := "(" + placeholders(len(args)) + ")"
	return s.each(ctx, `SELECT `+shareholdingCols+` FROM shareholdings
		WHERE investee IN `+in+` OR (holder_kind = 'firm' AND holder IN `+in+`)
		ORDER BY investee, holder_kind, holder`, append(args, args...), func(r Rows) error {
		h, err := scanShareholding(r)
		if err != nil {
			return err
		}
		key := [3]string{string(h.HolderKind), h.Holder, h.Investee}
		if seen[key] { // holder and investee in the subset, met in two chunks
			return nil
		}
		seen[key] = true
		out.Shareholdings = append(out.Shareholdings, h)
		return nil
	})
}
