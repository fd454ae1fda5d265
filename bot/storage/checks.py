"""What `oncall-bot check` reads from the database: read-only, and never creating the file.

The database is opened with ``mode=ro``: a missing file stays missing, and nothing is written
or migrated. Tables that an older schema lacks are reported as absent rather than failing.
"""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.storage.db import migrations
from bot.storage.files import COMPANIONS


class MissingDatabase(Exception):
    """The database file does not exist (check does not create it)."""


@dataclass(frozen=True)
class Undeliverable:
    """An outbox message given up for good."""

    id: int
    recipient: str
    kind: str
    request_id: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class Unreachable:
    """Someone the bot cannot write to any more (blocked it, or their chat is gone)."""

    name: str
    phone: str
    roles: tuple[str, ...]
    since: datetime


@dataclass(frozen=True)
class DeadLetter:
    channel: str
    ref: str  # the channel's reference to the update (Telegram: its update id)
    reason: str
    at: datetime


@dataclass(frozen=True)
class Component:
    """The watchdog's record of one long-running task."""

    name: str
    restarts: int
    last_error: str | None
    last_restart_at: datetime | None
    heartbeat_at: datetime | None


@dataclass
class Facts:
    """Everything check reports, as found; what counts as a problem is decided by the caller.

    A list is None when the database's schema has no such table (yet).
    """

    path: Path
    integrity: list[str]
    schema: int
    expected_schema: int
    exposed: list[tuple[str, int]] = field(default_factory=list)
    pending: int = 0
    due: int = 0
    oldest_due: datetime | None = None
    failed_total: int = 0
    failed_recent: int = 0
    failed: list[Undeliverable] | None = None
    unreachable: list[Unreachable] | None = None
    dead_total: int = 0
    dead_recent: int = 0
    dead: list[DeadLetter] | None = None
    components: list[Component] | None = None


def exposed_files(path: Path) -> list[tuple[str, int]]:
    """The database and companion files that others may read or write, with their modes."""
    found = []
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in COMPANIONS)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append((candidate.name, mode))
    return found


async def examine(path: Path, now: datetime, since: datetime, recent: int = 5) -> Facts:
    """Reads the facts; `since` bounds what counts as recent (failures, dead letters)."""
    if not path.is_file():
        raise MissingDatabase(str(path))
    expected = len(migrations())
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = await aiosqlite.connect(uri, uri=True)
    except sqlite3.Error as exc:  # e.g. no permission to read it
        return Facts(path, [str(exc)], 0, expected, exposed_files(path))
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout=5000")
        try:
            integrity = [str(r[0]) for r in await conn.execute_fetchall("PRAGMA integrity_check")]
            version = list(await conn.execute_fetchall("PRAGMA user_version"))
            schema = int(version[0][0])
        except sqlite3.DatabaseError as exc:  # not a database at all, or damaged beyond reading
            return Facts(path, [str(exc)], 0, expected, exposed_files(path))
        facts = Facts(path, integrity, schema, expected, exposed_files(path))
        if integrity != ["ok"]:
            return facts
        await _gather(conn, facts, now, since, recent)
    finally:
        await conn.close()
    return facts


