-- API tokens (api/openapi.json). Only the SHA-256 of a token is kept; the plain token is shown
-- once, when it is created. Names are unique over revoked tokens too, so that a name in
-- a scan's trigger (api:<name>) or a log line always means one token.

CREATE TABLE tokens (
    id           BIGINT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,           -- admin | ingest | analyst | tenant
    leader       TEXT NOT NULL,           -- the tenant's USCC; '' for other roles
    hash         TEXT NOT NULL UNIQUE,    -- hex SHA-256 of the plain token
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
