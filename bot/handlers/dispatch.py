"""The buttons on requests (Accept, Decline, Resolve, Note, rating) and the inputs they ask for."""

from __future__ import annotations

import re

from telegram import ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram import (
    keyboards,
    keyboards_aftercare,
    texts,
    texts_aftercare,
    texts_handoff,
    texts_notes,
    texts_reach,
)
from bot.channels.telegram.callback_data import Callback, decode
from bot.channels.telegram.content import content_of, unsupported
from bot.channels.telegram.identity import address
from bot.domain.models import LengthProblem, Outcome, Person, RequestStatus
from bot.handlers.common import Context, HandlerBase, answer_refusal, person_id
from bot.services.desk import Relayed
from bot.services.errors import Refusal, Refused

TICKET = re.compile(r"#(\d{1,12})\b")
TOO_LONG = LengthProblem.TOO_LONG.value


class Dispatch(HandlerBase):
    async def _tap(self, update: Update) -> tuple[Callback | None, Person | None, str]:
        query = update.callback_query
        assert query is not None
        person, lang = await self.who(update)
        cb = decode(query.data)
        if cb is None or cb.request_id is None:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return None, person, lang
        return cb, person, lang

    async def _expect(
        self, user_id: int, flow: str, request_id: int, prompt: Message | None, **data: str
    ) -> None:
        """Remembers what the next text answers, and which message asked for it."""
        await self.desk.expect(
            address(user_id), flow, request_id, prompt=prompt.message_id if prompt else None, **data
        )

    async def on_accept(self, update: Update, context: Context) -> None:
        """One tap takes the request; anyone it was not offered to is told so."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            result = await self.desk.accept(cb.request_id, person_id(person), update.update_id)
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer(texts.taken_alert(lang, result.request.id))

    async def on_resolve(self, update: Update, context: Context) -> None:
        """Asks how the request ended."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_holder(cb.request_id, person_id(person), "resolve")
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        await self.reply(
            update,
            texts.ask_outcome(lang, cb.request_id),
            reply_markup=keyboards.outcomes(cb.request_id, lang),
        )

    async def on_outcome(self, update: Update, context: Context) -> None:
        """Stores the chosen outcome and asks for the summary."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            outcome = Outcome(cb.arg or "")
            await self.desk.authorise_holder(cb.request_id, person_id(person), "outcome")
        except ValueError:
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        await query.edit_message_text(
            texts.ask_summary(lang, cb.request_id, outcome), parse_mode=ParseMode.HTML
        )
        prompt = query.message if isinstance(query.message, Message) else None
        await self._expect(
            query.from_user.id, "resolve", cb.request_id, prompt, outcome=outcome.value
        )

    async def on_note(self, update: Update, context: Context) -> None:
        """Asks for the progress note."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_holder(cb.request_id, person_id(person), "note")
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        prompt = await self.reply(
            update, texts.ask_note(lang, cb.request_id), reply_markup=ForceReply(selective=True)
        )
        await self._expect(query.from_user.id, "note", cb.request_id, prompt)

    async def on_rate(self, update: Update, context: Context) -> None:
        """The owner's 1–5 rating closes the request."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        if not (cb.arg or "").isdigit():
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        try:
            await self.desk.rate(
                cb.request_id, person_id(person), int(cb.arg or 0), update.update_id
            )
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer("⭐" * int(cb.arg or 0))

    async def on_pending_text(self, update: Update, context: Context) -> None:
        """The text a Decline, Resolve or Note tap asked for; other text goes on to relay."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or message.text is None:
            return
        at = address(user.id)
        expected = await self.desk.expected(at)
        if expected is None:
            return
        flow, data = expected
        replied = message.reply_to_message
        if replied is not None and data.get("prompt") not in (None, replied.message_id):
            return  # a reply to another message is meant for the relay, not as the answer
        person, lang = await self.who(update)
        request_id = int(data["request_id"])
        try:
            who = person_id(person)
            if flow == "decline":
                await self.desk.decline(request_id, who, message.text, update.update_id)
                await self.reply(update, texts.declined(lang, request_id))
            elif flow == "handback":
                told = await self.desk.hand_back(request_id, who, message.text, update.update_id)
                await self.reply(update, texts_handoff.handed_back(lang, request_id, told))
            elif flow == "resolve":
                await self.desk.resolve(
                    request_id, who, Outcome(data["outcome"]), message.text, update.update_id
                )
            elif flow == "inote":
                note = await self.desk.internal_note(
                    request_id, who, message.text, update_id=update.update_id
                )
                await self.reply(
                    update, texts_notes.internal_noted(lang, request_id, note.recipients)
                )
            elif flow == "reopen":
                await self.desk.reopen(request_id, who, message.text, update.update_id)
                await self.reply(update, texts_aftercare.reopen_done(lang, request_id))
            elif flow == "comment":
                await self.desk.comment(request_id, who, message.text, update.update_id)
                await self.reply(update, texts_aftercare.commented(lang, request_id))
            else:
                owner = await self.desk.note(request_id, who, message.text, update.update_id)
                await self.reply(update, texts_reach.noted(lang, request_id, owner))
        except Refused as refused:
            if refused.reason == Refusal.BAD_INPUT and refused.details.get("problem") == TOO_LONG:
                length, limit = refused.details.get("length"), refused.details.get("max")
                await self.reply(update, texts.too_long(lang, int(length or 0), int(limit or 0)))
            elif refused.reason == Refusal.BAD_INPUT:
                await self.reply(update, texts.too_short(lang))
            else:
                await self.desk.drop_draft(at, flow)
                await answer_refusal(update, refused, lang)
        raise ApplicationHandlerStop

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
                    update.update_id,
                )
                relayed = Relayed(note.recipients, note.step)
            else:
                relayed = await self.desk.relay_message(
                    request_id,
                    person_id(person),
                    text,
                    file_id,
                    file_kind,
                    update.update_id,
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
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_internal(cb.request_id, person_id(person))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        prompt = await self.reply(
            update,
            texts_notes.ask_internal_note(lang, cb.request_id),
            reply_markup=ForceReply(selective=True),
        )
        await self._expect(query.from_user.id, "inote", cb.request_id, prompt)

    async def on_share_with_owner(self, update: Update, context: Context) -> None:
        """Sends a reply that was kept internal to the owner as well (once)."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        if not (cb.arg or "").isdigit():
            await query.answer(texts.stale_button(lang), show_alert=True)
            return
        try:
            owner = await self.desk.share_with_owner(
                cb.request_id, person_id(person), int(cb.arg or 0), update.update_id
            )
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer(texts_notes.shared_with_owner(lang, cb.request_id, owner))
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
