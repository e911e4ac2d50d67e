-- History keyed by scan (api/openapi.json): one score history entry per firm and scan that
-- changed it, and a chain history beside it. The score history was keyed by time,
-- and incremental scans reused the clock of the scan they extended, so a second
-- change within one full-scan period was dropped. SQLite cannot change a table's key
-- in place: the table is rebuilt, the same way on both stores; every row is kept,
-- except that of two rows one scan wrote for one firm (a scan run again with another
-- clock) the later stays.

CREATE TABLE score_history_by_scan (
    uscc          TEXT NOT NULL,
    scan_id       BIGINT NOT NULL,
    at            BIGINT NOT NULL,        -- the writing scan's own time (its start)
    score         DOUBLE PRECISION NOT NULL,
    grade         TEXT NOT NULL,
    p             DOUBLE PRECISION NOT NULL,
    d             DOUBLE PRECISION NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (uscc, scan_id)
);
INSERT INTO score_history_by_scan (uscc, scan_id, at, score, grade, p, d, model_version)
    SELECT h.uscc, h.scan_id, h.at, h.score, h.grade, h.p, h.d, h.model_version FROM score_history h
    WHERE NOT EXISTS (SELECT 1 FROM score_history x WHERE x.uscc = h.uscc AND x.scan_id = h.scan_id AND x.at > h.at);
DROP TABLE score_history;
ALTER TABLE score_history_by_scan RENAME TO score_history;
CREATE INDEX score_history_at ON score_history (uscc, at);

-- One row per leader and scan that moved its chain_risk, supply_at_risk or
-- demand_at_risk by 1e-6 or more from the result held. It starts from the results
-- held at the upgrade.
CREATE TABLE chain_history (
    leader         TEXT NOT NULL,
    scan_id        BIGINT NOT NULL,
    at             BIGINT NOT NULL,       -- the writing scan's own time (its start)
    chain_risk     DOUBLE PRECISION NOT NULL,
    supply_at_risk DOUBLE PRECISION NOT NULL,
    demand_at_risk DOUBLE PRECISION NOT NULL,
    members        BIGINT NOT NULL,
    model_version  TEXT NOT NULL,
    PRIMARY KEY (leader, scan_id)
);
INSERT INTO chain_history (leader, scan_id, at, chain_risk, supply_at_risk, demand_at_risk, members, model_version)
    SELECT leader, scan_id, updated_at, chain_risk, supply_at_risk, demand_at_risk, members, model_version
    FROM chain_results;
CREATE INDEX chain_history_at ON chain_history (leader, at);
