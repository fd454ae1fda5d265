"""Helpers for the gate's tests: wait until every update is handled, and compare the database."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from bot.bootstrap import Runtime, build
from bot.domain.clock import to_text
from bot.settings import load_settings
from tests.conftest import TOKEN, World

# What a person's actions can change; chat_notices and the inbox are bookkeeping of the gate.
TABLES = ("events", "outbox", "drafts", "requests", "people", "offers", "message_refs")


def _read(world: World, sql: str) -> list[Any]:
    conn = sqlite3.connect(f"file:{world.db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def snapshot(world: World) -> dict[str, list[Any]]:
    """Every row of the tables a person's actions could change."""
    return {table: _read(world, f"SELECT * FROM {table} ORDER BY rowid") for table in TABLES}


def unhandled(world: World) -> int:
    """Updates queued or not yet handled, and messages due but not yet sent."""
    stored = _read(world, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")[0][0]
    now = to_text(world.clock.now())
    due = _read(
        world, f"SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND not_before <= '{now}'"
    )[0][0]
    busy = 1 if world.runtime.sender.busy else 0
    return int(stored) + int(due) + busy + len(world.sim.pending_updates)


async def settled(world: World, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Waits until the bot has handled every update so far and sent what is due.

    Re-checked on every Bot API call, and every 50 ms (handling ends with a database write,
    which the simulator does not see).
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while not await world.sim.wait_until(lambda: unhandled(world) == 0, 0.05):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{unhandled(world)} update(s) or message(s) still waiting")


async def restart_with(world: World, **overrides: Any) -> Runtime:
    """Restarts the bot over the same database with some settings changed (e.g. limits=...)."""
    await world.runtime.close()
    settings = load_settings(
        None,
        db=world.db_path,
        api_base_url=world.sim.base_url,
        api_file_url=world.sim.base_file_url,
        token=TOKEN,
        **overrides,
    )
    runtime = await build(settings, clock=world.clock)
    runtime.sender.per_chat_interval = 0
    runtime.poller.poll_timeout = 1
    await runtime.start()
    world.runtime = runtime
    return runtime
