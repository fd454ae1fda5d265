"""/roster for the supervisors: people by role and team, paged; a person's entry; a new phone.

Every command and tap is authorised by bot.services.directory from the person behind it (a
button names a page or a person, never a permission). The new phone is the supervisor's next
text after "Change phone" (taken by bot.handlers.answers, flow PHONE, and answered here).
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.channels.pending import Expectation, Flow
from bot.channels.telegram import keyboards_roster as kb
from bot.channels.telegram import texts, texts_roster, texts_sla
from bot.channels.telegram.callback_data import Op, decode, pattern
from bot.channels.telegram.identity import update_ref
from bot.domain.directory import RosterKey
from bot.domain.models import Person
from bot.handlers.common import Context, Deps, HandlerBase, answer_query, answer_refusal
from bot.services.directory import Directory
from bot.services.errors import Refusal, Refused

NOT_MODIFIED = "message is not modified"


class Roster(HandlerBase):
    def __init__(self, deps: Deps, directory: Directory) -> None:
        super().__init__(deps)
        self.directory = directory

    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(CommandHandler("roster", self.on_roster))
        app.add_handler(CallbackQueryHandler(self.on_page, pattern(Op.ROSTER)))
        app.add_handler(CallbackQueryHandler(self.on_person, pattern(Op.PERSON)))
        app.add_handler(CallbackQueryHandler(self.on_phone, pattern(Op.PHONE)))

    async def _show(self, update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
        if update.callback_query is None:
            await self.reply(update, text, reply_markup=markup)
            return
        try:
            await self.edit(update, text, reply_markup=markup)
        except BadRequest as exc:
            if NOT_MODIFIED not in exc.message.lower():
                raise

    async def _refused(self, update: Update, refused: Refused, lang: str) -> None:
        if refused.reason == Refusal.NOT_ALLOWED:
            text = texts_sla.supervisors_only(lang, "roster")
            if update.callback_query is not None:
                await answer_query(update.callback_query, text, True)
            else:
                await self.reply(update, text)
        elif refused.reason in (Refusal.NOT_FOUND, Refusal.BAD_INPUT) and update.callback_query:
            await answer_query(update.callback_query, texts.stale_button(lang), True)
        else:
            await answer_refusal(update, refused, lang)

    async def _page(self, update: Update, person: Person | None, lang: str, key: RosterKey) -> None:
        if person is None:
            await answer_refusal(update, Refused(Refusal.NOT_REGISTERED), lang)
            return
        try:
            page = await self.directory.page(person.id, key)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return
        await self.answer(update)
        markup = kb.roster_markup(page, self.catalog, lang)
        await self._show(update, texts_roster.roster_text(page, lang), markup)

    async def on_roster(self, update: Update, context: Context) -> None:
        """The commissioners, first page, with the other groups as buttons."""
        person, lang = await self.who(update)
        await self._page(update, person, lang, RosterKey())

    async def on_page(self, update: Update, context: Context) -> None:
        """Another page or group, in the same message."""
        person, lang = await self.who(update)
        cb = decode(_data(update))
        key = RosterKey.decode(cb.arg if cb else None)
        if key is None:
            await self.answer(update, texts.stale_button(lang), True)
            return
        await self._page(update, person, lang, key)

    async def _tapped_entry(self, update: Update) -> tuple[Person, str | None, str] | None:
        """The roster entry a person button names, if the tapper may see it (else answered):
        the entry, the page to go back to, the tapper's language."""
        person, lang = await self.who(update)
        cb = decode(_data(update))
        if person is None or cb is None or cb.request_id is None:
            await self._tap_refused(update, person, lang)
            return None
        try:
            entry = await self.directory.entry(person.id, cb.request_id)
        except Refused as refused:
            await self._refused(update, refused, lang)
            return None
        await self.answer(update)
        return entry, cb.arg, lang

    async def on_person(self, update: Update, context: Context) -> None:
        """A person's entry, with Change phone."""
        tapped = await self._tapped_entry(update)
        if tapped is None:
            return
        entry, back, lang = tapped
        text = texts_roster.entry_text(entry, self.catalog, lang)
        await self._show(update, text, kb.entry_markup(entry.id, back, lang))

    async def on_phone(self, update: Update, context: Context) -> None:
        """Change phone: asks for the new number (the next text)."""
        tapped = await self._tapped_entry(update)
        if tapped is None:
            return
        target, back, lang = tapped
        prompt = await self.reply(update, texts_roster.ask_phone(target, lang))
        where = {"back": back} if back else {}
        await self.expect(update, Flow.PHONE, target.id, prompt, **where)

    async def _tap_refused(self, update: Update, person: Person | None, lang: str) -> None:
        text = texts.not_registered(lang) if person is None else texts.stale_button(lang)
        await self.answer(update, text, True)

    async def answer_phone(
        self,
        update: Update,
        context: Context,
        expected: Expectation,
        who: int,
        text: str,
        lang: str,
    ) -> bool:
        """The new phone a Change phone tap asked for; a wrong one is asked for again."""
        try:
            changed, previous = await self.directory.change_phone(
                who, expected.subject, text, update_ref(update)
            )
        except Refused as refused:
            problem = refused.details.get("problem")
            if problem == "not_mobile":
                await self.reply(update, texts_roster.not_a_mobile(lang))
                return False
            if problem == "taken":
                name = str(refused.details.get("name") or "")
                await self.reply(update, texts_roster.phone_taken(name, lang))
                return False
            await self._refused(update, refused, lang)
            return True
        text = texts_roster.phone_changed(changed, previous, lang)
        text += "\n\n" + texts_roster.entry_text(changed, self.catalog, lang)
        back = expected.data.get("back")
        await self.reply(update, text, reply_markup=kb.entry_markup(changed.id, back, lang))
        return True

    async def phone_dropped(self, update: Update, expected: Expectation, lang: str) -> None:
        """/cancel while a phone change waits keeps the old phone."""
        await self.reply(update, texts_roster.phone_kept(lang))


def _data(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None
