"""An older schema on a database the current code made: to test migrating "yesterday's" file.

Each migration after 0004 has here the statements that take it back out, so a test can fill a
database with today's code and then make it look as schema version N left it. A migration
without an entry fails tests/unit/test_storage.py, so this stays complete.
"""

from __future__ import annotations

import aiosqlite

UNDO: dict[int, tuple[str, ...]] = {
    5: (
        "DROP INDEX requests_next_step",
        "ALTER TABLE requests DROP COLUMN next_step_at",
    ),
    6: (
        "DROP INDEX offers_person",
        "DROP INDEX requests_owner_newest",
    ),
    7: (
        "DROP TABLE request_facts",
        "DROP TABLE ratings",
        "DROP INDEX events_kind_at_request",
        "DROP INDEX outbox_done",
        "CREATE INDEX events_kind_at ON events(kind, at)",
    ),
    # 0008 widened a CHECK and 0009 re-planned resolved requests: applying them again is safe.
    8: (),
    9: (),
    10: (
        "DROP INDEX people_away_until",
        "ALTER TABLE people DROP COLUMN away_until",
        "ALTER TABLE people DROP COLUMN away_reason",
    ),
    # 0011 rebuilds person_roles with the committee role, its other statements IF NOT EXISTS.
    11: (),
    12: (
        "DROP INDEX facts_resolver",
        "DROP INDEX facts_cancelled",
        "DROP INDEX facts_open",
        "ALTER TABLE request_facts DROP COLUMN resolver_id",
        "ALTER TABLE request_facts DROP COLUMN outcome",
        "ALTER TABLE request_facts DROP COLUMN reopened",
        "ALTER TABLE request_facts DROP COLUMN cancelled_us",
    ),
    # 0013 is a placeholder (a comment): its number was given to a branch renumbered to 0015.
    13: (),
    # 0014 moved the pending questions out of the drafts into a table of their own.
    14: ("DROP TABLE expectations",),
    15: tuple(
        f"ALTER TABLE request_facts DROP COLUMN {column}"
        for column in ("category", "industry", "chain", "team", "committee", "credit")
    ),
    16: (
        "DROP TABLE report_marks",
        "DROP INDEX facts_submitted",
        "CREATE INDEX facts_submitted ON request_facts(submitted_us)",
        "DROP INDEX facts_offer",
        "CREATE INDEX facts_offer ON request_facts(first_offer_us, cancelled_before_accept, "
        "first_accept_us)",
        "DROP INDEX facts_accept",
        "CREATE INDEX facts_accept ON request_facts(first_accept_us, first_offer_us)",
        "DROP INDEX facts_resolved",
        "CREATE INDEX facts_resolved ON request_facts(resolved_us, submitted_us)",
        "DROP INDEX facts_deadline",
        "CREATE INDEX facts_deadline ON request_facts(deadline_us, resolved_us)",
        "DROP INDEX facts_open",
        "CREATE INDEX facts_open ON request_facts(status, holder_id)",
    ),
    17: (
        "CREATE TABLE dead_letters_by_id (update_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, "
        "reason TEXT NOT NULL, at TEXT NOT NULL)",
        "INSERT OR IGNORE INTO dead_letters_by_id SELECT seq, payload, reason, at "
        "FROM dead_letters",
        "DROP TABLE dead_letters",
        "ALTER TABLE dead_letters_by_id RENAME TO dead_letters",
    ),
}


async def roll_back_to(conn: aiosqlite.Connection, version: int) -> None:
    """Undoes every migration after `version` (newest first) and sets the schema version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    for undone in range(current, version, -1):
        for statement in UNDO[undone]:
            await conn.execute(statement)
    await conn.execute(f"PRAGMA user_version={version}")
    await conn.commit()
