-- What each principal records about alerts (docs/alerts.md): its feedback and its
-- incident workflow, per audience as acknowledgements are ('' for staff, else the
-- tenant's USCC), so that no principal's record touches another's. Unlike
-- acknowledgements they outlive episodes: the alert id stays across them.

-- An audience's latest verdict on an alert (a new one replaces it), with the alert's
-- state, severity and episode as the verdict found them: an irrelevant verdict mutes the
-- alert for the audience's subscriptions while they hold, and muted is cleared for good
-- by the first alert change that alters one of them.
CREATE TABLE alert_feedback (
    alert_id   TEXT NOT NULL,
    audience   TEXT NOT NULL,
    verdict    TEXT NOT NULL,             -- useful | irrelevant | wrong_entity
    comment    TEXT NOT NULL,
    given_by   TEXT NOT NULL,             -- the token's name
    given_at   BIGINT NOT NULL,
    state      TEXT NOT NULL,             -- the alert's, at given_at
    severity   TEXT NOT NULL,
    started_at BIGINT NOT NULL,           -- the alert's episode, at given_at
    muted      BIGINT NOT NULL,           -- 1 while an irrelevant verdict mutes it
    PRIMARY KEY (alert_id, audience)
);
CREATE INDEX alert_feedback_verdict ON alert_feedback (verdict, given_at);
CREATE INDEX alert_feedback_muted ON alert_feedback (muted);

-- An audience's incident workflow of an alert: its status and assignee.
CREATE TABLE alert_workflow (
    alert_id   TEXT NOT NULL,
    audience   TEXT NOT NULL,
    status     TEXT NOT NULL,             -- open | investigating | no_impact | confirmed | closed
    assignee   TEXT NOT NULL,
    updated_by TEXT NOT NULL,             -- the token's name
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (alert_id, audience)
);
CREATE INDEX alert_workflow_status ON alert_workflow (audience, status);

-- Its notes, append-only, numbered from 1 per alert and audience.
CREATE TABLE alert_notes (
    alert_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    noted_by TEXT NOT NULL,               -- the token's name
    noted_at BIGINT NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (alert_id, audience, seq)
);
