"""What every handler shares: dependencies, the reader's language, and the everyone-commands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import CallbackContext, ExtBot

from bot.channels.pending import Expecting, Flow
from bot.channels.telegram import keyboards, texts, texts_notes, texts_onboarding
from bot.channels.telegram.callback_data import Callback, decode
from bot.channels.telegram.content import unsupported
from bot.channels.telegram.identity import address
from bot.domain.identity import Address
from bot.domain.models import Catalog, Person
from bot.export.process import ExportRunner
from bot.i18n import pick_language
from bot.services.desk import Desk
from bot.services.errors import Refusal, Refused

log = logging.getLogger(__name__)
T = TypeVar("T")

Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]


@dataclass(frozen=True)
class Deps:
    desk: Desk
    catalog: Catalog
    tz: ZoneInfo
    default_language: str
    expecting: Expecting  # what the next text in a conversation answers
    exports: ExportRunner  # /export's workbooks, built in a child process


@dataclass(frozen=True)
class Tap:
    """A tap on a request's button, decoded and authorised: who tapped, about which request."""

    cb: Callback
    request_id: int
    person_id: int
    lang: str
    query: CallbackQuery


# A check on the server that this person may use this button on this request (raises Refused).
Authorise = Callable[[int, int], Awaitable[object]]


class HandlerBase:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.desk = deps.desk
        self.catalog = deps.catalog
        self.expecting = deps.expecting

    async def who(self, update: Update) -> tuple[Person | None, str]:
        """The person behind an update (None if not bound) and the language to answer in."""
        user = update.effective_user
        if user is None:
            return None, self.deps.default_language
        person = await self.desk.whoami(address(user.id))
        lang = pick_language(
            person.language if person else None, user.language_code, self.deps.default_language
        )
        return person, lang

    async def acting(self, update: Update) -> int:
        """The id of the person behind an update; Refused(NOT_REGISTERED) if nobody is bound
        to the Telegram account."""
        user = update.effective_user
        return person_id(await self.desk.whoami(address(user.id)) if user else None)

    async def tap(self, update: Update, authorise: Authorise | None = None) -> Tap | None:
        """Decodes a tap on a request's button and, given `authorise(request_id, person_id)`,
        checks it on the server; None when the tap was answered already (a stale button, an
        unknown person, a refusal: an alert)."""
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        cb = decode(query.data)
        if cb is None or cb.request_id is None:
            await answer_query(query, texts.stale_button(lang), True)
            return None
        try:
            who = person_id(person)
            if authorise is not None:
                await authorise(cb.request_id, who)
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return None
        return Tap(cb, cb.request_id, who, lang, query)

    async def expect(
        self, update: Update, flow: Flow, subject: int, prompt: Message | None, **data: str
    ) -> None:
        """Remembers that the next text here answers `flow` about `subject`, asked by `prompt`."""
        ref = str(prompt.message_id) if prompt is not None else None
        await self.expecting.ask(at(update), flow, subject, ref, **data)

    async def ask_text(
        self, update: Update, flow: Flow, subject: int, text: str, **data: str
    ) -> None:
        """Asks for a text (Telegram's reply field opens on the question); the next text answers."""
        prompt = await self.reply(update, text, reply_markup=ForceReply(selective=True))
        await self.expect(update, flow, subject, prompt, **data)

    @staticmethod
    async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
        """Answers in the chat the update came from (HTML), waiting out a 429 if need be."""
        message = update.effective_message
        if message is None:
            return None
        return await retrying(lambda: message.reply_text(text, parse_mode=ParseMode.HTML, **kwargs))

    @staticmethod
    async def edit(update: Update, text: str | None, **kwargs: Any) -> None:
        """Changes the tapped message (its text, or only its buttons when `text` is None)."""
        query = update.callback_query
        if query is None:
            return
        if text is None:
            await retrying(lambda: query.edit_message_reply_markup(**kwargs))
        else:
            await retrying(
                lambda: query.edit_message_text(text, parse_mode=ParseMode.HTML, **kwargs)
            )

    @staticmethod
    async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
        """Answers a tap; one Telegram no longer accepts (too old, replayed) is let go."""
        if update.callback_query is not None:
            await answer_query(update.callback_query, text, alert)


