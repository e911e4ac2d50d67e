-- Acknowledgements are per audience: staff ('') or one tenant (its USCC).
-- One tenant's acknowledgement stops that tenant's repeats only and is shown to it
-- alone. An alert firing again (a new episode) starts without acknowledgements.
CREATE TABLE alert_acks (
    alert_id TEXT NOT NULL,
    audience TEXT NOT NULL,                -- '' for staff, else the tenant's USCC
    acked_by TEXT NOT NULL,                -- the token's name
    acked_at BIGINT NOT NULL,
    PRIMARY KEY (alert_id, audience)
);

-- The acknowledgements made so far were global; they stay with staff, whose
-- repeats they stopped.
INSERT INTO alert_acks (alert_id, audience, acked_by, acked_at)
    SELECT id, '', acked_by, acked_at FROM alerts WHERE acked_at IS NOT NULL;

ALTER TABLE alerts DROP COLUMN acked_at;
ALTER TABLE alerts DROP COLUMN acked_by;
