"""Short statements on the event loop's thread (storage/sqlite/base.py, Lane): no trip to
aiosqlite's thread for them, never at the same time as that thread, and never a wait for
another process's write lock on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.identity import update_ref
from bot.storage import uow
from bot.storage.db import BUSY_MS
from bot.storage.uow import Database

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TICKS = 10_000  # loop turns a condition may take before the test gives up


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "lane.db")
    try:
        yield database
    finally:
        await database.close()


async def until(condition: Callable[[], bool]) -> None:
    """Turns the loop until `condition` holds (the loop is free: that is the point)."""
    for _ in range(TICKS):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def components(db: Database) -> set[str]:
    async with db.conn.execute("SELECT component FROM health") as cur:
        return {row[0] for row in await cur.fetchall()}


def count_trips(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    trips: list[str] = []
    for name, lane in (("writer", db.lane), ("reader", db.read_lane)):
        assert lane is not None
        send = lane.send

        def counted(fn: Callable[[], Any], name: str = name, send: Any = send) -> Any:
            trips.append(name)
            return send(fn)

        monkeypatch.setattr(lane, "send", counted)
    return trips


async def test_short_statements_and_their_begin_and_commit_make_no_trip_to_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(db, monkeypatch)
    async with db.tx() as tx:
        await tx.heartbeat("sweeper", NOW)
        assert await tx.request(1) is None
    async with db.read() as tx:
        assert await tx.person(1) is None
        assert not await tx.is_processed(update_ref(1))
    async with db.each() as tx:
        await tx.heartbeat("sender", NOW)
    assert trips == []
    assert await components(db) == {"sweeper", "sender"}


async def test_long_work_still_goes_to_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(db, monkeypatch)
    async with db.read() as tx:
        await tx.requests_due(NOW)  # a sweep's batch: not marked short
    assert trips == ["reader"]


async def test_a_write_waits_for_another_process_lock_in_the_thread_not_on_the_loop(
    db: Database,
) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a roster import holding the write lock

        async def write() -> None:
            async with db.tx() as tx:
                await tx.heartbeat("sweeper", NOW)

        task = asyncio.create_task(write())
        # The loop goes on turning while the unit's BEGIN waits in aiosqlite's thread.
        await until(lambda: not db.lane.quiet())
        assert not task.done()
        other.execute("ROLLBACK")
        await task
    finally:
        other.close()
    assert await components(db) == {"sweeper"}
    async with db.conn.execute("PRAGMA busy_timeout") as cur:
        assert (await cur.fetchone())[0] == BUSY_MS  # type: ignore[index]


async def test_a_cancelled_unit_still_in_the_thread_keeps_the_next_unit_off_the_loop(
    db: Database,
) -> None:
    busy, gate = threading.Event(), threading.Event()

    def hold() -> None:
        busy.set()
        gate.wait()

    held = db.lane.send(hold)  # aiosqlite's thread is busy
    try:
        await until(busy.is_set)

        async def abandoned() -> None:
            async with db.tx() as tx:
                await tx.heartbeat("abandoned", NOW)

        first = asyncio.create_task(abandoned())
        await until(lambda: db.conn._tx.qsize() == 1)  # its BEGIN and statement are queued
        first.cancel()  # once: it queues its ROLLBACK, and waits for it
        await until(lambda: db.conn._tx.qsize() == 2)
        first.cancel()  # twice: it ends, its statement and ROLLBACK still queued in the thread
        with pytest.raises(asyncio.CancelledError):
            await first

        async def kept() -> None:
            async with db.tx() as tx:
                await tx.heartbeat("kept", NOW)

        second = asyncio.create_task(kept())
        await until(lambda: db.conn._tx.qsize() == 3)  # queued behind them, not on the loop
    finally:
        gate.set()
    await second
    await held
    assert await components(db) == {"kept"}


async def test_the_wal_is_checkpointed_in_the_thread_every_so_many_commits(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.conn.execute("PRAGMA wal_autocheckpoint") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
    monkeypatch.setattr(uow, "CHECKPOINT_EVERY", 3)
    trips = count_trips(db, monkeypatch)
    for n in range(7):
        async with db.tx() as tx:
            await tx.heartbeat(f"c{n}", NOW)
        await until(db.lane.quiet)
    assert trips == ["writer", "writer"]  # after the 3rd and the 6th commit
