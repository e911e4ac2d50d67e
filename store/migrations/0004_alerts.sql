-- Alerts, their notifications (the durable outbox), silences and subscriptions
-- (docs/alerts.md, docs/operations.md). Flags are BIGINT 0/1 and timestamps BIGINT Unix milliseconds, as in
-- the other tables, so the same statements run on SQLite and PostgreSQL.

-- One row per fingerprint (rule + subject + leader); a resolved alert that fires again
-- starts a new episode in the same row. The id is derived from the fingerprint, so it
-- stays the same across episodes and replicas.
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    fingerprint    TEXT NOT NULL UNIQUE,
    rule           TEXT NOT NULL,
    severity       TEXT NOT NULL,         -- info | warning | critical
    state          TEXT NOT NULL,         -- firing | resolved
    uscc           TEXT NOT NULL,         -- the subject
    name           TEXT NOT NULL,
    leader         TEXT NOT NULL,         -- '' for firm-level rules
    leader_name    TEXT NOT NULL,
    grade          TEXT NOT NULL,
    previous_grade TEXT NOT NULL,
    details        TEXT NOT NULL,         -- JSON: values, reasons, path (package alerts)
    quiet          BIGINT NOT NULL,       -- 1: recorded by a baseline, never announced
    scan_id        BIGINT NOT NULL,       -- the scan of the last change
    started_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    resolved_at    BIGINT,
    notified_at    BIGINT,                -- last time notifications were enqueued
    acked_at       BIGINT,
    acked_by       TEXT NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, rule, severity);
CREATE INDEX alerts_uscc ON alerts (uscc);
CREATE INDEX alerts_leader ON alerts (leader);

-- The outbox: one row per notification to one channel of one subscription, written
-- in the transaction that changed the alert. The id is the notification's
-- Idempotency-Key. channel holds the channel's config with its secrets (the store is
-- trusted with them, as with subscriptions); nothing that lists deliveries reads it.
CREATE TABLE alert_notifications (
    id              TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL,       -- delivery order
    alert_id        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,         -- firing | resolved
    uscc            TEXT NOT NULL,
    subscription    TEXT NOT NULL,
    owner           TEXT NOT NULL,         -- the subscription's owner ('' for admin-made ones)
    channel_index   BIGINT NOT NULL,
    channel_type    TEXT NOT NULL,
    channel_key     TEXT NOT NULL,         -- hash of the channel's type, URLs and secret
    channel         TEXT NOT NULL,
    payload         TEXT NOT NULL,         -- the notification, JSON
    state           TEXT NOT NULL,         -- pending | delivered | dead
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL,         -- scrubbed of secrets by the notifiers
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX alert_notifications_due ON alert_notifications (state, next_attempt_at);
CREATE INDEX alert_notifications_channel ON alert_notifications (channel_key, state, seq);
CREATE INDEX alert_notifications_seq ON alert_notifications (seq);
CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id);
CREATE INDEX alert_notifications_created ON alert_notifications (state, created_at);

CREATE TABLE silences (
    id         TEXT PRIMARY KEY,
    matchers   TEXT NOT NULL,             -- JSON: [{"name", "op", "value"}]
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX silences_ends ON silences (ends_at);

-- Subscriptions made through the API (those of the config file are not stored).
CREATE TABLE subscriptions (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,             -- the tenant's USCC; '' for admin-made ones
    spec       TEXT NOT NULL,             -- JSON, channel secrets in clear
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_owner ON subscriptions (owner);

-- repair_done reads the repairs recorded since its last evaluation.
CREATE INDEX repairs_updated ON repairs (updated_at);
