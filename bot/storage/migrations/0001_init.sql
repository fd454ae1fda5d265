-- 0001: people, enterprises, requests, the event log, the outbox and the update inbox.
-- Instants are UTC ISO-8601 text (lexical order = time order).

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    phone       TEXT    NOT NULL UNIQUE,
    telegram_id INTEGER UNIQUE,
    language    TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    away        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);

CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people(id),
    role      TEXT    NOT NULL CHECK (role IN ('owner', 'commissioner', 'supervisor')),
    active    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (person_id, role)
);

CREATE TABLE team_members (
    person_id INTEGER NOT NULL REFERENCES people(id),
    team      TEXT    NOT NULL,
    PRIMARY KEY (person_id, team)
);

CREATE TABLE enterprises (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    credit_code     TEXT    NOT NULL UNIQUE,
    industry        TEXT    NOT NULL DEFAULT '',
    chain           TEXT    NOT NULL DEFAULT '',
    contact_name    TEXT    NOT NULL DEFAULT '',
    contact_phone   TEXT    NOT NULL DEFAULT '',
    commissioner_id INTEGER REFERENCES people(id),
    active          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX enterprises_contact ON enterprises(contact_phone);

CREATE TABLE requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    owner_id      INTEGER NOT NULL REFERENCES people(id),
    category      TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    urgency       TEXT    NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    status        TEXT    NOT NULL,
    holder_id     INTEGER REFERENCES people(id),
    created_at    TEXT    NOT NULL,
    dispatched_at TEXT,
    accepted_at   TEXT,
    resolved_at   TEXT,
    closed_at     TEXT,
    due_at        TEXT,
    outcome       TEXT,
    resolution    TEXT,
    rating        INTEGER CHECK (rating BETWEEN 1 AND 5)
);
CREATE INDEX requests_status ON requests(status);
CREATE INDEX requests_holder ON requests(holder_id, status);
CREATE INDEX requests_owner ON requests(owner_id, status);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    kind       TEXT    NOT NULL CHECK (kind IN ('photo', 'document')),
    file_id    TEXT    NOT NULL,
    file_name  TEXT
);

-- Who a request is currently offered to (one-tap Accept); 'active' drops when it moves on.
CREATE TABLE offers (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    tier       TEXT    NOT NULL,
    offered_at TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (request_id, person_id)
);

-- Append-only audit log; every figure in reports is computed from it.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER REFERENCES requests(id),
    actor_id    INTEGER REFERENCES people(id),
    kind        TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    payload     TEXT    NOT NULL DEFAULT '{}',
    at          TEXT    NOT NULL
);
CREATE INDEX events_request ON events(request_id, id);
CREATE INDEX events_kind_at ON events(kind, at);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Messages to send; written in the same transaction as the change that causes them.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES people(id),
    chat_id      INTEGER NOT NULL,
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
CREATE INDEX outbox_due ON outbox(status, not_before, id);

-- The message each person was shown for a request, so later changes edit it in place.
CREATE TABLE message_refs (
    person_id  INTEGER NOT NULL REFERENCES people(id),
    request_id INTEGER NOT NULL REFERENCES requests(id),
    key        TEXT    NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (person_id, request_id, key)
);

-- Updates are stored before Telegram is told they arrived, and marked once handled.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX inbox_pending ON inbox(processed_at, update_id);

-- An owner's request in the making, and other multi-step inputs, saved at every step.
CREATE TABLE drafts (
    user_id    INTEGER NOT NULL,
    flow       TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{}',
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, flow)
);
