-- Leadership of several replicas (PostgreSQL only). The leader holds an advisory lock
-- on its own session and a lease here: a term number it took when it became leader,
-- renewed from its election loop. A frozen leader keeps its session (the kernel still
-- answers keepalives) but stops renewing: once the lease lapses, another replica ends
-- the frozen one's sessions, takes the lock and a new term. Writes only a leader makes
-- check their term in the same transaction (FOR KEY SHARE), so a stale leader's
-- writes fail instead of overwriting the new leader's: the term bump (an update of the
-- key) waits for them or makes them find no row.
CREATE TABLE leader_lease (
    term       BIGINT PRIMARY KEY,
    holder     TEXT NOT NULL,            -- the leader replica's application_name
    renewed_at TIMESTAMPTZ NOT NULL
);
INSERT INTO leader_lease (term, holder, renewed_at) VALUES (0, '', now());
