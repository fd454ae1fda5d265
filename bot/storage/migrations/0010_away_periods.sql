-- Away periods (issue 10 item 4): an away person's return date and why they are away.
-- away_until is a UTC instant (NULL: until /back); the sweep ends the period at that time.
ALTER TABLE people ADD COLUMN away_until TEXT;
ALTER TABLE people ADD COLUMN away_reason TEXT;
CREATE INDEX IF NOT EXISTS people_away_until ON people(away_until) WHERE away_until IS NOT NULL;
