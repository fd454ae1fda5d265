"""The database handle and its unit of work: every use case commits or rolls back as one."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.db import connect, migrate
from bot.storage.repositories import Tx


class Database:
    """One connection; units of work take turns on it (SQLite allows one writer anyway)."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Opens (creating if needed) and migrates the database."""
        conn = await connect(path)
        try:
            await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, str(path))

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        async with self._lock:
            try:
                # IMMEDIATE takes the write lock up front, so a concurrent CLI import waits
                # (busy_timeout) instead of failing half-way through.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield Tx(self.conn)
            except BaseException:
                await self._rollback()
                raise
            await self.conn.execute("COMMIT")

    async def _rollback(self) -> None:
        # A cancelled await does not cancel the statement: aiosqlite's worker still runs it, in
        # order. So the ROLLBACK is queued behind it, shielded from a second cancellation, and a
        # "no transaction" answer (the BEGIN never ran) is fine.
        with contextlib.suppress(sqlite3.OperationalError):
            await asyncio.shield(self.conn.execute("ROLLBACK"))

    async def backup(self, target: str | Path) -> None:
        """A consistent online copy through SQLite's backup API."""
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(str(target)) as dst, self._lock:
            await self.conn.backup(dst)

    async def close(self) -> None:
        await self.conn.close()
