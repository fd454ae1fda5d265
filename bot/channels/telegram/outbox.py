"""The outbox sender: renders queued messages in each reader's language and sends them, paced."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardMarkup
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.channels.telegram import texts_sla
from bot.channels.telegram.renderers import RENDERERS, Context
from bot.domain.clock import Clock
from bot.domain.lifecycle import CLAIMABLE
from bot.domain.models import Catalog, Person
from bot.i18n import pick_language
from bot.services.desk import Desk, RequestView
from bot.services.ports import OutboxRow, UnitOfWork
from bot.services.reach import Reachability

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0  # Telegram: about one message a second to one private chat
# Transient failures (timeouts, network errors, 5xx) are retried for as long as they last, the
# wait doubling from BACKOFF_FIRST up to BACKOFF_CAP between tries (less a little jitter, so
# chats that failed together do not all come back in the same second).
BACKOFF_FIRST = 1.0
BACKOFF_CAP = 300.0
BACKOFF_JITTER = 0.15
# A 400 that means the chat is gone (the person cannot be reached), not that we erred.
CHAT_GONE = ("chat not found", "peer_id_invalid", "user not found")
# An edit Telegram can no longer apply: the message is sent anew instead.
EDIT_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "there is no text in the message to edit",
    "message is too old",
)
BATCH = 200


class Permanent(Exception):
    """A message that can never be sent (blocked bot, deleted chat, our own bad request)."""


class OutboxSender:
    """Drains the outbox after every commit; a crash between commit and send loses nothing."""

    def __init__(
        self,
        db: UnitOfWork,
        bot: Bot,
        desk: Desk,
        catalog: Catalog,
        clock: Clock,
        tz: ZoneInfo,
        default_language: str,
        is_quiet: Callable[[datetime], bool] = lambda _now: False,
        concurrency: int = 8,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        reach: Reachability | None = None,
    ) -> None:
        self.db = db
        self.reach = reach or Reachability(desk)
        self.bot = bot
        self.desk = desk
        self.catalog = catalog
        self.clock = clock
        self.tz = tz
        self.default_language = default_language
        self.is_quiet = is_quiet
        self.per_chat_interval = per_chat_interval
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._busy: set[int] = set()  # chats with a send in flight (keeps per-chat order)
        self._next_ok: dict[int, float] = {}  # chat → loop time its next message may go
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.sent = 0
        self.failed = 0

    @property
    def busy(self) -> bool:
        """Whether a send (and its bookkeeping) is in flight."""
        return bool(self._busy)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Sends until stopped; sleeps only while nothing is due."""
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self.drain_once()
                if started:
                    failures = 0
                    continue
                delay = await self._idle_delay(loop.time())
                failures = 0
            except Exception:
                # A locked or failing database must not end the sender: the rows wait there.
                failures += 1
                delay = min(2.0**failures, 60.0)
                log.exception("outbox sender failed; retrying in %.0fs", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=4)

    async def _idle_delay(self, now_loop: float) -> float:
        """How long nothing can be sent: until the next deferred row or paced chat opens."""
        async with self.db.read() as tx:
            due = await tx.next_head_due_at()
        candidates = [5.0]
        wait = (due - self.clock.now()).total_seconds() if due is not None else 0.0
        if wait > 0:
            # (A row already due is waiting only for its chat's send in flight, which wakes
            # the loop when it ends, or for the chat's pacing, counted below.)
            candidates.append(wait)
        candidates += [t - now_loop for t in self._next_ok.values() if t > now_loop]
        return max(0.01, min(candidates))

    async def drain_once(self) -> int:
        """Starts sending the oldest due message of every chat that may receive one now."""
        now_loop = asyncio.get_running_loop().time()
        for chat in [c for c, t in self._next_ok.items() if t <= now_loop]:
            del self._next_ok[chat]
        async with self.db.tx() as tx:
            rows = await tx.due_messages(self.clock.now(), BATCH)
        started = 0
        for row in rows:
            if row.chat_id in self._busy or self._next_ok.get(row.chat_id, 0) > now_loop:
                continue
            self._busy.add(row.chat_id)
            task = asyncio.create_task(self._send_row(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def drain(self, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Sends everything due now, honouring the pacing; for tests and the demo."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self._wake.clear()
            await self.drain_once()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
                continue
            async with self.db.tx() as tx:
                if not await tx.due_messages(self.clock.now(), 1):
                    return
            # Only the per-chat pacing holds the due messages back: wait for a chat to open.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=await self._idle_delay(loop.time())
                )
        raise TimeoutError("outbox did not drain")

    async def _send_row(self, row: OutboxRow) -> None:
        try:
            async with self._slots:
                await self._deliver(row)
        except RetryAfter as exc:
            # The row (and so its whole chat, which keeps its order) waits in the database;
            # nothing here loops on it.
            delay = _seconds(exc.retry_after)
            await self._defer(row, delay, f"429 retry after {delay:.0f}s")
        except Forbidden as exc:
            # Blocked by the user, account deleted, never started: never retried.
            await self._unreachable(row, f"403 {exc.message}")
        except BadRequest as exc:
            if any(gone in exc.message.lower() for gone in CHAT_GONE):
                await self._unreachable(row, f"400 {exc.message}")
            else:
                # Our own mistake (bad HTML, a stale file id): failed and logged; the person
                # is not to blame and stays reachable.
                await self._fail(row, f"400 {exc.message}")
        except Permanent as exc:
            await self._fail(row, f"{type(exc).__name__}: {exc}")
        except TelegramError as exc:
            # Timeouts, network errors and 5xx (NetworkError), and anything else Telegram says
            # that is not a final answer about this message: tried again later, never given up.
            await self._defer(row, backoff(row.attempts), f"transient: {exc}")
        except Exception as exc:  # a rendering bug must not stop the other messages
            log.exception("outbox row %s could not be rendered or sent", row.id)
            await self._fail(row, f"{type(exc).__name__}: {exc}")
        finally:
            self._busy.discard(row.chat_id)
            self._wake.set()

    async def _defer(self, row: OutboxRow, seconds: float, why: str) -> None:
        log.info("outbox row %s to chat %s deferred %.1fs: %s", row.id, row.chat_id, seconds, why)
        async with self.db.tx() as tx:
            await tx.defer(row.id, self.clock.now() + timedelta(seconds=seconds), why)

    async def _unreachable(self, row: OutboxRow, why: str) -> None:
        """Telegram's final answer that this person cannot be reached: the row is given up and,
        in the same transaction, the person marked and the people who rely on them told."""
        log.warning(
            "outbox row %s (%s) to person %s undeliverable: %s",
            row.id,
            row.message.kind,
            row.message.recipient_id,
            why,
        )
        self.failed += 1
        try:
            await self.reach.undeliverable(row.id, row.message, why)
        except Exception:
            # The row stays pending and is tried again: the next answer comes back the same.
            log.exception("could not record outbox row %s as undeliverable", row.id)
            await self._defer(row, backoff(row.attempts), f"bookkeeping failed: {why}")

    async def _fail(self, row: OutboxRow, why: str) -> None:
        # Logged once, here; the row is never picked up again.
        log.warning(
            "outbox row %s (%s) to chat %s failed: %s", row.id, row.message.kind, row.chat_id, why
        )
        self.failed += 1
        async with self.db.tx() as tx:
            await tx.mark_failed(row.id, why)

    async def _deliver(self, row: OutboxRow) -> None:
        message = row.message
        loop = asyncio.get_running_loop()
        async with self.db.tx() as tx:
            reader = await tx.person(message.recipient_id)
        if reader is None:
            raise Permanent("recipient no longer exists")
        lang = pick_language(reader.language, None, self.default_language)
        view = await self.desk.view(message.request_id) if message.request_id else None
        silent = not message.urgent and self.is_quiet(self.clock.now())
        renderer = RENDERERS.get(message.kind)
        if renderer is None:
            raise Permanent(f"unknown outbox kind {message.kind!r}")
        out = renderer(Context(message, reader, view, self.catalog, lang, self.tz))
        if out.silent is not None:
            silent = out.silent
        sent: TgMessage | None
        if out.file_id is not None:
            send_file = self.bot.send_photo if out.photo else self.bot.send_document
            sent = await send_file(
                row.chat_id,
                out.file_id,
                caption=out.text,
                parse_mode=ParseMode.HTML if out.html else None,
                disable_notification=silent,
            )
        elif out.edit_key:
            assert view is not None
            sent = await self._send_or_edit(
                row, reader, view, out.edit_key, out.text, out.markup, silent, False
            )
        else:
            sent = await self.bot.send_message(
                row.chat_id,
                out.text,
                parse_mode=ParseMode.HTML,
                reply_markup=out.markup,
                disable_notification=silent,
            )
        self._next_ok[row.chat_id] = loop.time() + self.per_chat_interval
        async with self.db.tx() as tx:
            if sent is not None and view is not None:
                # Every message naming #N is remembered, so a reply to it relays to #N.
                await tx.save_ref(
                    reader.id,
                    view.request.id,
                    # An edit that went out as a new message moves its key to that message.
                    out.ref_key or message.edit_key or f"m{sent.message_id}",
                    row.chat_id,
                    sent.message_id,
                )
            await tx.mark_sent(row.id, self.clock.now())
        self.sent += 1
        if reader.unreachable:
            # It got through: they have unblocked the bot, whether or not they wrote since.
            try:
                await self.reach.delivered(reader.id)
            except Exception:  # the message is sent; the mark is cleared when they next write
                log.exception("could not mark person %s reachable again", reader.id)
        offered = (
            view is not None
            and view.request.status in CLAIMABLE
            and (reader.id in {p.id for p in view.offered})
        )
        if view is not None and not offered:
            await self._clear_reminder(reader, view)

    async def _send_or_edit(
        self,
        row: OutboxRow,
        reader: Person,
        view: RequestView,
        key: str,
        text: str,
        markup: InlineKeyboardMarkup | None,
        silent: bool,
        fresh: bool,
    ) -> TgMessage | None:
        ref = None
        if not fresh:
            async with self.db.tx() as tx:
                ref = await tx.ref(reader.id, view.request.id, key)
        if ref is not None:
            try:
                edited = await self.bot.edit_message_text(
                    text,
                    chat_id=ref[0],
                    message_id=ref[1],
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
                return edited if isinstance(edited, TgMessage) else None
            except BadRequest as exc:
                problem = exc.message.lower()
                if "message is not modified" in problem:
                    return None  # it already says this: done
                if not any(gone in problem for gone in EDIT_GONE):
                    raise
                # Deleted, too old or otherwise beyond editing: the person gets it as a new
                # message, and the key moves to that one.
                log.info(
                    "message %s of #%s cannot be edited (%s); sending it anew",
                    ref,
                    view.request.id,
                    exc.message,
                )
        return await self.bot.send_message(
            row.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_notification=silent,
        )

    async def _clear_reminder(self, reader: Person, view: RequestView) -> None:
        """Takes the Accept buttons off a reminder once the offer to this person has ended."""
        async with self.db.tx() as tx:
            ref = await tx.ref(reader.id, view.request.id, texts_sla.REMINDER_REF)
            if ref is not None:
                await tx.delete_ref(reader.id, view.request.id, texts_sla.REMINDER_REF)
        if ref is None:
            return
        try:
            await self.bot.edit_message_reply_markup(chat_id=ref[0], message_id=ref[1])
        except TelegramError as exc:
            # Already without buttons, deleted by the person, or Telegram unavailable: the
            # message this follows is sent already, and stale buttons only answer "out of date".
            log.info("reminder %s for #%s not changed: %s", ref, view.request.id, exc.message)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try of a message that failed `attempts` times so far."""
    base = min(BACKOFF_FIRST * 2.0 ** min(attempts, 30), BACKOFF_CAP)
    return base * (1.0 - BACKOFF_JITTER * random.random())