async def _gather(
    conn: aiosqlite.Connection, facts: Facts, now: datetime, since: datetime, recent: int
) -> None:
    tables = {
        str(r[0])
        for r in await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if "outbox" in tables:
        await _outbox(conn, facts, now, since, recent)
    if "people" in tables and await _has_column(conn, "people", "unreachable_at"):
        facts.unreachable = await _unreachable(conn)
    if "dead_letters" in tables:
        await _dead_letters(conn, facts, since, recent)
    if "health" in tables:
        facts.components = await _components(conn)


async def _has_column(conn: aiosqlite.Connection, table: str, column: str) -> bool:
    rows = await conn.execute_fetchall(f"PRAGMA table_info({table})")
    return any(r["name"] == column for r in rows)


async def _outbox(
    conn: aiosqlite.Connection, facts: Facts, now: datetime, since: datetime, recent: int
) -> None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT COUNT(*) AS pending, "
            "COALESCE(SUM(not_before <= :now), 0) AS due, "
            "MIN(CASE WHEN not_before <= :now THEN not_before END) AS oldest "
            "FROM outbox WHERE status = 'pending'",
            {"now": to_text(now)},
        )
    )
    facts.pending, facts.due = int(rows[0]["pending"]), int(rows[0]["due"])
    facts.oldest_due = from_text(rows[0]["oldest"]) if rows[0]["oldest"] else None
    # A failed row records no time of its own: its last try was due at not_before (the sender
    # tries a row as soon as it is due), so that is when it failed, to within the send itself.
    rows = list(
        await conn.execute_fetchall(
            "SELECT COUNT(*) AS total, COALESCE(SUM(not_before >= ?), 0) AS recent "
            "FROM outbox WHERE status = 'failed'",
            (to_text(since),),
        )
    )
    facts.failed_total, facts.failed_recent = int(rows[0]["total"]), int(rows[0]["recent"])
    rows = list(
        await conn.execute_fetchall(
            "SELECT o.id, p.name, o.kind, o.request_id, o.last_error, o.not_before "
            "FROM outbox o JOIN people p ON p.id = o.recipient_id "
            "WHERE o.status = 'failed' ORDER BY o.not_before DESC, o.id DESC LIMIT ?",
            (recent,),
        )
    )
    facts.failed = [
        Undeliverable(
            int(r["id"]),
            str(r["name"]),
            str(r["kind"]),
            int(r["request_id"]) if r["request_id"] is not None else None,
            str(r["last_error"] or ""),
            from_text(r["not_before"]),
        )
        for r in rows
    ]


async def _unreachable(conn: aiosqlite.Connection) -> list[Unreachable]:
    rows = await conn.execute_fetchall(
        "SELECT p.name, p.phone, p.unreachable_at, "
        "(SELECT GROUP_CONCAT(role, ',') FROM (SELECT role FROM person_roles r "
        " WHERE r.person_id = p.id AND r.active = 1 ORDER BY role)) AS roles "
        "FROM people p WHERE p.unreachable_at IS NOT NULL ORDER BY p.unreachable_at, p.id"
    )
    return [
        Unreachable(
            str(r["name"]),
            str(r["phone"]),
            tuple(str(r["roles"]).split(",")) if r["roles"] else (),
            from_text(r["unreachable_at"]),
        )
        for r in rows
    ]


async def _dead_letters(
    conn: aiosqlite.Connection, facts: Facts, since: datetime, recent: int
) -> None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT COUNT(*) AS total, COALESCE(SUM(at >= ?), 0) AS recent FROM dead_letters",
            (to_text(since),),
        )
    )
    facts.dead_total, facts.dead_recent = int(rows[0]["total"]), int(rows[0]["recent"])
    # A database before migration 0017 keys them by the Telegram update id alone.
    by_ref = await _has_column(conn, "dead_letters", "ref")
    key = "channel, ref, seq" if by_ref else "'telegram' AS channel, update_id AS ref, update_id"
    order = "seq" if by_ref else "update_id"
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {key}, reason, at FROM dead_letters ORDER BY at DESC, {order} DESC LIMIT ?",
            (recent,),
        )
    )
    facts.dead = [
        DeadLetter(str(r["channel"]), str(r["ref"]), str(r["reason"]), from_text(r["at"]))
        for r in rows
    ]


async def _components(conn: aiosqlite.Connection) -> list[Component]:
    rows = await conn.execute_fetchall(
        "SELECT component, restarts, last_error, last_restart_at, heartbeat_at "
        "FROM health ORDER BY component"
    )
    return [
        Component(
            str(r["component"]),
            int(r["restarts"]),
            r["last_error"],
            from_text(r["last_restart_at"]) if r["last_restart_at"] else None,
            from_text(r["heartbeat_at"]) if r["heartbeat_at"] else None,
        )
        for r in rows
    ]
