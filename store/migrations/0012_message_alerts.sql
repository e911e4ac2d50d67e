-- A message (one outbox row) may carry several alerts: the alerts of one firm that one
-- evaluation changed for one subscription, a snapshot's or a digest's list
-- (docs/alerts.md "Messages"). alert_id keeps the row's own alert (empty for a snapshot
-- or a digest); alert_ids every alert it carries, each between spaces (" a b "), so
-- that the deliveries of an alert are found whichever message carried it.
ALTER TABLE alert_notifications ADD COLUMN alert_ids TEXT NOT NULL DEFAULT '';