class Common(HandlerBase):
    async def on_help(self, update: Update, context: Context) -> None:
        """Lists the commands this person may use."""
        person, lang = await self.who(update)
        await self.reply(update, texts_onboarding.help_text(person, lang))

    async def on_lang(self, update: Update, context: Context) -> None:
        """Offers the two languages."""
        _person, lang = await self.who(update)
        await self.reply(update, texts.lang_prompt(lang), reply_markup=keyboards.languages())

    async def on_lang_choice(self, update: Update, context: Context) -> None:
        """Stores the chosen language."""
        query = update.callback_query
        assert query is not None
        cb = decode(query.data)
        person, lang = await self.who(update)
        choice = cb.arg if cb and cb.arg in ("zh", "en") else None
        if choice is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        if person is None:
            await query.answer(texts.not_registered(choice), show_alert=True)
            return
        await self.desk.set_language(person.id, choice)
        await query.answer()
        await query.edit_message_text(texts.lang_set(choice), parse_mode=ParseMode.HTML)

    async def on_cancel(self, update: Update, context: Context) -> None:
        """Drops whatever this person was in the middle of (outside the intake form)."""
        _person, lang = await self.who(update)
        anything = await self.expecting.forget(at(update)) is not None
        await self.reply(update, texts.cancelled(lang, anything))

    async def on_fallback(self, update: Update, context: Context) -> None:
        """Anything nobody else handled (a sticker, poll, game or dice: that it cannot be used)."""
        person, lang = await self.who(update)
        message = update.effective_message
        if person is not None and message is not None and unsupported(message):
            await self.reply(update, texts_notes.not_relayable(lang))
            return
        await self.reply(update, texts.fallback(lang) if person else texts.not_registered(lang))

    async def on_stale_tap(self, update: Update, context: Context) -> None:
        """A button from a form or message that is no longer live."""
        _person, lang = await self.who(update)
        await self.answer(update, texts.stale_button(lang), alert=True)

    async def on_error(self, update: object, context: Context) -> None:
        """Logs the failure and tells the person, without leaking details."""
        log.error("handler failed", exc_info=context.error)
        error = context.error
        unreachable = isinstance(error, RetryAfter) or (
            isinstance(error, NetworkError) and not isinstance(error, BadRequest)
        )
        if not isinstance(update, Update) or unreachable:
            # Telegram itself is refusing or unreachable: another message would fare no better.
            return
        try:
            _person, lang = await self.who(update)
            if update.callback_query is not None:
                await answer_query(update.callback_query, texts.error(lang), True)
            elif update.effective_message is not None:
                await self.reply(update, texts.error(lang))
        except Exception:
            log.warning("could not tell the person about the failure", exc_info=True)


def at(update: Update) -> Address:
    """The conversation an update comes from (a private chat: the user's own address)."""
    user = update.effective_user
    assert user is not None, "handled only for updates from a user"
    return address(user.id)


def person_id(person: Person | None) -> int:
    """The id use cases take; Refused(NOT_REGISTERED) for an account bound to nobody."""
    if person is None:
        raise Refused(Refusal.NOT_REGISTERED)
    return person.id


async def answer_refusal(update: Update, refused: Refused, lang: str) -> None:
    """A refused tap gets an alert; a refused message gets a reply."""
    text = texts.refusal(refused.reason, refused.details, lang)
    if update.callback_query is not None:
        await answer_query(update.callback_query, text, True)
    else:
        await HandlerBase.reply(update, text)


async def answer_query(query: CallbackQuery, text: str | None, alert: bool) -> None:
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        # A tap replayed after a restart, or answered too late, cannot be answered any more;
        # the person has already seen the spinner stop, and nothing else depends on it.
        if "query is too old" not in exc.message and "query id is invalid" not in exc.message:
            raise
        log.info("tap %s could not be answered: %s", query.id, exc.message)


async def retrying(call: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Makes a direct Bot API call, waiting out a 429's retry_after (a reply must not be lost)."""
    for attempt in range(attempts):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == attempts - 1:
                raise
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            log.info("429 on a reply; retrying in %.1fs", seconds)
            await asyncio.sleep(seconds)
    raise AssertionError("unreachable")
