"""What every handler shares: dependencies, the reader's language, and the everyone-commands."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackContext, ExtBot

from bot.channels.telegram import keyboards, texts
from bot.channels.telegram.callback_data import decode
from bot.domain.models import Catalog, Person
from bot.i18n import pick_language
from bot.services.desk import Desk
from bot.services.errors import Refused

log = logging.getLogger(__name__)

Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]


@dataclass(frozen=True)
class Deps:
    desk: Desk
    catalog: Catalog
    tz: ZoneInfo
    default_language: str


class HandlerBase:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.desk = deps.desk
        self.catalog = deps.catalog

    async def who(self, update: Update) -> tuple[Person | None, str]:
        """The person behind an update (None if not bound) and the language to answer in."""
        user = update.effective_user
        if user is None:
            return None, self.deps.default_language
        person = await self.desk.whoami(user.id)
        lang = pick_language(
            person.language if person else None, user.language_code, self.deps.default_language
        )
        return person, lang

    @staticmethod
    async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
        message = update.effective_message
        if message is None:
            return None
        return await message.reply_text(text, parse_mode=ParseMode.HTML, **kwargs)


class Common(HandlerBase):
    async def on_help(self, update: Update, context: Context) -> None:
        """Lists the commands this person may use."""
        person, lang = await self.who(update)
        await self.reply(update, texts.help_text(person, lang))

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
        await self.desk.set_language(query.from_user.id, choice)
        await query.answer()
        await query.edit_message_text(texts.lang_set(choice), parse_mode=ParseMode.HTML)

    async def on_cancel(self, update: Update, context: Context) -> None:
        """Drops whatever this person was in the middle of (outside the intake form)."""
        _person, lang = await self.who(update)
        user = update.effective_user
        assert user is not None
        anything = False
        for flow in ("decline", "resolve", "note"):
            anything = await self.desk.drop_draft(user.id, flow) or anything
        await self.reply(update, texts.cancelled(lang, anything))

    async def on_fallback(self, update: Update, context: Context) -> None:
        """Anything nobody else handled."""
        person, lang = await self.who(update)
        await self.reply(update, texts.fallback(lang) if person else texts.not_registered(lang))

    async def on_stale_tap(self, update: Update, context: Context) -> None:
        """A button from a form or message that is no longer live."""
        _person, lang = await self.who(update)
        query = update.callback_query
        assert query is not None
        await query.answer(texts.stale_button(lang), show_alert=True)

    async def on_error(self, update: object, context: Context) -> None:
        """Logs the failure and tells the person, without leaking details."""
        log.error("handler failed", exc_info=context.error)
        if isinstance(update, Update):
            _person, lang = await self.who(update)
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer(texts.error(lang), show_alert=True)
                except Exception:
                    log.debug("could not answer the failed tap", exc_info=True)
            elif update.effective_message is not None:
                await self.reply(update, texts.error(lang))


async def answer_refusal(update: Update, refused: Refused, lang: str) -> None:
    """A refused tap gets an alert; a refused message gets a reply."""
    text = texts.refusal(refused.reason, refused.details, lang)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
