-- Digest subscriptions (docs/alerts.md, "Digests"): the alert changes held for a
-- subscription's next digest, written in the transaction of the alert change, and
-- when each subscription's last digest went out. A digest consumes its items (they are
-- deleted in the transaction that writes the digest to the outbox).

-- One alert change held for one subscription: the per-alert notification, worded
-- for it, as the outbox would have carried it.
CREATE TABLE alert_digest_items (
    seq          BIGINT PRIMARY KEY,          -- the order of the changes
    subscription TEXT NOT NULL,
    owner        TEXT NOT NULL,               -- the subscription's owner ('' for admin-made ones)
    alert_id     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    rule         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    status       TEXT NOT NULL,               -- firing | resolved
    uscc         TEXT NOT NULL,
    payload      TEXT NOT NULL,               -- the notification, JSON
    created_at   BIGINT NOT NULL
);
CREATE INDEX alert_digest_items_subscription ON alert_digest_items (subscription, seq);

-- When a subscription's last digest was due and went out (or was found empty): the
-- next period starts there.
CREATE TABLE alert_digests (
    subscription TEXT PRIMARY KEY,
    last_at      BIGINT NOT NULL
);
