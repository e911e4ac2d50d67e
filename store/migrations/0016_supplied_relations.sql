-- Relations a leading firm supplies itself (docs/onboarding.md, "Leaders' own supplier
-- lists"): a tenant lists its leader's tier-1 purchases. They are kept beside the
-- registry's relations, never over them: the registry's rows stay in relations, and a
-- leader's rows count only in that leader's own chain view.
--
-- source is the USCC of the leader whose tenant supplied the row; the ingest checks
-- keep customer = source, the supplier a known firm and Σ purchase_share over the
-- leader's effective suppliers ≤ 1 (+1e-6), under the store's batch lock.
CREATE TABLE supplied_relations (
    source                TEXT NOT NULL,
    supplier              TEXT NOT NULL,
    customer              TEXT NOT NULL,
    purchase_share        DOUBLE PRECISION NOT NULL,
    sales_share           DOUBLE PRECISION NOT NULL,
    substitutability      DOUBLE PRECISION NOT NULL,
    amount                DOUBLE PRECISION,
    product               TEXT NOT NULL,
    valid_from            BIGINT,
    valid_to              BIGINT,
    sales_share_estimated BIGINT NOT NULL,   -- 1: sales_share was estimated, 0: given
    updated_at            BIGINT NOT NULL,
    PRIMARY KEY (source, supplier, customer)
);
CREATE INDEX supplied_relations_customer ON supplied_relations (customer);
