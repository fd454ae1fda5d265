"""The database handle and its unit of work: every use case commits or rolls back as one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.db import connect, migrate, migrations, schema_version
from bot.storage.files import create_private
from bot.storage.sqlite.tx import SqliteTx


def report_facts_version() -> int:
    """The schema version that introduced request_facts (the migration named *_reports.sql)."""
    return next(v for v, name, _ in migrations() if name.endswith("_reports.sql"))


def report_facts_latest() -> int:
    """The last schema version that changed what the facts keep (rebuilt when migrating to it)."""
    names = ("_reports.sql", "_report_cuts.sql", "_report_keys.sql")
    return max(v for v, name, _ in migrations() if name.endswith(names))


async def rebuild_report_facts(conn: aiosqlite.Connection) -> int:
    """Recomputes the report facts from the event log in one transaction; returns the count."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        done = await SqliteTx(conn).rebuild_report_facts()
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    return done


class Database:
    """A writer connection that units of work take turns on, and a reader beside it.

    SQLite allows one writer at a time; in WAL mode readers see the last commit and never wait
    for the writer, so reads (who is this, render a card, a report) go to the reader and are
    not held up by a write, nor by another process (a roster import) holding the write lock.
    """

    def __init__(
        self, conn: aiosqlite.Connection, path: str, reader: aiosqlite.Connection | None = None
    ) -> None:
        self.conn = conn
        self.path = path
        self.reader = reader
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Opens (creating if needed) and migrates the database."""
        conn = await connect(path)
        try:
            before = await schema_version(conn)
            await migrate(conn)
            if before < report_facts_latest():
                # The report facts start empty: fold them from the event log once.
                await rebuild_report_facts(conn)
        except BaseException:
            await conn.close()
            raise
        reader = None
        if str(path) != ":memory:":
            reader = await connect(path)
            await reader.execute("PRAGMA query_only=ON")
        return cls(conn, str(path), reader)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[SqliteTx]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        async with self._lock:
            try:
                # IMMEDIATE takes the write lock up front, so a concurrent CLI import waits
                # (busy_timeout) instead of failing half-way through.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield SqliteTx(self.conn)
            except BaseException:
                await self._rollback()
                raise
            await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteTx]:
        """A read-only snapshot on the reader connection; never waits for the write lock."""
        if self.reader is None:
            async with self.tx() as tx:
                yield tx
            return
        async with self._read_lock:
            await self.reader.execute("BEGIN")
            try:
                yield SqliteTx(self.reader)
            finally:
                # Nothing to keep from a read: ending it lets the WAL be checkpointed.
                with contextlib.suppress(sqlite3.OperationalError):
                    await asyncio.shield(self.reader.execute("ROLLBACK"))

    async def _rollback(self) -> None:
        # A cancelled await does not cancel the statement: aiosqlite's worker still runs it, in
        # order. So the ROLLBACK is queued behind it, shielded from a second cancellation, and a
        # "no transaction" answer (the BEGIN never ran) is fine.
        with contextlib.suppress(sqlite3.OperationalError):
            await asyncio.shield(self.conn.execute("ROLLBACK"))

    async def backup(self, target: str | Path) -> None:
        """A consistent online copy through SQLite's backup API."""
        # Created empty and private before SQLite opens it: the copy is as secret as the original.
        os.close(create_private(Path(target)))
        async with aiosqlite.connect(str(target)) as dst, self._lock:
            await self.conn.backup(dst)

    async def close(self) -> None:
        if self.reader is not None:
            await self.reader.close()
        await self.conn.close()
