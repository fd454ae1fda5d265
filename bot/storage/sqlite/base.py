"""What every aggregate's SQL shares: the connection, four ways to run a statement, conversions."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.domain.clock import from_text

T = TypeVar("T")
P = ParamSpec("P")


def dt(text: str | None) -> datetime | None:
    return from_text(text) if text else None


K = TypeVar("K", str, int)


def in_list(values: Iterable[K]) -> tuple[str, list[K]]:
    """Placeholders and values for `IN (...)`, sorted so that statements repeat."""
    items = sorted(values)
    return ",".join("?" for _ in items), items


class Lane:
    """How statements reach one connection: through aiosqlite's thread, or — for a statement
    marked short (`short`), while nothing of this connection is in that thread — at once on
    the event loop's thread over the same sqlite3 connection (opened with
    check_same_thread=False). A trip to the thread hands the GIL over and back, 100–150 µs
    under load; a short statement takes a few µs.

    The loop's thread and aiosqlite's never use the connection at the same time: the unit of
    work's lock (the writer) or the read lock (the reader) lets one unit at a time at it, its
    statements are awaited one after another, and every trip to the thread goes through
    `send`, which remembers it: while the last one has not finished (a cancelled unit's
    statement, its ROLLBACK, a COMMIT), statements keep going to the thread, queued behind it.
    """

    def __init__(self, conn: aiosqlite.Connection, writer: bool, busy_ms: int = 0) -> None:
        self.conn = conn
        # The reader's BEGIN (deferred, WAL) never waits for a lock: it runs on the loop as it
        # is. The writer's BEGIN IMMEDIATE (and an autocommit write) can wait for another
        # process's write lock (busy_timeout): on the loop it is tried with no wait at all, and
        # if the lock is taken it goes to the thread, which waits busy_ms. Once the unit holds
        # the lock no writer statement waits on one (WAL: readers never block the writer).
        self.writer = writer
        self.busy_ms = busy_ms
        self._last: asyncio.Future[Any] | None = None

    def quiet(self) -> bool:
        """Nothing of this connection is queued in, or running on, aiosqlite's thread."""
        return self._last is None or self._last.done()

    def send(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Queues `fn` for aiosqlite's thread (as `Connection._execute` does) and remembers it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.conn._tx.put_nowait((future, fn))
        self._last = future
        return future

    def take_lock_here(self, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """Runs `fn`, a statement that takes the write lock, on the loop without waiting for
        the lock: (False, None) if another connection holds it (then nothing was done)."""
        raw = self.conn._conn
        raw.execute("PRAGMA busy_timeout=0").close()
        try:
            return True, fn()
        except sqlite3.OperationalError as exc:
            if raw.in_transaction or not _is_busy(exc):
                raise
            return False, None
        finally:
            raw.execute(f"PRAGMA busy_timeout={self.busy_ms}").close()

    def checkpoint(self) -> None:
        """A PASSIVE WAL checkpoint in the thread, not awaited: statements queue behind it."""
        raw = self.conn._conn

        def checkpoint() -> None:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)").close()

        self.send(checkpoint).add_done_callback(_retrieve)

    def barrier(self) -> None:
        """After a unit ended by an exception (perhaps cancelled while a statement of it was
        still in the thread): statements go to the thread until what is queued has run."""
        self.send(_nothing).add_done_callback(_retrieve)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _nothing() -> None:
    return None


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


S = TypeVar("S", bound="Statements")


def short(
    fn: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """Marks a storage method whose statements take microseconds (by key, or a few rows by an
    index): on a lane they may run on the loop's thread. Everything else — sweep batches,
    reports, export, retention, imports — stays in aiosqlite's thread."""

    @functools.wraps(fn)
    async def marked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        self._short += 1
        try:
            return await fn(self, *args, **kwargs)
        finally:
            self._short -= 1

    return marked


class Statements:
    """Statements on one connection, inside the transaction its unit of work opened.

    Each statement is ONE trip to aiosqlite's thread: executed, read and its cursor closed
    there. (`conn.execute` then `fetchone` then the cursor's close would be three trips, and
    each trip hands the GIL to that thread and back: under load that hand-off, not SQLite,
    is what a statement costs.) A statement of a method marked `short`, on a unit given a
    `lane` with `here`, runs on the loop's thread instead: no trip at all (see Lane).
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        begin: str | None = None,
        end_open: bool = False,
        lane: Lane | None = None,
        here: bool = False,
    ) -> None:
        self.conn = conn
        # The unit of work's BEGIN, sent in the same trip as the first statement (a unit that
        # runs none sends no BEGIN, COMMIT or ROLLBACK at all). `end_open`: a read left open by
        # the previous reader is rolled back in that same trip first.
        self._begin = begin
        self._end_open = end_open
        self.lane = lane
        self._here = here and lane is not None  # short statements may run on the loop
        self._short = 0  # inside a method marked `short`
        self.touched = False  # a statement was handed to the connection

    def _runs_here(self) -> bool:
        lane = self.lane
        return lane is not None and self._here and lane.quiet()

    def _here_or_thread(self, fn: Callable[[], T], locks: bool) -> tuple[bool, T | None]:
        """Runs `fn` on the loop if it may: (True, result); or (False, None) if it must go to
        the thread. `locks`: it may take the writer's lock (BEGIN IMMEDIATE, autocommit)."""
        assert self.lane is not None
        if locks and self.lane.writer:
            return self.lane.take_lock_here(fn)
        return True, fn()

    async def _send(self, fn: Callable[[], T]) -> T:
        if self.lane is not None:
            return await self.lane.send(fn)
        result: T = await self.conn._execute(fn)  # type: ignore[no-untyped-call]
        return result

    async def begin_now(self) -> None:
        """Sends the pending BEGIN before statements that do not go through `_in_thread`."""
        if self._begin is None:
            return
        begin, self._begin = self._begin, None
        self.touched = True
        start = self._starter(begin)
        if self._runs_here() and self._here_or_thread(start, locks=True)[0]:
            return
        await self._send(start)

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

        if self._short and self._runs_here():
            # Outside a transaction (the writer's each()), a write takes the lock itself.
            locks = start is not None or not conn._conn.in_transaction
            done, result = self._here_or_thread(run, locks)
            if done:
                return result  # type: ignore[return-value]
        return await self._send(run)

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
