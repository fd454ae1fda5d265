"""Migration 0011: person_roles is rebuilt to allow the committee role, keeping every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import connect, migrate


async def test_roles_are_kept_and_the_committee_role_is_allowed(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "oncall.db")
    try:
        await migrate(conn, upto=6)
        await conn.execute(
            "INSERT INTO people (id, name, phone, created_at) VALUES "
            "(1, '李专员', '13900000011', '2026-11-25T01:30:00Z'), "
            "(2, '张老板', '13800000001', '2026-11-25T01:30:00Z')"
        )
        await conn.execute(
            "INSERT INTO person_roles (person_id, role, active) VALUES "
            "(1, 'commissioner', 1), (1, 'owner', 0), (2, 'owner', 1)"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("INSERT INTO person_roles (person_id, role) VALUES (2, 'committee')")

        await migrate(conn)

        async with conn.execute("SELECT person_id, role, active FROM person_roles") as cur:
            rows = sorted(tuple(r) for r in await cur.fetchall())
        assert rows == [(1, "commissioner", 1), (1, "owner", 0), (2, "owner", 1)]
        await conn.execute("INSERT INTO person_roles (person_id, role) VALUES (2, 'committee')")
        await conn.execute("INSERT INTO committee_chains (person_id, chain) VALUES (2, '冷水鱼')")
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("INSERT INTO person_roles (person_id, role) VALUES (2, 'mayor')")
    finally:
        await conn.close()
