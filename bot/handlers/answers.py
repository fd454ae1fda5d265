"""The text a tap asked for: one handler takes it and hands it to the use case of its flow.

A tap (Decline's Other, Resolve's outcome, Note, Internal note, Hand back's Other, Reopen,
a rating's comment, Withdraw, a roster's Change phone) asks a question and leaves an
expectation with the channel (bot.channels.pending). The next text in that conversation is
the answer: it goes to the flow's use case, which authorises the person again (they may
have lost the request meanwhile). A reply to some other message is not an answer (it goes on
to the relay). /cancel drops the question; any other command drops it too and goes on.

Runs in a group before the lists' and the form's handlers: the latest question wins.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, MessageHandler
from telegram.ext import filters as f

from bot.channels.pending import Expectation, Flow
from bot.channels.telegram import texts, texts_aftercare, texts_handoff, texts_notes, texts_reach
from bot.channels.telegram.identity import update_ref
from bot.domain.models import LengthProblem, Outcome
from bot.handlers.common import Context, Deps, HandlerBase, answer_refusal, at, person_id
from bot.services.errors import Refusal, Refused

GROUP = -2  # before the lists (-1) and group 0 (the form, commands, buttons)
TOO_LONG = LengthProblem.TOO_LONG.value

# Takes the text as the answer and tells the person; False while the question still stands
# (a phone that is not a mobile number), True once it is answered or refused for good.
Answer = Callable[[Update, Context, Expectation, int, str, str], Awaitable[bool]]
# What /cancel says when it drops the question (the flow's own words, else "cancelled").
Dropped = Callable[[Update, Expectation, str], Awaitable[None]]


class Answers(HandlerBase):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.answers: dict[Flow, Answer] = {
            Flow.DECLINE: self._decline,
            Flow.HANDBACK: self._hand_back,
            Flow.RESOLVE: self._resolve,
            Flow.NOTE: self._note,
            Flow.INTERNAL_NOTE: self._internal_note,
            Flow.REOPEN: self._reopen,
            Flow.COMMENT: self._comment,
        }
        self.dropped: dict[Flow, Dropped] = {}

    def takes(self, flow: Flow, answer: Answer, dropped: Dropped | None = None) -> None:
        """Lets another handler answer its own flow (a withdrawal, a phone)."""
        self.answers[flow] = answer
        if dropped is not None:
            self.dropped[flow] = dropped

    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(CommandHandler("cancel", self.on_cancel), GROUP)
        app.add_handler(MessageHandler(f.COMMAND, self.on_command), GROUP)
        app.add_handler(MessageHandler(f.TEXT & ~f.COMMAND, self.on_text), GROUP)

    async def on_text(self, update: Update, context: Context) -> None:
        """The answer to the question last asked here; any other text goes on."""
        message = update.effective_message
        if message is None or message.text is None or update.effective_user is None:
            return
        expected = await self.expecting.current(at(update))
        if expected is None:
            return
        replied = message.reply_to_message
        if replied is not None and expected.prompt not in (None, str(replied.message_id)):
            return  # a reply to another message is meant for the relay, not as the answer
        person, lang = await self.who(update)
        try:
            answer = self.answers[expected.flow]
            done = await answer(update, context, expected, person_id(person), message.text, lang)
        except Refused as refused:
            done = await self._refused(update, refused, lang)
        if done:
            await self.expecting.answered(at(update), expected)
        raise ApplicationHandlerStop

    async def _refused(self, update: Update, refused: Refused, lang: str) -> bool:
        """Too short or too long: says so and waits for another try; else the question goes."""
        if refused.reason == Refusal.BAD_INPUT and refused.details.get("problem") == TOO_LONG:
            length, limit = refused.details.get("length"), refused.details.get("max")
            await self.reply(update, texts.too_long(lang, int(length or 0), int(limit or 0)))
            return False
        if refused.reason == Refusal.BAD_INPUT:
            await self.reply(update, texts.too_short(lang))
            return False
        await answer_refusal(update, refused, lang)
        return True

    async def on_cancel(self, update: Update, context: Context) -> None:
        """/cancel while a question waits drops it (and nothing else); else /cancel goes on."""
        if update.effective_user is None:
            return
        dropped = await self.expecting.forget(at(update))
        if dropped is None:
            return
        _person, lang = await self.who(update)
        said = self.dropped.get(dropped.flow)
        if said is not None:
            await said(update, dropped, lang)
        else:
            await self.reply(update, texts.cancelled(lang, True))
        raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: Context) -> None:
        """Another command leaves the question unanswered: it is dropped, the command goes on."""
        if update.effective_user is not None:
            await self.expecting.forget(at(update))

    # ---- the request flows ------------------------------------------------------------------

    async def _decline(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        await self.desk.decline(e.subject, who, text, update_ref(update))
        await self.reply(update, texts_handoff.declined(lang, e.subject))
        return True

    async def _hand_back(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        told = await self.desk.hand_back(e.subject, who, text, update_ref(update))
        await self.reply(update, texts_handoff.handed_back(lang, e.subject, told))
        return True

    async def _resolve(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        outcome = Outcome(e.data.get("outcome", ""))
        await self.desk.resolve(e.subject, who, outcome, text, update_ref(update))
        return True

    async def _note(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        owner = await self.desk.note(e.subject, who, text, update_ref(update))
        await self.reply(update, texts_reach.noted(lang, e.subject, owner))
        return True

    async def _internal_note(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        note = await self.desk.internal_note(e.subject, who, text, update=update_ref(update))
        await self.reply(update, texts_notes.internal_noted(lang, e.subject, note.recipients))
        return True

    async def _reopen(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        await self.desk.reopen(e.subject, who, text, update_ref(update))
        await self.reply(update, texts_aftercare.reopen_done(lang, e.subject))
        return True

    async def _comment(
        self, update: Update, _c: Context, e: Expectation, who: int, text: str, lang: str
    ) -> bool:
        await self.desk.comment(e.subject, who, text, update_ref(update))
        await self.reply(update, texts_aftercare.commented(lang, e.subject))
        return True
