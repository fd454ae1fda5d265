"""The buttons on requests (Accept, Resolve, Note, rating, internal notes) and the relay.

The texts these taps ask for are answered in bot.handlers.answers.
"""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop

from bot.channels.pending import Flow
from bot.channels.telegram import (
    keyboards,
    keyboards_aftercare,
    texts,
    texts_aftercare,
    texts_notes,
    texts_reach,
)
from bot.channels.telegram.content import content_of, unsupported
from bot.channels.telegram.identity import address, update_ref
from bot.domain.models import Outcome, RequestStatus
from bot.handlers.common import Context, HandlerBase, answer_refusal, person_id
from bot.services.desk import Relayed
from bot.services.errors import Refused

TICKET = re.compile(r"#(\d{1,12})\b")


class Dispatch(HandlerBase):
    async def on_accept(self, update: Update, context: Context) -> None:
        """One tap takes the request; anyone it was not offered to is told so."""
        tap = await self.tap(update)
        if tap is None:
            return
        try:
            result = await self.desk.accept(tap.request_id, tap.person_id, update_ref(update))
        except Refused as refused:
            await answer_refusal(update, refused, tap.lang)
            return
        await tap.query.answer(texts.taken_alert(tap.lang, result.request.id))

    async def on_resolve(self, update: Update, context: Context) -> None:
        """Asks how the request ended."""
        tap = await self.tap(update, lambda n, who: self.desk.authorise_holder(n, who, "resolve"))
        if tap is None:
            return
        await tap.query.answer()
        await self.reply(
            update,
            texts.ask_outcome(tap.lang, tap.request_id),
            reply_markup=keyboards.outcomes(tap.request_id, tap.lang),
        )

    async def on_outcome(self, update: Update, context: Context) -> None:
        """Stores the chosen outcome and asks for the summary (in the tapped message)."""
        tap = await self.tap(update, lambda n, who: self.desk.authorise_holder(n, who, "outcome"))
        if tap is None:
            return
        try:
            outcome = Outcome(tap.cb.arg or "")
        except ValueError:
            await tap.query.answer(texts.stale_button(tap.lang), show_alert=True)
            return
        await tap.query.answer()
        await tap.query.edit_message_text(
            texts.ask_summary(tap.lang, tap.request_id, outcome), parse_mode=ParseMode.HTML
        )
        prompt = tap.query.message if isinstance(tap.query.message, Message) else None
        await self.expect(update, Flow.RESOLVE, tap.request_id, prompt, outcome=outcome.value)

    async def on_note(self, update: Update, context: Context) -> None:
        """Asks for the progress note."""
        tap = await self.tap(update, lambda n, who: self.desk.authorise_holder(n, who, "note"))
        if tap is None:
            return
        await tap.query.answer()
        await self.ask_text(
            update, Flow.NOTE, tap.request_id, texts.ask_note(tap.lang, tap.request_id)
        )

    async def on_rate(self, update: Update, context: Context) -> None:
        """The owner's 1–5 rating closes the request."""
        tap = await self.tap(update)
        if tap is None:
            return
        if not (tap.cb.arg or "").isdigit():
            await tap.query.answer(texts.stale_button(tap.lang), show_alert=True)
            return
        stars = int(tap.cb.arg or 0)
        try:
            await self.desk.rate(tap.request_id, tap.person_id, stars, update_ref(update))
        except Refused as refused:
            await answer_refusal(update, refused, tap.lang)
            return
        await tap.query.answer("⭐" * stars)

    async def on_relay(self, update: Update, context: Context) -> None:
        """A reply to a message naming #N goes to the other side of #N."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or message.reply_to_message is None:
            return
        replied = message.reply_to_message
        if replied.from_user is None or replied.from_user.id != context.bot.id:
            return
        found = TICKET.search(replied.text or replied.caption or "")
        request_id = (
            int(found.group(1))
            if found
            else await self.desk.request_for_message(
                address(replied.chat.id), str(replied.message_id)
            )
        )
        if request_id is None:
            return
        person, lang = await self.who(update)
        if person is not None and await self._finished(update, request_id, person.id, lang):
            raise ApplicationHandlerStop
        if unsupported(message):
            await self.reply(update, texts_notes.not_relayable(lang))
            raise ApplicationHandlerStop
        content = content_of(message)
        text = message.text or message.caption
        if text is None and content is None:
            return
        file_id, file_kind, file_name = (
            (content.ref, content.kind, content.file_name) if content else (None, None, None)
        )
        # A reply to an internal note stays among staff (the service refuses the owner).
        internal = (replied.text or replied.caption or "").startswith(texts_notes.INTERNAL_MARK)
        try:
            if internal:
                note = await self.desk.internal_note(
                    request_id,
                    person_id(person),
                    text,
                    file_id,
                    file_kind,
                    file_name,
                    update_ref(update),
                )
                relayed = Relayed(note.recipients, note.step)
            else:
                relayed = await self.desk.relay_message(
                    request_id,
                    person_id(person),
                    text,
                    file_id,
                    file_kind,
                    update_ref(update),
                    file_name,
                )
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            raise ApplicationHandlerStop from None
        if relayed.internal is None:
            # "Passed on" only for whom it will reach; anyone who blocked the bot is named.
            await self.reply(update, texts_reach.relayed(lang, relayed.recipients))
        else:
            # Kept among staff; a supervisor may still send it to the owner with one tap.
            await self.reply(
                update,
                texts_notes.internal_noted(lang, request_id, relayed.recipients),
                reply_markup=None
                if internal
                else keyboards.share_with_owner(request_id, relayed.internal, lang),
            )
        raise ApplicationHandlerStop

    async def on_internal_note(self, update: Update, context: Context) -> None:
        """Asks for an internal note (staff only; the owner never sees it)."""
        tap = await self.tap(update, self.desk.authorise_internal)
        if tap is None:
            return
        await tap.query.answer()
        text = texts_notes.ask_internal_note(tap.lang, tap.request_id)
        await self.ask_text(update, Flow.INTERNAL_NOTE, tap.request_id, text)

    async def on_share_with_owner(self, update: Update, context: Context) -> None:
        """Sends a reply that was kept internal to the owner as well (once)."""
        tap = await self.tap(update)
        if tap is None:
            return
        if not (tap.cb.arg or "").isdigit():
            await tap.query.answer(texts.stale_button(tap.lang), show_alert=True)
            return
        try:
            owner = await self.desk.share_with_owner(
                tap.request_id, tap.person_id, int(tap.cb.arg or 0), update_ref(update)
            )
        except Refused as refused:
            await answer_refusal(update, refused, tap.lang)
            return
        await tap.query.answer(texts_notes.shared_with_owner(tap.lang, tap.request_id, owner))
        await self.edit(update, None)

    async def _finished(self, update: Update, request_id: int, who: int, lang: str) -> bool:
        """A reply about a closed or cancelled request: says so; its owner gets New request
        (and Reopen while allowed) as buttons."""
        done = await self.desk.finished(request_id, who)
        if done is None:
            return False
        cancelled = done.request.status == RequestStatus.CANCELLED
        owner = done.request.owner_id == who
        markup = keyboards_aftercare.finished(request_id, lang, done.may_reopen) if owner else None
        await self.reply(
            update,
            texts_aftercare.finished(lang, request_id, cancelled, done.may_reopen, owner),
            reply_markup=markup,
        )
        return True
