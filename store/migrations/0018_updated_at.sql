-- When each input row last changed, indexed: a scheduled full scan re-reads only the
-- rows changed since its previous read of the store (store.ChangedFirms, DataMark;
-- docs/performance.md; repairs have theirs since 0004). A batch stamps all its rows with one
-- clock, so each index grows at its end.
CREATE INDEX enterprises_updated ON enterprises (updated_at);
CREATE INDEX relations_updated ON relations (updated_at);
CREATE INDEX events_updated ON events (updated_at);
CREATE INDEX shareholdings_updated ON shareholdings (updated_at);
CREATE INDEX supplied_relations_updated ON supplied_relations (updated_at);
