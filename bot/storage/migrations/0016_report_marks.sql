-- 0016: report figures by cut at scale (issues 9 and 12). "Requests with an accepted (resolved,
-- escalated, reopened, auto-closed) event in the period", the resolutions by outcome and the
-- ratings read one covering index range of these marks, grouped by a cut key kept on the mark,
-- instead of the event log (or the ratings) joined to the facts, and each resolved event's JSON
-- payload. One mark per such event (a `closed` one only when the sweep closed it: payload auto
-- true; a `rated` one with integer stars, as the table ratings keeps it); its keys are the
-- request's facts' keys (0015), rewritten with the facts at every event of the request
-- (bot/storage/sqlite/report_facts.py). Filled here from the event log and the facts;
-- rebuild_report_facts recomputes them with the facts.
--
-- And the facts' range indexes end in the cut keys, so that each figure by any cut reads one
-- index range and never the table (the same leading columns as before: the same plans).
CREATE TABLE report_marks (
    request_id  INTEGER NOT NULL REFERENCES requests(id),
    kind        TEXT NOT NULL,
    at_us       INTEGER NOT NULL,
    -- a resolution's text `outcome`, "" without one (and for every other kind)
    outcome     TEXT NOT NULL DEFAULT '',
    -- a rating's stars (NULL for every other kind)
    stars       INTEGER,
    category    TEXT,
    industry    TEXT,
    chain       TEXT,
    team        TEXT,
    committee   TEXT,
    credit      TEXT,
    resolver_id INTEGER,
    holder_id   INTEGER,
    -- the instant of the request's mark of this kind just before this one (and of its
    -- resolution with this outcome just before, for a resolution), NULL for the first: a
    -- period's marks with none before the period count each request once, without DISTINCT
    prev_us         INTEGER,
    prev_outcome_us INTEGER
);
INSERT INTO report_marks (request_id, kind, at_us, outcome, stars, category, industry, chain,
                          team, committee, credit, resolver_id, holder_id)
SELECT ev.request_id, ev.kind,
       CAST(strftime('%s', substr(ev.at, 1, 19)) AS INTEGER) * 1000000
           + CAST(substr(ev.at, 21, 6) AS INTEGER),
       CASE WHEN ev.kind = 'resolved' AND json_type(ev.payload, '$.outcome') = 'text'
            THEN json_extract(ev.payload, '$.outcome') ELSE '' END,
       CASE WHEN ev.kind = 'rated' THEN json_extract(ev.payload, '$.stars') END,
       f.category, f.industry, f.chain, f.team, f.committee, f.credit, f.resolver_id, f.holder_id
FROM events ev JOIN request_facts f ON f.request_id = ev.request_id
WHERE ev.kind IN ('accepted', 'resolved', 'escalated', 'reopened')
   OR (ev.kind = 'closed' AND json_type(ev.payload, '$.auto') = 'true')
   OR (ev.kind = 'rated' AND json_type(ev.payload, '$.stars') = 'integer')
ORDER BY ev.id;
CREATE INDEX report_marks_request ON report_marks(request_id, kind, at_us);
UPDATE report_marks AS m SET
    prev_us = (SELECT MAX(p.at_us) FROM report_marks p
               WHERE p.request_id = m.request_id AND p.kind = m.kind
                 AND (p.at_us < m.at_us OR (p.at_us = m.at_us AND p.rowid < m.rowid))),
    prev_outcome_us = (SELECT MAX(p.at_us) FROM report_marks p
               WHERE p.request_id = m.request_id AND p.kind = m.kind AND p.outcome = m.outcome
                 AND (p.at_us < m.at_us OR (p.at_us = m.at_us AND p.rowid < m.rowid)));
CREATE INDEX report_marks_at ON report_marks(kind, at_us, request_id, outcome, category, industry,
    chain, team, committee, credit, resolver_id, holder_id, prev_us, prev_outcome_us, stars);
DROP INDEX facts_submitted;
CREATE INDEX facts_submitted ON request_facts(submitted_us, category, industry, chain, team,
    committee, credit, resolver_id, holder_id);
DROP INDEX facts_offer;
CREATE INDEX facts_offer ON request_facts(first_offer_us, cancelled_before_accept,
    first_accept_us, category, industry, chain, team, committee, credit, resolver_id, holder_id);
DROP INDEX facts_accept;
CREATE INDEX facts_accept ON request_facts(first_accept_us, first_offer_us, category, industry,
    chain, team, committee, credit, resolver_id, holder_id);
DROP INDEX facts_resolved;
CREATE INDEX facts_resolved ON request_facts(resolved_us, submitted_us, category, industry,
    chain, team, committee, credit, resolver_id, holder_id);
DROP INDEX facts_deadline;
CREATE INDEX facts_deadline ON request_facts(deadline_us, resolved_us, category, industry,
    chain, team, committee, credit, resolver_id, holder_id);
DROP INDEX facts_open;
CREATE INDEX facts_open ON request_facts(status, holder_id, category, industry, chain, team,
    committee, credit, resolver_id);
