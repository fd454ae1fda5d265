-- 0014: what the next text in a conversation answers (a reason, a summary, a note, a phone)
-- is kept by the channel, one per conversation, in its own table rather than among the
-- drafts. The questions pending when this runs move over (the newest per conversation wins).
CREATE TABLE expectations (
    channel   TEXT    NOT NULL,
    address   TEXT    NOT NULL,
    flow      TEXT    NOT NULL,
    subject   INTEGER NOT NULL,
    prompt    TEXT,
    data      TEXT    NOT NULL DEFAULT '{}',
    asked_at  TEXT    NOT NULL,
    PRIMARY KEY (channel, address)
);
INSERT OR REPLACE INTO expectations (channel, address, flow, subject, prompt, data, asked_at)
SELECT channel, address, flow,
       CAST(COALESCE(json_extract(data, '$.request_id'), json_extract(data, '$.person_id')) AS INTEGER),
       CAST(json_extract(data, '$.prompt') AS TEXT),
       json_remove(data, '$.request_id', '$.person_id', '$.prompt'),
       updated_at
FROM drafts
WHERE flow IN ('decline', 'handback', 'resolve', 'note', 'inote', 'reopen', 'comment',
               'withdraw', 'phone')
  AND COALESCE(json_extract(data, '$.request_id'), json_extract(data, '$.person_id')) IS NOT NULL
ORDER BY updated_at;
DELETE FROM drafts
WHERE flow IN ('decline', 'handback', 'resolve', 'note', 'inote', 'reopen', 'comment',
               'withdraw', 'phone');
