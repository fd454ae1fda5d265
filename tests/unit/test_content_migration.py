"""Migration 0008: attachments take every content kind; rows, ids and the index are kept."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.storage.db import connect, migrate, migrations

BEFORE = 7  # the schema version just before 0008


async def _rows(conn: aiosqlite.Connection, sql: str) -> list[tuple[object, ...]]:
    async with conn.execute(sql) as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_0008_keeps_attachments_and_takes_voice_and_locations(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "old.db")
    try:
        assert await migrate(conn, upto=BEFORE) == BEFORE
        await conn.execute(
            "INSERT INTO people (id, name, phone, created_at) "
            "VALUES (1, '张老板', '13800000001', '2026-11-25T01:00:00+00:00')"
        )
        await conn.execute(
            "INSERT INTO enterprises (id, name, credit_code) VALUES (1, '养殖场', '9150')"
        )
        await conn.execute(
            "INSERT INTO requests (id, enterprise_id, owner_id, category, description, "
            "urgency, status, created_at) VALUES (1, 1, 1, 'financing', '需要贷款', 'normal', "
            "'dispatched', '2026-11-25T01:00:00+00:00')"
        )
        await conn.execute(
            "INSERT INTO attachments (id, request_id, kind, channel, ref, file_name) VALUES "
            "(7, 1, 'photo', 'telegram', 'AgAD1', NULL), "
            "(9, 1, 'document', 'telegram', 'BQAD2', '执照.pdf')"
        )
        with pytest.raises(aiosqlite.IntegrityError):  # the old CHECK
            await conn.execute(
                "INSERT INTO attachments (request_id, kind, channel, ref) "
                "VALUES (1, 'voice', 'telegram', 'AwAD3')"
            )

        assert await migrate(conn) == len(migrations())
        assert await _rows(conn, "SELECT * FROM attachments ORDER BY id") == [
            (7, 1, "photo", "telegram", "AgAD1", None),
            (9, 1, "document", "telegram", "BQAD2", "执照.pdf"),
        ]
        await conn.execute(
            "INSERT INTO attachments (request_id, kind, channel, ref, file_name) VALUES "
            "(1, 'voice', 'telegram', 'AwAD3', NULL), "
            "(1, 'location', 'telegram', '29.350000,108.170000', NULL), "
            "(1, 'contact', 'telegram', '13700000009', '王会计')"
        )
        with pytest.raises(aiosqlite.IntegrityError):
            await conn.execute(
                "INSERT INTO attachments (request_id, kind, channel, ref) "
                "VALUES (1, 'sticker', 'telegram', 'CAAD4')"
            )
        indexes = await _rows(
            conn, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attachments'"
        )
        assert ("attachments_request",) in indexes
        assert await _rows(conn, "PRAGMA foreign_key_check") == []
    finally:
        await conn.close()
