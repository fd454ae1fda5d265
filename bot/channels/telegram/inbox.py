"""Durable intake of updates: stored before Telegram is told they arrived, marked once handled.

Nothing here may make the bot deaf: an update that cannot be parsed or handled is set aside as
a dead letter (and the supervisors told), and every other failure is logged and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.identity import CHANNEL, address, update_ref
from bot.domain.clock import Clock
from bot.domain.identity import Address, UpdateRef
from bot.domain.models import Person
from bot.services.context import PEOPLE_SEEN, RECORDED_UPDATES
from bot.services.dead_letters import MAX_HANDLING_ATTEMPTS, DeadLetters
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]
MAX_BACKOFF = 60.0

TApp = Application[Any, Any, Any, Any, Any, Any]
RawUpdate = dict[str, Any]


class Inbox:
    """Writes raw updates to the inbox table, then parses them; what fails to parse is set aside."""

    def __init__(self, app: TApp, db: UnitOfWork, clock: Clock, dead: DeadLetters) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.dead = dead

    async def take(self, raw: Sequence[object]) -> list[Update]:
        """Stores what arrived and returns the new updates, parsed, in order."""
        valid = [(update_ref(r["update_id"]), r) for r in raw if isinstance(r, dict) and _has_id(r)]
        if len(valid) < len(raw):
            log.error("%d update(s) without an update_id ignored", len(raw) - len(valid))
        if not valid:
            return []
        async with self.db.tx() as tx:
            new = await tx.store_updates(
                ((uid, json.dumps(r, ensure_ascii=False)) for uid, r in valid), self.clock.now()
            )
        fresh = set(new)
        parsed = [await self.parse(uid, r) for uid, r in valid if uid in fresh]
        return [u for u in parsed if u is not None]

    async def parse(self, ref: UpdateRef, raw: RawUpdate) -> Update | None:
        """The update, or None when python-telegram-bot cannot read it (then a dead letter)."""
        try:
            update = Update.de_json(raw, self.app.bot)
            if update is None:
                raise ValueError("empty update")
            return update
        except Exception as exc:
            await self.dead.set_aside(
                ref, json.dumps(raw, ensure_ascii=False), f"unreadable update: {_why(exc)}"
            )
            return None

    async def replay(self) -> int:
        """Queues the updates stored but not handled before the last stop."""
        async with self.db.read() as tx:
            pending = await tx.unprocessed_updates(CHANNEL)
        parsed: list[Update] = []
        for ref, payload in pending:
            try:
                raw = json.loads(payload)
            except ValueError as exc:
                await self.dead.set_aside(ref, payload, f"unreadable update: {_why(exc)}")
                continue
            update = await self.parse(ref, raw)
            if update is not None:
                parsed.append(update)
        # Starts are counted here, not on every update: only an update left unhandled by the
        # last run can have been started and never finished. Each person's updates are handled
        # in order, one at a time, so only the first of each person's can have been started.
        heads: dict[int, int] = {}
        for update in parsed:
            heads.setdefault(_sender_key(update), update.update_id)
        attempts: dict[int, int | None] = {}
        if heads:
            async with self.db.tx() as tx:
                for update_id in heads.values():
                    attempts[update_id] = await tx.start_handling(update_ref(update_id))
        queued = 0
        for update in parsed:
            attempt = attempts.get(update.update_id, 1)
            if attempt is None:
                continue
            if attempt > MAX_HANDLING_ATTEMPTS:
                await self.dead.set_aside(
                    update_ref(update),
                    json.dumps(update.to_dict(), ensure_ascii=False),
                    f"handling it was started {attempt - 1} times and never finished "
                    "(the bot stopped or crashed each time)",
                )
                continue
            await self.app.update_queue.put(update)
            queued += 1
        if pending:
            log.info("replaying %d update(s) stored before the last stop", queued)
        return queued

    async def on_handler_error(
        self, update: object, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        """An update whose handler failed is set aside, so someone looks at what went wrong."""
        if not isinstance(update, Update) or context.error is None:
            return
        await self.dead.set_aside(
            update_ref(update),
            json.dumps(update.to_dict(), ensure_ascii=False),
            f"handler failed: {_why(context.error)}",
        )


def _has_id(raw: RawUpdate) -> bool:
    return isinstance(raw.get("update_id"), int) and not isinstance(raw.get("update_id"), bool)


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class DurablePoller:
    """Long polling whose offset only moves past updates already written to the inbox table.

    python-telegram-bot's Updater confirms updates as soon as they are fetched, so a crash
    before they are handled would lose them; here a crash at any point leaves them in the
    database, and they are handled on the next start. Updates are fetched as raw JSON so that
    one python-telegram-bot cannot parse is stored and set aside instead of ending the loop.
    """

    def __init__(
        self,
        app: TApp,
        db: UnitOfWork,
        inbox: Inbox,
        poll_timeout: int = 25,
    ) -> None:
        self.app = app
        self.db = db
        self.inbox = inbox
        self.poll_timeout = poll_timeout
        self._stopping = asyncio.Event()
        self.failures = 0
        self.backoff = 1.0  # seconds before the first retry; doubles up to MAX_BACKOFF

    async def replay(self) -> int:
        return await self.inbox.replay()

    async def run(self) -> None:
        """Polls until stopped; no exception ends it (each is logged, then retried later)."""
        offset: int | None = None
        backoff = self.backoff
        while not self._stopping.is_set():
            try:
                if offset is None:
                    async with self.db.read() as tx:
                        last = await tx.last_seq(CHANNEL)
                    offset = last + 1 if last is not None else 0
                raw = await self._fetch(offset)
                backoff = self.backoff
                if not raw:
                    continue
                updates = await self.inbox.take(raw)
                ids = [r["update_id"] for r in raw if isinstance(r, dict) and _has_id(r)]
                if ids:
                    offset = max(max(ids) + 1, offset)
                for update in updates:
                    await self.app.update_queue.put(update)
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                delay = exc.retry_after
                await self._pause(delay if isinstance(delay, int) else delay.total_seconds())
            except Exception as exc:
                self.failures += 1
                if isinstance(exc, InvalidToken | Conflict):
                    # Needs the operator (a revoked token, a second bot instance); keep trying
                    # slowly so the bot recovers by itself once it is put right.
                    log.error("getUpdates refused (%s); retrying in %.0fs", _why(exc), backoff)
                else:
                    log.warning(
                        "receiving updates failed (%s); retrying in %.0fs",
                        _why(exc),
                        backoff,
                        exc_info=not _expected(exc),
                    )
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _fetch(self, offset: int) -> list[object]:
        """One long poll, as the raw JSON list (python-telegram-bot does not parse it here)."""
        with warnings.catch_warnings():
            # do_api_request warns that get_updates exists; that one parses, which we avoid.
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.app.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": self.poll_timeout,
                    "allowed_updates": ALLOWED_UPDATES,
                },
                read_timeout=self.poll_timeout + 10,
            )
        return list(result) if isinstance(result, list) else []

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def stop(self) -> None:
        self._stopping.set()

    def restartable(self) -> bool:
        return not self._stopping.is_set()


def _expected(exc: Exception) -> bool:
    """Failures of the network or of Telegram, which need no traceback in the log."""
    return isinstance(exc, NetworkError)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Handles updates concurrently, one at a time per person, skipping ones already handled.

    A tap must be answered within seconds even while other chats are busy, but one person's
    updates must keep their order (a description before the tap on Submit). The per-person
    lock is taken before a handling slot: python-telegram-bot's own semaphore would otherwise
    let one person's queue of updates (a flood, or replies waiting out a 429) fill every slot
    while they wait for their turn, and hold up everyone else.
    """

    def __init__(
        self,
        db: UnitOfWork,
        clock: Clock,
        dead: DeadLetters,
        max_concurrent_updates: int = 32,
    ) -> None:
        # The base class's semaphore only bounds waiting tasks; `_slots` bounds the handling.
        super().__init__(WAITING_UPDATES)
        self.db = db
        self.clock = clock
        self.dead = dead
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        key = _sender_key(update)
        lock = self._locks[key]
        async with lock, self._slots:
            # A read, not a write: starts are counted on replay (Inbox.replay), where a crash
            # shows as an update stored and never marked handled.
            ref = update_ref(update)
            # The sender, whom nearly every handler asks for, is read in the same snapshot.
            sender = _private_sender(update)
            people: dict[Address, Person | None] = {}
            async with self.db.read() as tx:
                handled = await tx.is_processed(ref)
                if not handled and sender is not None:
                    people[sender] = await tx.person_at(sender)
            if handled:
                _close(coroutine)
                log.info("update %s was handled before; ignored", update.update_id)
                return
            marked: set[UpdateRef] = set()
            recorded = RECORDED_UPDATES.set(marked)
            seen = PEOPLE_SEEN.set(people)  # the sender is looked up once for this update
            try:
                await coroutine
            finally:
                PEOPLE_SEEN.reset(seen)
                # Marked even when a handler failed (it is then a dead letter, see Inbox):
                # a poison update must not loop forever. A use case that recorded the update
                # in its own transaction (ServiceContext.unit) has marked it already.
                RECORDED_UPDATES.reset(recorded)
                if ref not in marked:
                    async with self.db.each() as tx:  # one statement, one trip
                        await tx.mark_processed(ref, self.clock.now())
        if not lock.locked() and len(self._locks) > 1024:
            self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


WAITING_UPDATES = 100_000
"""Updates that may wait for their sender's turn at once (a bound, not a working limit)."""


def _private_sender(update: Update) -> Address | None:
    """The address of a person writing to the bot in private (not a bot, not in a group)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or user.is_bot or (chat is not None and chat.type != ChatType.PRIVATE):
        return None
    return address(user.id)


def _sender_key(update: Update) -> int:
    user = update.effective_user
    if user is not None:
        return user.id
    chat = update.effective_chat
    return chat.id if chat is not None else 0


def _close(coroutine: Awaitable[Any]) -> None:
    if asyncio.iscoroutine(coroutine):
        coroutine.close()
