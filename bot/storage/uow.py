"""The database handle and its unit of work: every use case commits or rolls back as one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.db import BUSY_MS, connect, migrate, migrations, schema_version
from bot.storage.files import create_private
from bot.storage.sqlite.base import Lane
from bot.storage.sqlite.tx import SqliteTx

CHECKPOINT_EVERY = 100
"""Commits between two WAL checkpoints. The writer commits on the event loop's thread, so
SQLite's own checkpoint on COMMIT (which copies the WAL into the database and syncs it,
milliseconds) is turned off there (wal_autocheckpoint=0); every CHECKPOINT_EVERY commits a
PASSIVE checkpoint runs in aiosqlite's thread instead (it never waits for a reader)."""

READ_IDLE = 0.2
"""Seconds an ended read stays open on the reader in case another read comes (then both
travel in one trip to aiosqlite's thread); after that it is rolled back on its own."""


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


@asynccontextmanager
async def read_only(path: str | Path) -> AsyncIterator[SqliteTx]:
    """One consistent snapshot of an existing database, for another process (an export's
    child): a connection that cannot write, never migrates, and is closed at the end."""
    if not Path(path).exists():
        raise FileNotFoundError(path)
    conn = await connect(path)
    try:
        await conn.execute("PRAGMA query_only=ON")
        tx = SqliteTx(conn, begin="BEGIN")
        try:
            yield tx
        finally:
            if tx.touched:
                await conn.execute("ROLLBACK")
    finally:
        await conn.close()


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
        self._read_ender: asyncio.Task[None] | None = None
        # Short statements run on the loop's thread where nothing of theirs is in aiosqlite's
        # (base.Lane); every trip of a unit, its COMMIT and ROLLBACK go through these.
        self.lane = Lane(conn, writer=True, busy_ms=BUSY_MS)
        self.read_lane = Lane(reader, writer=False) if reader is not None else None
        self._commits = 0

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
        try:
            await conn.execute("PRAGMA wal_autocheckpoint=0")  # see CHECKPOINT_EVERY
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
            # IMMEDIATE takes the write lock with the first statement, so a concurrent CLI
            # import waits (busy_timeout) instead of failing half-way through. It travels to
            # aiosqlite's thread with that statement: one trip fewer per unit of work.
            tx = SqliteTx(self.conn, begin="BEGIN IMMEDIATE", lane=self.lane, here=True)
            try:
                yield tx
            except BaseException:
                if tx.touched:
                    await self._rollback()
                raise
            if tx.touched:
                await self._commit()

    async def _commit(self) -> None:
        commit = _commit(self.conn)
        if self.lane.quiet():
            commit()  # WAL, synchronous=NORMAL, no checkpoint here: appends to the WAL file
        else:
            await self.lane.send(commit)
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            self.lane.checkpoint()

    @asynccontextmanager
    async def each(self) -> AsyncIterator[SqliteTx]:
        """Writes in autocommit: each statement is its own transaction, one trip each."""
        async with self._lock:
            try:
                yield SqliteTx(self.conn, lane=self.lane, here=True)
            except BaseException:
                self.lane.barrier()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteTx]:
        """A read-only snapshot on the reader connection; never waits for the write lock."""
        if self.reader is None:
            async with self.tx() as tx:
                yield tx
            return
        async with self._read_lock:
            # BEGIN goes with the first statement, and the ROLLBACK ending the read before goes
            # in that same trip to aiosqlite's thread: a one-statement read is one trip.
            lane = self.read_lane
            tx = SqliteTx(self.reader, begin="BEGIN", end_open=True, lane=lane, here=True)
            try:
                yield tx
            except BaseException:
                if tx.touched and lane is not None:
                    lane.barrier()
                raise
            finally:
                if tx.touched:
                    self._end_read_soon()

    def _end_read_soon(self) -> None:
        """Ends the last read if no other read has within READ_IDLE seconds: nothing is kept
        from a read, but an open one stops the WAL being checkpointed past it."""
        if self._read_ender is None or self._read_ender.done():
            self._read_ender = asyncio.get_running_loop().create_task(self._end_read())

    async def _end_read(self) -> None:
        await asyncio.sleep(READ_IDLE)
        if self.reader is None or self.read_lane is None:
            return
        async with self._read_lock:
            raw = self.reader._conn

            def end() -> None:
                if raw is not None and raw.in_transaction:
                    raw.execute("ROLLBACK").close()

            with contextlib.suppress(sqlite3.Error, ValueError):
                await self.read_lane.send(end)

    async def _rollback(self) -> None:
        # A cancelled await does not cancel the statement: aiosqlite's worker still runs it, in
        # order. So the ROLLBACK is queued behind it, shielded from a second cancellation, and a
        # "no transaction" answer (the BEGIN never ran) is fine.
        with contextlib.suppress(sqlite3.OperationalError):
            await asyncio.shield(self.lane.send(_rollback(self.conn)))

    async def backup(self, target: str | Path) -> None:
        """A consistent online copy through SQLite's backup API."""
        # Created empty and private before SQLite opens it: the copy is as secret as the original.
        os.close(create_private(Path(target)))
        async with aiosqlite.connect(str(target)) as dst, self._lock:
            await self.conn.backup(dst)

    async def close(self) -> None:
        if self._read_ender is not None:
            self._read_ender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._read_ender
        if self.reader is not None:
            await self.reader.close()
        await self.conn.close()


def _commit(conn: aiosqlite.Connection) -> Callable[[], None]:
    raw = conn._conn
    return lambda: raw.execute("COMMIT").close()


def _rollback(conn: aiosqlite.Connection) -> Callable[[], None]:
    raw = conn._conn
    return lambda: raw.execute("ROLLBACK").close()
