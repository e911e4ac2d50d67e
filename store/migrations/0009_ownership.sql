-- Ownership data (docs/models.md): each firm's legal representative, registered capital and
-- date of establishment, and the shareholdings between firms and natural persons.
-- A legal_rep_id and a person holder are opaque person_ids assigned by the source:
-- ingest refuses resident identity numbers, so none is ever stored.

ALTER TABLE enterprises ADD COLUMN legal_rep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN legal_rep_name TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN registered_capital DOUBLE PRECISION; -- CNY, NULL when unknown
ALTER TABLE enterprises ADD COLUMN established_at BIGINT;               -- NULL when unknown

-- The primary key serves the investees of a holder (holder_kind, holder); the index
-- on investee its holders. The investee and a firm holder are enterprises, enforced
-- by the ingest batch checks like a relation's firms; Σ current share per investee
-- ≤ 1 (+1e-6) likewise.
CREATE TABLE shareholdings (
    holder_kind        TEXT NOT NULL,            -- firm | person
    holder             TEXT NOT NULL,            -- a USCC or a person_id
    investee           TEXT NOT NULL,
    holder_name        TEXT NOT NULL,            -- a person's name, '' when not given
    share              DOUBLE PRECISION NOT NULL, -- of the investee's registered capital, (0,1]
    subscribed_capital DOUBLE PRECISION,         -- CNY, NULL when unknown
    since              BIGINT,                   -- NULL: unknown
    until              BIGINT,                   -- NULL: still held
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (holder_kind, holder, investee)
);
CREATE INDEX shareholdings_investee ON shareholdings (investee);
