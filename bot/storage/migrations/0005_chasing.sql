-- 0005: chasing by index (issue 9). Each request stores when its next chase step falls due,
-- so a sweep reads only what is due instead of every open request and its events.
--   NULL      nothing to chase (closed, cancelled, or nothing left until the request changes)
--   an instant the sweep plans the request at the first run at or after it (UTC ISO text)
-- Every write that changes a request's status, holder, offers or deadline sets it to the
-- epoch ('plan at once'); the sweep then stores the exact time of the next step (services/sweep.py).
ALTER TABLE requests ADD COLUMN next_step_at TEXT;

-- Existing open requests are planned by the first sweep.
UPDATE requests SET next_step_at = '1970-01-01T00:00:00.000000Z'
 WHERE status IN ('submitted', 'dispatched', 'escalated', 'accepted', 'reopened');

-- Serves `WHERE next_step_at <= :now`; closed requests (the vast majority) are not in it.
CREATE INDEX requests_next_step ON requests(next_step_at) WHERE next_step_at IS NOT NULL;
