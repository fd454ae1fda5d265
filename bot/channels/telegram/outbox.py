"""The Telegram channel: renders outbox messages and sends or edits them through the Bot API.

Pacing, order, retries and deferral are channel-neutral and live in bot.channels.drainer; this
module only speaks Telegram, mapping its errors to the neutral ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, InputFile, ReplyParameters
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.channels.base import EditImpossible, Permanent, SentRef, Transient
from bot.channels.drainer import BATCH, OutboxDrainer, backoff
from bot.channels.telegram.identity import CHANNEL
from bot.channels.telegram.renderers import RENDERERS, Context, Outgoing
from bot.domain.clock import Clock
from bot.domain.content import CAPTIONLESS, parse_location
from bot.domain.models import Catalog, Message, Person
from bot.export.charts import render_off_loop
from bot.i18n import pick_language
from bot.services.desk import Desk, RequestView
from bot.services.ports import UnitOfWork
from bot.services.reach import Reachability

__all__ = ["BATCH", "OutboxSender", "TelegramChannel", "backoff"]

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0  # Telegram: about one message a second to one private chat
PICTURES_KEPT = 8  # charts drawn lately, by what they are drawn from (see TelegramChannel)
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
        # A chart is drawn from its message's kind, parameters and language alone, so the
        # digest's chart to every supervisor is drawn once, not once per supervisor: drawing
        # holds the GIL for ~100 ms, which stalls the event loop however it is threaded.
        self._pictures: OrderedDict[str, asyncio.Future[bytes]] = OrderedDict()

    def render(self, message: Message, reader: Person, view: RequestView | None) -> Outgoing:
        lang = pick_language(reader.language, None, self.default_language)
        renderer = RENDERERS.get(message.kind)
        if renderer is None:
            raise Permanent(f"Permanent: unknown outbox kind {message.kind!r}")
        out = renderer(Context(message, reader, view, self.catalog, lang, self.tz))
        if out.draw is not None and out.draw_key is None:
            params = json.dumps(message.params, sort_keys=True, ensure_ascii=False)
            out = replace(out, draw_key=f"{message.kind}\x1f{lang}\x1f{params}")
        return out

    async def _picture(self, out: Outgoing) -> bytes:
        """The drawn chart: drawn once for every message with the same key (see __init__)."""
        assert out.draw is not None
        if out.draw_key is None:
            return await render_off_loop(out.draw)
        found = self._pictures.get(out.draw_key)
        if found is None or (found.done() and (found.cancelled() or found.exception())):
            found = asyncio.ensure_future(render_off_loop(out.draw))
            self._pictures[out.draw_key] = found
            while len(self._pictures) > PICTURES_KEPT:
                self._pictures.popitem(last=False)
        # Shielded: one send given up must not cancel the drawing others wait for.
        return await asyncio.shield(found)

    async def send(self, address: str, out: Outgoing, *, silent: bool) -> SentRef | None:
        chat = int(address)
        sent: TgMessage
        try:
            if out.draw is not None:
                # Drawn in a worker thread: the loop goes on serving updates meanwhile.
                picture = await self._picture(out)
                sent = await self.bot.send_photo(
                    chat,
                    InputFile(picture, filename="chart.png"),
                    caption=out.text,
                    parse_mode=ParseMode.HTML if out.html else None,
                    disable_notification=silent,
                )
            elif out.file_id is not None:
                sent = await self._send_file(chat, out, silent)
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

    async def _send_file(self, chat: int, out: Outgoing, silent: bool) -> TgMessage:
        """A file (or location, contact) with the text as its caption, or else beside it.

        A video note, location or contact takes no caption: it goes first, then the text as a
        reply to it; the text (naming #N) is the message remembered and replied to.
        """
        assert out.file_id is not None
        kind = out.file_kind or ("photo" if out.photo else "document")
        parse_mode = ParseMode.HTML if out.html else None
        if kind in CAPTIONLESS:
            content = await self._send_captionless(chat, kind, out, silent)
            return await self.bot.send_message(
                chat,
                out.text,
                parse_mode=parse_mode,
                reply_markup=out.markup,
                disable_notification=silent,
                reply_parameters=ReplyParameters(content.message_id),
            )
        if kind == "photo":
            return await self.bot.send_photo(
                chat,
                out.file_id,
                caption=out.text,
                parse_mode=parse_mode,
                disable_notification=silent,
            )
        if kind == "voice":
            return await self.bot.send_voice(
                chat,
                out.file_id,
                caption=out.text,
                parse_mode=parse_mode,
                disable_notification=silent,
            )
        if kind == "audio":
            return await self.bot.send_audio(
                chat,
                out.file_id,
                caption=out.text,
                parse_mode=parse_mode,
                disable_notification=silent,
            )
        if kind == "video":
            return await self.bot.send_video(
                chat,
                out.file_id,
                caption=out.text,
                parse_mode=parse_mode,
                disable_notification=silent,
            )
        return await self.bot.send_document(
            chat, out.file_id, caption=out.text, parse_mode=parse_mode, disable_notification=silent
        )

    async def _send_captionless(
        self, chat: int, kind: str, out: Outgoing, silent: bool
    ) -> TgMessage:
        assert out.file_id is not None
        if kind == "location":
            place = parse_location(out.file_id)
            if place is None:
                raise Permanent(f"not a location: {out.file_id!r}")
            return await self.bot.send_location(
                chat, place[0], place[1], disable_notification=silent
            )
        if kind == "contact":
            return await self.bot.send_contact(
                chat, out.file_id, out.file_name or out.file_id, disable_notification=silent
            )
        return await self.bot.send_video_note(chat, out.file_id, disable_notification=silent)

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
