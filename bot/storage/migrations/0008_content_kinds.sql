-- 0008: attachments may be voice messages, video notes, audio, videos, locations and contacts
-- (bot.domain.content.ATTACHMENT_KINDS), not only photos and documents. SQLite cannot change a
-- CHECK in place: the table is rebuilt, keeping every row, its id and the index.
-- pragma: foreign_keys=off

CREATE TABLE attachments_new (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    kind       TEXT    NOT NULL CHECK (kind IN ('photo', 'document', 'voice', 'video_note',
                                                 'audio', 'video', 'location', 'contact')),
    channel    TEXT    NOT NULL,
    ref        TEXT    NOT NULL,
    file_name  TEXT
);
INSERT INTO attachments_new (id, request_id, kind, channel, ref, file_name)
SELECT id, request_id, kind, channel, ref, file_name FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_request ON attachments(request_id, id);
