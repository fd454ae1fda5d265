"""After resolution: Reopen (asks the reason), the rating's comment or none.

See bot.services.aftercare.

The texts these taps ask for are answered in bot.handlers.answers (flows REOPEN and COMMENT).
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.channels.pending import Flow
from bot.channels.telegram import keyboards_aftercare, texts_aftercare
from bot.channels.telegram.callback_data import Op, pattern
from bot.handlers.common import Context, HandlerBase, at


class Aftercare(HandlerBase):
    def add_to(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(CallbackQueryHandler(self.on_reopen, pattern(Op.REOPEN)))
        app.add_handler(CallbackQueryHandler(self.on_comment, pattern(Op.COMMENT)))
        app.add_handler(CallbackQueryHandler(self.on_no_comment, pattern(Op.NO_COMMENT)))

    async def on_reopen(self, update: Update, context: Context) -> None:
        """The owner taps Reopen: asks the reason (the next text reopens it)."""
        tap = await self.tap(update, self.desk.authorise_reopen)
        if tap is None:
            return
        await tap.query.answer()
        text = texts_aftercare.ask_reopen_reason(tap.lang, tap.request_id)
        await self.ask_text(update, Flow.REOPEN, tap.request_id, text)

    async def on_comment(self, update: Update, context: Context) -> None:
        """The owner wants to add a comment to the rating: asks for it."""
        tap = await self.tap(update, self.desk.authorise_comment)
        if tap is None:
            return
        await tap.query.answer()
        await self._keep_reopen(tap.query.message, tap.request_id, tap.lang)
        text = texts_aftercare.ask_comment(tap.lang, tap.request_id)
        await self.ask_text(update, Flow.COMMENT, tap.request_id, text)

    async def on_no_comment(self, update: Update, context: Context) -> None:
        """No comment: the comment buttons go; Reopen stays."""
        tap = await self.tap(update, self.desk.authorise_comment)
        if tap is None:
            return
        await tap.query.answer(texts_aftercare.no_comment(tap.lang, tap.request_id))
        await self._keep_reopen(tap.query.message, tap.request_id, tap.lang)
        await self.expecting.forget(at(update), Flow.COMMENT)

    @staticmethod
    async def _keep_reopen(message: object, request_id: int, lang: str) -> None:
        if not isinstance(message, Message):
            return
        # If the edit fails the buttons stay; a second tap is refused on the server.
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(keyboards_aftercare.reopen(request_id, lang))
