-- 0012: figures by commissioner, team and committee (issue 12). Each request's facts also keep
-- who first resolved it and with which outcome, how often it was reopened and when it was
-- cancelled; all folded from the event log like the rest (Database.open rebuilds the facts
-- when migrating to this version).
ALTER TABLE request_facts ADD COLUMN resolver_id INTEGER;
ALTER TABLE request_facts ADD COLUMN outcome TEXT;
ALTER TABLE request_facts ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_facts ADD COLUMN cancelled_us INTEGER;
CREATE INDEX facts_resolver ON request_facts(resolved_us, resolver_id);
CREATE INDEX facts_cancelled ON request_facts(cancelled_us) WHERE cancelled_us IS NOT NULL;
CREATE INDEX facts_open ON request_facts(status, holder_id);
