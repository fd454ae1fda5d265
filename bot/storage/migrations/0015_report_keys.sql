-- 0013: figures by cut in one grouped query each (issues 9 and 12). Each request's facts also
-- keep the key of every cut (README "Figures by cut"): its category, its enterprise's industry
-- and chain, the team and the committee chain of the person it is attributed to (who first
-- resolved it, else who holds it), and who gets the credit for its resolution. They are
-- computed with the rest of the facts in the same transaction as every event of the request
-- (bot/storage/sqlite/report_facts.py), and Database.open rebuilds all facts from the event log
-- when migrating to this version (which fills them for existing rows).
ALTER TABLE request_facts ADD COLUMN category TEXT;
ALTER TABLE request_facts ADD COLUMN industry TEXT;
ALTER TABLE request_facts ADD COLUMN chain TEXT;
ALTER TABLE request_facts ADD COLUMN team TEXT;
ALTER TABLE request_facts ADD COLUMN committee TEXT;
ALTER TABLE request_facts ADD COLUMN credit TEXT;
