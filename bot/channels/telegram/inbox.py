"""Durable intake of updates: stored before Telegram is told they arrived, marked once handled."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, BaseUpdateProcessor

from bot.domain.clock import Clock
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


class DurablePoller:
    """Long polling whose offset only moves past updates already written to the inbox table.

    python-telegram-bot's Updater confirms updates as soon as they are fetched, so a crash
    before they are handled would lose them; here a crash at any point leaves them in the
    database, and they are handled on the next start.
    """

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        db: UnitOfWork,
        clock: Clock,
        poll_timeout: int = 25,
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.poll_timeout = poll_timeout
        self._stopping = asyncio.Event()

    async def replay(self) -> int:
        """Queues the updates stored but not handled before the last stop."""
        async with self.db.tx() as tx:
            pending = await tx.unprocessed_updates()
        for _update_id, payload in pending:
            await self.app.update_queue.put(Update.de_json(json.loads(payload), self.app.bot))
        if pending:
            log.info("replaying %d update(s) stored before the last stop", len(pending))
        return len(pending)

    async def run(self) -> None:
        async with self.db.tx() as tx:
            last = await tx.last_update_id()
        offset = last + 1 if last is not None else None
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset,
                    timeout=self.poll_timeout,
                    read_timeout=self.poll_timeout + 10,
                    allowed_updates=ALLOWED_UPDATES,
                )
                backoff = 1.0
            except RetryAfter as exc:
                await self._pause(
                    float(
                        exc.retry_after
                        if isinstance(exc.retry_after, int)
                        else exc.retry_after.total_seconds()
                    )
                )
                continue
            except (TimedOut, NetworkError) as exc:
                if isinstance(exc, InvalidToken | Conflict):
                    raise
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not updates:
                continue
            async with self.db.tx() as tx:
                await tx.store_updates(
                    ((u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates),
                    self.clock.now(),
                )
            offset = updates[-1].update_id + 1
            for update in updates:
                await self.app.update_queue.put(update)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def stop(self) -> None:
        self._stopping.set()


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Handles updates concurrently, one at a time per user, skipping ones already handled.

    A tap must be answered within seconds even while other chats are busy, but one person's
    updates must keep their order (a description before the tap on Submit).
    """

    def __init__(self, db: UnitOfWork, clock: Clock, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self.db = db
        self.clock = clock
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        user = update.effective_user
        lock = self._locks[user.id if user else 0]
        async with lock:
            async with self.db.tx() as tx:
                done = await tx.is_processed(update.update_id)
            if done:
                log.info("update %s was handled before; ignored", update.update_id)
                if asyncio.iscoroutine(coroutine):
                    coroutine.close()
                return
            try:
                await coroutine
            finally:
                # Marked even when a handler failed: a poison update must not loop forever.
                async with self.db.tx() as tx:
                    await tx.mark_processed(update.update_id, self.clock.now())
        if not lock.locked() and user is not None and len(self._locks) > 1024:
            self._locks.pop(user.id, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
