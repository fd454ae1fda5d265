"""What every aggregate's SQL shares: the connection, four ways to run a statement, conversions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import aiosqlite

from bot.domain.clock import from_text

T = TypeVar("T")


def dt(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def in_list(values: Iterable[str]) -> tuple[str, list[str]]:
    """Placeholders and values for `IN (...)`, sorted so that statements repeat."""
    items = sorted(values)
    return ",".join("?" for _ in items), items


class Statements:
    """Statements on one connection, inside the transaction its unit of work opened.

    Each statement is ONE trip to aiosqlite's thread: executed, read and its cursor closed
    there. (`conn.execute` then `fetchone` then the cursor's close would be three trips, and
    each trip hands the GIL to that thread and back: under load that hand-off, not SQLite,
    is what a statement costs.)
    """

    def __init__(
        self, conn: aiosqlite.Connection, begin: str | None = None, end_open: bool = False
    ) -> None:
        self.conn = conn
        # The unit of work's BEGIN, sent in the same trip as the first statement (a unit that
        # runs none sends no BEGIN, COMMIT or ROLLBACK at all). `end_open`: a read left open by
        # the previous reader is rolled back in that same trip first.
        self._begin = begin
        self._end_open = end_open
        self.touched = False  # a statement was handed to the connection's thread

    async def begin_now(self) -> None:
        """Sends the pending BEGIN before statements that do not go through `_in_thread`."""
        if self._begin is None:
            return
        begin, self._begin = self._begin, None
        self.touched = True
        await self.conn._execute(self._starter(begin))  # type: ignore[no-untyped-call]

    def _starter(self, begin: str) -> Callable[[], None]:
        raw, end_open = self.conn._conn, self._end_open

        def start() -> None:
            if end_open and raw.in_transaction:
                raw.execute("ROLLBACK").close()
            raw.execute(begin).close()

        return start

    async def _in_thread(self, fn: Callable[[sqlite3.Cursor], T], sql: str, params: Any) -> T:
        conn = self.conn
        begin, self._begin = self._begin, None
        start = self._starter(begin) if begin is not None else None
        self.touched = True

        def run() -> T:
            if start is not None:
                start()
            cur = conn._conn.execute(sql, params)
            try:
                return fn(cur)
            finally:
                cur.close()

        result: T = await conn._execute(run)  # type: ignore[no-untyped-call]
        return result

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        return await self._in_thread(_fetchone, sql, params)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return await self._in_thread(_fetchall, sql, params)

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._in_thread(_rowcount, sql, params)

    async def _insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        rowid = await self._in_thread(_lastrowid, sql, params)
        assert rowid is not None
        return rowid


def _fetchone(cur: sqlite3.Cursor) -> aiosqlite.Row | None:
    row: aiosqlite.Row | None = cur.fetchone()
    return row


def _fetchall(cur: sqlite3.Cursor) -> list[aiosqlite.Row]:
    return list(cur.fetchall())


def _rowcount(cur: sqlite3.Cursor) -> int:
    return cur.rowcount


def _lastrowid(cur: sqlite3.Cursor) -> int | None:
    return cur.lastrowid
