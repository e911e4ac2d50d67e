-- Latest systemic importance (ESRI) of each leading firm's chain members, written by
-- the esri cron job (docs/models.md), so that it survives restarts and every replica serves
-- it. detail is the JSON document of the chain's members (package monitor).

CREATE TABLE esri_results (
    leader        TEXT PRIMARY KEY,
    scan_id       BIGINT NOT NULL,           -- the scan whose graph the cascades ran on
    computed_at   BIGINT NOT NULL,
    members       BIGINT NOT NULL,
    esri_max      DOUBLE PRECISION NOT NULL, -- the highest member ESRI
    not_converged BIGINT NOT NULL,           -- members stopped by esri.max_steps
    detail        TEXT NOT NULL
);
