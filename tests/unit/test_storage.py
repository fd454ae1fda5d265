"""Migrations on a real SQLite file; the event log is append-only; the unit of work is atomic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.clock import to_text
from bot.domain.kinds import MessageKind
from bot.domain.models import Event, Message, Role
from bot.sample import load_sample
from bot.storage.db import connect, migrate, migrations, schema_version
from bot.storage.uow import Database

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


async def test_migrations_create_the_schema_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    conn = await connect(path)
    try:
        assert await schema_version(conn) == 0
        assert await migrate(conn) == len(migrations())
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {row[0] for row in await cur.fetchall()}
        assert {"people", "requests", "events", "outbox", "inbox", "drafts"} <= tables
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    finally:
        await conn.close()


async def test_rerunning_migrations_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    db = await Database.open(path)
    async with db.tx() as tx:
        await tx.upsert_person("李专员", "13900000011", Role.COMMISSIONER, None, NOW)
    await db.close()
    db = await Database.open(path)  # second start: nothing to apply, data intact
    try:
        assert await schema_version(db.conn) == len(migrations())
        async with db.tx() as tx:
            assert (await tx.person_by_phone("13900000011")) is not None
    finally:
        await db.close()


async def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "future.db")
    try:
        await conn.execute("PRAGMA user_version=999")
        with pytest.raises(RuntimeError, match="newer"):
            await migrate(conn)
    finally:
        await conn.close()


async def test_events_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "log.db")
    try:
        async with db.tx() as tx:
            await tx.append(Event(request_id=None, actor_id=None, kind="noted", at=NOW))
        with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
            async with db.tx() as tx:
                await tx.conn.execute("UPDATE events SET kind = 'forged'")
        with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
            async with db.tx() as tx:
                await tx.conn.execute("DELETE FROM events")
    finally:
        await db.close()


async def test_a_failed_unit_of_work_leaves_nothing_behind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "atomic.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.tx() as tx:
                await tx.upsert_person("王专员", "13900000012", Role.COMMISSIONER, None, NOW)
                raise RuntimeError("crash half-way")
        async with db.tx() as tx:
            assert await tx.person_by_phone("13900000012") is None
    finally:
        await db.close()


async def test_backup_is_a_readable_copy(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "live.db")
    try:
        async with db.tx() as tx:
            await tx.upsert_person("周主任", "13900000001", Role.SUPERVISOR, None, NOW)
        await db.backup(tmp_path / "copy.db")
    finally:
        await db.close()
    copy = await Database.open(tmp_path / "copy.db")
    try:
        async with copy.tx() as tx:
            assert (await tx.person_by_phone("13900000001")) is not None
    finally:
        await copy.close()


async def test_an_outbox_row_of_an_unknown_kind_is_failed_not_a_stall(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db")
    try:
        now = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
        await load_sample(db, now, bind=True)
        async with db.tx() as tx:
            await tx._run(
                "INSERT INTO outbox (recipient_id, channel, address, kind, params, not_before, "
                "created_at) VALUES (1, 'telegram', '1001', 'from_a_newer_version', '{}', ?, ?), "
                "(1, 'telegram', '1002', 'digest', '{}', ?, ?)",
                (to_text(now),) * 4,
            )
        async with db.tx() as tx:
            due = await tx.due_messages(now, 10)
        assert [row.message.kind for row in due] == [MessageKind.DIGEST]
        async with db.read() as tx:
            rows = await tx._all("SELECT status, last_error FROM outbox ORDER BY id")
        assert rows[0]["status"] == "failed" and "unreadable" in rows[0]["last_error"]
    finally:
        await db.close()


async def test_the_identity_migration_keeps_ids_unused_and_leaves_other_drafts_alone(
    tmp_path: Path,
) -> None:
    """0004 on a schema-3 file: an outbox whose rows were all pruned still never hands an old
    id out again; a draft without files is copied as it was; someone never bound has no
    address; a broken foreign key stops the migration instead of being committed."""
    path = tmp_path / "v3.db"
    conn = await connect(path)
    try:
        assert await migrate(conn, upto=3) == 3
        t = to_text(NOW)
        await conn.execute(
            "INSERT INTO people (id, name, phone, telegram_id, created_at) "
            "VALUES (1, 'a', '13900000001', 77, ?), (2, 'b', '13900000002', NULL, ?)",
            (t, t),
        )
        for _ in range(3):
            await conn.execute(
                "INSERT INTO outbox (recipient_id, chat_id, kind, not_before, created_at) "
                "VALUES (1, 77, 'note', ?, ?)",
                (t, t),
            )
        await conn.execute("DELETE FROM outbox")  # pruned
        data = '{"category": "tax", "attachments": [], "last_update": 5}'
        await conn.execute(
            "INSERT INTO drafts VALUES (77, 'intake', 'description', ?, ?)", (data, t)
        )
    finally:
        await conn.close()
    db = await Database.open(path)
    try:
        async with db.tx() as tx:
            a, b = await tx.person(1), await tx.person(2)
            assert a is not None and [(x.channel, x.value) for x in a.addresses] == [
                ("telegram", "77")
            ]
            assert b is not None and b.addresses == ()
            new = await tx.enqueue(a_message(), a.addresses[0], NOW)
            [draft] = await tx._all("SELECT channel, address, data FROM drafts")
        assert new == 4
        assert tuple(draft) == ("telegram", "77", data)
    finally:
        await db.close()

    broken = tmp_path / "broken.db"
    conn = await connect(broken)
    try:
        await migrate(conn, upto=3)
        await conn.execute("PRAGMA foreign_keys=OFF")
        await conn.execute(
            "INSERT INTO outbox (recipient_id, chat_id, kind, not_before, created_at) "
            "VALUES (99, 1, 'note', ?, ?)",
            (to_text(NOW), to_text(NOW)),
        )
        await conn.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(RuntimeError, match="foreign keys"):
            await migrate(conn)
        assert await schema_version(conn) == 3  # nothing of 0004 was kept
    finally:
        await conn.close()


def a_message() -> Message:
    return Message(recipient_id=1, kind=MessageKind.NOTE, params={})


def test_every_migration_after_0004_can_be_rolled_back_in_tests() -> None:
    """tests/schema_support.py makes "yesterday's" databases: it must know every migration."""
    from tests.schema_support import UNDO

    assert {version for version, _name, _sql in migrations() if version > 4} == set(UNDO)
