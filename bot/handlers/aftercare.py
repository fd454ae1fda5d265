"""After resolution: Reopen (asks the reason), the rating's comment or none.

See bot.services.aftercare.

The texts these taps ask for are answered through the pending inputs of bot.handlers.dispatch
(flows ``reopen`` and ``comment``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.channels.telegram import keyboards_aftercare, texts_aftercare
from bot.channels.telegram.callback_data import Op, pattern
from bot.channels.telegram.identity import address
from bot.handlers.common import Context, answer_refusal, person_id
from bot.handlers.dispatch import Dispatch
from bot.services.errors import Refused


class Aftercare(Dispatch):
    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(CallbackQueryHandler(self.on_reopen, pattern(Op.REOPEN)))
        app.add_handler(CallbackQueryHandler(self.on_comment, pattern(Op.COMMENT)))
        app.add_handler(CallbackQueryHandler(self.on_no_comment, pattern(Op.NO_COMMENT)))

    async def on_reopen(self, update: Update, context: Context) -> None:
        """The owner taps Reopen: asks the reason (the next text reopens it)."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_reopen(cb.request_id, person_id(person))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        prompt = await self.reply(
            update,
            texts_aftercare.ask_reopen_reason(lang, cb.request_id),
            reply_markup=ForceReply(selective=True),
        )
        await self._expect(query.from_user.id, "reopen", cb.request_id, prompt)

    async def on_comment(self, update: Update, context: Context) -> None:
        """The owner wants to add a comment to the rating: asks for it."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_comment(cb.request_id, person_id(person))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer()
        await self._keep_reopen(query.message, cb.request_id, lang)
        prompt = await self.reply(
            update,
            texts_aftercare.ask_comment(lang, cb.request_id),
            reply_markup=ForceReply(selective=True),
        )
        await self._expect(query.from_user.id, "comment", cb.request_id, prompt)

    async def on_no_comment(self, update: Update, context: Context) -> None:
        """No comment: the comment buttons go; Reopen stays."""
        cb, person, lang = await self._tap(update)
        query = update.callback_query
        if cb is None or query is None or cb.request_id is None:
            return
        try:
            await self.desk.authorise_comment(cb.request_id, person_id(person))
        except Refused as refused:
            await answer_refusal(update, refused, lang)
            return
        await query.answer(texts_aftercare.no_comment(lang, cb.request_id))
        await self._keep_reopen(query.message, cb.request_id, lang)
        await self.desk.drop_draft(address(query.from_user.id), "comment")

    @staticmethod
    async def _keep_reopen(message: object, request_id: int, lang: str) -> None:
        if not isinstance(message, Message):
            return
        # If the edit fails the buttons stay; a second tap is refused on the server.
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(keyboards_aftercare.reopen(request_id, lang))
