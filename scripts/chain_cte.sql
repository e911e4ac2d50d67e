-- A leader's chain as (firm, tier) by recursive CTE over the relations table: the
-- yardstick of GET /api/v1/chains/{leader}/members's export (docs/performance.md,
-- "A leader's chain through the API"). Suppliers up to depth_up hops have tiers
-- 1, 2, …; customers up to depth_down hops −1, …; a firm that is both counts as a
-- supplier, and each firm once at its shortest distance, as graph.Chain has it.
-- Relations in force at now_ms (milliseconds since the epoch, as stored).
--
--   psql "$DSN" -v leader=USCC -v depth_up=3 -v depth_down=1 \
--        -v now_ms=$(date +%s000) -f scripts/chain_cte.sql
WITH RECURSIVE up(firm, hops) AS (
	SELECT :'leader'::text, 0
	UNION
	SELECT r.supplier, up.hops + 1 FROM up JOIN relations r ON r.customer = up.firm
	WHERE up.hops < :depth_up
		AND (r.valid_from IS NULL OR r.valid_from <= :now_ms) AND (r.valid_to IS NULL OR r.valid_to > :now_ms)
), down(firm, hops) AS (
	SELECT :'leader'::text, 0
	UNION
	SELECT r.customer, down.hops + 1 FROM down JOIN relations r ON r.supplier = down.firm
	WHERE down.hops < :depth_down
		AND (r.valid_from IS NULL OR r.valid_from <= :now_ms) AND (r.valid_to IS NULL OR r.valid_to > :now_ms)
), sides AS (
	SELECT firm, min(hops) AS tier, 0 AS side FROM up GROUP BY firm
	UNION ALL
	SELECT firm, -min(hops), 1 FROM down WHERE hops > 0 GROUP BY firm
)
SELECT DISTINCT ON (firm) firm, tier FROM sides ORDER BY firm, side;
