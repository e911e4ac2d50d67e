-- Investment-attraction check reports (精准招商), saved when made so that they can be
-- read again and listed per target. report is the JSON document the API answered.

CREATE TABLE check_reports (
    id         BIGINT PRIMARY KEY,
    uscc       TEXT NOT NULL,
    verdict    TEXT NOT NULL,             -- pass | caution | reject
    scan_id    BIGINT NOT NULL,           -- the scan whose results the check read
    checked_at BIGINT NOT NULL,
    checked_by TEXT NOT NULL,             -- the token's name
    report     TEXT NOT NULL
);

CREATE INDEX check_reports_uscc ON check_reports (uscc, id);
