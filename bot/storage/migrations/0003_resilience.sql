-- 0003: what keeps the bot from going deaf or silent (issue 7).

-- How often handling an update was started: one that keeps crashing the process is set aside.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Updates that could not be parsed or handled, with why; skipped, reported once.
CREATE TABLE dead_letters (
    update_id   INTEGER PRIMARY KEY,
    payload     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
);

-- The watchdog's record of the bot's long-running tasks (read by `oncall-bot check`).
CREATE TABLE health (
    component       TEXT PRIMARY KEY,
    restarts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_restart_at TEXT,
    heartbeat_at    TEXT
);

-- Someone who blocked the bot (or whose chat is gone): set on a permanent send failure,
-- cleared when they next write.
ALTER TABLE people ADD COLUMN unreachable_at TEXT;

-- When the bot last told a group or channel to use a private chat (at most once an hour).
CREATE TABLE chat_notices (
    chat_id INTEGER PRIMARY KEY,
    last_at TEXT NOT NULL
);
