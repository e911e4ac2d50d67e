-- Input data (docs/models.md). Timestamps are BIGINT Unix milliseconds (UTC) in both stores,
-- so the same queries run on SQLite and PostgreSQL.
--
-- References between these tables (a relation's firms, an event's firm, a repair's
-- event) are enforced by the ingest batch checks, which run under the store's exclusive
-- batch lock; rows are never deleted. Foreign keys would repeat those checks row by row
-- and cost a third of the bulk-import time.

CREATE TABLE enterprises (
    uscc       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    region     TEXT NOT NULL,
    industry   TEXT NOT NULL,
    tags       TEXT NOT NULL,            -- ';'-separated, lower case
    status     TEXT NOT NULL,
    revenue    DOUBLE PRECISION,         -- CNY per year, NULL when unknown
    updated_at BIGINT NOT NULL           -- when this row last changed
);

CREATE TABLE relations (
    supplier         TEXT NOT NULL,
    customer         TEXT NOT NULL,
    purchase_share   DOUBLE PRECISION NOT NULL,  -- 0 = not reported
    sales_share      DOUBLE PRECISION NOT NULL,  -- 0 = not reported
    substitutability DOUBLE PRECISION NOT NULL,
    amount           DOUBLE PRECISION,
    product          TEXT NOT NULL,
    valid_from       BIGINT,
    valid_to         BIGINT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (supplier, customer)
);
CREATE INDEX relations_customer ON relations (customer);

CREATE TABLE events (
    event_id      TEXT PRIMARY KEY,
    uscc          TEXT NOT NULL,
    type          TEXT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    publish_until BIGINT,                -- NULL: public until repaired
    source        TEXT NOT NULL,
    amount        DOUBLE PRECISION,
    description   TEXT NOT NULL,
    state         TEXT NOT NULL,         -- active | repaired | expired
    repaired_at   BIGINT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX events_uscc ON events (uscc, occurred_at);

CREATE TABLE repairs (
    event_id    TEXT PRIMARY KEY,
    repaired_at BIGINT NOT NULL,
    decided_by  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
