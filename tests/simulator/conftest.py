"""Fixtures for the simulator tests: a started simulator and a real python-telegram-bot Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from bot.simulator import BotApiSimulator
from tests.simulator.support import TOKEN


# pytest_asyncio.fixture works whether or not asyncio_mode = "auto" is configured.
@pytest_asyncio.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    """A simulator on an ephemeral port, stopped after the test."""
    async with BotApiSimulator() as simulator:
        yield simulator


@pytest_asyncio.fixture
async def bot(sim: BotApiSimulator) -> AsyncIterator[Bot]:
    """A real telegram.Bot talking to the simulator."""
    async with Bot(TOKEN, base_url=sim.base_url, base_file_url=sim.base_file_url) as tg_bot:
        yield tg_bot
