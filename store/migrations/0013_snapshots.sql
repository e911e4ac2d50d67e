-- Snapshot on subscribe (docs/alerts.md): when each subscription, by name, was last
-- sent the list of the alerts firing in its scope. A subscription of the config file
-- is sent its snapshot once, on the leader after a scan, when it has no row here; one
-- made through the API is sent its own on creation. Deleting a stored subscription
-- deletes its row, so that a new one of the same name is sent a snapshot again.
CREATE TABLE subscription_snapshots (
    name    TEXT PRIMARY KEY,
    sent_at BIGINT NOT NULL
);

-- The subscriptions made before snapshots existed were told what fired as it fired:
-- none of them is owed a snapshot.
INSERT INTO subscription_snapshots (name, sent_at) SELECT name, created_at FROM subscriptions;
