-- 0007: reports in SQL (issue 9): one row of facts per request, folded from its events in the
-- same transaction as every event (bot/storage/sqlite/reports.py), and the indexes the report
-- queries and the retention job read by. Instants here are integer microseconds since the Unix
-- epoch (UTC), so durations and "within 30 minutes" are exact integer arithmetic.
CREATE TABLE request_facts (
    request_id              INTEGER PRIMARY KEY REFERENCES requests(id),
    submitted_us            INTEGER,
    first_offer_us          INTEGER,
    first_accept_us         INTEGER,
    resolved_us             INTEGER,
    -- the deadline that decides on-time resolution (kpis.Timeline.deadline)
    deadline_us             INTEGER,
    cancelled_before_accept INTEGER NOT NULL DEFAULT 0,
    status                  TEXT,
    holder_id               INTEGER,
    -- the current deadline while being worked on (accepted or reopened), else NULL
    work_due_us             INTEGER,
    last_event_us           INTEGER NOT NULL
);
-- Covering indexes: each rate reads one index range, never the table.
CREATE INDEX facts_submitted ON request_facts(submitted_us);
CREATE INDEX facts_offer ON request_facts(first_offer_us, cancelled_before_accept, first_accept_us);
CREATE INDEX facts_accept ON request_facts(first_accept_us, first_offer_us);
CREATE INDEX facts_resolved ON request_facts(resolved_us, submitted_us);
CREATE INDEX facts_deadline ON request_facts(deadline_us, resolved_us);
CREATE INDEX facts_work_due ON request_facts(work_due_us, last_event_us)
    WHERE work_due_us IS NOT NULL;
CREATE INDEX facts_last_event ON request_facts(last_event_us);
-- "Requests with an accepted (resolved, escalated) event in the day" from the index alone.
CREATE INDEX events_kind_at_request ON events(kind, at, request_id);
-- Every rating (a `rated` event with integer stars), kept with the event like the facts: the
-- satisfaction rate of a period from one covering index.
CREATE TABLE ratings (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    at_us      INTEGER NOT NULL,
    stars      INTEGER NOT NULL
);
CREATE INDEX ratings_at ON ratings(at_us, stars, request_id);
-- events_kind_at is a prefix of the index above.
DROP INDEX events_kind_at;
-- Retention: handled inbox rows by when they were handled; sent/failed outbox rows by age.
CREATE INDEX outbox_done ON outbox(status, created_at) WHERE status IN ('sent', 'failed');
