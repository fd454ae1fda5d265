-- 0004: identity: people reach the bot at addresses (a channel and the channel's text id for
-- them), so no table names Telegram's integer ids any more. Every row is copied: Telegram
-- accounts become 'telegram' addresses, and what was addressed to a chat keeps going there.
-- pragma: foreign_keys=off
-- (people is rebuilt while other tables refer to it; db.migrate checks every foreign key
-- before this commits.)

CREATE TABLE person_addresses (
    person_id INTEGER NOT NULL REFERENCES people(id),
    channel   TEXT    NOT NULL,
    address   TEXT    NOT NULL,
    PRIMARY KEY (person_id, channel),
    UNIQUE (channel, address)
);
INSERT INTO person_addresses (person_id, channel, address)
SELECT id, 'telegram', CAST(telegram_id AS TEXT) FROM people WHERE telegram_id IS NOT NULL;

-- people without telegram_id.
CREATE TABLE people_new (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    phone          TEXT    NOT NULL UNIQUE,
    language       TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    away           INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    unreachable_at TEXT
);
INSERT INTO people_new (id, name, phone, language, active, away, created_at, unreachable_at)
SELECT id, name, phone, language, active, away, created_at, unreachable_at FROM people;
DROP TABLE people;
ALTER TABLE people_new RENAME TO people;

-- Attachments: the channel a file lives in, and that channel's reference to it.
CREATE TABLE attachments_new (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    kind       TEXT    NOT NULL CHECK (kind IN ('photo', 'document')),
    channel    TEXT    NOT NULL,
    ref        TEXT    NOT NULL,
    file_name  TEXT
);
INSERT INTO attachments_new (id, request_id, kind, channel, ref, file_name)
SELECT id, request_id, kind, 'telegram', file_id, file_name FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_request ON attachments(request_id, id);

-- The outbox: a row goes to an address (channel + text) instead of a Telegram chat id.
CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES people(id),
    channel      TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    request_id   INTEGER REFERENCES requests(id),
    params       TEXT    NOT NULL DEFAULT '{}',
    edit_key     TEXT,
    urgent       INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    sent_at      TEXT,
    last_error   TEXT
);
INSERT INTO outbox_new (id, recipient_id, channel, address, kind, request_id, params, edit_key,
                        urgent, status, attempts, not_before, created_at, sent_at, last_error)
SELECT id, recipient_id, 'telegram', CAST(chat_id AS TEXT), kind, request_id, params, edit_key,
       urgent, status, attempts, not_before, created_at, sent_at, last_error
FROM outbox ORDER BY id;
-- AUTOINCREMENT never hands out an id twice: carry the counter over (rows may have been pruned).
CREATE TEMP TABLE outbox_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(seq) FROM temp.outbox_seq), 0))
WHERE name = 'outbox';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', seq FROM temp.outbox_seq
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox');
DROP TABLE temp.outbox_seq;
CREATE INDEX outbox_due ON outbox(status, not_before, id);
-- The sender looks up the oldest pending message of each address.
CREATE INDEX outbox_address_pending ON outbox(channel, address, status, id);

-- Message references: where the message each person was shown for a request lives.
CREATE TABLE message_refs_new (
    person_id   INTEGER NOT NULL REFERENCES people(id),
    request_id  INTEGER NOT NULL REFERENCES requests(id),
    key         TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    message_ref TEXT    NOT NULL,
    PRIMARY KEY (person_id, request_id, key)
);
INSERT INTO message_refs_new (person_id, request_id, key, channel, address, message_ref)
SELECT person_id, request_id, key, 'telegram', CAST(chat_id AS TEXT), CAST(message_id AS TEXT)
FROM message_refs;
DROP TABLE message_refs;
ALTER TABLE message_refs_new RENAME TO message_refs;
-- A reply to a message finds the request it is about.
CREATE INDEX message_refs_message ON message_refs(channel, address, message_ref);

-- The inbox: a channel's update reference as text, and `seq` to handle them in the channel's
-- order (Telegram's update ids).
CREATE TABLE inbox_new (
    channel      TEXT    NOT NULL,
    ref          TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    payload      TEXT    NOT NULL,
    received_at  TEXT    NOT NULL,
    processed_at TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, ref)
);
INSERT INTO inbox_new (channel, ref, seq, payload, received_at, processed_at, attempts)
SELECT 'telegram', CAST(update_id AS TEXT), update_id, payload, received_at, processed_at, attempts
FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox(processed_at, channel, seq);
CREATE INDEX inbox_seq ON inbox(channel, seq);

-- Drafts belong to a conversation: the address the person is writing from. Saved attachments
-- inside a draft take the same shape as the attachments table.
CREATE TABLE drafts_new (
    channel    TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    flow       TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{}',
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (channel, address, flow)
);
INSERT INTO drafts_new (channel, address, flow, step, data, updated_at)
SELECT 'telegram', CAST(user_id AS TEXT), flow, step, data, updated_at FROM drafts;
DROP TABLE drafts;
ALTER TABLE drafts_new RENAME TO drafts;
UPDATE drafts SET data = json_set(data, '$.attachments', json((
    SELECT json_group_array(json_object(
        'kind', json_extract(a.value, '$.kind'),
        'channel', 'telegram',
        'ref', json_extract(a.value, '$.file_id'),
        'file_name', json_extract(a.value, '$.file_name')))
    FROM json_each(drafts.data, '$.attachments') AS a)))
WHERE json_valid(data) AND json_array_length(data, '$.attachments') > 0;
