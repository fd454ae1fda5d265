-- 0009: resolved requests nobody rated close by themselves (issue 11 item 3): the sweep now
-- has a step for them (services/sweep.py, auto_close), so those already resolved are planned
-- by the first sweep like every other request with a step ahead.
UPDATE requests SET next_step_at = '1970-01-01T00:00:00.000000Z' WHERE status = 'resolved';
