"""The Telegram channel: renders outbox messages and sends or edits them through the Bot API.

Pacing, order, retries and deferral are channel-neutral and live in bot.channels.base; this
module only speaks Telegram, mapping its errors to the neutral ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, InputFile
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.channels.base import (
    BATCH,
    EditImpossible,
    OutboxDrainer,
    Permanent,
    SentRef,
    Transient,
    backoff,
)
from bot.channels.telegram.identity import CHANNEL
from bot.channels.telegram.renderers import RENDERERS, Context, Outgoing
from bot.domain.clock import Clock
from bot.domain.models import Catalog, Message, Person
from bot.export.charts import render_off_loop
from bot.i18n import pick_language
from bot.services.desk import Desk, RequestView
from bot.services.ports import UnitOfWork
from bot.services.reach import Reachability

__all__ = ["BATCH", "OutboxSender", "TelegramChannel", "backoff"]

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0  # Telegram: about one message a second to one private chat
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


def neutral(exc: TelegramError) -> Exception:
    """The channel-neutral meaning of what Telegram answered."""
    if isinstance(exc, RetryAfter):
        return Transient(str(exc), retry_after=_seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        # Blocked by the user, account deleted, never started: never retried.
        return Permanent(f"403 {exc.message}", unreachable=True)
    if isinstance(exc, BadRequest):
        gone = any(g in exc.message.lower() for g in CHAT_GONE)
        return Permanent(f"400 {exc.message}", unreachable=gone)
    # Timeouts, network errors and 5xx (NetworkError), and anything else Telegram says that
    # is not a final answer about this message.
    return Transient(str(exc))


class TelegramChannel:
    """Telegram as a Channel: HTML text, inline keyboards, files by file_id, edits."""

    name = CHANNEL

    def __init__(
        self,
        bot: Bot,
        catalog: Catalog,
        tz: ZoneInfo,
        default_language: str,
        per_address_interval: float = PER_CHAT_INTERVAL,
    ) -> None:
        self.bot = bot
        self.catalog = catalog
        self.tz = tz
        self.default_language = default_language
        self.per_address_interval = per_address_interval

    def render(self, message: Message, reader: Person, view: RequestView | None) -> Outgoing:
        lang = pick_language(reader.language, None, self.default_language)
        renderer = RENDERERS.get(message.kind)
        if renderer is None:
            raise Permanent(f"Permanent: unknown outbox kind {message.kind!r}")
        return renderer(Context(message, reader, view, self.catalog, lang, self.tz))

    async def send(self, address: str, out: Outgoing, *, silent: bool) -> SentRef | None:
        chat = int(address)
        sent: TgMessage
        try:
            if out.draw is not None:
                # Drawn in a worker thread: the loop goes on serving updates meanwhile.
                picture = await render_off_loop(out.draw)
                sent = await self.bot.send_photo(
                    chat,
                    InputFile(picture, filename="chart.png"),
                    caption=out.text,
                    parse_mode=ParseMode.HTML if out.html else None,
                    disable_notification=silent,
                )
            elif out.file_id is not None:
                send_file = self.bot.send_photo if out.photo else self.bot.send_document
                sent = await send_file(
                    chat,
                    out.file_id,
                    caption=out.text,
                    parse_mode=ParseMode.HTML if out.html else None,
                    disable_notification=silent,
                )
            else:
                sent = await self.bot.send_message(
                    chat,
                    out.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=out.markup,
                    disable_notification=silent,
                )
        except TelegramError as exc:
            raise neutral(exc) from exc
        return _ref(sent)

    async def edit(self, ref: SentRef, out: Outgoing) -> SentRef | None:
        try:
            edited = await self.bot.edit_message_text(
                out.text,
                chat_id=int(ref.address),
                message_id=int(ref.message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=out.markup,
            )
        except BadRequest as exc:
            problem = exc.message.lower()
            if "message is not modified" in problem:
                return None  # it already says this: done
            if any(gone in problem for gone in EDIT_GONE):
                raise EditImpossible(exc.message) from exc
            raise neutral(exc) from exc
        except TelegramError as exc:
            raise neutral(exc) from exc
        return _ref(edited) if isinstance(edited, TgMessage) else None

    async def clear_actions(self, ref: SentRef) -> None:
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=int(ref.address), message_id=int(ref.message_id)
            )
        except TelegramError as exc:
            # Already without buttons, deleted by the person, or Telegram unavailable: the
            # message this follows is sent already, and stale buttons only answer "out of date".
            log.info("reminder %s not changed: %s", ref, exc.message)

    async def answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        try:
            await self.bot.answer_callback_query(query_id, text=text, show_alert=alert)
        except TelegramError as exc:
            raise neutral(exc) from exc


class OutboxSender(OutboxDrainer):
    """The outbox drainer wired to Telegram alone (today's only channel)."""

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
        self.telegram = TelegramChannel(bot, catalog, tz, default_language)
        super().__init__(
            db,
            desk,
            clock,
            {TelegramChannel.name: self.telegram},
            reach or Reachability(desk),
            is_quiet=is_quiet,
            concurrency=concurrency,
            per_chat_interval=per_chat_interval,
        )
        self.bot = bot
        self.desk = desk


def _ref(sent: TgMessage) -> SentRef:
    return SentRef(str(sent.chat_id), str(sent.message_id))


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
