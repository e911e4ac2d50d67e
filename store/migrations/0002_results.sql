-- Scans and their results (docs/operations.md).

CREATE TABLE scans (
    id             BIGINT PRIMARY KEY,
    kind           TEXT NOT NULL,         -- full | incremental
    scope          TEXT NOT NULL,         -- all | chain:<uscc> | enterprise:<uscc>
    trigger_name   TEXT NOT NULL,         -- cron:<job> | api:<token name> | startup | ingest
    status         TEXT NOT NULL,         -- queued | running | succeeded | failed
    created_at     BIGINT NOT NULL,
    started_at     BIGINT,
    finished_at    BIGINT,
    progress_done  BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    error          TEXT NOT NULL,
    stats          TEXT NOT NULL          -- JSON: counts and per-stage timings
);
CREATE INDEX scans_status ON scans (status);

-- Latest result per firm; rewritten only when a value changes.
CREATE TABLE scores (
    uscc          TEXT PRIMARY KEY,
    score         DOUBLE PRECISION NOT NULL,
    grade         TEXT NOT NULL,
    p             DOUBLE PRECISION NOT NULL,
    d             DOUBLE PRECISION NOT NULL,
    model_version TEXT NOT NULL,
    scan_id       BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- One row each time a firm's score or grade changes.
CREATE TABLE score_history (
    uscc          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    grade         TEXT NOT NULL,
    p             DOUBLE PRECISION NOT NULL,
    d             DOUBLE PRECISION NOT NULL,
    model_version TEXT NOT NULL,
    scan_id       BIGINT NOT NULL,
    PRIMARY KEY (uscc, at)
);

-- Latest chain result per leading firm; detail is the JSON document the API serves.
CREATE TABLE chain_results (
    leader         TEXT PRIMARY KEY,
    chain_risk     DOUBLE PRECISION NOT NULL,
    supply_at_risk DOUBLE PRECISION NOT NULL,
    demand_at_risk DOUBLE PRECISION NOT NULL,
    members        BIGINT NOT NULL,
    detail         TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    scan_id        BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
