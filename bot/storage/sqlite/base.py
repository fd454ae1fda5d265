"""What every aggregate's SQL shares: the connection, four ways to run a statement, conversions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.clock import from_text, to_text


def ts(when: datetime | None) -> str | None:
    return to_text(when) if when is not None else None


def dt(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def in_list(values: Iterable[str]) -> tuple[str, list[str]]:
    """Placeholders and values for `IN (...)`, sorted so that statements repeat."""
    items = sorted(values)
    return ",".join("?" for _ in items), items


class Statements:
    """Statements on one connection, inside the transaction its unit of work opened."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.conn.execute(sql, params) as cur:
            return cur.rowcount

    async def _insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.conn.execute(sql, params) as cur:
            assert cur.lastrowid is not None
            return cur.lastrowid
