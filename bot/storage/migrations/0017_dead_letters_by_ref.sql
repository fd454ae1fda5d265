-- 0017: dead letters keyed like the inbox, by the update's channel and reference. Keyed by the
-- Telegram update id alone, a WeCom update and a Telegram update with the same sequence number
-- were one dead letter: the second was dropped (INSERT OR IGNORE). Until now only Telegram
-- updates were stored, under their update id.
CREATE TABLE dead_letters_by_ref (
    channel TEXT NOT NULL,
    ref     TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    payload TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (channel, ref)
);
INSERT INTO dead_letters_by_ref (channel, ref, seq, payload, reason, at)
    SELECT 'telegram', CAST(update_id AS TEXT), update_id, payload, reason, at FROM dead_letters;
DROP TABLE dead_letters;
ALTER TABLE dead_letters_by_ref RENAME TO dead_letters;
CREATE INDEX dead_letters_at ON dead_letters(at);
