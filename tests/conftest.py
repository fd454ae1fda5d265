"""Shared fixtures: a real SQLite file, the Bot API simulator over HTTP, the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bootstrap import Runtime, build
from bot.domain.clock import FakeClock
from bot.sample import load_sample
from bot.settings import load_settings
from bot.simulator.server import BotApiSimulator

TOKEN = "123456:TEST-TOKEN"
# A Wednesday morning in the county (01:30 UTC = 09:30 Asia/Shanghai), outside quiet hours.
START = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


@dataclass
class World:
    sim: BotApiSimulator
    runtime: Runtime
    clock: FakeClock
    db_path: Path

    async def restart(self) -> None:
        """Stops the bot cleanly and starts a new one over the same database file."""
        await self.runtime.close()
        self.runtime = await start_bot(self.sim, self.db_path, self.clock)


async def start_bot(sim: BotApiSimulator, db_path: Path, clock: FakeClock) -> Runtime:
    settings = load_settings(
        None,
        db=db_path,
        api_base_url=sim.base_url,
        api_file_url=sim.base_file_url,
        token=TOKEN,
    )
    runtime = await build(settings, clock=clock)
    # Pacing is measured on its own (tests/integration/test_outbox.py); here it would only wait.
    runtime.sender.per_chat_interval = 0
    runtime.poller.poll_timeout = 1
    await runtime.start()
    return runtime


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    async with BotApiSimulator() as simulator:
        yield simulator


@pytest.fixture
async def world(sim: BotApiSimulator, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    db_path = tmp_path / "oncall.db"
    runtime = await start_bot(sim, db_path, clock)
    await load_sample(runtime.db, clock.now(), bind=False)
    w = World(sim, runtime, clock, db_path)
    try:
        yield w
    finally:
        await w.runtime.close()
