-- A firm's former names (曾用名), ';'-separated, as ingest takes them: each trimmed,
-- none empty, at most 100 characters, no duplicates. Name matching (package match,
-- POST /api/v1/matches) searches them alongside the current name.

ALTER TABLE enterprises ADD COLUMN former_names TEXT NOT NULL DEFAULT '';
