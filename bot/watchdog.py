"""The watchdog: restarts whichever long-running task of the bot ends (poller, sender, scheduler).

Each task already survives the failures it expects; this is the net under them, so a bug in
one never leaves the process up but deaf or mute. Every restart is logged and counted in the
`health` table, which `oncall-bot check` reads, together with a heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.domain.clock import Clock
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

BOT = "bot"  # the heartbeat's component name
TaskFactory = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class _Probe:
    alive: Callable[[], bool]
    revive: Callable[[], Awaitable[None]]


class Watchdog:
    """Looks at its tasks every `interval` seconds and restarts the ones that ended."""

    def __init__(
        self, db: UnitOfWork, clock: Clock, interval: float = 5.0, heartbeat_every: float = 60.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self.heartbeat_every = heartbeat_every
        self._factories: dict[str, TaskFactory] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._probes: dict[str, _Probe] = {}
        self._stopping = asyncio.Event()
        self._own: asyncio.Task[None] | None = None

    def supervise(self, name: str, factory: TaskFactory) -> None:
        """Starts `factory()` as a task now, and again whenever it ends."""
        self._factories[name] = factory
        self._tasks[name] = asyncio.create_task(factory(), name=name)

    def probe(
        self, name: str, alive: Callable[[], bool], revive: Callable[[], Awaitable[None]]
    ) -> None:
        """Watches something that is not a task of ours (the scheduler) through `alive`."""
        self._probes[name] = _Probe(alive, revive)

    def task(self, name: str) -> asyncio.Task[None]:
        return self._tasks[name]

    def release(self, name: str) -> asyncio.Task[None]:
        """Stops watching one task (it is no longer restarted) and returns it."""
        self._factories.pop(name)
        return self._tasks.pop(name)

    def start(self) -> None:
        self._own = asyncio.create_task(self.run(), name="watchdog")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_beat = loop.time()
        while not self._stopping.is_set():
            try:
                await self.check()
                if loop.time() >= next_beat:
                    async with self.db.tx() as tx:
                        await tx.heartbeat(BOT, self.clock.now())
                    next_beat = loop.time() + self.heartbeat_every
            except Exception:  # the watchdog itself must outlive a locked database
                log.exception("watchdog check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def check(self) -> list[str]:
        """Restarts what ended; returns the names restarted."""
        restarted: list[str] = []
        if self._stopping.is_set():
            return restarted
        for name, task in list(self._tasks.items()):
            if not task.done():
                continue
            why = _ending(task)
            log.error("%s stopped (%s); restarting it", name, why)
            self._tasks[name] = asyncio.create_task(self._factories[name](), name=name)
            await self._record(name, why)
            restarted.append(name)
        for name, probe in self._probes.items():
            if probe.alive():
                continue
            log.error("%s is not running; restarting it", name)
            await probe.revive()
            await self._record(name, "not running")
            restarted.append(name)
        return restarted

    async def _record(self, name: str, why: str) -> None:
        try:
            async with self.db.tx() as tx:
                await tx.record_restart(name, why, self.clock.now())
        except Exception:
            log.exception("could not record the restart of %s", name)

    async def stop(self) -> None:
        """Stops watching (nothing is restarted any more) and ends the tasks."""
        self._stopping.set()
        if self._own is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._own
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _ending(task: asyncio.Task[None]) -> str:
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    return f"{type(exc).__name__}: {exc}" if exc is not None else "returned"
