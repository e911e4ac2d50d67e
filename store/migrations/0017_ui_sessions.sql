-- Sessions of the web console (docs/console.md, "Sessions"): one row per signed-in
-- browser, shared by every replica. The row holds the SHA-256 of the session cookie's
-- random value (never the value) and refers to the API token the caller signed in
-- with by its ID (never the token); every request re-reads the token, so a revoked
-- token's sessions stop at once.
CREATE TABLE ui_sessions (
    id_hash    TEXT PRIMARY KEY,            -- hex SHA-256 of the cookie's value
    token_id   BIGINT NOT NULL,             -- tokens.id
    csrf       TEXT NOT NULL,               -- the session's CSRF token (a random value)
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL              -- last_seen + ui.session_idle
);
CREATE INDEX ui_sessions_token ON ui_sessions (token_id);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
