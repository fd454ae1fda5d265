"""Fixtures for the end-to-end tests: a simulator in the test's loop and the bot as a process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.simulator.server import BotApiSimulator
from tests.e2e.support import BotProcess


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    async with BotApiSimulator() as simulator:
        yield simulator


@pytest.fixture
async def bot(sim: BotApiSimulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot process (not started: the test loads rosters first); always stopped after."""
    process = BotProcess(sim, tmp_path)
    try:
        yield process
    finally:
        await process.close()
        # Shown by pytest only when the test failed.
        print(f"--- bot log ({process.stderr_path}) ---\n{process.log_tail(200)}")


@pytest.fixture
async def clocked_bot(sim: BotApiSimulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot process with a clock the test moves (`advance_clock`); not started."""
    process = BotProcess(sim, tmp_path, clocked=True)
    try:
        yield process
    finally:
        await process.close()
        print(f"--- bot log ({process.stderr_path}) ---\n{process.log_tail(200)}")
